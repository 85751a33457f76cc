"""KVStoreProtocol: the interface application code is written against."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

from ._ttl_info import TTLInfo
from ._validation import TTL


@runtime_checkable
class KVStoreProtocol(Protocol):
    """The eight async operations every store, wrapper and backend offers."""

    async def get(self, collection: str, key: str) -> dict[str, Any] | None:
        """Return the live value, or None if missing or expired."""
        ...

    async def put(
        self, collection: str, key: str, value: dict[str, Any], *, ttl: TTL = None
    ) -> None:
        """Insert or overwrite a value; the TTL restarts."""
        ...

    async def delete(self, collection: str, key: str) -> bool:
        """Remove an entry; True if a live entry was removed."""
        ...

    async def exists(self, collection: str, key: str) -> bool:
        """True if a live entry is there."""
        ...

    async def ttl(self, collection: str, key: str) -> TTLInfo | None:
        """Return the metadata of a live entry, or None."""
        ...

    async def get_many(self, collection: str, keys: Sequence[str]) -> list[dict[str, Any] | None]:
        """Return the values of ``keys``, aligned with them; duplicates allowed."""
        ...

    async def put_many(
        self, collection: str, items: Mapping[str, dict[str, Any]], *, ttl: TTL = None
    ) -> None:
        """Write every item; all values are validated before anything is written."""
        ...

    async def delete_many(self, collection: str, keys: Sequence[str]) -> int:
        """Remove entries; return how many live entries were removed."""
        ...
