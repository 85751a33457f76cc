"""LoggingWrapper: one structured log record per operation."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping, Sequence, Sized
from typing import Any, TypeVar

from .._base import BaseKVStore
from ..errors import SerializationError
from ._around import ITER_KEYS_CONTINUED, Args, AroundWrapper, Call

T = TypeVar("T")
Fields = dict[str, Any]

DEFAULT_LOGGER = "kvstore"


def _found(value: object) -> Fields:
    return {"kvstore_outcome": "miss" if value is None else "hit"}


def _hits(values: Sequence[object]) -> Fields:
    return {"kvstore_outcome": "ok", "kvstore_hits": sum(value is not None for value in values)}


def _ok(_: object) -> Fields:
    return {"kvstore_outcome": "ok"}


def _found_of_pair(result: tuple[object, object]) -> Fields:
    return _found(result[0])


def _count(count: int) -> Fields:
    return {"kvstore_outcome": "ok", "kvstore_count": count}


def _listed(found: Sized) -> Fields:
    return {"kvstore_outcome": "ok", "kvstore_count": len(found)}


def _names(keys: object) -> list[Any] | None:
    """The keys a batch names, for the record (as given, whatever their type)."""
    if isinstance(keys, (Mapping, list, tuple)):
        return list(keys)
    return None


_BATCHES = frozenset({"get_many", "put_many", "delete_many", "get_many_with_ttl"})
_TTL_ARGUMENT = {
    "put": 1,
    "put_many": 0,
    "add": 1,
    "touch": 0,
    "put_versioned": 2,
    "increment": 1,
}
"""Where the TTL is among the extra arguments of the writes."""
_OUTCOMES: dict[str, Callable[[Any], Fields]] = {
    "get": _found,
    "ttl": _found,
    "get_with_ttl": _found_of_pair,
    "exists": lambda found: {"kvstore_outcome": "hit" if found else "miss"},
    "delete": lambda removed: {"kvstore_outcome": "removed" if removed else "absent"},
    "get_many": _hits,
    "get_many_with_ttl": lambda results: _hits([value for value, _ in results]),
    "delete_many": _count,
    "clear_collection": _count,
    "keys": _listed,
    "iter_keys": _listed,
    ITER_KEYS_CONTINUED: _listed,
    "list_collections": _listed,
    "add": lambda written: {"kvstore_outcome": "written" if written else "present"},
    "take": _found,
    "touch": lambda found: {"kvstore_outcome": "hit" if found else "miss"},
    "get_versioned": _found,
    "put_versioned": lambda written: {"kvstore_outcome": "written" if written else "conflict"},
    "increment": _count,
}
"""The outcome fields of each operation's result (``_ok`` for the others)."""
_VALUES: dict[str, Callable[[Any, tuple[Any, ...], Any], object]] = {
    "get": lambda _, __, value: value,
    "get_with_ttl": lambda _, __, result: result[0],
    "get_many": lambda _, __, values: values,
    "get_many_with_ttl": lambda _, __, results: [value for value, _ in results],
    "put": lambda _, args, __: args[0],
    "put_many": lambda items, _, __: dict(items),
    "add": lambda _, args, __: args[0],
    "take": lambda _, __, value: value,
    "get_versioned": lambda _, __, found: None if found is None else found.value,
    "put_versioned": lambda _, args, __: args[0],
}
"""The values an operation wrote or read, for ``log_values``."""


class LoggingWrapper(AroundWrapper):
    """Logs one record per operation, with its details as structured ``extra`` fields.

    Each record's message reads like ``kvstore get collection='users' key='42': hit
    (0.031 ms)``; the same facts are attributes of the record, for structured
    formatters and filters:

    - ``kvstore_operation``: ``"get"``, ``"put_many"``, ``"keys"``, ...
    - ``kvstore_collection``, and ``kvstore_key`` (single-key operations) or
      ``kvstore_keys`` (batches: the list of keys) when the operation has them
    - ``kvstore_outcome``: ``"hit"``/``"miss"`` (get, exists, ttl, take, touch,
      get_versioned), ``"removed"``/``"absent"`` (delete), ``"written"``/``"present"``
      (add), ``"written"``/``"conflict"`` (put_versioned), ``"ok"``, or
      ``"error"``/``"cancelled"``
    - ``kvstore_duration_ms``: wall-clock time of the call, in milliseconds
    - ``kvstore_ttl`` (writes, atomic ones included), ``kvstore_hits`` (get_many),
      ``kvstore_count`` (how many entries delete_many, clear_collection, keys and
      iter_keys touched; the new count for increment)
    - ``kvstore_error``: on failure, the exception's type and message, and the record's
      level is at least WARNING

    ``iter_keys`` logs one record per page of up to 100 keys it reads, the first as
    ``iter_keys`` and the later ones as ``iter_keys_continued``.

    Values are redacted by default: no record holds a value or part of one (the
    message of a SerializationError, which can quote the value, is left out too).
    With ``log_values=True`` records also carry ``kvstore_value`` (single operations:
    the value written by put, add and put_versioned, read by get, take and
    get_versioned) or ``kvstore_values`` (batches). Version tokens are never logged.
    The wrapper logs no store repr or option, so credentials a wrapped store holds
    never reach a record. When the logger is not
    enabled for ``level`` the wrapper costs one check per call.

    Args:
        store: the store to wrap.
        logger: where records go; by default the ``"kvstore"`` logger.
        level: the level of the records of successful calls.
        log_values: also log the values written and read (they may be sensitive).
    """

    def __init__(
        self,
        store: BaseKVStore,
        logger: logging.Logger | None = None,
        level: int = logging.DEBUG,
        log_values: bool = False,
    ) -> None:
        super().__init__(store)
        self.logger = logger if logger is not None else logging.getLogger(DEFAULT_LOGGER)
        self.level = level
        self.log_values = log_values

    def _emit(self, level: int, fields: Fields, started: float) -> None:
        fields["kvstore_duration_ms"] = duration = (time.perf_counter() - started) * 1000
        target = ""
        if fields.get("kvstore_collection") is not None:
            target = f" collection={fields['kvstore_collection']!r}"
        if "kvstore_key" in fields:
            target += f" key={fields['kvstore_key']!r}"
        elif fields.get("kvstore_keys") is not None:
            target += f" keys={len(fields['kvstore_keys'])}"
        self.logger.log(
            level,
            "kvstore %s%s: %s (%.3f ms)",
            fields["kvstore_operation"],
            target,
            fields["kvstore_outcome"],
            duration,
            extra=fields,
        )

    def _failed(self, fields: Fields, exc: BaseException, started: float) -> None:
        if isinstance(exc, asyncio.CancelledError):
            fields["kvstore_outcome"] = "cancelled"
            self._emit(self.level, fields, started)
            return
        fields["kvstore_outcome"] = "error"
        redact = isinstance(exc, SerializationError) and not self.log_values
        fields["kvstore_error"] = type(exc).__name__ + ("" if redact else f": {exc}")
        self._emit(max(self.level, logging.WARNING), fields, started)

    async def around(
        self, operation: str, collection: str | None, keys: Any, call: Call[T], args: Args
    ) -> T:
        if not self.logger.isEnabledFor(self.level):
            return await call(self.store, collection, keys, args)
        fields: Fields = {"kvstore_operation": operation, "kvstore_collection": collection}
        if isinstance(keys, str):
            fields["kvstore_key"] = keys
        elif operation in _BATCHES:
            fields["kvstore_keys"] = _names(keys)
        if operation in _TTL_ARGUMENT:
            fields["kvstore_ttl"] = args[_TTL_ARGUMENT[operation]]
        started = time.perf_counter()
        try:
            result = await call(self.store, collection, keys, args)
        except BaseException as exc:
            self._failed(fields, exc, started)
            raise
        fields.update(_OUTCOMES.get(operation, _ok)(result))
        values = _VALUES.get(operation)
        if values is not None and self.log_values:
            name = "kvstore_values" if "kvstore_keys" in fields else "kvstore_value"
            fields[name] = values(keys, args, result)
        self._emit(self.level, fields, started)
        return result

    def __repr__(self) -> str:
        return (
            f"LoggingWrapper({self.store!r}, logger={self.logger.name!r}, "
            f"level={logging.getLevelName(self.level)!r}, log_values={self.log_values!r})"
        )
