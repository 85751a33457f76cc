"""PassthroughCacheWrapper over a real Redis primary: a fill racing a write never goes stale."""

from __future__ import annotations

import pytest

from kvstore.core import BaseKVStore
from kvstore.core.wrappers import PassthroughCacheWrapper
from kvstore.memory import MemoryStore
from kvstore.testing import CacheCoherenceConformance


class TestRedisPrimaryMemoryCache(CacheCoherenceConformance):
    @pytest.fixture
    async def primary(self, redis_store: BaseKVStore) -> BaseKVStore:
        return redis_store

    def cached(self, primary: BaseKVStore) -> BaseKVStore:
        return PassthroughCacheWrapper(primary, MemoryStore())


class TestRedisPrimaryRedisCache(CacheCoherenceConformance):
    """The cache on Redis too: its writes wait for the network, so fills overlap writes."""

    @pytest.fixture
    async def primary(self, redis_store: BaseKVStore) -> BaseKVStore:
        return redis_store

    @pytest.fixture(autouse=True)
    def _cache(self, make_store: object) -> None:
        self.make_store = make_store

    def cached(self, primary: BaseKVStore) -> BaseKVStore:
        return PassthroughCacheWrapper(primary, self.make_store())  # type: ignore[operator]
