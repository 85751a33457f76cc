"""PostgresStore under wrappers: a memory cache in front of it stays coherent, and a chain
of wrappers passes the atomic operations and batches through to the table."""

from __future__ import annotations

import asyncio

import pytest

from kvstore.core import BaseKVStore
from kvstore.core.wrappers import (
    PassthroughCacheWrapper,
    PrefixCollectionWrapper,
    StatisticsWrapper,
    TTLClampWrapper,
)
from kvstore.memory import MemoryStore
from kvstore.postgres import PostgresStore
from kvstore.testing import CacheCoherenceConformance


class TestPostgresPrimaryMemoryCache(CacheCoherenceConformance):
    @pytest.fixture
    async def primary(self, postgres_store: PostgresStore) -> BaseKVStore:
        return postgres_store

    def cached(self, primary: BaseKVStore) -> BaseKVStore:
        return PassthroughCacheWrapper(primary, MemoryStore())


async def test_a_wrapper_chain_reaches_the_table(postgres_store: PostgresStore) -> None:
    statistics = StatisticsWrapper(postgres_store)
    store = TTLClampWrapper(
        PrefixCollectionWrapper(statistics, "app"), min_ttl=1, max_ttl=60, missing_ttl=30
    )
    assert await store.add("jobs", "nightly", {"by": 1}) is True
    assert await asyncio.gather(*(store.increment("hits", "home") for _ in range(20))) != []
    assert await store.get("hits", "home") == {"count": 20}
    await store.put_many("users", {"ada": {"n": 1}, "bob": {"n": 2}})
    versioned = await store.get_versioned("users", "ada")
    assert versioned is not None
    assert await store.put_versioned("users", "ada", {"n": 3}, version=versioned.version)
    assert await store.take("jobs", "nightly") == {"by": 1}
    info = await store.ttl("users", "ada")
    assert info is not None and info.ttl == 30  # the clamp's missing_ttl reached the table
    # take emptied "jobs"; the prefix wrapper's default separator is "__".
    assert await postgres_store.list_collections() == ["app__hits", "app__users"]
    assert await postgres_store.get("app__users", "ada") == {"n": 3}
    reads = statistics.statistics.get_collection("app__hits").get
    assert (reads.count, reads.hit) == (1, 1)
