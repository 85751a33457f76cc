"""StatisticsWrapper: per-collection operation counters."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TypeVar

from .._base import BaseKVStore
from ._around import Args, AroundWrapper, Call

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

    The atomic operations: ``add`` and ``put_versioned`` count a write as a hit and a
    refusal (a live entry, a conflict) as a miss; ``take``, ``get_versioned`` and
    ``touch`` count found/not found; ``increment`` counts calls only (it always counts).
    """

    get: OperationStatistics = field(default_factory=OperationStatistics)
    put: OperationStatistics = field(default_factory=OperationStatistics)
    delete: OperationStatistics = field(default_factory=OperationStatistics)
    exists: OperationStatistics = field(default_factory=OperationStatistics)
    ttl: OperationStatistics = field(default_factory=OperationStatistics)
    get_many: OperationStatistics = field(default_factory=OperationStatistics)
    put_many: OperationStatistics = field(default_factory=OperationStatistics)
    delete_many: OperationStatistics = field(default_factory=OperationStatistics)
    add: OperationStatistics = field(default_factory=OperationStatistics)
    take: OperationStatistics = field(default_factory=OperationStatistics)
    touch: OperationStatistics = field(default_factory=OperationStatistics)
    get_versioned: OperationStatistics = field(default_factory=OperationStatistics)
    put_versioned: OperationStatistics = field(default_factory=OperationStatistics)
    increment: OperationStatistics = field(default_factory=OperationStatistics)


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


# How an operation's result counts: what is a hit, and how many keys it touched.
_FOUND, _FOUND_PAIR, _TRUE, _WRITTEN, _VALUES, _PAIRS, _ITEMS, _REMOVED, _CALLED = range(9)
_COUNTED: dict[str, tuple[str, int]] = {
    "get": ("get", _FOUND),
    "put": ("put", _WRITTEN),
    "get_with_ttl": ("get", _FOUND_PAIR),
    "delete": ("delete", _TRUE),
    "exists": ("exists", _TRUE),
    "ttl": ("ttl", _FOUND),
    "get_many": ("get_many", _VALUES),
    "get_many_with_ttl": ("get_many", _PAIRS),
    "put_many": ("put_many", _ITEMS),
    "delete_many": ("delete_many", _REMOVED),
    "add": ("add", _TRUE),
    "take": ("take", _FOUND),
    "touch": ("touch", _TRUE),
    "get_versioned": ("get_versioned", _FOUND),
    "put_versioned": ("put_versioned", _TRUE),
    "increment": ("increment", _CALLED),
}
"""The counted operations: the counters each updates, and how its result counts."""


def _hits_and_misses(kind: int, keys: Any, result: Any) -> tuple[int, int]:
    """The hits and misses of a batch or a delete."""
    if kind == _TRUE:
        return (1, 0) if result else (0, 1)
    if kind == _FOUND_PAIR:
        return (0, 1) if result[0] is None else (1, 0)
    if kind == _VALUES:
        hits = sum(value is not None for value in result)
        return hits, len(result) - hits
    if kind == _PAIRS:
        hits = sum(value is not None for value, _ in result)
        return hits, len(result) - hits
    if kind == _ITEMS:
        return len(keys), 0
    return result, len(set(keys)) - result  # _REMOVED: removed out of the distinct keys


class StatisticsWrapper(AroundWrapper):
    """Counts every operation per collection; read ``wrapper.statistics``.

    Only calls that succeed are counted (a call rejected for bad input counts nothing).

    Args:
        store: the store to wrap.

    Raises:
        TypeError: given kv-store-adapter 0.1's ``track_statistics``; the message says to
            drop it (statistics are always kept).
    """

    def __init__(self, store: BaseKVStore, *, track_statistics: None = None) -> None:
        # Typed None so type checkers flag kv-store-adapter 0.1's track_statistics=True too.
        if track_statistics is not None:
            raise TypeError(
                "StatisticsWrapper always keeps statistics: drop track_statistics= "
                "(kv-store-adapter 0.1's argument); to keep none, use the store unwrapped"
            )
        super().__init__(store)
        self.statistics = StoreStatistics()

    async def around(
        self, operation: str, collection: str | None, keys: Any, call: Call[T], args: Args
    ) -> T:
        result = await call(self.store, collection, keys, args)
        counted = _COUNTED.get(operation)
        if counted is None:
            return result
        stats = self.statistics.collections.get(collection)  # type: ignore[arg-type]
        if stats is None:
            stats = self.statistics.get_collection(collection)  # type: ignore[arg-type]
        name, kind = counted
        counters: OperationStatistics = getattr(stats, name)
        counters.count += 1
        # get and put, the common calls, are counted inline.
        if kind == _FOUND:
            if result is None:
                counters.miss += 1
            else:
                counters.hit += 1
        elif kind == _WRITTEN:
            counters.hit += 1
        elif kind != _CALLED:
            hits, misses = _hits_and_misses(kind, keys, result)
            counters.hit += hits
            counters.miss += misses
        return result
