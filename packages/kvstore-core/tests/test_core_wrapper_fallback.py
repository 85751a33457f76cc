"""FallbackWrapper: reads served by a second store while the first is down."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from kvstore.core import BaseKVStore
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
