"""SingleCollectionAdapter: a store bound to one collection."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from .._atomic import Versioned, unsupported
from .._base import BaseKVStore, Value
from .._cache_aside import Factory, get_or_set
from .._protocol import KVStoreProtocol
from .._ttl_info import TTLInfo
from .._validation import TTL, check_collection


class SingleCollectionAdapter:
    """The protocol's operations on one collection, without a collection argument.

    The atomic operations (``add``, ``take``, ``touch``, ``get_versioned``,
    ``put_versioned``, ``increment``) are here too when the store is a ``BaseKVStore``
    (any store or wrapper): :attr:`atomic_operations` are its. Over an object that
    offers only the protocol they raise UnsupportedOperationError.

    Args:
        store: any store or wrapper.
        collection: the collection every call reads and writes.
    """

    def __init__(self, store: KVStoreProtocol | BaseKVStore, collection: str) -> None:
        check_collection(collection)
        self.store = store
        self.collection = collection

    async def get(self, key: str) -> Value | None:
        """Return the live value of ``key``, or None."""
        return await self.store.get(self.collection, key)

    async def put(self, key: str, value: Value, *, ttl: TTL = None) -> None:
        """Insert or overwrite ``key``; the TTL restarts."""
        await self.store.put(self.collection, key, value, ttl=ttl)

    async def delete(self, key: str) -> bool:
        """Remove ``key``; True if a live entry was removed."""
        return await self.store.delete(self.collection, key)

    async def exists(self, key: str) -> bool:
        """True if ``key`` holds a live entry."""
        return await self.store.exists(self.collection, key)

    async def ttl(self, key: str) -> TTLInfo | None:
        """Return the metadata of ``key``'s live entry, or None."""
        return await self.store.ttl(self.collection, key)

    async def get_many(self, keys: Sequence[str]) -> list[Value | None]:
        """Return the live values of ``keys``, aligned with them."""
        return await self.store.get_many(self.collection, keys)

    async def put_many(self, items: Mapping[str, Value], *, ttl: TTL = None) -> None:
        """Write every item with the same TTL."""
        await self.store.put_many(self.collection, items, ttl=ttl)

    async def delete_many(self, keys: Sequence[str]) -> int:
        """Remove ``keys``; return how many live entries were removed."""
        return await self.store.delete_many(self.collection, keys)

    # -- atomic operations --------------------------------------------------------------

    @property
    def atomic_operations(self) -> frozenset[str]:
        """The atomic operations the store implements (none for a protocol-only store)."""
        store = self.store
        return store.atomic_operations if isinstance(store, BaseKVStore) else frozenset()

    def _atomic(self, operation: str) -> BaseKVStore:
        """The store, if it can run atomic operations; else the error naming ``operation``."""
        store = self.store
        if not isinstance(store, BaseKVStore):
            raise unsupported(self, operation)
        return store

    async def add(self, key: str, value: Value, *, ttl: TTL = None) -> bool:
        """Write ``key`` only if it holds no live entry; True if written."""
        return await self._atomic("add").add(self.collection, key, value, ttl=ttl)

    async def take(self, key: str) -> Value | None:
        """Return the live value of ``key`` and remove it, in one step; None if missing."""
        return await self._atomic("take").take(self.collection, key)

    async def touch(self, key: str, ttl: TTL) -> bool:
        """Give ``key``'s live entry a new TTL (None: never expires); False if missing."""
        return await self._atomic("touch").touch(self.collection, key, ttl)

    async def get_versioned(self, key: str) -> Versioned[Value] | None:
        """Return the live value of ``key`` with its version token, or None."""
        return await self._atomic("get_versioned").get_versioned(self.collection, key)

    async def put_versioned(
        self, key: str, value: Value, *, version: str | None, ttl: TTL = None
    ) -> bool:
        """Write ``key`` only if its live entry still has ``version`` (None: only if absent)."""
        store = self._atomic("put_versioned")
        return await store.put_versioned(self.collection, key, value, version=version, ttl=ttl)

    async def increment(self, key: str, amount: int = 1, *, ttl: TTL = None) -> int:
        """Add ``amount`` to the counter ``{"count": n}`` of ``key``; return the new count."""
        return await self._atomic("increment").increment(self.collection, key, amount, ttl=ttl)

    async def get_or_set(
        self, key: str, factory: Factory, *, ttl: TTL = None, lease: TTL = None
    ) -> Value:
        """Return the live value of ``key``, or compute, store and return it (see
        ``BaseKVStore.get_or_set``: one computation for concurrent callers)."""
        return await get_or_set(self.store, self.collection, key, factory, ttl, lease)

    def __repr__(self) -> str:
        return f"SingleCollectionAdapter({self.store!r}, collection={self.collection!r})"
