"""BaseKVStore: validation, encoding and TTL arithmetic over a few backend primitives."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Mapping, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any

from typing_extensions import Self

from . import _envelope
from ._ttl_info import TTLInfo
from ._validation import (
    TTL,
    check_collection,
    check_items,
    check_keys,
    check_limit,
    check_name,
    normalize_ttl,
)

Value = dict[str, Any]
Payload = str | bytes | dict[str, Any]
"""What a backend's ``_read`` returns: the envelope text, or the envelope document its driver
already parsed (a fresh dict that nothing else holds, checked by core without parsing again)."""

_INF = float("inf")
_SETUP_NAMES = frozenset({"setup", "setup_once", "setup_collection", "setup_collection_once"})
"""kv-store-adapter 0.1's explicit set-up methods, which kvstore stores do not need."""


class BaseKVStore:
    """A store: the protocol's operations plus management and lifecycle.

    The public methods check arguments, build and read the TTL envelope and decide
    expiry once, here. A backend implements the narrow ``_``-prefixed primitives
    below, which only move envelope payloads (``str`` written, ``str`` or ``bytes``
    read back) between the store and its storage. Batch primitives default to
    loops over the single ones; a backend with a batch primitive overrides them.

    A store that holds entries in process derives from
    :class:`~kvstore.core.InProcessKVStore` instead, which holds records, not envelopes.
    """

    # -- primitives a backend implements -------------------------------------------

    async def _read(self, collection: str, key: str) -> Payload | None:
        """Return the payload stored for (collection, key), or None."""
        raise NotImplementedError

    async def _read_many(self, collection: str, keys: list[str]) -> list[Payload | None]:
        """Return the payloads of ``keys`` in order (duplicates possible)."""
        return [await self._read(collection, key) for key in keys]

    async def _write(self, collection: str, key: str, payload: str, ttl: float | None) -> None:
        """Store ``payload``; a positive ``ttl`` (seconds) lets the backend reclaim it."""
        raise NotImplementedError

    async def _write_many(
        self, collection: str, entries: list[tuple[str, str]], ttl: float | None
    ) -> None:
        """Store every (key, payload) pair with the same ``ttl``."""
        for key, payload in entries:
            await self._write(collection, key, payload, ttl)

    async def _remove(self, collection: str, key: str) -> bool:
        """Remove (collection, key); True if a live entry was removed."""
        raise NotImplementedError

    async def _remove_many(self, collection: str, keys: list[str]) -> int:
        """Remove distinct ``keys``; return how many live entries were removed."""
        removed = 0
        for key in keys:
            removed += await self._remove(collection, key)
        return removed

    def _scan(self, collection: str) -> AsyncIterator[list[str]]:
        """Yield pages of the collection's live keys (original strings)."""
        raise NotImplementedError

    async def _collections(self) -> list[str]:
        """Return the names of collections holding at least one live entry."""
        raise NotImplementedError

    async def _clear(self, collection: str) -> int:
        """Remove every entry of one collection; return how many live entries were removed."""
        removed = 0
        async for page in self._scan(collection):
            removed += await self._remove_many(collection, page)
        return removed

    async def _cull(self) -> None:
        """Physically remove expired entries (nothing to do for backends that expire natively)."""

    async def _close(self) -> None:
        """Release what the store opened itself."""

    # -- the protocol ---------------------------------------------------------------

    async def get(self, collection: str, key: str) -> Value | None:
        """Return the live value stored under (collection, key).

        Returns:
            A fresh dict (mutating it changes nothing stored), or None if missing or expired.

        Raises:
            InvalidKeyError: collection or key is not a non-empty str.
            DeserializationError: the stored data cannot be read back.
            StoreConnectionError: the backend cannot be reached.
        """
        if type(collection) is not str or type(key) is not str or not collection or not key:
            check_name(collection, key)
        payload = await self._read(collection, key)
        if payload is None:
            return None
        document = _envelope.decode(payload, collection, key)
        expires_at = document["expires_at"]
        if expires_at is not None and expires_at <= time.time():
            return None
        value: Value = document["value"]
        return value

    async def put(self, collection: str, key: str, value: Value, *, ttl: TTL = None) -> None:
        """Insert or overwrite a value; the TTL restarts.

        Args:
            ttl: seconds (int or float) or a timedelta; None never expires; zero or less
                stores an entry that is already expired (the key reads as missing).

        Raises:
            InvalidKeyError, InvalidTTLError, SerializationError: bad arguments; nothing written.
            StoreConnectionError: the backend cannot be reached.
        """
        if type(collection) is not str or type(key) is not str or not collection or not key:
            check_name(collection, key)
        seconds: float | None
        if ttl is None:
            seconds = None
        elif type(ttl) is float and 0.0 < ttl < _INF:
            seconds = ttl  # the common case, without a call
        else:
            seconds = normalize_ttl(ttl)
        payload = _envelope.encode(collection, key, value, seconds, time.time())
        if seconds is not None and seconds <= 0:
            await self._remove(collection, key)
            return
        await self._write(collection, key, payload, seconds)

    async def delete(self, collection: str, key: str) -> bool:
        """Remove an entry; True if a live entry was removed."""
        if type(collection) is not str or type(key) is not str or not collection or not key:
            check_name(collection, key)
        return await self._remove(collection, key)

    async def exists(self, collection: str, key: str) -> bool:
        """True if a live entry is stored under (collection, key)."""
        return await self.get(collection, key) is not None

    async def ttl(self, collection: str, key: str) -> TTLInfo | None:
        """Return the metadata of a live entry, or None if missing or expired."""
        return (await self.get_with_ttl(collection, key))[1]

    async def get_many(self, collection: str, keys: Sequence[str]) -> list[Value | None]:
        """Return the live values of ``keys``, aligned with them; duplicates allowed."""
        key_list = check_keys(collection, keys)
        if not key_list:
            return []
        payloads = await self._read_many(collection, key_list)
        now = time.time()
        values: list[Value | None] = []
        for key, payload in zip(key_list, payloads, strict=True):
            if payload is None:
                values.append(None)
                continue
            document = _envelope.decode(payload, collection, key)
            expires_at = document["expires_at"]
            values.append(document["value"] if expires_at is None or expires_at > now else None)
        return values

    async def put_many(
        self, collection: str, items: Mapping[str, Value], *, ttl: TTL = None
    ) -> None:
        """Write every item with the same TTL; every value is checked before anything is written.

        Raises:
            InvalidKeyError, InvalidTTLError, SerializationError: bad arguments; nothing written.
        """
        pairs = check_items(collection, items)
        seconds = normalize_ttl(ttl)
        now = time.time()
        entries = [
            (key, _envelope.encode(collection, key, value, seconds, now)) for key, value in pairs
        ]
        if not entries:
            return
        if seconds is not None and seconds <= 0:
            await self._remove_many(collection, [key for key, _ in entries])
            return
        await self._write_many(collection, entries, seconds)

    async def delete_many(self, collection: str, keys: Sequence[str]) -> int:
        """Remove entries; return how many live entries were removed (duplicates count once)."""
        key_list = list(dict.fromkeys(check_keys(collection, keys)))
        if not key_list:
            return 0
        return await self._remove_many(collection, key_list)

    # -- beyond the protocol --------------------------------------------------------

    async def get_with_ttl(self, collection: str, key: str) -> tuple[Value | None, TTLInfo | None]:
        """Return the live value and its metadata together, or (None, None)."""
        if type(collection) is not str or type(key) is not str or not collection or not key:
            check_name(collection, key)
        payload = await self._read(collection, key)
        if payload is None:
            return None, None
        document = _envelope.decode(payload, collection, key)
        if not _envelope.is_live(document, time.time()):
            return None, None
        return document["value"], _envelope.ttl_info(document)

    async def get_many_with_ttl(
        self, collection: str, keys: Sequence[str]
    ) -> list[tuple[Value | None, TTLInfo | None]]:
        """Return (value, metadata) for each of ``keys``, aligned with them."""
        key_list = check_keys(collection, keys)
        if not key_list:
            return []
        payloads = await self._read_many(collection, key_list)
        now = time.time()
        results: list[tuple[Value | None, TTLInfo | None]] = []
        for key, payload in zip(key_list, payloads, strict=True):
            document = None if payload is None else _envelope.decode(payload, collection, key)
            if document is None or not _envelope.is_live(document, now):
                results.append((None, None))
            else:
                results.append((document["value"], _envelope.ttl_info(document)))
        return results

    async def keys(self, collection: str, *, limit: int | None = None) -> list[str]:
        """Return the collection's live keys, all of them unless ``limit`` is given.

        Raises:
            InvalidKeyError: collection is not a non-empty str.
            ValueError: limit is not None or an int >= 0.
        """
        check_collection(collection)
        check_limit(limit)
        found: list[str] = []
        if limit == 0:
            return found
        async for page in self._scan(collection):
            found.extend(page)
            if limit is not None and len(found) >= limit:
                return found[:limit]
        return found

    async def iter_keys(self, collection: str) -> AsyncIterator[str]:
        """Yield the collection's live keys, fetched page by page."""
        check_collection(collection)
        async for page in self._scan(collection):
            for key in page:
                yield key

    async def list_collections(self) -> list[str]:
        """Return the sorted names of collections holding at least one live entry."""
        return sorted(await self._collections())

    async def clear_collection(self, collection: str) -> int:
        """Remove every entry of one collection, and nothing else; return the count removed."""
        check_collection(collection)
        return await self._clear(collection)

    async def cull(self) -> None:
        """Physically remove expired entries."""
        await self._cull()

    async def close(self) -> None:
        """Release what the store opened itself (a client handed in stays open)."""
        await self._close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

    if not TYPE_CHECKING:  # type checkers keep reporting unknown attributes as errors

        def __getattr__(self, name: str) -> Any:
            # Only reached for an attribute that does not exist: no cost on any operation.
            if name in _SETUP_NAMES:
                raise AttributeError(
                    f"{type(self).__name__} has no {name}(): kvstore stores prepare themselves "
                    f"on first use, so remove the call (kv-store-adapter 0.1 needed it; see "
                    f"docs/migrating.md)",
                    name=name,
                    obj=self,
                )
            raise AttributeError(
                f"{type(self).__name__!r} object has no attribute {name!r}", name=name, obj=self
            )


__all__ = ["BaseKVStore", "Payload", "Value"]
