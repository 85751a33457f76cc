"""Every wrapper, and a chain of them, runs the whole conformance kit over SimpleStore."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from kvstore.core import BaseKVStore
from kvstore.core.stores import SimpleStore
from kvstore.core.wrappers import (
    BaseWrapper,
    PassthroughCacheWrapper,
    PrefixCollectionWrapper,
    PrefixKeyWrapper,
    SingleCollectionWrapper,
    StatisticsWrapper,
    TTLClampWrapper,
)
from kvstore.testing import Capabilities, StoreConformance


class TestBaseWrapper(StoreConformance):
    @pytest.fixture
    async def store(self) -> AsyncIterator[BaseKVStore]:
        async with BaseWrapper(SimpleStore(max_entries=None)) as store:
            yield store


class TestStatisticsWrapper(StoreConformance):
    @pytest.fixture
    async def store(self) -> AsyncIterator[BaseKVStore]:
        async with StatisticsWrapper(SimpleStore(max_entries=None)) as store:
            yield store


class TestTTLClampWrapper(StoreConformance):
    capabilities = Capabilities(max_ttl=3600)

    @pytest.fixture
    async def store(self) -> AsyncIterator[BaseKVStore]:
        async with TTLClampWrapper(SimpleStore(max_entries=None), 0.01, 3600) as store:
            yield store


class TestPassthroughCacheWrapper(StoreConformance):
    @pytest.fixture
    async def store(self) -> AsyncIterator[BaseKVStore]:
        primary, cache = SimpleStore(max_entries=None), SimpleStore(max_entries=100)
        async with PassthroughCacheWrapper(primary, cache) as store:
            yield store


class TestPrefixCollectionWrapper(StoreConformance):
    @pytest.fixture
    async def store(self) -> AsyncIterator[BaseKVStore]:
        async with PrefixCollectionWrapper(SimpleStore(max_entries=None), "app") as store:
            yield store


class TestPrefixKeyWrapper(StoreConformance):
    @pytest.fixture
    async def store(self) -> AsyncIterator[BaseKVStore]:
        async with PrefixKeyWrapper(SimpleStore(max_entries=None), "tenant", ":") as store:
            yield store


class TestSingleCollectionWrapper(StoreConformance):
    @pytest.fixture
    async def store(self) -> AsyncIterator[BaseKVStore]:
        async with SingleCollectionWrapper(SimpleStore(max_entries=None), "everything") as store:
            yield store


class TestSingleCollectionWrapperWithColonSeparator(StoreConformance):
    @pytest.fixture
    async def store(self) -> AsyncIterator[BaseKVStore]:
        inner = SimpleStore(max_entries=None)
        async with SingleCollectionWrapper(inner, "everything", prefix_separator="::") as store:
            yield store


class TestWrapperChain(StoreConformance):
    """Statistics over a TTL clamp over a cached, prefixed, single-collection store."""

    capabilities = Capabilities(max_ttl=86_400)

    @pytest.fixture
    async def store(self) -> AsyncIterator[BaseKVStore]:
        primary = SingleCollectionWrapper(
            PrefixCollectionWrapper(SimpleStore(max_entries=None), "app"), "all"
        )
        cached = PassthroughCacheWrapper(primary, PrefixKeyWrapper(SimpleStore(), "c"))
        async with StatisticsWrapper(TTLClampWrapper(cached, 0.01, 86_400)) as store:
            yield store
