"""StatisticsWrapper: per-collection operation counters."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from .._base import BaseKVStore
from ._around import AroundWrapper, Call

T = TypeVar("T")


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


def _found(counters: OperationStatistics, found: bool) -> None:
    counters.count += 1
    if found:
        counters.hit += 1
    else:
        counters.miss += 1


def _hits(counters: OperationStatistics, values: list[Any]) -> None:
    hits = sum(value is not None for value in values)
    counters.record(hits, len(values) - hits)


Counter = Callable[[CollectionStatistics, Any, Any], None]
_COUNTERS: dict[str, Counter] = {
    "get": lambda stats, _, value: _found(stats.get, value is not None),
    "get_with_ttl": lambda stats, _, result: _found(stats.get, result[0] is not None),
    "put": lambda stats, _, __: stats.put.record(1),
    "delete": lambda stats, _, removed: _found(stats.delete, removed),
    "exists": lambda stats, _, found: _found(stats.exists, found),
    "ttl": lambda stats, _, info: _found(stats.ttl, info is not None),
    "get_many": lambda stats, _, values: _hits(stats.get_many, values),
    "get_many_with_ttl": lambda stats, _, results: _hits(
        stats.get_many, [value for value, _ in results]
    ),
    "put_many": lambda stats, items, _: stats.put_many.record(len(items)),
    "delete_many": lambda stats, keys, removed: stats.delete_many.record(
        removed, len(set(keys)) - removed
    ),
}
"""How each counted operation updates its collection's counters from its keys and result."""


class StatisticsWrapper(AroundWrapper):
    """Counts every operation per collection; read ``wrapper.statistics``.

    Only calls that succeed are counted (a call rejected for bad input counts nothing).

    Args:
        store: the store to wrap.
    """

    def __init__(self, store: BaseKVStore) -> None:
        super().__init__(store)
        self.statistics = StoreStatistics()

    async def around(
        self, operation: str, collection: str | None, keys: Any, call: Call[T], *args: Any
    ) -> T:
        result = await call(self.store, collection, keys, *args)
        count = _COUNTERS.get(operation)
        if count is not None:
            stats = self.statistics.collections.get(collection)  # type: ignore[arg-type]
            if stats is None:
                stats = self.statistics.get_collection(collection)  # type: ignore[arg-type]
            count(stats, keys, result)
        return result
