"""PydanticAdapter: the protocol's operations taking and returning Pydantic models."""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from typing import Any, Generic, TypeVar, overload

from pydantic import BaseModel, ValidationError
from pydantic_core import PydanticSerializationError, to_json

from kvstore.core import (
    TTL,
    BaseKVStore,
    DeserializationError,
    InvalidKeyError,
    KVStoreError,
    KVStoreProtocol,
    SerializationError,
    TTLInfo,
    UnsupportedOperationError,
    Versioned,
)

ModelT = TypeVar("ModelT", bound=BaseModel)

_MAX_REPORTED_ERRORS = 10
_COMPARE_AND_SET = frozenset({"get_versioned", "put_versioned"})
"""The store's operations ``take`` is built from here, so that it validates before removing."""
_MAX_TAKE_CONFLICTS = 10_000
"""Conflicts after which ``take`` gives up (under contention every round has a winner)."""
"""Failing fields named in a DeserializationError; more are summarised as a count."""


class PydanticAdapter(Generic[ModelT]):
    """Typed access to any store: values go in and come out as instances of one model.

    ``put`` stores ``model.model_dump(mode="json")``, so datetimes, UUIDs, enums,
    Decimals and nested models are written as their JSON forms; ``get`` validates the
    stored object in Pydantic's JSON mode, the exact counterpart of that dump, so
    every field round-trips (strict models included).

    The atomic operations take and return models the same way: ``add`` and
    ``put_versioned`` take one, ``get_versioned`` returns a ``Versioned`` of one (the
    version is the store's), ``touch`` forwards, and ``increment`` stays a plain int on
    the counter ``{"count": n}`` (it never passes through the model). ``take``
    validates before it removes: it reads the entry with its version, validates it,
    and removes it only if its version is unchanged (``put_versioned`` with a TTL of
    zero, reading again after a conflict), so stored data that is not a valid model
    raises DeserializationError (or, with ``invalid_as_miss``, reads as a miss) and
    stays stored. They need a ``BaseKVStore`` (any store or wrapper); see
    :attr:`atomic_operations`.

    Args:
        store: any store, wrapper or wrapper chain implementing ``KVStoreProtocol``.
        pydantic_model: the model class values are instances of.
        invalid_as_miss: when True, stored data that fails validation reads as a miss
            (``None``) instead of raising ``DeserializationError``; off by default, so
            a schema change never silently hides data.
        store_protocol: kv-store-adapter 0.1's name for ``store``: accepted, with a
            DeprecationWarning saying to write ``store=``.

    Raises:
        TypeError: ``pydantic_model`` is not a BaseModel subclass, or the store is given
            twice or not at all.
    """

    @overload
    def __init__(
        self, store: KVStoreProtocol, pydantic_model: type[ModelT], *, invalid_as_miss: bool = False
    ) -> None: ...

    @overload
    def __init__(
        self,
        *,
        store_protocol: KVStoreProtocol,
        pydantic_model: type[ModelT],
        invalid_as_miss: bool = False,
    ) -> None: ...

    def __init__(
        self,
        store: KVStoreProtocol | None = None,
        pydantic_model: type[ModelT] | None = None,
        *,
        invalid_as_miss: bool = False,
        store_protocol: KVStoreProtocol | None = None,
    ) -> None:
        if store_protocol is not None:
            if store is not None:
                raise TypeError("give PydanticAdapter store= or store_protocol=, not both")
            warnings.warn(
                "PydanticAdapter(store_protocol=...) is kv-store-adapter 0.1's spelling; "
                "write PydanticAdapter(store=...) or pass the store first",
                DeprecationWarning,
                stacklevel=2,
            )
            store = store_protocol
        if store is None:
            raise TypeError("PydanticAdapter needs a store: PydanticAdapter(store, Model)")
        if not (isinstance(pydantic_model, type) and issubclass(pydantic_model, BaseModel)):
            raise TypeError(
                f"pydantic_model must be a pydantic.BaseModel subclass, got {pydantic_model!r}"
            )
        self.store = store
        self.model = pydantic_model
        self.invalid_as_miss = invalid_as_miss

    # -- conversions ------------------------------------------------------------------

    def _dump(self, collection: str, key: object, model: object) -> dict[str, Any]:
        """Return the JSON form of ``model``, or raise SerializationError."""
        if not isinstance(model, self.model):
            raise SerializationError(
                f"expected an instance of {self.model.__name__}, got {type(model).__name__} "
                f"(collection {collection!r}, key {key!r})"
            )
        try:
            dumped = model.model_dump(mode="json")
        except (PydanticSerializationError, ValueError, TypeError) as exc:
            raise SerializationError(
                f"cannot serialize {type(model).__name__} (collection {collection!r}, "
                f"key {key!r}): {exc}"
            ) from exc
        if not isinstance(dumped, dict):
            raise SerializationError(
                f"{type(model).__name__} dumps to {type(dumped).__name__}, not a JSON object "
                f"(collection {collection!r}, key {key!r})"
            )
        return dumped

    def _load(self, collection: str, key: str, value: dict[str, Any] | None) -> ModelT | None:
        """Return ``value`` validated as the model; None for a miss."""
        if value is None:
            return None
        try:
            # JSON mode mirrors model_dump(mode="json"): ISO datetimes, base64 bytes and
            # the like are accepted even by strict models. to_json on a JSON-native dict
            # is cheap (Rust), so this costs about what Python-mode validation does.
            return self.model.model_validate_json(to_json(value))
        except ValidationError as exc:
            if self.invalid_as_miss:
                return None
            raise DeserializationError(
                f"stored data is not a valid {self.model.__name__} (collection {collection!r}, "
                f"key {key!r}): {_describe(exc)}"
            ) from exc

    # -- the protocol -----------------------------------------------------------------

    async def get(self, collection: str, key: str) -> ModelT | None:
        """Return the live value as a model instance.

        Returns:
            A new model instance, or None if missing or expired (or invalid, when
            ``invalid_as_miss`` is set).

        Raises:
            DeserializationError: the stored data does not validate as the model.
            InvalidKeyError: collection or key is not a non-empty str.
        """
        return self._load(collection, key, await self.store.get(collection, key))

    async def put(self, collection: str, key: str, value: ModelT, *, ttl: TTL = None) -> None:
        """Store a model instance; the TTL restarts.

        Args:
            value: an instance of the adapter's model (or of a subclass).
            ttl: seconds (int or float) or a timedelta; None never expires.

        Raises:
            SerializationError: ``value`` is not an instance of the model, or cannot be
                dumped to a JSON object; nothing is written.
            InvalidKeyError: collection or key is not a non-empty str.
            InvalidTTLError: ``ttl`` is not a valid TTL.
        """
        await self.store.put(collection, key, self._dump(collection, key, value), ttl=ttl)

    async def delete(self, collection: str, key: str) -> bool:
        """Remove an entry.

        Returns:
            True if a live entry was removed.
        """
        return await self.store.delete(collection, key)

    async def exists(self, collection: str, key: str) -> bool:
        """Return True if a live entry is there (whether or not it validates)."""
        return await self.store.exists(collection, key)

    async def ttl(self, collection: str, key: str) -> TTLInfo | None:
        """Return the TTL metadata of a live entry, or None."""
        return await self.store.ttl(collection, key)

    async def get_many(self, collection: str, keys: Sequence[str]) -> list[ModelT | None]:
        """Return the live values of ``keys`` as model instances, aligned with ``keys``.

        Raises:
            DeserializationError: a stored value does not validate (names the first such key).
            InvalidKeyError: the collection or a key is not a non-empty str.
        """
        if isinstance(keys, Iterator):
            # The store consumes an iterator; the keys are needed again to name failures.
            keys = list(keys)
        values = await self.store.get_many(collection, keys)
        return [self._load(collection, key, value) for key, value in zip(keys, values, strict=True)]

    async def put_many(
        self, collection: str, items: Mapping[str, ModelT], *, ttl: TTL = None
    ) -> None:
        """Store every model instance with the same TTL.

        Args:
            items: mapping of key to model instance.
            ttl: seconds (int or float) or a timedelta; None never expires.

        Raises:
            SerializationError: an item is not an instance of the model or cannot be
                dumped; every item is checked before anything is written.
            InvalidKeyError: the collection or a key is not a non-empty str, or ``items``
                is not a mapping.
        """
        if not isinstance(items, Mapping):
            raise InvalidKeyError(
                f"items must be a mapping of key to {self.model.__name__}, got "
                f"{type(items).__name__} (collection {collection!r})"
            )
        dumped = {key: self._dump(collection, key, value) for key, value in items.items()}
        await self.store.put_many(collection, dumped, ttl=ttl)

    async def delete_many(self, collection: str, keys: Sequence[str]) -> int:
        """Remove entries.

        Returns:
            How many live entries were removed.
        """
        return await self.store.delete_many(collection, keys)

    # -- atomic operations --------------------------------------------------------------

    @property
    def atomic_operations(self) -> frozenset[str]:
        """The atomic operations this adapter offers: its store's (``take`` needs the
        store's ``get_versioned`` and ``put_versioned``); none over a protocol-only store."""
        store = self.store
        if not isinstance(store, BaseKVStore):
            return frozenset()
        found = store.atomic_operations
        return found if found >= _COMPARE_AND_SET else found - {"take"}

    def _atomic(self, operation: str) -> BaseKVStore:
        """The store, if this adapter offers ``operation`` over it."""
        if operation not in self.atomic_operations:
            offered = ", ".join(sorted(self.atomic_operations)) or "none"
            raise UnsupportedOperationError(
                f"PydanticAdapter over {type(self.store).__name__} does not implement "
                f"{operation}() (its atomic operations: {offered}); kvstore never emulates "
                f"an atomic operation with a separate read and write"
            )
        return self.store  # type: ignore[return-value]  # a BaseKVStore: checked above

    async def add(self, collection: str, key: str, value: ModelT, *, ttl: TTL = None) -> bool:
        """Store a model instance only if no live entry exists.

        Returns:
            True if written; False if a live entry was there (left unchanged).

        Raises:
            SerializationError: ``value`` is not an instance of the model; nothing is written.
            UnsupportedOperationError: the store does not implement ``add``.
        """
        store = self._atomic("add")
        return await store.add(collection, key, self._dump(collection, key, value), ttl=ttl)

    async def take(self, collection: str, key: str) -> ModelT | None:
        """Return the live value as a model instance and remove it, in one step.

        Returns:
            The model, or None if missing or expired (or invalid, with ``invalid_as_miss``:
            then the entry is left stored).

        Raises:
            DeserializationError: the stored data does not validate; nothing is removed.
            UnsupportedOperationError: the store lacks ``get_versioned``/``put_versioned``.
        """
        store = self._atomic("take")
        for _ in range(_MAX_TAKE_CONFLICTS):
            found = await store.get_versioned(collection, key)
            if found is None:
                return None
            model = self._load(collection, key, found.value)
            if model is None:
                return None  # invalid, read as a miss: it stays stored
            # A TTL of zero makes put_versioned a removal conditional on the version; a
            # conflict means another writer went first, so the loop always makes progress.
            if await store.put_versioned(
                collection, key, found.value, version=found.version, ttl=0
            ):
                return model
        raise KVStoreError(
            f"take for collection {collection!r} key {key!r} gave up after "
            f"{_MAX_TAKE_CONFLICTS} conflicting writes"
        )

    async def touch(self, collection: str, key: str, ttl: TTL) -> bool:
        """Give a live entry a new TTL (None: never expires), its value unchanged.

        Returns:
            True if a live entry was there; False if missing or expired.
        """
        return await self._atomic("touch").touch(collection, key, ttl)

    async def get_versioned(self, collection: str, key: str) -> Versioned[ModelT] | None:
        """Return the live value as a model instance, with the store's version token.

        Returns:
            ``Versioned(model, version)``, or None if missing or expired (or invalid, when
            ``invalid_as_miss`` is set).

        Raises:
            DeserializationError: the stored data does not validate as the model.
        """
        found = await self._atomic("get_versioned").get_versioned(collection, key)
        if found is None:
            return None
        model = self._load(collection, key, found.value)
        return None if model is None else Versioned(model, found.version)

    async def put_versioned(
        self, collection: str, key: str, value: ModelT, *, version: str | None, ttl: TTL = None
    ) -> bool:
        """Store a model instance only if the live entry still has ``version``.

        Args:
            version: a token from ``get_versioned``; None writes only if no live entry exists.

        Returns:
            True if written; False on a conflict.

        Raises:
            SerializationError: ``value`` is not an instance of the model; nothing is written.
        """
        store = self._atomic("put_versioned")
        dumped = self._dump(collection, key, value)
        return await store.put_versioned(collection, key, dumped, version=version, ttl=ttl)

    async def increment(
        self, collection: str, key: str, amount: int = 1, *, ttl: TTL = None
    ) -> int:
        """Add ``amount`` to the counter ``{"count": n}`` and return the new count.

        The counter is a plain int, not a model: a missing entry starts at 0 with ``ttl``,
        a live one keeps its TTL.

        Raises:
            InvalidValueError: the live value is not a counter, or ``amount`` not an int.
        """
        return await self._atomic("increment").increment(collection, key, amount, ttl=ttl)

    async def get_or_set(
        self,
        collection: str,
        key: str,
        factory: Callable[[], Awaitable[ModelT] | ModelT],
        *,
        ttl: TTL = None,
        lease: TTL = None,
    ) -> ModelT:
        """Return the live value as a model, or compute it with ``factory()``, store it and
        return it: the wrapped store's ``get_or_set`` (one computation for concurrent
        callers; with ``lease=``, across processes too), models in and out.

        Args:
            factory: an async callable, or a plain one, returning a model instance.
            ttl: the TTL the computed value is stored with.
            lease: seconds of a cross-process lease (see docs/caching.md).

        Returns:
            A new model instance for each caller. Stored data that does not validate
            raises ``DeserializationError``; with ``invalid_as_miss`` it is computed
            again and replaced.

        Raises:
            SerializationError: the factory returned something that is not an instance
                of the model, or cannot be dumped; every caller gets it, nothing is stored.
            TypeError: the wrapped store has no ``get_or_set`` (any kvstore store has).
        """
        get_or_set = getattr(self.store, "get_or_set", None)
        if get_or_set is None:
            raise TypeError(
                f"{type(self.store).__name__} has no get_or_set: give PydanticAdapter a "
                "kvstore store or wrapper (a BaseKVStore)"
            )

        async def dumped() -> dict[str, Any]:
            model = factory()
            if inspect.isawaitable(model):
                model = await model
            return self._dump(collection, key, model)

        for _ in range(2):
            value = await get_or_set(collection, key, dumped, ttl=ttl, lease=lease)
            model: ModelT | None = self._load(collection, key, value)
            if model is not None:
                return model
            # invalid_as_miss: the invalid entry reads as a miss, so it is computed again.
            await self.store.delete(collection, key)
        raise DeserializationError(
            f"stored data is still not a valid {self.model.__name__} after replacing it "
            f"(collection {collection!r}, key {key!r}): another writer stores invalid data"
        )

    def __repr__(self) -> str:
        return f"PydanticAdapter({self.store!r}, {self.model.__name__})"


def _describe(exc: ValidationError) -> str:
    """Name each failing field and why, without echoing the stored (possibly private) input."""
    errors = exc.errors(include_url=False, include_input=False)
    parts = [
        f"{'.'.join(str(part) for part in error['loc']) or '<root>'}: {error['msg']}"
        for error in errors[:_MAX_REPORTED_ERRORS]
    ]
    if len(errors) > _MAX_REPORTED_ERRORS:
        parts.append(f"and {len(errors) - _MAX_REPORTED_ERRORS} more")
    return "; ".join(parts)
