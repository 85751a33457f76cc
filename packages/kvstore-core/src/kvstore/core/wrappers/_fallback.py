"""FallbackWrapper: serves reads from a second store while the first cannot be reached."""

from __future__ import annotations

from typing import Any, TypeVar

from .._base import BaseKVStore
from ..errors import StoreConnectionError
from ._around import ITER_KEYS_CONTINUED, READS, Args, AroundWrapper, Call

T = TypeVar("T")

_PRIMARY_ONLY = frozenset({ITER_KEYS_CONTINUED, "get_versioned"})
"""Reads that never go to the fallback: a later page of an iteration the primary began,
and a version, which means something only to the store that gave it."""


class FallbackWrapper(AroundWrapper):
    """Reads from ``primary``; when it raises StoreConnectionError, reads from ``fallback``.

    Every read (``get``, ``get_many``, ``exists``, ``ttl``, ``get_with_ttl``,
    ``get_many_with_ttl``, ``keys``, ``iter_keys``, ``list_collections``) tries the
    primary first, on every call, so reads return to it as soon as it answers again.
    Put a TimeoutWrapper around a primary that can hang, so that a failing primary
    costs a bounded wait per read. ``iter_keys`` switches only if the primary fails
    while reading the first page of keys, before any key has reached the caller.
    Other errors (bad arguments, DeserializationError) are raised, not hidden by the
    fallback.

    Writes (``put``, ``put_many``, ``delete``, ``delete_many``, ``clear_collection``,
    ``cull``) go to the primary only, and its StoreConnectionError is raised: the
    fallback is never written, so it never holds data the primary lacks and a write
    is never reported as done when the store of record did not take it. Keep the
    fallback filled yourself (a replica, a snapshot, a warmed cache) and expect it to
    serve data as old as its last fill. ``close`` closes both stores.

    The atomic operations run on the primary only, ``get_versioned`` included: a
    version token is the primary's, and one read from the fallback would be compared
    with versions of another store (possibly equal by chance, letting a
    ``put_versioned`` through that should conflict). ``add``, ``take``, ``touch``,
    ``put_versioned`` and ``increment`` are writes, and go nowhere else either. So
    :attr:`atomic_operations` are the primary's.

    Args:
        primary: the store of record.
        fallback: the store that serves reads while the primary cannot be reached.
    """

    def __init__(self, primary: BaseKVStore, fallback: BaseKVStore) -> None:
        super().__init__(primary)
        self.fallback = fallback

    async def around(
        self, operation: str, collection: str | None, keys: Any, call: Call[T], args: Args
    ) -> T:
        if operation == "close":
            try:
                return await call(self.store, collection, keys, args)
            finally:
                await call(self.fallback, collection, keys, args)
        if operation not in READS or operation in _PRIMARY_ONLY:
            return await call(self.store, collection, keys, args)
        try:
            return await call(self.store, collection, keys, args)
        except StoreConnectionError:
            return await call(self.fallback, collection, keys, args)

    def __repr__(self) -> str:
        return f"FallbackWrapper({self.store!r}, fallback={self.fallback!r})"
