"""ExampleStore keeps the contract through the blocking facade, SyncStore, too."""

from __future__ import annotations

import pytest

from kvstore.core import BaseKVStore
from kvstore.example import ExampleStore
from kvstore.testing import SyncStoreConformance


class TestExampleStoreThroughSyncStore(SyncStoreConformance):
    @pytest.fixture
    async def backend_store(self) -> BaseKVStore:
        return ExampleStore()
