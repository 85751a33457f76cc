"""@cached: an async function's results kept in a store, computed once per key in flight."""

from __future__ import annotations

import functools
import inspect
import json
import math
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, NoReturn, Protocol, TypeVar

from typing_extensions import ParamSpec

from ._base import BaseKVStore
from ._lease import lease_seconds
from ._validation import TTL, check_collection, normalize_ttl
from .errors import InvalidKeyError

P = ParamSpec("P")
T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)

WRAPPED = "__kvstore_cached__"
"""The one member of the object a result is stored in when it is not an object itself (or
is an object of exactly that one member, which would otherwise read back unwrapped)."""


class Cached(Protocol[P, T_co]):
    """A function decorated by :func:`cached`: call it as the original."""

    __name__: str
    __qualname__: str

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> Coroutine[Any, Any, T_co]: ...

    def cache_key(self, *args: P.args, **kwargs: P.kwargs) -> str:
        """The key a call with these arguments reads and writes."""
        ...


def cached(
    store: Any,
    collection: str,
    *,
    ttl: TTL = None,
    key: Callable[..., str] | None = None,
    lease: TTL = None,
) -> Callable[[Callable[P, Awaitable[T]]], Cached[P, T]]:
    """Decorate an async function so that its results are kept in ``store``.

    A call reads the entry its arguments name with ``store.get_or_set``: a hit returns
    the stored result without calling the function; concurrent calls that miss share one
    call (and with ``lease=``, calls in other processes wait for it too).

    The key is ``module.qualname:`` followed by the call's arguments, bound to the
    function's parameters (defaults applied), as canonical JSON: an object of parameter
    name to value with sorted keys. Arguments must be JSON values (None, bool, int,
    finite float, str, list, dict with str keys; not tuples, subclasses or other objects)
    unless ``key`` is given: ``key(*args, **kwargs)`` then returns the key itself.

    On a dict store, a result may be any JSON value: an object is stored as it is,
    anything else as ``{"__kvstore_cached__": result}``, unwrapped on the way out. Through
    an adapter (``PydanticAdapter``), results are the adapter's values (models), stored
    as the adapter stores them. Results come back as JSON gives them (tuples as lists).

    Args:
        store: a store, wrapper, or an adapter with ``get_or_set`` (``PydanticAdapter``).
        collection: the collection the results are kept in.
        ttl: how long a result is kept (None: until removed).
        key: builds the key from the call's arguments instead of the default encoding.
        lease: seconds of a cross-process lease (see ``get_or_set``).

    Raises:
        TypeError: the decorated object is not an async function.
        InvalidKeyError, InvalidTTLError: bad collection, ttl or lease (at decoration);
            an argument with no JSON form, or a ``key`` result that is not a non-empty
            str (at the call, before anything is read).
    """
    check_collection(collection)
    normalize_ttl(ttl)
    lease_seconds(lease)
    if key is not None and not callable(key):
        raise TypeError(f"key must be a callable returning the key, got {type(key).__name__}")
    wraps_results = isinstance(store, BaseKVStore)

    def decorate(function: Callable[P, Awaitable[T]]) -> Cached[P, T]:
        if not inspect.iscoroutinefunction(function):
            raise TypeError(
                f"cached() decorates async functions (async def), got {function!r}: for a "
                "plain function, call store.get_or_set(collection, key, function) yourself"
            )
        key_of = _key_maker(function, key)

        @functools.wraps(function)
        async def call_cached(*args: P.args, **kwargs: P.kwargs) -> T:
            name = key_of(*args, **kwargs)

            async def compute() -> Any:
                result = await function(*args, **kwargs)
                return wrap(result) if wraps_results else result

            stored = await store.get_or_set(collection, name, compute, ttl=ttl, lease=lease)
            result: T = unwrap(stored) if wraps_results else stored
            return result

        call_cached.cache_key = key_of  # type: ignore[attr-defined]
        decorated: Cached[P, T] = call_cached  # type: ignore[assignment]
        return decorated

    return decorate


def wrap(result: object) -> object:
    """The object ``result`` is stored as (see :data:`WRAPPED`)."""
    if isinstance(result, dict) and not (len(result) == 1 and WRAPPED in result):
        return result
    return {WRAPPED: result}


def unwrap(stored: dict[str, Any]) -> Any:
    """The result ``stored`` holds: the inverse of :func:`wrap`."""
    if len(stored) == 1 and WRAPPED in stored:
        return stored[WRAPPED]
    return stored


def _key_maker(function: Callable[..., Any], key: Callable[..., str] | None) -> Callable[..., str]:
    """Return what builds the key of a call of ``function``."""
    if key is not None:
        custom = key

        def given(*args: Any, **kwargs: Any) -> str:
            made = custom(*args, **kwargs)
            if type(made) is not str or not made:
                raise InvalidKeyError(
                    f"the key= callable of cached({function.__qualname__}) must return a "
                    f"non-empty str, got {made!r}"
                )
            return made

        return given
    signature = inspect.signature(function)
    prefix = f"{function.__module__}.{function.__qualname__}:"

    def encoded(*args: Any, **kwargs: Any) -> str:
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        arguments: dict[str, Any] = {}
        for name, value in bound.arguments.items():
            if type(value) is tuple and _kind(signature, name) is inspect.Parameter.VAR_POSITIONAL:
                value = list(value)  # *args: the tuple is Python's, not the caller's
            _check_json(function, name, value)
            arguments[name] = value
        return prefix + json.dumps(
            arguments, sort_keys=True, ensure_ascii=False, separators=(",", ":")
        )

    return encoded


def _kind(signature: inspect.Signature, name: str) -> Any:
    return signature.parameters[name].kind


def _check_json(function: Callable[..., Any], where: str, value: object) -> None:
    """Raise InvalidKeyError unless ``value`` is made of exact JSON types only."""
    kind = type(value)
    if value is None or kind is str or kind is bool or kind is int:
        return
    if kind is list:
        members: list[object] = value  # type: ignore[assignment]
        for index, member in enumerate(members):
            _check_json(function, f"{where}[{index}]", member)
        return
    if kind is dict:
        mapping: dict[object, object] = value  # type: ignore[assignment]
        for name, member in mapping.items():
            if type(name) is not str:
                _refuse(function, where, f"a dict with a {type(name).__name__} key")
            _check_json(function, f"{where}[{name!r}]", member)
        return
    if kind is float:
        if math.isfinite(value):  # type: ignore[arg-type]
            return
        _refuse(function, where, f"the float {value!r}")
    _refuse(function, where, f"a {kind.__qualname__}")


def _refuse(function: Callable[..., Any], where: str, what: str) -> NoReturn:
    raise InvalidKeyError(
        f"cached({function.__qualname__}) cannot build a key from argument {where}, "
        f"{what}: the key is made of JSON values only (None, bool, int, finite float, str, "
        "list, dict with str keys); convert it, or give cached(..., key=...) a callable "
        "that builds the key"
    )
