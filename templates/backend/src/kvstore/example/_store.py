"""ExampleStore: the primitives of BaseKVStore over a dict of dicts."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import AsyncIterator

from kvstore.core import ATOMIC_OPERATIONS, BaseKVStore, DriverBoundary

_Entry = tuple[str, float | None, str]
"""What the store holds per key: (envelope payload, expiry in epoch seconds or None, version)."""


class ExampleStore(BaseKVStore):
    """Entries in a dict per collection; expiry checked on access, reclaimed by ``cull``.

    BaseKVStore validates arguments, builds the TTL envelope and checks expiry on reads;
    a backend only stores and returns the envelope text (``payload``).

    The atomic operations (``add``, ``take``, ``touch``, ``get_versioned``,
    ``put_versioned``, ``increment``) come from three compare-and-set primitives:
    ``_read_versioned``, ``_write_versioned`` and ``_remove_versioned``. Each entry carries a
    version that changes on every write; core reads it, decides, and writes only if the
    version is still the one it read.
    """

    atomic_operations = ATOMIC_OPERATIONS

    def __init__(self) -> None:
        self._data: dict[str, dict[str, _Entry]] = {}
        # Every call into the storage (a driver, in a real backend) runs inside the
        # boundary: whatever it raises leaves the store as a kvstore error naming the
        # operation, collection and key, with the secrets given here masked.
        self._boundary = DriverBoundary("ExampleStore", secrets=())
        # A dict has no compare-and-set of its own: a lock makes each check-then-write one
        # step, for callers in other threads too. A real backend uses its storage's
        # conditional write instead (a transaction, a conditional statement, a script).
        self._lock = threading.Lock()
        self._versions = itertools.count(1)

    def _live(self, collection: str, key: str) -> str | None:
        entry = self._data.get(collection, {}).get(key)
        if entry is None or (entry[1] is not None and entry[1] <= time.time()):
            return None
        return entry[0]

    def _hold(self, collection: str, key: str, payload: str, ttl: float | None) -> None:
        expires_at = None if ttl is None else time.time() + ttl
        version = str(next(self._versions))
        self._data.setdefault(collection, {})[key] = (payload, expires_at, version)

    def _drop(self, collection: str, key: str) -> None:
        entries = self._data.get(collection, {})
        entries.pop(key, None)
        if not entries:
            self._data.pop(collection, None)

    async def _read(self, collection: str, key: str) -> str | None:
        with self._boundary("get", collection, key):
            return self._live(collection, key)

    async def _write(self, collection: str, key: str, payload: str, ttl: float | None) -> None:
        with self._boundary("put", collection, key), self._lock:
            self._hold(collection, key, payload, ttl)

    async def _remove(self, collection: str, key: str) -> bool:
        with self._boundary("delete", collection, key), self._lock:
            live = self._live(collection, key) is not None
            self._drop(collection, key)
        return live

    # -- compare-and-set: all the atomic operations need -----------------------------

    async def _read_versioned(self, collection: str, key: str) -> tuple[str, str] | None:
        # The stored payload even if expired (core decides expiry) and its version.
        with self._boundary("get_versioned", collection, key):
            entry = self._data.get(collection, {}).get(key)
            return None if entry is None else (entry[0], entry[2])

    async def _write_versioned(
        self, collection: str, key: str, payload: str, ttl: float | None, version: str | None
    ) -> bool:
        # Write only if the stored version is still `version` (None: nothing stored).
        with self._boundary("put_versioned", collection, key), self._lock:
            entry = self._data.get(collection, {}).get(key)
            if (None if entry is None else entry[2]) != version:
                return False
            self._hold(collection, key, payload, ttl)
            return True

    async def _remove_versioned(self, collection: str, key: str, version: str) -> bool:
        # Remove only if the stored version is still `version`.
        with self._boundary("delete", collection, key), self._lock:
            entry = self._data.get(collection, {}).get(key)
            if entry is None or entry[2] != version:
                return False
            self._drop(collection, key)
            return True

    # -- management -------------------------------------------------------------------

    async def _scan(self, collection: str) -> AsyncIterator[list[str]]:
        with self._boundary("keys", collection):
            keys = list(self._data.get(collection, {}))
        for start in range(0, len(keys), 100):
            page = [key for key in keys[start : start + 100] if self._live(collection, key)]
            if page:
                yield page

    async def _collections(self) -> list[str]:
        with self._boundary("list_collections"):
            return [
                name
                for name, entries in list(self._data.items())
                if any(self._live(name, key) for key in list(entries))
            ]

    async def _cull(self) -> None:
        with self._boundary("cull"), self._lock:
            for name, entries in list(self._data.items()):
                for key in [key for key in entries if self._live(name, key) is None]:
                    del entries[key]
                if not entries:
                    del self._data[name]
