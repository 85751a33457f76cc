"""StatisticsWrapper: per-collection counters of every operation."""

from __future__ import annotations

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
