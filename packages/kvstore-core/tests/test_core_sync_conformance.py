"""SimpleStore runs the whole conformance kit again through SyncStore."""

from __future__ import annotations

import pytest

from kvstore.core import BaseKVStore
from kvstore.core.stores import SimpleStore
from kvstore.testing import Capabilities, SyncStoreConformance


class TestSimpleStoreThroughSyncStore(SyncStoreConformance):
    capabilities = Capabilities(bounded=True, max_entries=5_000)

    @pytest.fixture
    async def backend_store(self) -> BaseKVStore:
        return SimpleStore(max_entries=5_000)
