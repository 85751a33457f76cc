"""MemoryStore passes the whole kvstore conformance kit."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from kvstore.core import BaseKVStore
from kvstore.memory import MemoryStore
from kvstore.testing import Capabilities, StoreConformance

MAX_ENTRIES = 2_000


class TestMemoryStore(StoreConformance):
    capabilities = Capabilities(bounded=True, max_entries=MAX_ENTRIES)

    @pytest.fixture
    async def store(self) -> AsyncIterator[BaseKVStore]:
        store = MemoryStore(max_entries=MAX_ENTRIES)
        yield store
        await store.close()
