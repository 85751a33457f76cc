"""SimpleStore: a small in-memory store for tests and examples."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import AsyncIterator

from .._atomic import ATOMIC_OPERATIONS
from .._base import BaseKVStore, Payload
from ..errors import ConfigurationError


class SimpleStore(BaseKVStore):
    """An in-memory store whose content can be inspected, for tests and examples.

    Entries live in one insertion-ordered dict; when ``max_entries`` is reached the
    oldest written entry is dropped. Expired entries are hidden at once and removed
    by ``cull()`` or when their key is touched.

    Every entry has a version number, so the atomic operations (core's optimistic ones over
    this store's compare-and-set) are exact; a lock makes each step atomic across threads.

    Args:
        max_entries: the most entries held at once (1000 by default, as in
            kv-store-adapter 0.1), or None for no bound.
    """

    atomic_operations = ATOMIC_OPERATIONS

    def __init__(self, max_entries: int | None = 1000) -> None:
        if max_entries is not None and (type(max_entries) is not int or max_entries < 1):
            raise ConfigurationError(
                f"max_entries must be None or an int >= 1, got {max_entries!r}"
            )
        self.max_entries = max_entries
        self.entries: dict[tuple[str, str], tuple[str, float | None]] = {}
        """(collection, key) -> (envelope payload, expiry as epoch seconds or None)."""
        self._versions: dict[tuple[str, str], str] = {}
        """(collection, key) -> the version of the entry held (kept beside ``entries``)."""
        self._next_version = itertools.count(1)
        self._lock = threading.RLock()

    def _live(self, name: tuple[str, str], now: float) -> str | None:
        entry = self.entries.get(name)
        if entry is None:
            return None
        payload, expires_at = entry
        if expires_at is not None and expires_at <= now:
            del self.entries[name]
            self._versions.pop(name, None)
            return None
        return payload

    async def _read(self, collection: str, key: str) -> Payload | None:
        return self._live((collection, key), time.time())

    async def _write(self, collection: str, key: str, payload: str, ttl: float | None) -> None:
        with self._lock:
            self._hold((collection, key), payload, ttl)

    def _hold(self, name: tuple[str, str], payload: str, ttl: float | None) -> None:
        self.entries.pop(name, None)
        if self.max_entries is not None and len(self.entries) >= self.max_entries:
            oldest = next(iter(self.entries))
            del self.entries[oldest]
            self._versions.pop(oldest, None)
        self.entries[name] = (payload, None if ttl is None else time.time() + ttl)
        self._versions[name] = str(next(self._next_version))

    async def _remove(self, collection: str, key: str) -> bool:
        with self._lock:
            live = self._live((collection, key), time.time()) is not None
            self.entries.pop((collection, key), None)
            self._versions.pop((collection, key), None)
        return live

    def _version(self, name: tuple[str, str]) -> str | None:
        """The version of the entry held for ``name`` (expired or not), or None."""
        if name not in self.entries:
            return None
        version = self._versions.get(name)
        if version is None:  # an entry a test put in ``entries`` by hand
            version = self._versions[name] = str(next(self._next_version))
        return version

    async def _read_versioned(self, collection: str, key: str) -> tuple[Payload, str] | None:
        name = (collection, key)
        with self._lock:
            entry = self.entries.get(name)
            version = self._version(name)
            return None if entry is None or version is None else (entry[0], version)

    async def _write_versioned(
        self, collection: str, key: str, payload: str, ttl: float | None, version: str | None
    ) -> bool:
        name = (collection, key)
        with self._lock:
            if self._version(name) != version:
                return False
            self._hold(name, payload, ttl)
            return True

    async def _remove_versioned(self, collection: str, key: str, version: str) -> bool:
        name = (collection, key)
        with self._lock:
            if self._version(name) != version:
                return False
            del self.entries[name]
            del self._versions[name]
            return True

    async def _scan(self, collection: str) -> AsyncIterator[list[str]]:
        now = time.time()
        yield [
            key
            for (name, key), (_, expires_at) in list(self.entries.items())
            if name == collection and (expires_at is None or expires_at > now)
        ]

    async def _collections(self) -> list[str]:
        now = time.time()
        return list(
            {
                name
                for (name, _), (_, expires_at) in self.entries.items()
                if expires_at is None or expires_at > now
            }
        )

    async def _cull(self) -> None:
        now = time.time()
        for name, (_, expires_at) in list(self.entries.items()):
            if expires_at is not None and expires_at <= now:
                del self.entries[name]
                self._versions.pop(name, None)

    def __repr__(self) -> str:
        return f"SimpleStore(max_entries={self.max_entries!r}, entries={len(self.entries)})"
