"""PassthroughCacheWrapper: reads through a cache that never serves what a write replaced."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from kvstore.core import BaseKVStore
from kvstore.core.stores import SimpleStore
from kvstore.core.wrappers import PassthroughCacheWrapper, StatisticsWrapper
from kvstore.testing import CacheCoherenceConformance, ReadGate, StoreConformance


class TestPassthroughCacheWrapper(StoreConformance):
    @pytest.fixture
    async def store(self) -> AsyncIterator[BaseKVStore]:
        primary, cache = SimpleStore(max_entries=None), SimpleStore(max_entries=100)
        async with PassthroughCacheWrapper(primary, cache) as store:
            yield store


class TestPassthroughCacheCoherence(CacheCoherenceConformance):
    @pytest.fixture
    async def primary(self) -> AsyncIterator[BaseKVStore]:
        async with SimpleStore(max_entries=None) as store:
            yield store

    def cached(self, primary: BaseKVStore) -> BaseKVStore:
        return PassthroughCacheWrapper(primary, SimpleStore())


async def test_passthrough_fills_the_cache_with_the_remaining_ttl() -> None:
    primary, cache = SimpleStore(), SimpleStore()
    store = PassthroughCacheWrapper(primary, cache)
    await primary.put("c", "k", {"v": 1}, ttl=30)
    await asyncio.sleep(0.05)
    assert await store.get("c", "k") == {"v": 1}
    cached = await cache.ttl("c", "k")
    primary_info = await primary.ttl("c", "k")
    assert cached is not None and primary_info is not None
    assert cached.expires_at is not None and primary_info.expires_at is not None
    assert abs((cached.expires_at - primary_info.expires_at).total_seconds()) < 0.01


async def test_passthrough_serves_from_the_cache_and_never_stale_after_delete() -> None:
    primary, cache = SimpleStore(), SimpleStore()
    store = PassthroughCacheWrapper(primary, cache)
    await store.put("c", "k", {"v": 1})
    primary.entries.clear()
    assert await store.get("c", "k") == {"v": 1}, "served from the cache"
    await store.put("c", "k", {"v": 2})
    await store.delete("c", "k")
    assert await cache.get("c", "k") is None
    assert await store.get("c", "k") is None
    await store.put_many("c", {"a": {}, "b": {}})
    await store.delete_many("c", ["a"])
    assert await cache.get_many("c", ["a", "b"]) == [None, {}]


async def test_passthrough_get_many_reads_misses_from_the_primary_once() -> None:
    primary, cache = StatisticsWrapper(SimpleStore()), SimpleStore()
    store = PassthroughCacheWrapper(primary, cache)
    await primary.put_many("c", {"a": {"v": "a"}, "b": {"v": "b"}})
    await cache.put("c", "a", {"v": "cached a"})
    assert await store.get_many("c", ["a", "b", "b", "z"]) == [
        {"v": "cached a"},
        {"v": "b"},
        {"v": "b"},
        None,
    ]
    assert primary.statistics.get_collection("c").get_many.miss == 1
    assert await cache.get("c", "b") == {"v": "b"}


async def test_passthrough_get_many_with_a_cold_cache_reads_a_one_shot_iterator() -> None:
    primary, cache = SimpleStore(), SimpleStore()
    store = PassthroughCacheWrapper(primary, cache)
    await primary.put_many("c", {"a": {"v": "a"}, "b": {"v": "b"}})
    assert await store.get_many("c", iter(["a", "x", "b"])) == [{"v": "a"}, None, {"v": "b"}]
    assert await cache.get_many("c", ["a", "b"]) == [{"v": "a"}, {"v": "b"}]


async def test_passthrough_delete_many_of_a_one_shot_iterator_empties_the_cache() -> None:
    primary, cache = SimpleStore(), SimpleStore()
    store = PassthroughCacheWrapper(primary, cache)
    await store.put_many("c", {"a": {}, "b": {}})
    assert await store.delete_many("c", iter(["a", "b"])) == 2
    assert await cache.get_many("c", ["a", "b"]) == [None, None]
    assert await store.get_many("c", ["a", "b"]) == [None, None]


# -- atomic operations ----------------------------------------------------------------------


async def _put_versioned_new(store: BaseKVStore) -> bool:
    found = await store.get_versioned("race", "k")
    assert found is not None
    return await store.put_versioned("race", "k", {"count": 5}, version=found.version)


ATOMIC_WRITES: dict[str, tuple[Callable[[BaseKVStore], Awaitable[Any]], dict[str, Any] | None]] = {
    "add": (lambda store: store.add("race", "k", {"count": 9}), {"count": 1}),
    "take": (lambda store: store.take("race", "k"), None),
    "put_versioned": (_put_versioned_new, {"count": 5}),
    "increment": (lambda store: store.increment("race", "k"), {"count": 2}),
    "touch": (lambda store: store.touch("race", "k", 0.05), None),
}
"""Atomic writes racing a fill, and what ``get`` must return once they have returned
(``touch`` shortens the TTL: after it has run out, nothing)."""


@pytest.mark.parametrize("write", sorted(ATOMIC_WRITES))
@pytest.mark.parametrize("read", ["get", "get_many", "exists"])
async def test_a_fill_racing_an_atomic_write_never_serves_what_it_replaced(
    read: str, write: str
) -> None:
    primary = SimpleStore()
    gate = ReadGate(primary)
    store = PassthroughCacheWrapper(gate, SimpleStore())
    await primary.put("race", "k", {"count": 1})  # behind the wrapper: the cache is cold
    gate.close_gate()
    reads: dict[str, Callable[[], Awaitable[object]]] = {
        "get": lambda: store.get("race", "k"),
        "get_many": lambda: store.get_many("race", ["k"]),
        "exists": lambda: store.exists("race", "k"),
    }
    reader = asyncio.ensure_future(reads[read]())
    try:
        await asyncio.wait_for(gate.read_held(), 5)  # the read has {"count": 1}
        change, expected = ATOMIC_WRITES[write]
        await asyncio.wait_for(change(store), 5)
    finally:
        gate.open_gate()
        await asyncio.wait_for(reader, 5)
    if write == "touch":
        await asyncio.sleep(0.1)
    for _ in range(2):  # the first read may fill the cache; the second reads it back
        assert await store.get("race", "k") == expected
        assert await store.get_many("race", ["k"]) == [expected]


async def test_atomic_writes_drop_the_cached_copy_and_the_primary_decides() -> None:
    primary, cache = SimpleStore(), SimpleStore()
    store = PassthroughCacheWrapper(primary, cache)
    assert await store.add("c", "k", {"count": 1}, ttl=60) is True
    assert await store.get("c", "k") == {"count": 1}  # filled
    assert await cache.get("c", "k") == {"count": 1}
    assert await store.increment("c", "k", 2) == 3
    assert await cache.get("c", "k") is None
    assert await store.get("c", "k") == {"count": 3}
    await cache.put("c", "k", {"count": 100})  # a cache out of step: atomic ops ignore it
    found = await store.get_versioned("c", "k")
    assert found is not None and found.value == {"count": 3}
    assert await cache.get("c", "k") == {"count": 100}, "get_versioned fills nothing"
    assert await store.add("c", "k", {"count": 0}) is False  # the primary has it
    assert await cache.get("c", "k") is None
    assert await store.take("c", "k") == {"count": 3}
    assert await store.get("c", "k") is None
    assert await store.put_versioned("c", "k", {"v": 1}, version=None) is True
    assert await store.get("c", "k") == {"v": 1}
    assert await store.touch("c", "k", 0.05) is True
    assert await cache.get("c", "k") is None
    await asyncio.sleep(0.1)
    assert await store.get("c", "k") is None


async def test_passthrough_reports_the_primarys_atomic_operations() -> None:
    class NoAtomic(SimpleStore):
        atomic_operations: frozenset[str] = frozenset()

    assert PassthroughCacheWrapper(SimpleStore(), NoAtomic()).atomic_operations == (
        SimpleStore.atomic_operations
    )
    assert PassthroughCacheWrapper(NoAtomic(), SimpleStore()).atomic_operations == frozenset()
