"""BaseKVStore: validation, encoding and TTL arithmetic over a few backend primitives."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Mapping, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any

from typing_extensions import Self

from . import _envelope, _optimistic
from ._atomic import (
    Versioned,
    check_amount,
    new_versioned,
    set_value,
    set_version,
    unsupported,
)
from ._cache_aside import Factory, get_or_set
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
from .errors import InvalidValueError

Value = dict[str, Any]
Payload = str | bytes | dict[str, Any]
"""What a backend's ``_read`` returns: the envelope text, or the envelope document its driver
already parsed (a fresh dict that nothing else holds, checked by core without parsing again)."""

_INF = float("inf")


class _PreparesItself:
    """A kv-store-adapter 0.1 set-up method: reading it on a store raises an AttributeError
    that says to drop the call (``hasattr`` is False, as for any missing attribute)."""

    name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, store: object, owner: type | None = None) -> Any:
        if store is None:
            return self
        raise AttributeError(
            f"{type(store).__name__} has no {self.name}(): kvstore stores prepare themselves "
            f"on first use, so remove the call (kv-store-adapter 0.1 needed it; see "
            f"docs/migrating.md)",
            name=self.name,
            obj=store,
        )


class BaseKVStore:
    """A store: the protocol's operations plus management and lifecycle.

    The public methods check arguments, build and read the TTL envelope and decide
    expiry once, here. A backend implements the narrow ``_``-prefixed primitives
    below, which only move envelope payloads (``str`` written, ``str`` or ``bytes``
    read back) between the store and its storage. Batch primitives default to
    loops over the single ones; a backend with a batch primitive overrides them.

    A store that holds entries in process derives from
    :class:`~kvstore.core.InProcessKVStore` instead, which holds records, not envelopes.

    The atomic operations (``add``, ``take``, ``touch``, ``get_versioned``,
    ``put_versioned``, ``increment``) work on a store that lists them in
    :attr:`atomic_operations`; a backend gets all of them by implementing three
    compare-and-set primitives (``_read_versioned``, ``_write_versioned``,
    ``_remove_versioned``), and may replace any of the optimistic defaults built on them
    (``_add``, ``_take``, ``_touch``, ``_put_versioned``, ``_increment``) by one native call.
    """

    atomic_operations: frozenset[str] = frozenset()
    """The atomic operations this store implements (names from
    :data:`~kvstore.core.ATOMIC_OPERATIONS`); any other raises UnsupportedOperationError.
    A backend declares them as a class attribute; wrappers and adapters report their store's."""

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

    # -- compare-and-set primitives (a backend implements them for atomic operations) ----

    async def _read_versioned(self, collection: str, key: str) -> tuple[Payload, str] | None:
        """Return the stored payload (expired or not) and its version token, or None."""
        raise NotImplementedError

    async def _write_versioned(
        self, collection: str, key: str, payload: str, ttl: float | None, version: str | None
    ) -> bool:
        """Store ``payload`` only if the stored version is ``version`` (None: nothing stored).

        Returns:
            True if written; False if the stored entry is not the one of ``version``.
        """
        raise NotImplementedError

    async def _remove_versioned(self, collection: str, key: str, version: str) -> bool:
        """Remove the entry only if its stored version is ``version``; True if removed."""
        raise NotImplementedError

    # -- atomic primitives: optimistic by default, native where a backend can -----------
    # Each receives checked arguments and a ``ttl`` that is None or positive.

    async def _add(self, collection: str, key: str, payload: str, ttl: float | None) -> bool:
        """Write ``payload`` only if no live entry exists; True if written."""
        return await _optimistic.add(self, collection, key, payload, ttl)

    async def _take(self, collection: str, key: str) -> Payload | None:
        """Remove the live entry and return its payload (an expired one may be returned)."""
        return await _optimistic.take(self, collection, key)

    async def _touch(self, collection: str, key: str, ttl: float | None) -> bool:
        """Give the live entry a new TTL (:func:`_envelope.retime`); False if none."""
        return await _optimistic.touch(self, collection, key, ttl)

    async def _put_versioned(
        self, collection: str, key: str, payload: str, ttl: float | None, version: str | None
    ) -> bool:
        """Write ``payload`` only if the live entry has ``version`` (None: no live entry)."""
        return await _optimistic.put_versioned(self, collection, key, payload, ttl, version)

    async def _increment(self, collection: str, key: str, amount: int, ttl: float | None) -> int:
        """Add ``amount`` to the live counter (a missing one starts at 0 with ``ttl``)."""
        return await _optimistic.increment(self, collection, key, amount, ttl)

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

    # -- atomic operations (SPEC §11) ------------------------------------------------

    async def add(self, collection: str, key: str, value: Value, *, ttl: TTL = None) -> bool:
        """Write a value only if no live entry exists (an expired one counts as absent).

        Returns:
            True if written; False if a live entry was there (left unchanged). With a TTL
            of zero or less nothing is stored, and the answer is still whether it was absent.

        Raises:
            UnsupportedOperationError: the store does not implement ``add``.
            InvalidKeyError, InvalidTTLError, SerializationError: bad arguments.
        """
        if "add" not in self.atomic_operations:
            raise unsupported(self, "add")
        check_name(collection, key)
        seconds = normalize_ttl(ttl)
        payload = _envelope.encode(collection, key, value, seconds, time.time())
        if seconds is not None and seconds <= 0:
            return await self.get(collection, key) is None
        return await self._add(collection, key, payload, seconds)

    async def take(self, collection: str, key: str) -> Value | None:
        """Return the live value and remove it, in one step (a second take finds nothing)."""
        if "take" not in self.atomic_operations:
            raise unsupported(self, "take")
        check_name(collection, key)
        payload = await self._take(collection, key)
        if payload is None:
            return None
        document = _envelope.decode(payload, collection, key)
        if not _envelope.is_live(document, time.time()):
            return None
        value: Value = document["value"]
        return value

    async def touch(self, collection: str, key: str, ttl: TTL) -> bool:
        """Give a live entry a new TTL from now (None: never expires), its value unchanged.

        Returns:
            True if a live entry was there; False if missing or expired. A TTL of zero or
            less expires the entry at once (as ``delete`` does).
        """
        if "touch" not in self.atomic_operations:
            raise unsupported(self, "touch")
        check_name(collection, key)
        seconds = normalize_ttl(ttl)
        if seconds is not None and seconds <= 0:
            return await self._remove(collection, key)
        return await self._touch(collection, key, seconds)

    async def get_versioned(self, collection: str, key: str) -> Versioned[Value] | None:
        """Return the live value with its version token, or None if missing or expired."""
        if "get_versioned" not in self.atomic_operations:
            raise unsupported(self, "get_versioned")
        if type(collection) is not str or type(key) is not str or not collection or not key:
            check_name(collection, key)
        found = await self._read_versioned(collection, key)
        if found is None:
            return None
        payload, version = found
        document = _envelope.decode(payload, collection, key)
        expires_at = document["expires_at"]
        if expires_at is not None and expires_at <= time.time():
            return None
        # Built field by field, as get's path is written out (see _atomic.new_versioned).
        versioned: Versioned[Value] = new_versioned(Versioned)
        set_value(versioned, document["value"])
        set_version(versioned, version)
        return versioned

    async def put_versioned(
        self, collection: str, key: str, value: Value, *, version: str | None, ttl: TTL = None
    ) -> bool:
        """Write a value only if the live entry still has ``version`` (compare-and-set).

        Args:
            version: a token from ``get_versioned``; None writes only if no live entry exists.

        Returns:
            True if written; False on a conflict (the entry changed, expired or appeared).
        """
        if "put_versioned" not in self.atomic_operations:
            raise unsupported(self, "put_versioned")
        check_name(collection, key)
        check_version(collection, key, version)
        seconds = normalize_ttl(ttl)
        payload = _envelope.encode(collection, key, value, seconds, time.time())
        if seconds is not None and seconds <= 0:
            return await _optimistic.put_versioned(self, collection, key, None, None, version)
        return await self._put_versioned(collection, key, payload, seconds, version)

    async def increment(
        self, collection: str, key: str, amount: int = 1, *, ttl: TTL = None
    ) -> int:
        """Add ``amount`` to the counter ``{"count": n}`` and return the new count.

        A missing (or expired) entry starts at 0 and takes ``ttl``; a live one keeps its TTL.

        Raises:
            InvalidValueError: the live value is not a counter, ``amount`` is not an int, or
                the count would leave the signed 64-bit range; nothing is written.
        """
        if "increment" not in self.atomic_operations:
            raise unsupported(self, "increment")
        check_name(collection, key)
        amount = check_amount(collection, key, amount)
        seconds = normalize_ttl(ttl)
        if seconds is not None and seconds <= 0:
            return await _optimistic.increment(self, collection, key, amount, seconds)
        return await self._increment(collection, key, amount, seconds)

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

    async def get_or_set(
        self,
        collection: str,
        key: str,
        factory: Factory,
        *,
        ttl: TTL = None,
        lease: TTL = None,
    ) -> Value:
        """Return the live value, or compute it with ``factory()``, store it and return it.

        Concurrent callers on this store, collection and key (in one event loop) share
        one call of ``factory``: all get its value, or all get its exception (and
        nothing is stored). A cancelled caller does not cancel the call the others wait
        for; when every caller waiting is cancelled, the call is cancelled too. The
        store's own ``get`` and ``put`` (and ``add`` for the lease) do the reading and
        writing, so every wrapper offers this unchanged.

        Args:
            factory: an async callable, or a plain one, returning the value (a JSON
                object); a plain one runs on the event loop, so it must not block.
            ttl: the TTL the computed value is stored with.
            lease: seconds: callers in other processes or hosts wait for the one that
                holds a lease on the entry instead of computing it too (needs ``add``,
                ``get_versioned`` and ``put_versioned``; see docs/caching.md).

        Returns:
            A fresh dict: the stored value, or the computed one as the store returns it.

        Raises:
            SerializationError: the factory returned something that is not a valid value
                (every caller gets it; nothing is stored).
            InvalidKeyError, InvalidTTLError: bad names, ttl or lease.
            UnsupportedOperationError: ``lease`` on a store without the operations it needs.
            Whatever the factory raises.
        """
        return await get_or_set(self, collection, key, factory, ttl, lease)

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
        # Descriptors, not a __getattr__: a class with __getattr__ has every attribute of its
        # instances looked up through a slower hook that the interpreter cannot specialize,
        # which cost every operation of every store 8-12% more instructions (callgrind).
        setup = _PreparesItself()
        setup_once = _PreparesItself()
        setup_collection = _PreparesItself()
        setup_collection_once = _PreparesItself()


def check_version(collection: str, key: str, version: object) -> None:
    """Raise InvalidValueError unless ``version`` is a str (a token) or None."""
    if version is not None and type(version) is not str:
        raise InvalidValueError(
            f"version for collection {collection!r} key {key!r} must be a str from "
            f"get_versioned() or None, got {type(version).__name__}"
        )


__all__ = ["BaseKVStore", "Payload", "Value", "check_version"]
