"""SyncSingleCollectionAdapter: a SyncStore bound to one collection."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Generic

from .._atomic import Versioned
from .._ttl_info import TTLInfo
from .._validation import TTL, check_collection
from ._store import SyncStore, V


class SyncSingleCollectionAdapter(Generic[V]):
    """The blocking counterpart of ``SingleCollectionAdapter``: a ``SyncStore``'s protocol
    operations on one collection, without a collection argument.

    Args:
        store: a SyncStore (of dicts, or of an adapter's models).
        collection: the collection every call reads and writes.
    """

    def __init__(self, store: SyncStore[V], collection: str) -> None:
        check_collection(collection)
        self.store = store
        self.collection = collection

    @property
    def atomic_operations(self) -> frozenset[str]:
        """The atomic operations the store implements (``store.atomic_operations``)."""
        return self.store.atomic_operations

    def get(self, key: str) -> V | None:
        """Return the live value of ``key``, or None."""
        return self.store.get(self.collection, key)

    def put(self, key: str, value: V, *, ttl: TTL = None) -> None:
        """Insert or overwrite ``key``; the TTL restarts."""
        self.store.put(self.collection, key, value, ttl=ttl)

    def delete(self, key: str) -> bool:
        """Remove ``key``; True if a live entry was removed."""
        return self.store.delete(self.collection, key)

    def exists(self, key: str) -> bool:
        """True if ``key`` holds a live entry."""
        return self.store.exists(self.collection, key)

    def ttl(self, key: str) -> TTLInfo | None:
        """Return the metadata of ``key``'s live entry, or None."""
        return self.store.ttl(self.collection, key)

    def get_many(self, keys: Sequence[str]) -> list[V | None]:
        """Return the live values of ``keys``, aligned with them."""
        return self.store.get_many(self.collection, keys)

    def put_many(self, items: Mapping[str, V], *, ttl: TTL = None) -> None:
        """Write every item with the same TTL."""
        self.store.put_many(self.collection, items, ttl=ttl)

    def delete_many(self, keys: Sequence[str]) -> int:
        """Remove ``keys``; return how many live entries were removed."""
        return self.store.delete_many(self.collection, keys)

    # -- atomic operations --------------------------------------------------------------

    def add(self, key: str, value: V, *, ttl: TTL = None) -> bool:
        """Write ``key`` only if it holds no live entry; True if written."""
        return self.store.add(self.collection, key, value, ttl=ttl)

    def take(self, key: str) -> V | None:
        """Return the live value of ``key`` and remove it, in one step; None if missing."""
        return self.store.take(self.collection, key)

    def touch(self, key: str, ttl: TTL) -> bool:
        """Give ``key``'s live entry a new TTL (None: never expires); False if missing."""
        return self.store.touch(self.collection, key, ttl)

    def get_versioned(self, key: str) -> Versioned[V] | None:
        """Return the live value of ``key`` with its version token, or None."""
        return self.store.get_versioned(self.collection, key)

    def put_versioned(self, key: str, value: V, *, version: str | None, ttl: TTL = None) -> bool:
        """Write ``key`` only if its live entry still has ``version`` (None: only if absent)."""
        return self.store.put_versioned(self.collection, key, value, version=version, ttl=ttl)

    def increment(self, key: str, amount: int = 1, *, ttl: TTL = None) -> int:
        """Add ``amount`` to the counter ``{"count": n}`` of ``key``; return the new count."""
        return self.store.increment(self.collection, key, amount, ttl=ttl)

    # -- cache-aside ----------------------------------------------------------------------

    def get_or_set(
        self,
        key: str,
        factory: Callable[[], Awaitable[V] | V],
        *,
        ttl: TTL = None,
        lease: TTL = None,
    ) -> V:
        """Return the live value of ``key``, or compute, store and return it (one computation
        for concurrent callers; a plain factory runs in a worker thread)."""
        return self.store.get_or_set(self.collection, key, factory, ttl=ttl, lease=lease)

    def __repr__(self) -> str:
        return f"SyncSingleCollectionAdapter({self.store!r}, collection={self.collection!r})"
