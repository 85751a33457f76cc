"""NamespaceConformance: namespaces a wrapper carves out of one store never share storage."""

from __future__ import annotations

from typing import ClassVar

from hypothesis import example, given
from hypothesis import strategies as st

from kvstore.core import BaseKVStore

from ._properties import PROPERTY_SETTINGS, names

namespace_names = st.text(min_size=1, max_size=20) | st.text(
    alphabet=st.sampled_from("_:%/a2 "), min_size=1, max_size=8
)
"""Namespace names, half of them built from separator characters (``a`` against ``a_``)."""


class NamespaceConformance:
    """Subclass this for a wrapper that gives each user a namespace of one shared store.

    Define :meth:`new_store` (a fresh, empty store) and :meth:`namespace` (the
    wrapper for one namespace name over a store). The cases check that two distinct
    names never share storage, whatever characters the names and the caller's
    collections and keys hold: neither namespace reads, lists or clears the other's
    entries. Set ``lists_only_own_collections = False`` for a wrapper whose
    ``list_collections`` is documented to show every collection of the store.
    """

    lists_only_own_collections: ClassVar[bool] = True

    def new_store(self) -> BaseKVStore:
        """Return a fresh, empty store for the namespaces to share."""
        raise NotImplementedError("a namespace test class must define new_store()")

    def namespace(self, store: BaseKVStore, name: str) -> BaseKVStore:
        """Return the wrapper that gives namespace ``name`` its part of ``store``."""
        raise NotImplementedError("a namespace test class must define namespace()")

    @PROPERTY_SETTINGS
    @example(name="a", extra="_", collection="users", key="k")
    @given(
        name=namespace_names,
        extra=st.text(alphabet=st.sampled_from("_:%/ a"), min_size=1, max_size=4),
        collection=names,
        key=names,
    )
    async def test_property_distinct_namespaces_never_share_storage(
        self, name: str, extra: str, collection: str, key: str
    ) -> None:
        """Namespace ``name + extra`` against ``name``: where plain concatenation of the
        namespace, a separator and the caller's names would meet (``"a"`` with
        ``"_users"`` against ``"a_"`` with ``"users"``), storage must stay apart."""
        store = self.new_store()
        mine, theirs = self.namespace(store, name), self.namespace(store, name + extra)
        shifted_collection, shifted_key = (extra + collection, key), (collection, extra + key)
        await mine.put(*shifted_collection, {"owner": "mine", "shift": "collection"})
        await mine.put(*shifted_key, {"owner": "mine", "shift": "key"})
        await theirs.put(collection, key, {"owner": "theirs"})
        assert await mine.get(*shifted_collection) == {"owner": "mine", "shift": "collection"}
        assert await mine.get(*shifted_key) == {"owner": "mine", "shift": "key"}
        assert await theirs.get(collection, key) == {"owner": "theirs"}
        assert await mine.get(collection, key) is None
        assert await theirs.get(*shifted_collection) is None
        assert await theirs.get(*shifted_key) is None
        assert await mine.keys(collection) == [extra + key]
        assert await theirs.keys(collection) == [key]
        if self.lists_only_own_collections:
            assert await mine.list_collections() == sorted({collection, extra + collection})
            assert await theirs.list_collections() == [collection]
        assert await theirs.clear_collection(collection) == 1
        assert await mine.get_many(collection, [extra + key]) == [{"owner": "mine", "shift": "key"}]
        await store.close()
