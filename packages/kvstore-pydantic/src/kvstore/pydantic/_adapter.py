"""PydanticAdapter: the protocol's operations taking and returning Pydantic models."""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Generic, TypeVar, overload

from pydantic import BaseModel, ValidationError
from pydantic_core import PydanticSerializationError, to_json

from kvstore.core import (
    TTL,
    DeserializationError,
    InvalidKeyError,
    KVStoreProtocol,
    SerializationError,
    TTLInfo,
)

ModelT = TypeVar("ModelT", bound=BaseModel)

_MAX_REPORTED_ERRORS = 10
"""Failing fields named in a DeserializationError; more are summarised as a count."""


class PydanticAdapter(Generic[ModelT]):
    """Typed access to any store: values go in and come out as instances of one model.

    ``put`` stores ``model.model_dump(mode="json")``, so datetimes, UUIDs, enums,
    Decimals and nested models are written as their JSON forms; ``get`` validates the
    stored object in Pydantic's JSON mode, the exact counterpart of that dump, so
    every field round-trips (strict models included).

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
