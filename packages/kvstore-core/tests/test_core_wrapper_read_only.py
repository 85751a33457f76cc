"""ReadOnlyWrapper: writes refused, reads forwarded."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from kvstore.core import BaseKVStore
from kvstore.core.errors import ReadOnlyError
from kvstore.core.stores import SimpleStore
from kvstore.core.wrappers import ReadOnlyWrapper
from kvstore.testing import StoreConformance


class TestReadOnlyWrapperWithWritesAllowed(StoreConformance):
    """The kit writes, so it runs with ``read_only=False``: everything must still forward."""

    @pytest.fixture
    async def store(self) -> AsyncIterator[BaseKVStore]:
        inner = SimpleStore(max_entries=None)
        async with ReadOnlyWrapper(inner, read_only=False) as store:
            yield store


async def test_read_only_refuses_every_write_and_changes_nothing() -> None:
    inner = SimpleStore()
    await inner.put_many("c", {"a": {"v": 1}, "b": {}}, ttl=0.01)
    await inner.put("c", "kept", {"v": 2})
    before = dict(inner.entries)
    store = ReadOnlyWrapper(inner)
    await asyncio.sleep(0.02)
    writes = {
        "put": store.put("c", "kept", {"v": 3}),
        "put_many": store.put_many("c", {"x": {}}),
        "delete": store.delete("c", "kept"),
        "delete_many": store.delete_many("c", ["kept"]),
        "clear_collection": store.clear_collection("c"),
        "cull": store.cull(),
        "add": store.add("c", "new", {"v": 3}),
        "take": store.take("c", "kept"),
        "touch": store.touch("c", "kept", 60),
        "put_versioned": store.put_versioned("c", "kept", {"v": 3}, version=None),
        "increment": store.increment("c", "counter"),
    }
    for operation, write in writes.items():
        with pytest.raises(ReadOnlyError, match=operation) as raised:
            await write
        if operation != "cull":
            assert "'c'" in str(raised.value)
    assert inner.entries == before


async def test_read_only_forwards_reads() -> None:
    inner = SimpleStore()
    await inner.put("c", "k", {"v": 1}, ttl=60)
    store = ReadOnlyWrapper(inner)
    assert await store.get("c", "k") == {"v": 1}
    assert await store.get_many("c", ["k"]) == [{"v": 1}]
    assert await store.exists("c", "k") is True
    info = await store.ttl("c", "k")
    assert info is not None
    assert info.ttl == 60
    assert await store.keys("c") == ["k"]
    assert [key async for key in store.iter_keys("c")] == ["k"]
    assert await store.list_collections() == ["c"]
    found = await store.get_versioned("c", "k")
    assert found is not None and found.value == {"v": 1}
    assert found == await inner.get_versioned("c", "k")


async def test_read_only_can_be_switched() -> None:
    store = ReadOnlyWrapper(SimpleStore())
    with pytest.raises(ReadOnlyError, match="'c' key 'k'"):
        await store.put("c", "k", {})
    store.read_only = False
    await store.put("c", "k", {})
    store.read_only = True
    with pytest.raises(ReadOnlyError):
        await store.delete("c", "k")
    assert await store.get("c", "k") == {}


async def test_read_only_refuses_atomic_writes_before_reaching_the_store() -> None:
    class Refusing(SimpleStore):
        async def _read_versioned(self, collection: str, key: str) -> None:
            raise AssertionError("a refused write reached the store")

    store = ReadOnlyWrapper(Refusing())
    for write in (store.take("c", "k"), store.add("c", "k", {}), store.increment("c", "k")):
        with pytest.raises(ReadOnlyError, match="read-only"):
            await write
    assert store.atomic_operations == SimpleStore.atomic_operations
