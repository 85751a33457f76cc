"""NullStore: accepts everything, stores nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator

from .._atomic import ATOMIC_OPERATIONS
from .._base import BaseKVStore, Payload


class NullStore(BaseKVStore):
    """A store that validates and accepts every write and never holds anything.

    Useful to switch caching off without changing application code: arguments are
    still checked (bad input raises as on any store), reads always miss.

    The atomic operations answer as for a store where nothing is ever present: ``add`` and
    ``put_versioned(version=None)`` return True (and store nothing), ``take`` and
    ``get_versioned`` return None, ``touch`` and any other ``put_versioned`` return False,
    ``increment`` returns ``amount`` (a count starting at 0 every time).
    """

    atomic_operations = ATOMIC_OPERATIONS

    async def _read(self, collection: str, key: str) -> Payload | None:
        return None

    async def _read_many(self, collection: str, keys: list[str]) -> list[Payload | None]:
        return [None] * len(keys)

    async def _write(self, collection: str, key: str, payload: str, ttl: float | None) -> None:
        return None

    async def _write_many(
        self, collection: str, entries: list[tuple[str, str]], ttl: float | None
    ) -> None:
        return None

    async def _remove(self, collection: str, key: str) -> bool:
        return False

    async def _remove_many(self, collection: str, keys: list[str]) -> int:
        return 0

    async def _read_versioned(self, collection: str, key: str) -> tuple[Payload, str] | None:
        return None

    async def _write_versioned(
        self, collection: str, key: str, payload: str, ttl: float | None, version: str | None
    ) -> bool:
        return version is None

    async def _remove_versioned(self, collection: str, key: str, version: str) -> bool:
        return False

    async def _scan(self, collection: str) -> AsyncIterator[list[str]]:
        return
        yield

    async def _collections(self) -> list[str]:
        return []

    async def _clear(self, collection: str) -> int:
        return 0
