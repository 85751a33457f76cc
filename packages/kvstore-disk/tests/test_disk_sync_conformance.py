"""DiskStore runs the whole conformance kit again through SyncStore."""

from __future__ import annotations

from pathlib import Path

import pytest

from kvstore.core import BaseKVStore
from kvstore.disk import DiskStore
from kvstore.testing import SyncStoreConformance


class TestDiskStoreThroughSyncStore(SyncStoreConformance):
    @pytest.fixture
    async def backend_store(self, tmp_path: Path) -> BaseKVStore:
        return DiskStore(tmp_path / "cache")
