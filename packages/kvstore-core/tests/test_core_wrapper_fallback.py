"""FallbackWrapper: reads served by a second store while the first is down."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from kvstore.core import BaseKVStore, Payload
from kvstore.core.errors import (
    DeserializationError,
    StoreConnectionError,
)
from kvstore.core.stores import SimpleStore
from kvstore.core.wrappers import FallbackWrapper
from kvstore.testing import FlakyStore, StoreConformance


class TestFallbackWrapper(StoreConformance):
    @pytest.fixture
    async def store(self) -> AsyncIterator[BaseKVStore]:
        primary, fallback = SimpleStore(max_entries=None), SimpleStore(max_entries=None)
        async with FallbackWrapper(primary, fallback) as store:
            yield store


async def test_fallback_serves_reads_while_the_primary_is_down() -> None:
    primary, fallback = FlakyStore(), SimpleStore()
    store = FallbackWrapper(primary, fallback)
    await primary.put("c", "k", {"from": "primary"})
    await fallback.put("c", "k", {"from": "fallback"})
    await fallback.put("c", "only-fallback", {})
    assert await store.get("c", "k") == {"from": "primary"}

    primary.down = True
    assert await store.get("c", "k") == {"from": "fallback"}
    assert await store.get_many("c", ["k", "x"]) == [{"from": "fallback"}, None]
    assert await store.exists("c", "only-fallback") is True
    assert await store.ttl("c", "k") is not None
    assert sorted(await store.keys("c")) == ["k", "only-fallback"]
    assert sorted([key async for key in store.iter_keys("c")]) == ["k", "only-fallback"]
    assert await store.list_collections() == ["c"]

    primary.down = False
    assert await store.get("c", "k") == {"from": "primary"}
    assert await store.keys("c") == ["k"]


async def test_fallback_writes_go_to_the_primary_only() -> None:
    primary, fallback = FlakyStore(), SimpleStore()
    store = FallbackWrapper(primary, fallback)
    await store.put("c", "k", {"v": 1})
    assert await fallback.get("c", "k") is None
    primary.down = True
    with pytest.raises(StoreConnectionError):
        await store.put("c", "k", {"v": 2})
    with pytest.raises(StoreConnectionError):
        await store.delete("c", "k")
    with pytest.raises(StoreConnectionError):
        await store.clear_collection("c")
    assert fallback.entries == {}
    primary.down = False
    assert await store.get("c", "k") == {"v": 1}


async def test_fallback_does_not_hide_other_errors() -> None:
    primary, fallback = SimpleStore(), SimpleStore()
    await fallback.put("c", "k", {"from": "fallback"})
    primary.entries[("c", "k")] = ("corrupt", None)
    with pytest.raises(DeserializationError):
        await FallbackWrapper(primary, fallback).get("c", "k")


async def test_fallback_raises_when_both_are_down() -> None:
    primary, fallback = FlakyStore(), FlakyStore()
    primary.down = fallback.down = True
    store = FallbackWrapper(primary, fallback)
    with pytest.raises(StoreConnectionError):
        await store.get("c", "k")
    with pytest.raises(StoreConnectionError):
        [key async for key in store.iter_keys("c")]


class Unreachable(SimpleStore):
    """A SimpleStore whose compare-and-set reads fail while ``down``."""

    def __init__(self) -> None:
        super().__init__(max_entries=None)
        self.down = False

    async def _read_versioned(self, collection: str, key: str) -> tuple[Payload, str] | None:
        if self.down:
            raise StoreConnectionError("test store: connection refused")
        return await super()._read_versioned(collection, key)

    async def _read(self, collection: str, key: str) -> Payload | None:
        if self.down:
            raise StoreConnectionError("test store: connection refused")
        return await super()._read(collection, key)


async def test_fallback_never_serves_a_version_or_an_atomic_write() -> None:
    primary, fallback = Unreachable(), SimpleStore()
    store = FallbackWrapper(primary, fallback)
    await primary.put("c", "k", {"count": 1})
    await fallback.put("c", "k", {"count": 1})
    found = await store.get_versioned("c", "k")
    assert found is not None
    primary.down = True
    assert await store.get("c", "k") == {"count": 1}  # plain reads still fall back
    writes = (
        store.get_versioned("c", "k"),
        store.add("c", "new", {"v": 1}),
        store.take("c", "k"),
        store.touch("c", "k", 60),
        store.put_versioned("c", "k", {"count": 9}, version=found.version),
        store.increment("c", "k"),
    )
    for call in writes:
        with pytest.raises(StoreConnectionError, match="connection refused"):
            await call
    assert await fallback.get("c", "k") == {"count": 1}
    assert await fallback.get("c", "new") is None
    primary.down = False
    assert await store.get_versioned("c", "k") == found


async def test_fallback_reports_the_primarys_atomic_operations() -> None:
    class NoAtomic(SimpleStore):
        atomic_operations: frozenset[str] = frozenset()

    assert FallbackWrapper(SimpleStore(), NoAtomic()).atomic_operations == (
        SimpleStore.atomic_operations
    )
    assert FallbackWrapper(NoAtomic(), SimpleStore()).atomic_operations == frozenset()
