"""MemoryStore passes the whole kvstore conformance kit."""

from __future__ import annotations

import marshal
from collections.abc import AsyncIterator

import pytest

from kvstore.core import BaseKVStore, snapshot_codec
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


class MarshalMemoryStore(MemoryStore):
    """MemoryStore on core's standard-library codec, through the documented seam."""

    codec = snapshot_codec("marshal")


class TestMemoryStoreOnMarshalSnapshots(TestMemoryStore):
    """The whole kit again with core's standard-library codec (``marshal`` snapshots), the one
    core uses where its orjson extra is not installed: kvstore-memory requires it, but a store
    of another distribution may run on core alone."""

    @pytest.fixture
    async def store(self) -> AsyncIterator[BaseKVStore]:
        store = MarshalMemoryStore(max_entries=MAX_ENTRIES)
        yield store
        await store.close()

    async def test_the_store_holds_marshal_snapshots(self, store: MemoryStore) -> None:
        await store.put("c", "k", {"v": [1, 2.5, None]})
        record = store._read_record("c", "k")
        assert record is not None
        assert marshal.loads(record.snapshot) == {"v": [1, 2.5, None]}


def test_memory_store_copies_values_with_orjson() -> None:
    assert MemoryStore.codec is snapshot_codec("orjson")
