"""StatisticsWrapper: per-collection counters of every operation."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from kvstore.core import BaseKVStore
from kvstore.core.errors import InvalidKeyError
from kvstore.core.stores import SimpleStore
from kvstore.core.wrappers import StatisticsWrapper
from kvstore.testing import StoreConformance


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


class TestStatisticsWrapper(StoreConformance):
    @pytest.fixture
    async def store(self) -> AsyncIterator[BaseKVStore]:
        async with StatisticsWrapper(SimpleStore(max_entries=None)) as store:
            yield store


async def test_statistics_count_the_atomic_operations() -> None:
    store = StatisticsWrapper(SimpleStore())
    assert await store.add("tokens", "t", {"v": 1}) is True
    assert await store.add("tokens", "t", {"v": 2}) is False
    found = await store.get_versioned("tokens", "t")
    assert found is not None
    await store.get_versioned("tokens", "missing")
    assert await store.put_versioned("tokens", "t", {"v": 3}, version=found.version) is True
    assert await store.put_versioned("tokens", "t", {"v": 4}, version=found.version) is False
    assert await store.touch("tokens", "t", 60) is True
    assert await store.touch("tokens", "missing", 60) is False
    assert await store.take("tokens", "t") == {"v": 3}
    assert await store.take("tokens", "t") is None
    await store.increment("hits", "k")
    await store.increment("hits", "k", 5)

    tokens = store.statistics.get_collection("tokens")
    counted = {
        name: (getattr(tokens, name).count, getattr(tokens, name).hit, getattr(tokens, name).miss)
        for name in ("add", "get_versioned", "put_versioned", "touch", "take")
    }
    assert counted == {
        "add": (2, 1, 1),
        "get_versioned": (2, 1, 1),
        "put_versioned": (2, 1, 1),
        "touch": (2, 1, 1),
        "take": (2, 1, 1),
    }
    hits = store.statistics.get_collection("hits").increment
    assert (hits.count, hits.hit, hits.miss) == (2, 0, 0)
    assert tokens.put.count == tokens.get.count == 0


async def test_statistics_over_racing_atomic_operations_count_each_call(
    interleaving_store: SimpleStore,
) -> None:
    store = StatisticsWrapper(interleaving_store)
    added = await asyncio.gather(*(store.add("c", "k", {"v": n}) for n in range(64)))
    taken = await asyncio.gather(*(store.take("c", "k") for _ in range(64)))
    stats = store.statistics.get_collection("c")
    assert (stats.add.count, stats.add.hit, stats.add.miss) == (64, 1, 63)
    assert (stats.take.hit, stats.take.miss) == (1, 63)
    assert added.count(True) == 1 and sum(value is not None for value in taken) == 1
