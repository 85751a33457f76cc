"""RedisStore passes the whole conformance kit, standalone and on a 3-master Redis Cluster."""

from __future__ import annotations

import pytest

from kvstore.core import BaseKVStore
from kvstore.testing import Capabilities, StoreConformance


class TestRedisStandaloneConformance(StoreConformance):
    capabilities = Capabilities()

    @pytest.fixture
    async def store(self, redis_store: BaseKVStore) -> BaseKVStore:
        return redis_store


@pytest.mark.cluster
class TestRedisClusterConformance(StoreConformance):
    capabilities = Capabilities()

    @pytest.fixture
    async def store(self, redis_cluster_store: BaseKVStore) -> BaseKVStore:
        return redis_cluster_store
