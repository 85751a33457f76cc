"""PassthroughCacheWrapper with MemoryStores: a fill racing a write never goes stale."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from kvstore.core import BaseKVStore
from kvstore.core.wrappers import PassthroughCacheWrapper
from kvstore.memory import MemoryStore
from kvstore.testing import CacheCoherenceConformance


class TestMemoryPassthroughCoherence(CacheCoherenceConformance):
    @pytest.fixture
    async def primary(self) -> AsyncIterator[BaseKVStore]:
        async with MemoryStore() as store:
            yield store

    def cached(self, primary: BaseKVStore) -> BaseKVStore:
        return PassthroughCacheWrapper(primary, MemoryStore(max_entries=100))
