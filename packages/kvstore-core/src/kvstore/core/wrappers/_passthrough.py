"""PassthroughCacheWrapper: a read-through, write-through cache in front of a primary store."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TypeVar

from .._base import BaseKVStore, Value
from .._ttl_info import TTLInfo
from .._validation import TTL, check_items, check_keys, check_name
from ._base import BaseWrapper
from ._in_flight import InFlight

T = TypeVar("T")


class PassthroughCacheWrapper(BaseWrapper):
    """Serves reads from ``cache_store`` and keeps it in step with ``primary_store``.

    Reads try the cache, then the primary, and fill the cache with the entry's
    remaining TTL. Writes and deletes go to the primary first, then to the cache, so
    a failed primary write leaves the cache untouched and the cache never serves a
    value the primary no longer has. TTL metadata and management operations
    (keys, collections) come from the primary; ``clear_collection``, ``cull`` and
    ``close`` act on both.

    The atomic operations are decided by the primary alone: ``add``, ``take``,
    ``touch``, ``put_versioned`` and ``increment`` run on the primary and then delete
    the entry from the cache (whatever they answered), marking reads in flight stale as
    ``put`` and ``delete`` do, so no read fills the cache with what they replaced;
    ``get_versioned`` reads the primary (a version is the primary's) and fills nothing.
    :attr:`atomic_operations` are the primary's: the cache needs none.

    Args:
        primary_store: the store of record.
        cache_store: the faster store in front of it (usually a MemoryStore).
    """

    def __init__(self, primary_store: BaseKVStore, cache_store: BaseKVStore) -> None:
        super().__init__(primary_store)
        self.cache = cache_store
        self._in_flight = InFlight()

    async def _fill(self, collection: str, key: str, value: Value, info: TTLInfo | None) -> None:
        if info is None or info.expires_at is None:
            await self.cache.put(collection, key, value)
            return
        remaining = info.expires_at.timestamp() - time.time()
        if remaining > 0:
            await self.cache.put(collection, key, value, ttl=remaining)

    async def get(self, collection: str, key: str) -> Value | None:
        return (await self.get_with_ttl(collection, key))[0]

    async def get_with_ttl(self, collection: str, key: str) -> tuple[Value | None, TTLInfo | None]:
        cached, info = await self.cache.get_with_ttl(collection, key)
        if cached is not None:
            return cached, info
        names = ((collection, key),)
        claim = self._in_flight.begin_read(names)
        try:
            value, info = await self.store.get_with_ttl(collection, key)
            if value is not None and not claim.stale:
                claim.updating = True
                await self._fill(collection, key, value, info)
        finally:
            self._in_flight.end_read(names, claim)
        return value, info

    async def exists(self, collection: str, key: str) -> bool:
        return await self.get(collection, key) is not None

    async def get_many(self, collection: str, keys: Sequence[str]) -> list[Value | None]:
        return [value for value, _ in await self.get_many_with_ttl(collection, keys)]

    async def get_many_with_ttl(
        self, collection: str, keys: Sequence[str]
    ) -> list[tuple[Value | None, TTLInfo | None]]:
        key_list = check_keys(collection, keys)
        results = await self.cache.get_many_with_ttl(collection, key_list)
        missing = list(
            dict.fromkeys(k for k, (v, _) in zip(key_list, results, strict=True) if v is None)
        )
        if not missing:
            return results
        names = [(collection, key) for key in missing]
        claim = self._in_flight.begin_read(names)
        try:
            read = await self.store.get_many_with_ttl(collection, missing)
            fetched = dict(zip(missing, read, strict=True))
            if not claim.stale:
                claim.updating = True
                for key, (value, info) in fetched.items():
                    if value is not None:
                        await self._fill(collection, key, value, info)
        finally:
            self._in_flight.end_read(names, claim)
        return [
            fetched[key] if result[0] is None else result
            for key, result in zip(key_list, results, strict=True)
        ]

    async def _write_through(
        self,
        collection: str,
        keys: list[str],
        primary: Callable[[], Awaitable[T]],
        update: Callable[[], Awaitable[object]] | None = None,
    ) -> T:
        """Run ``primary``, then ``update`` the cache, or delete ``keys`` from it when
        another write of them ran at the same time."""
        names = [(collection, key) for key in keys]
        claim = self._in_flight.begin_write(names)
        try:
            result = await primary()
            await self._in_flight.settle(names, own=claim)
            claim.updating = True
            if update is None or claim.overlapped or claim.stale:
                await self.cache.delete_many(collection, keys)
            else:
                await update()
        finally:
            self._in_flight.end_write(names, claim)
        return result

    async def put(self, collection: str, key: str, value: Value, *, ttl: TTL = None) -> None:
        check_name(collection, key)
        await self._write_through(
            collection,
            [key],
            lambda: self.store.put(collection, key, value, ttl=ttl),
            lambda: self.cache.put(collection, key, value, ttl=ttl),
        )

    async def put_many(
        self, collection: str, items: Mapping[str, Value], *, ttl: TTL = None
    ) -> None:
        keys = [key for key, _ in check_items(collection, items)]
        await self._write_through(
            collection,
            keys,
            lambda: self.store.put_many(collection, items, ttl=ttl),
            lambda: self.cache.put_many(collection, items, ttl=ttl),
        )

    async def delete(self, collection: str, key: str) -> bool:
        check_name(collection, key)
        return await self._write_through(
            collection, [key], lambda: self.store.delete(collection, key)
        )

    async def delete_many(self, collection: str, keys: Sequence[str]) -> int:
        key_list = check_keys(collection, keys)
        return await self._write_through(
            collection, key_list, lambda: self.store.delete_many(collection, key_list)
        )

    async def add(self, collection: str, key: str, value: Value, *, ttl: TTL = None) -> bool:
        check_name(collection, key)
        return await self._write_through(
            collection, [key], lambda: self.store.add(collection, key, value, ttl=ttl)
        )

    async def take(self, collection: str, key: str) -> Value | None:
        check_name(collection, key)
        return await self._write_through(
            collection, [key], lambda: self.store.take(collection, key)
        )

    async def touch(self, collection: str, key: str, ttl: TTL) -> bool:
        # The cache's copy keeps the old expiry: dropped, it is filled again with the new.
        check_name(collection, key)
        return await self._write_through(
            collection, [key], lambda: self.store.touch(collection, key, ttl)
        )

    async def put_versioned(
        self, collection: str, key: str, value: Value, *, version: str | None, ttl: TTL = None
    ) -> bool:
        check_name(collection, key)
        return await self._write_through(
            collection,
            [key],
            lambda: self.store.put_versioned(collection, key, value, version=version, ttl=ttl),
        )

    async def increment(
        self, collection: str, key: str, amount: int = 1, *, ttl: TTL = None
    ) -> int:
        check_name(collection, key)
        return await self._write_through(
            collection, [key], lambda: self.store.increment(collection, key, amount, ttl=ttl)
        )

    async def clear_collection(self, collection: str) -> int:
        removed = await self.store.clear_collection(collection)
        await self._in_flight.settle(self._in_flight.names_in(collection))
        await self.cache.clear_collection(collection)
        return removed

    async def cull(self) -> None:
        await self.store.cull()
        await self.cache.cull()

    async def close(self) -> None:
        try:
            await self.store.close()
        finally:
            await self.cache.close()

    def __repr__(self) -> str:
        return f"PassthroughCacheWrapper({self.store!r}, cache_store={self.cache!r})"
