"""SimpleStore and NullStore run the whole conformance kit."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from kvstore.core import BaseKVStore
from kvstore.core.stores import NullStore, SimpleStore
from kvstore.testing import Capabilities, StoreConformance


class TestSimpleStore(StoreConformance):
    @pytest.fixture
    async def store(self) -> AsyncIterator[BaseKVStore]:
        store = SimpleStore(max_entries=None)
        yield store
        await store.close()


class TestBoundedSimpleStore(StoreConformance):
    capabilities = Capabilities(bounded=True, max_entries=5_000)

    @pytest.fixture
    async def store(self) -> AsyncIterator[BaseKVStore]:
        store = SimpleStore(max_entries=5_000)
        yield store
        await store.close()


class TestNullStore(StoreConformance):
    capabilities = Capabilities(stores_values=False)

    @pytest.fixture
    async def store(self) -> AsyncIterator[BaseKVStore]:
        store = NullStore()
        yield store
        await store.close()
