"""PrefixCollectionWrapper: a namespace of collections inside a shared store."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from kvstore.core import BaseKVStore
from kvstore.core.errors import ConfigurationError
from kvstore.core.stores import SimpleStore
from kvstore.core.wrappers import PrefixCollectionWrapper
from kvstore.testing import NamespaceConformance, StoreConformance


async def test_prefix_collection_wrapper_hides_other_namespaces() -> None:
    inner = SimpleStore()
    await inner.put("users", "k", {})
    store = PrefixCollectionWrapper(inner, "app")
    await store.put("users", "k", {"mine": True})
    assert sorted(await inner.list_collections()) == ["app__users", "users"]
    assert await store.list_collections() == ["users"]
    assert await store.get("users", "k") == {"mine": True}
    info = await store.ttl("users", "k")
    assert info is not None and info.collection == "users"


class TestPrefixCollectionWrapper(StoreConformance):
    @pytest.fixture
    async def store(self) -> AsyncIterator[BaseKVStore]:
        async with PrefixCollectionWrapper(SimpleStore(max_entries=None), "app") as store:
            yield store


class TestPrefixCollectionNamespaces(NamespaceConformance):
    def new_store(self) -> BaseKVStore:
        return SimpleStore(max_entries=None)

    def namespace(self, store: BaseKVStore, name: str) -> BaseKVStore:
        return PrefixCollectionWrapper(store, name)


async def test_overlapping_prefixes_never_share_a_collection() -> None:
    inner = SimpleStore()
    short, longer = PrefixCollectionWrapper(inner, "a"), PrefixCollectionWrapper(inner, "a_")
    await short.put("_users", "k", {"owner": "a"})
    await longer.put("users", "k", {"owner": "a_"})
    assert await short.get("_users", "k") == {"owner": "a"}
    assert await longer.get("users", "k") == {"owner": "a_"}
    assert await short.list_collections() == ["_users"]
    assert await longer.list_collections() == ["users"]


async def test_prefixes_without_separator_characters_keep_their_stored_names() -> None:
    inner = SimpleStore()
    await PrefixCollectionWrapper(inner, "billing").put("users", "k", {})
    await PrefixCollectionWrapper(inner, "a_").put("users", "k", {})
    await PrefixCollectionWrapper(inner, "50%", ":").put("users", "k", {})
    assert sorted(name for name, _ in inner.entries) == [
        "50%25:users",
        "a%5F__users",
        "billing__users",
    ]


@pytest.mark.parametrize("separator", ["", "x", "_1", "%", "::a"])
def test_a_separator_of_escape_characters_is_refused(separator: str) -> None:
    with pytest.raises(ConfigurationError, match="separator"):
        PrefixCollectionWrapper(SimpleStore(), "app", separator)
