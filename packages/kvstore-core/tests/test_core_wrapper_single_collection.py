"""SingleCollectionWrapper: many logical collections inside one real one."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from kvstore.core import BaseKVStore
from kvstore.core.errors import ConfigurationError
from kvstore.core.stores import SimpleStore
from kvstore.core.wrappers import SingleCollectionWrapper
from kvstore.testing import NamespaceConformance, StoreConformance


async def test_single_collection_wrapper_key_layout() -> None:
    inner = SimpleStore()
    store = SingleCollectionWrapper(inner, "shared")
    await store.put("allowed_users", "123", {})
    await store.put("a__b", "c", {})
    await store.put("a", "b__c", {})
    await store.put("100%", "x", {})
    assert sorted(await inner.keys("shared")) == [
        "100%25__x",
        "a%5F%5Fb__c",
        "a__b__c",
        "allowed_users__123",
    ]
    assert await store.list_collections() == ["100%", "a", "a__b", "allowed_users"]
    assert await inner.list_collections() == ["shared"]


def test_single_collection_wrapper_rejects_ambiguous_separators() -> None:
    for bad in ["", "%", "x", "_1_"]:
        with pytest.raises(ConfigurationError):
            SingleCollectionWrapper(SimpleStore(), "c", prefix_separator=bad)


class TestSingleCollectionWrapper(StoreConformance):
    @pytest.fixture
    async def store(self) -> AsyncIterator[BaseKVStore]:
        async with SingleCollectionWrapper(SimpleStore(max_entries=None), "everything") as store:
            yield store


class TestSingleCollectionWrapperWithColonSeparator(StoreConformance):
    @pytest.fixture
    async def store(self) -> AsyncIterator[BaseKVStore]:
        inner = SimpleStore(max_entries=None)
        async with SingleCollectionWrapper(inner, "everything", prefix_separator="::") as store:
            yield store


class TestSingleCollectionNamespaces(NamespaceConformance):
    def new_store(self) -> BaseKVStore:
        return SimpleStore(max_entries=None)

    def namespace(self, store: BaseKVStore, name: str) -> BaseKVStore:
        return SingleCollectionWrapper(store, name)


async def test_a_collection_ending_like_the_separator_never_meets_another() -> None:
    store = SingleCollectionWrapper(SimpleStore(), "all")
    await store.put("a", "_x", {"c": "a"})
    await store.put("a_", "x", {"c": "a_"})
    assert await store.get("a", "_x") == {"c": "a"}
    assert await store.get("a_", "x") == {"c": "a_"}
    assert await store.list_collections() == ["a", "a_"]
