"""StatisticsWrapper: per-collection operation counters."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from .._base import BaseKVStore, Value
from .._ttl_info import TTLInfo
from .._validation import TTL
from ._base import BaseWrapper


@dataclass
class OperationStatistics:
    """Counters of one operation: calls, and the hits and misses among the keys it touched."""

    count: int = 0
    hit: int = 0
    miss: int = 0

    def record(self, hits: int = 0, misses: int = 0) -> None:
        """Count one call that found ``hits`` entries and missed ``misses``."""
        self.count += 1
        self.hit += hits
        self.miss += misses


@dataclass
class CollectionStatistics:
    """Counters of every operation on one collection.

    ``get``/``get_many`` count hits (live entries returned) and misses per key;
    ``delete``/``delete_many`` count removed entries as hits and absent ones as misses;
    ``exists`` and ``ttl`` count found/not found; ``put``/``put_many`` count calls and,
    as hits, the entries written.
    """

    get: OperationStatistics = field(default_factory=OperationStatistics)
    put: OperationStatistics = field(default_factory=OperationStatistics)
    delete: OperationStatistics = field(default_factory=OperationStatistics)
    exists: OperationStatistics = field(default_factory=OperationStatistics)
    ttl: OperationStatistics = field(default_factory=OperationStatistics)
    get_many: OperationStatistics = field(default_factory=OperationStatistics)
    put_many: OperationStatistics = field(default_factory=OperationStatistics)
    delete_many: OperationStatistics = field(default_factory=OperationStatistics)


class StoreStatistics:
    """Counters of a StatisticsWrapper, per collection."""

    def __init__(self) -> None:
        self.collections: dict[str, CollectionStatistics] = {}

    def get_collection(self, collection: str) -> CollectionStatistics:
        """Return the counters of one collection (all zero if it was never used)."""
        found = self.collections.get(collection)
        if found is None:
            found = self.collections[collection] = CollectionStatistics()
        return found

    def reset(self) -> None:
        """Set every counter back to zero."""
        self.collections.clear()


class StatisticsWrapper(BaseWrapper):
    """Counts every operation per collection; read ``wrapper.statistics``.

    Only calls that succeed are counted (a call rejected for bad input counts nothing).

    Args:
        store: the store to wrap.
    """

    def __init__(self, store: BaseKVStore) -> None:
        super().__init__(store)
        self.statistics = StoreStatistics()

    async def get(self, collection: str, key: str) -> Value | None:
        value = await self.store.get(collection, key)
        found = value is not None
        self.statistics.get_collection(collection).get.record(found, not found)
        return value

    async def get_with_ttl(self, collection: str, key: str) -> tuple[Value | None, TTLInfo | None]:
        value, info = await self.store.get_with_ttl(collection, key)
        found = value is not None
        self.statistics.get_collection(collection).get.record(found, not found)
        return value, info

    async def put(self, collection: str, key: str, value: Value, *, ttl: TTL = None) -> None:
        await self.store.put(collection, key, value, ttl=ttl)
        self.statistics.get_collection(collection).put.record(1)

    async def delete(self, collection: str, key: str) -> bool:
        removed = await self.store.delete(collection, key)
        self.statistics.get_collection(collection).delete.record(removed, not removed)
        return removed

    async def exists(self, collection: str, key: str) -> bool:
        found = await self.store.exists(collection, key)
        self.statistics.get_collection(collection).exists.record(found, not found)
        return found

    async def ttl(self, collection: str, key: str) -> TTLInfo | None:
        info = await self.store.ttl(collection, key)
        found = info is not None
        self.statistics.get_collection(collection).ttl.record(found, not found)
        return info

    async def get_many(self, collection: str, keys: Sequence[str]) -> list[Value | None]:
        values = await self.store.get_many(collection, keys)
        hits = sum(value is not None for value in values)
        self.statistics.get_collection(collection).get_many.record(hits, len(values) - hits)
        return values

    async def get_many_with_ttl(
        self, collection: str, keys: Sequence[str]
    ) -> list[tuple[Value | None, TTLInfo | None]]:
        results = await self.store.get_many_with_ttl(collection, keys)
        hits = sum(value is not None for value, _ in results)
        self.statistics.get_collection(collection).get_many.record(hits, len(results) - hits)
        return results

    async def put_many(
        self, collection: str, items: Mapping[str, Value], *, ttl: TTL = None
    ) -> None:
        await self.store.put_many(collection, items, ttl=ttl)
        self.statistics.get_collection(collection).put_many.record(len(items))

    async def delete_many(self, collection: str, keys: Sequence[str]) -> int:
        removed = await self.store.delete_many(collection, keys)
        asked = len(set(keys))
        self.statistics.get_collection(collection).delete_many.record(removed, asked - removed)
        return removed
