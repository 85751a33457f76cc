"""ExampleStore: the primitives of BaseKVStore over a dict of dicts."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

from kvstore.core import BaseKVStore, DriverBoundary


class ExampleStore(BaseKVStore):
    """Entries in a dict per collection; expiry checked on access, reclaimed by ``cull``.

    BaseKVStore validates arguments, builds the TTL envelope and checks expiry on reads;
    a backend only stores and returns the envelope text (``payload``).
    """

    def __init__(self) -> None:
        self._data: dict[str, dict[str, tuple[str, float | None]]] = {}
        # Every call into the storage (a driver, in a real backend) runs inside the
        # boundary: whatever it raises leaves the store as a kvstore error naming the
        # operation, collection and key, with the secrets given here masked.
        self._boundary = DriverBoundary("ExampleStore", secrets=())

    def _live(self, collection: str, key: str) -> str | None:
        entry = self._data.get(collection, {}).get(key)
        if entry is None or (entry[1] is not None and entry[1] <= time.time()):
            return None
        return entry[0]

    async def _read(self, collection: str, key: str) -> str | None:
        with self._boundary("get", collection, key):
            return self._live(collection, key)

    async def _write(self, collection: str, key: str, payload: str, ttl: float | None) -> None:
        expires_at = None if ttl is None else time.time() + ttl
        with self._boundary("put", collection, key):
            self._data.setdefault(collection, {})[key] = (payload, expires_at)

    async def _remove(self, collection: str, key: str) -> bool:
        with self._boundary("delete", collection, key):
            live = self._live(collection, key) is not None
            entries = self._data.get(collection, {})
            entries.pop(key, None)
            if not entries:
                self._data.pop(collection, None)
        return live

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
                for name, entries in self._data.items()
                if any(self._live(name, key) for key in entries)
            ]

    async def _cull(self) -> None:
        with self._boundary("cull"):
            for name, entries in list(self._data.items()):
                for key in [key for key in entries if self._live(name, key) is None]:
                    del entries[key]
                if not entries:
                    del self._data[name]
