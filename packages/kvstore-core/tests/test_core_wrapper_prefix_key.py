"""PrefixKeyWrapper: a namespace of keys inside a shared store."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from kvstore.core import BaseKVStore
from kvstore.core.stores import SimpleStore
from kvstore.core.wrappers import PrefixKeyWrapper
from kvstore.testing import NamespaceConformance, StoreConformance


async def test_prefix_key_wrapper_strips_its_prefix_and_clears_only_its_keys() -> None:
    inner = SimpleStore()
    await inner.put("c", "foreign", {})
    store = PrefixKeyWrapper(inner, "tenant1", ":")
    await store.put_many("c", {"a": {}, "b": {}})
    assert sorted(await inner.keys("c")) == ["foreign", "tenant1:a", "tenant1:b"]
    assert sorted(await store.keys("c")) == ["a", "b"]
    assert await store.clear_collection("c") == 2
    assert await inner.keys("c") == ["foreign"]


class TestPrefixKeyWrapper(StoreConformance):
    @pytest.fixture
    async def store(self) -> AsyncIterator[BaseKVStore]:
        async with PrefixKeyWrapper(SimpleStore(max_entries=None), "tenant", ":") as store:
            yield store


class TestPrefixKeyNamespaces(NamespaceConformance):
    lists_only_own_collections = False  # documented: list_collections is forwarded unchanged

    def new_store(self) -> BaseKVStore:
        return SimpleStore(max_entries=None)

    def namespace(self, store: BaseKVStore, name: str) -> BaseKVStore:
        return PrefixKeyWrapper(store, name)


async def test_overlapping_prefixes_never_share_a_key() -> None:
    inner = SimpleStore()
    short, longer = PrefixKeyWrapper(inner, "a"), PrefixKeyWrapper(inner, "a_")
    await short.put("c", "_k", {"owner": "a"})
    await longer.put("c", "k", {"owner": "a_"})
    assert await short.get("c", "_k") == {"owner": "a"}
    assert await longer.get("c", "k") == {"owner": "a_"}
    assert await short.keys("c") == ["_k"]
    assert await longer.keys("c") == ["k"]
    assert await longer.clear_collection("c") == 1
    assert await short.get("c", "_k") == {"owner": "a"}
