"""SimpleStore: a small in-memory store for tests and examples."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

from .._base import BaseKVStore, Payload
from ..errors import ConfigurationError


class SimpleStore(BaseKVStore):
    """An in-memory store whose content can be inspected, for tests and examples.

    Entries live in one insertion-ordered dict; when ``max_entries`` is reached the
    oldest written entry is dropped. Expired entries are hidden at once and removed
    by ``cull()`` or when their key is touched.

    Args:
        max_entries: the most entries held at once (1000 by default, as in
            kv-store-adapter 0.1), or None for no bound.
    """

    def __init__(self, max_entries: int | None = 1000) -> None:
        if max_entries is not None and (type(max_entries) is not int or max_entries < 1):
            raise ConfigurationError(
                f"max_entries must be None or an int >= 1, got {max_entries!r}"
            )
        self.max_entries = max_entries
        self.entries: dict[tuple[str, str], tuple[str, float | None]] = {}
        """(collection, key) -> (envelope payload, expiry as epoch seconds or None)."""

    def _live(self, name: tuple[str, str], now: float) -> str | None:
        entry = self.entries.get(name)
        if entry is None:
            return None
        payload, expires_at = entry
        if expires_at is not None and expires_at <= now:
            del self.entries[name]
            return None
        return payload

    async def _read(self, collection: str, key: str) -> Payload | None:
        return self._live((collection, key), time.time())

    async def _write(self, collection: str, key: str, payload: str, ttl: float | None) -> None:
        name = (collection, key)
        self.entries.pop(name, None)
        if self.max_entries is not None and len(self.entries) >= self.max_entries:
            del self.entries[next(iter(self.entries))]
        self.entries[name] = (payload, None if ttl is None else time.time() + ttl)

    async def _remove(self, collection: str, key: str) -> bool:
        live = self._live((collection, key), time.time()) is not None
        self.entries.pop((collection, key), None)
        return live

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

    def __repr__(self) -> str:
        return f"SimpleStore(max_entries={self.max_entries!r}, entries={len(self.entries)})"
