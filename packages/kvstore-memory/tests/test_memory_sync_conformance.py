"""MemoryStore runs the whole conformance kit again through SyncStore."""

from __future__ import annotations

import pytest

from kvstore.core import BaseKVStore
from kvstore.memory import MemoryStore
from kvstore.testing import Capabilities, SyncStoreConformance

MAX_ENTRIES = 2_000


class TestMemoryStoreThroughSyncStore(SyncStoreConformance):
    capabilities = Capabilities(bounded=True, max_entries=MAX_ENTRIES)

    @pytest.fixture
    async def backend_store(self) -> BaseKVStore:
        return MemoryStore(max_entries=MAX_ENTRIES)
