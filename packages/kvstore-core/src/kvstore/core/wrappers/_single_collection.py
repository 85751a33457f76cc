"""SingleCollectionWrapper: many logical collections inside one real collection."""

from __future__ import annotations

from .._base import BaseKVStore
from .._validation import check_collection
from ._escape import DEFAULT_SEPARATOR, check_separator, escape, unescape
from ._renaming import RenamingWrapper


class SingleCollectionWrapper(RenamingWrapper):
    """Sends every request to one collection; the caller's collection becomes a key prefix.

    Key ``k`` of collection ``c`` is stored as ``f"{c}{separator}{k}"`` in ``collection``
    (``allowed_users__123``). To keep distinct (collection, key) pairs distinct whatever
    they contain, ``%`` and occurrences of the separator in ``c`` are percent-escaped,
    as is a tail of ``c`` that could run into the separator; names without them are
    stored as they are. ``keys()`` and ``list_collections()`` return the original names.

    Args:
        store: the store to wrap.
        collection: the one collection every entry is written to.
        prefix_separator: between the caller's collection and key (default ``"__"``);
            must not contain ``%`` or ASCII letters and digits.
    """

    def __init__(
        self, store: BaseKVStore, collection: str, prefix_separator: str | None = None
    ) -> None:
        super().__init__(store)
        check_collection(collection)
        self.collection = collection
        self.separator = check_separator(
            DEFAULT_SEPARATOR if prefix_separator is None else prefix_separator,
            "prefix_separator",
        )

    def inner_collection(self, collection: str) -> str:
        return self.collection

    def key_head(self, collection: str) -> str:
        return escape(collection, self.separator) + self.separator

    async def list_collections(self) -> list[str]:
        # The caller's collections live in the keys of the one real collection.
        separator = self.separator
        found = {
            unescape(key.partition(separator)[0])
            async for key in self.store.iter_keys(self.collection)
            if separator in key
        }
        return sorted(found)

    def __repr__(self) -> str:
        return f"SingleCollectionWrapper({self.store!r}, collection={self.collection!r})"
