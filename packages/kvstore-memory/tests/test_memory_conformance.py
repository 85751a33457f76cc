"""MemoryStore passes the whole kvstore conformance kit."""

from __future__ import annotations

import marshal
from collections.abc import AsyncIterator

import pytest

from kvstore.core import BaseKVStore, _base, _snapshot
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


class TestMemoryStoreOnMarshalSnapshots(TestMemoryStore):
    """The whole kit again with core's standard-library codec (``marshal`` snapshots), the one
    core uses where orjson is not installed: kvstore-memory requires orjson, but a store of
    another distribution may run on core alone."""

    @pytest.fixture
    async def store(self, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[BaseKVStore]:
        monkeypatch.setattr(_base, "_snapshot_of", _snapshot.marshal_snapshot)
        monkeypatch.setattr(_base, "_thaw", _snapshot.marshal_thaw)
        store = MemoryStore(max_entries=MAX_ENTRIES)
        yield store
        await store.close()

    async def test_the_store_holds_marshal_snapshots(self, store: BaseKVStore) -> None:
        await store.put("c", "k", {"v": [1, 2.5, None]})
        record = store._read_record("c", "k")
        assert record is not None
        assert marshal.loads(record[0]) == {"v": [1, 2.5, None]}
