"""SingleCollectionAdapter: a store bound to one collection."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from .._base import BaseKVStore, Value
from .._protocol import KVStoreProtocol
from .._ttl_info import TTLInfo
from .._validation import TTL, check_collection


class SingleCollectionAdapter:
    """The protocol's operations on one collection, without a collection argument.

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

    def __repr__(self) -> str:
        return f"SingleCollectionAdapter({self.store!r}, collection={self.collection!r})"
