"""Leases: one process at a time computes an entry, the others wait for it to be stored.

A lease is an entry added with ``add`` (write only if absent) in the reserved collection
:data:`LEASE_COLLECTION`, under the caller's (collection, key) as canonical JSON, with a
TTL of the lease's length: whoever adds it holds it; a holder that dies frees it when
it expires. The holder removes it when its computation ends, if it still holds it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import random
import socket
import uuid
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, TypeVar

from ._validation import normalize_ttl
from .errors import InvalidTTLError, KVStoreError, UnsupportedOperationError

if TYPE_CHECKING:
    from ._base import BaseKVStore

T = TypeVar("T")

LEASE_COLLECTION = "__kvstore_leases__"
"""The collection leases are added to, through the same store (so wrappers that rename
collections or keys move leases with the entries they guard)."""
NEEDED = frozenset({"add", "get_versioned", "put_versioned"})
"""The atomic operations a lease is made of: take it, then remove it only if still ours."""
FIRST_POLL = 0.005
"""Seconds a waiter sleeps before its first look; each later sleep doubles it."""
LONGEST_POLL = 0.5
"""The longest sleep between two looks (a quarter of the lease if that is shorter)."""

logger = logging.getLogger("kvstore.core.cache_aside")


def lease_seconds(lease: object) -> float | None:
    """Return the lease's length in seconds, or None for no lease.

    Raises:
        InvalidTTLError: not None, a positive finite number of seconds or a timedelta.
    """
    seconds = normalize_ttl(lease)
    if seconds is not None and seconds <= 0:
        raise InvalidTTLError(f"lease must be a positive number of seconds, got {lease!r}")
    return seconds


def leasing(store: object) -> BaseKVStore:
    """Return ``store`` if it has the atomic operations a lease is made of.

    Raises:
        UnsupportedOperationError: it has not (or is not a ``BaseKVStore``).
    """
    from ._base import BaseKVStore

    missing = NEEDED
    if isinstance(store, BaseKVStore):
        missing = NEEDED - store.atomic_operations
        if not missing:
            return store
    raise UnsupportedOperationError(
        f"{type(store).__name__} does not implement {', '.join(sorted(missing))}, which "
        "get_or_set(lease=...) needs: call it without lease= (single flight stays within "
        "the process)"
    )


def lease_key(collection: str, key: str) -> str:
    """The lease's key: ``[collection, key]`` as compact JSON, injective over both names."""
    return json.dumps([collection, key], ensure_ascii=False, separators=(",", ":"))


async def under_lease(
    store: BaseKVStore,
    collection: str,
    key: str,
    seconds: float,
    fill: Callable[[], Awaitable[T]],
    read: Callable[[], Awaitable[T | None]],
) -> T:
    """Return ``fill()`` run while holding the lease on (collection, key), or what
    ``read()`` finds once another holder has stored it.

    Until the lease is free, looks with ``read()`` after sleeps that start at
    :data:`FIRST_POLL` seconds and double up to a quarter of the lease (at most
    :data:`LONGEST_POLL`), with jitter so that waiters do not look in step.
    """
    name = lease_key(collection, key)
    mine = {"holder": uuid.uuid4().hex, "host": socket.gethostname(), "pid": os.getpid()}
    delay, longest = FIRST_POLL, min(LONGEST_POLL, seconds / 4)
    while True:
        if await store.add(LEASE_COLLECTION, name, mine, ttl=seconds):
            try:
                return await fill()
            finally:
                await _release(store, name, mine["holder"])
        await asyncio.sleep(random.uniform(delay / 2, delay))
        delay = min(delay * 2, longest)
        found = await read()
        if found is not None:
            return found


async def _release(store: BaseKVStore, name: str, holder: object) -> None:
    """Remove the lease if it is still ours (it may have expired and been taken since).

    A failure is logged, not raised: the entry is stored (or the computation's own error
    is on its way), and the lease expires on its own.
    """
    try:
        current = await store.get_versioned(LEASE_COLLECTION, name)
        if current is not None and current.value.get("holder") == holder:
            await store.put_versioned(
                LEASE_COLLECTION, name, current.value, version=current.version, ttl=0
            )
    except KVStoreError as exc:
        logger.warning("could not release the lease %s (it will expire): %s", name, exc)
