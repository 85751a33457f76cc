"""NullStore: accepts everything, stores nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator

from .._base import BaseKVStore, Payload


class NullStore(BaseKVStore):
    """A store that validates and accepts every write and never holds anything.

    Useful to switch caching off without changing application code: arguments are
    still checked (bad input raises as on any store), reads always miss.
    """

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

    async def _scan(self, collection: str) -> AsyncIterator[list[str]]:
        return
        yield

    async def _collections(self) -> list[str]:
        return []

    async def _clear(self, collection: str) -> int:
        return 0
