"""What each wrapper adds, beyond forwarding."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from kvstore.core.adapters import SingleCollectionAdapter
from kvstore.core.errors import ConfigurationError, InvalidKeyError
from kvstore.core.stores import SimpleStore
from kvstore.core.wrappers import (
    PassthroughCacheWrapper,
    PrefixCollectionWrapper,
    PrefixKeyWrapper,
    SingleCollectionWrapper,
    StatisticsWrapper,
    TTLClampWrapper,
)


async def test_statistics_count_hits_and_misses_per_collection() -> None:
    store = StatisticsWrapper(SimpleStore())
    await store.put("users", "a", {"v": 1})
    await store.get("users", "a")
    await store.get("users", "missing")
    await store.get_many("users", ["a", "b", "a"])
    await store.put_many("orders", {"x": {}, "y": {}})
    await store.delete("orders", "x")
    await store.delete_many("orders", ["x", "y", "z"])
    await store.exists("users", "a")
    await store.ttl("users", "nope")

    users = store.statistics.get_collection("users")
    assert (users.get.count, users.get.hit, users.get.miss) == (2, 1, 1)
    assert (users.get_many.count, users.get_many.hit, users.get_many.miss) == (1, 2, 1)
    assert (users.put.count, users.exists.hit, users.ttl.miss) == (1, 1, 1)
    orders = store.statistics.get_collection("orders")
    assert (orders.put_many.count, orders.put_many.hit) == (1, 2)
    assert (orders.delete.hit, orders.delete_many.hit, orders.delete_many.miss) == (1, 1, 2)
    assert store.statistics.get_collection("never-used").get.count == 0


async def test_statistics_do_not_count_rejected_calls() -> None:
    store = StatisticsWrapper(SimpleStore())
    with pytest.raises(InvalidKeyError):
        await store.get("users", "")
    assert store.statistics.get_collection("users").get.count == 0


async def test_ttl_clamp_raises_short_lowers_long_and_fills_missing() -> None:
    inner = SimpleStore()
    store = TTLClampWrapper(inner, min_ttl=10, max_ttl=timedelta(hours=1), missing_ttl=600)
    await store.put("c", "short", {}, ttl=1)
    await store.put("c", "long", {}, ttl=10**6)
    await store.put("c", "none", {})
    await store.put_many("c", {"batch": {}}, ttl=0.5)
    ttls = {key: (await inner.ttl("c", key)).ttl for key in ("short", "long", "none", "batch")}  # type: ignore[union-attr]
    assert ttls == {"short": 10, "long": 3600, "none": 600, "batch": 10}


async def test_ttl_clamp_keeps_already_expired_writes_expired() -> None:
    store = TTLClampWrapper(SimpleStore(), min_ttl=10, max_ttl=100)
    await store.put("c", "k", {"v": 1})
    await store.put("c", "k", {"v": 2}, ttl=0)
    assert await store.get("c", "k") is None


def test_ttl_clamp_rejects_inverted_or_empty_bounds() -> None:
    with pytest.raises(ConfigurationError):
        TTLClampWrapper(SimpleStore(), min_ttl=10, max_ttl=5)
    with pytest.raises(ConfigurationError):
        TTLClampWrapper(SimpleStore(), min_ttl=-1, max_ttl=5)


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


async def test_prefix_collection_wrapper_hides_other_namespaces() -> None:
    inner = SimpleStore()
    await inner.put("users", "k", {})
    store = PrefixCollectionWrapper(inner, "app")
    await store.put("users", "k", {"mine": True})
    assert sorted(await inner.list_collections()) == ["app__users", "users"]
    assert await store.list_collections() == ["users"]
    assert await store.get("users", "k") == {"mine": True}
    info = await store.ttl("users", "k")
    assert info is not None and info.collection == "users"


async def test_prefix_key_wrapper_strips_its_prefix_and_clears_only_its_keys() -> None:
    inner = SimpleStore()
    await inner.put("c", "foreign", {})
    store = PrefixKeyWrapper(inner, "tenant1", ":")
    await store.put_many("c", {"a": {}, "b": {}})
    assert sorted(await inner.keys("c")) == ["foreign", "tenant1:a", "tenant1:b"]
    assert sorted(await store.keys("c")) == ["a", "b"]
    assert await store.clear_collection("c") == 2
    assert await inner.keys("c") == ["foreign"]


async def test_single_collection_wrapper_key_layout() -> None:
    inner = SimpleStore()
    store = SingleCollectionWrapper(inner, "shared")
    await store.put("allowed_users", "123", {})
    await store.put("a__b", "c", {})
    await store.put("a", "b__c", {})
    await store.put("100%", "x", {})
    assert sorted(await inner.keys("shared")) == [
        "100%25__x",
        "a%5F%5Fb__c",
        "a__b__c",
        "allowed_users__123",
    ]
    assert await store.list_collections() == ["100%", "a", "a__b", "allowed_users"]
    assert await inner.list_collections() == ["shared"]


def test_single_collection_wrapper_rejects_ambiguous_separators() -> None:
    for bad in ["", "%", "x", "_1_"]:
        with pytest.raises(ConfigurationError):
            SingleCollectionWrapper(SimpleStore(), "c", prefix_separator=bad)


async def test_single_collection_adapter() -> None:
    inner = SimpleStore()
    users = SingleCollectionAdapter(inner, "users")
    await users.put("ada", {"name": "Ada"}, ttl=60)
    await users.put_many({"bob": {}, "eve": {}})
    assert await inner.get("users", "ada") == {"name": "Ada"}
    assert await users.get("ada") == {"name": "Ada"}
    assert await users.exists("bob") is True
    info = await users.ttl("ada")
    assert info is not None and info.ttl == 60
    assert await users.get_many(["ada", "zed"]) == [{"name": "Ada"}, None]
    assert await users.delete("bob") is True
    assert await users.delete_many(["eve", "bob"]) == 1
    with pytest.raises(InvalidKeyError):
        SingleCollectionAdapter(inner, "")


async def test_closing_a_wrapper_closes_what_it_wraps() -> None:
    closed: list[str] = []

    class Tracking(SimpleStore):
        def __init__(self, name: str) -> None:
            super().__init__()
            self.name = name

        async def _close(self) -> None:
            closed.append(self.name)

    async with StatisticsWrapper(PassthroughCacheWrapper(Tracking("primary"), Tracking("cache"))):
        pass
    assert closed == ["primary", "cache"]
