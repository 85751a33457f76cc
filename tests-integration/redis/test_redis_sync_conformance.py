"""RedisStore runs the whole conformance kit again through SyncStore, standalone and cluster."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest

from kvstore.core import BaseKVStore
from kvstore.redis import RedisStore
from kvstore.testing import SyncStoreConformance


class TestRedisStandaloneThroughSyncStore(SyncStoreConformance):
    @pytest.fixture
    async def backend_store(self, redis_store: BaseKVStore) -> BaseKVStore:
        return redis_store


@pytest.mark.cluster
class TestRedisClusterThroughSyncStore(SyncStoreConformance):
    @pytest.fixture
    async def backend_store(self, redis_cluster_url: str) -> AsyncIterator[BaseKVStore]:
        # Not the redis_cluster_store fixture: it warms the store up on the test's event
        # loop, and a RedisStore serves one loop; this one is first used on the facade's.
        prefix = f"kvstore-sync-test-{uuid.uuid4().hex[:12]}:"
        yield RedisStore(url=redis_cluster_url, prefix=prefix)
        async with RedisStore(url=redis_cluster_url, prefix=prefix) as leftovers:
            for collection in await leftovers.list_collections():
                await leftovers.clear_collection(collection)
