"""Atomic operations built from a backend's compare-and-set primitives.

Each function reads the entry with its version (``_read_versioned``), decides in core
(expiry, counters, versions), and writes or removes only if the version is still the one
read (``_write_versioned``, ``_remove_versioned``); on a conflict it reads again. No
separate read and write ever decides alone: an operation either applies to the entry it
read or starts over. A backend with a native way to do one of them in a single call
overrides the matching ``BaseKVStore`` primitive instead.
"""

from __future__ import annotations

import asyncio
import random
import time
from typing import TYPE_CHECKING, Any

from . import _envelope
from ._atomic import check_count, count_of
from .errors import KVStoreError

if TYPE_CHECKING:
    from ._base import BaseKVStore, Payload

MAX_ATTEMPTS = 10_000
"""Conflicts after which an operation gives up (only a backend whose compare-and-set never
succeeds gets there: under contention every round has a winner)."""
_QUIET_ATTEMPTS = 3
"""Conflicts retried at once, before backing off."""


async def after_conflict(operation: str, collection: str, key: str, attempt: int) -> None:
    """Wait before attempt ``attempt + 1`` (jittered backoff), or give up."""
    if attempt >= MAX_ATTEMPTS:
        raise KVStoreError(
            f"{operation} for collection {collection!r} key {key!r} gave up after "
            f"{attempt} conflicting writes"
        )
    if attempt >= _QUIET_ATTEMPTS:
        await asyncio.sleep(random.uniform(0, min(0.05, 0.0002 * 2 ** min(attempt, 12))))


async def _live(
    store: BaseKVStore, collection: str, key: str, now: float | None = None
) -> tuple[dict[str, Any] | None, str | None]:
    """Read the entry: (its envelope if live else None, the stored version or None)."""
    found = await store._read_versioned(collection, key)
    if found is None:
        return None, None
    payload, version = found
    document = _envelope.decode(payload, collection, key)
    if not _envelope.is_live(document, time.time() if now is None else now):
        return None, version
    return document, version


async def add(
    store: BaseKVStore, collection: str, key: str, payload: str, ttl: float | None
) -> bool:
    """Write ``payload`` only if no live entry exists."""
    attempt = 0
    while True:
        document, version = await _live(store, collection, key)
        if document is not None:
            return False
        if await store._write_versioned(collection, key, payload, ttl, version):
            return True
        attempt += 1
        await after_conflict("add", collection, key, attempt)


async def take(store: BaseKVStore, collection: str, key: str) -> Payload | None:
    """Remove the live entry and return its envelope document."""
    attempt = 0
    while True:
        document, version = await _live(store, collection, key)
        if document is None or version is None:
            return None
        if await store._remove_versioned(collection, key, version):
            return document
        attempt += 1
        await after_conflict("take", collection, key, attempt)


async def touch(store: BaseKVStore, collection: str, key: str, ttl: float | None) -> bool:
    """Give the live entry a new TTL, its value unchanged."""
    attempt = 0
    while True:
        now = time.time()
        document, version = await _live(store, collection, key, now)
        if document is None:
            return False
        payload = _envelope.retime(document, collection, key, ttl, now)
        if await store._write_versioned(collection, key, payload, ttl, version):
            return True
        attempt += 1
        await after_conflict("touch", collection, key, attempt)


async def put_versioned(
    store: BaseKVStore,
    collection: str,
    key: str,
    payload: str | None,
    ttl: float | None,
    version: str | None,
) -> bool:
    """Write ``payload`` (None: remove the entry) only if the live entry has ``version``.

    ``version`` None means "only if no live entry exists".
    """
    attempt = 0
    while True:
        document, stored = await _live(store, collection, key)
        if (stored if document is not None else None) != version:
            return False
        if payload is None:
            # An already expired write: the entry goes, if there is a live one.
            if stored is None or document is None:
                return True
            applied = await store._remove_versioned(collection, key, stored)
        else:
            applied = await store._write_versioned(collection, key, payload, ttl, stored)
        if applied:
            return True
        attempt += 1
        await after_conflict("put_versioned", collection, key, attempt)


async def increment(
    store: BaseKVStore, collection: str, key: str, amount: int, ttl: float | None
) -> int:
    """Add ``amount`` to the counter; a missing one starts at 0 with ``ttl``."""
    attempt = 0
    while True:
        now = time.time()
        document, version = await _live(store, collection, key, now)
        if document is None:
            count = check_count(collection, key, amount)
            if ttl is not None and ttl <= 0:
                return count  # created already expired: nothing to store
            payload = _envelope.encode(collection, key, {"count": count}, ttl, now)
            remaining = ttl
        else:
            count = check_count(
                collection, key, count_of(collection, key, document["value"]) + amount
            )
            expires_at = document["expires_at"]
            # Written now (so the envelope, and a version that hashes it, is new even when
            # the count returns to an earlier value); the TTL and expiry stay.
            payload = _envelope.rewrite(
                collection, key, {"count": count}, now, document.get("ttl"), expires_at
            )
            remaining = None if expires_at is None else max(expires_at - now, 0.001)
        if await store._write_versioned(collection, key, payload, remaining, version):
            return count
        attempt += 1
        await after_conflict("increment", collection, key, attempt)
