"""DiskStore runs the whole kvstore conformance kit."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import diskcache
import pytest

from kvstore.disk import DiskStore
from kvstore.testing import Capabilities, StoreConformance


class TestDiskStore(StoreConformance):
    capabilities = Capabilities()

    @pytest.fixture
    async def store(self, tmp_path: Path) -> AsyncIterator[DiskStore]:
        store = DiskStore(tmp_path / "cache")
        yield store
        await store.close()


class TestDiskStoreOnHandedInCache(StoreConformance):
    """A plain diskcache.Cache (default Disk, default eviction policy) handed to the store."""

    capabilities = Capabilities()

    @pytest.fixture
    async def store(self, tmp_path: Path) -> AsyncIterator[DiskStore]:
        with diskcache.Cache(tmp_path / "cache") as cache:
            store = DiskStore(cache=cache)
            yield store
            await store.close()
