"""PassthroughCacheWrapper: reads through a cache that never serves what a write replaced."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from kvstore.core import BaseKVStore
from kvstore.core.stores import SimpleStore
from kvstore.core.wrappers import PassthroughCacheWrapper, StatisticsWrapper
from kvstore.testing import CacheCoherenceConformance, StoreConformance


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
