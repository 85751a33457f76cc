"""ValueTransformWrapper: a wrapper that changes values on the way in and back on the way out."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence

from .._atomic import Versioned, check_amount, check_count, count_of, unsupported
from .._base import BaseKVStore, Value, check_version
from .._optimistic import after_conflict
from .._ttl_info import TTLInfo
from .._validation import TTL, check_items, check_keys, check_name, normalize_ttl
from ._base import BaseWrapper

COMPARE_AND_SET = frozenset({"get_versioned", "put_versioned"})
"""The wrapped store's operations that ``take`` and ``increment`` are built from here."""


class ValueTransformWrapper(BaseWrapper):
    """Stores ``encode_value(...)`` of every value written and reads back ``decode_value(...)``.

    Subclasses implement the two methods; every read and write of the protocol (single,
    batch and ``_with_ttl`` forms) goes through them, and everything else forwards. Names
    and the TTL are checked before ``encode_value`` runs, so a bad call writes nothing.

    The atomic operations (SPEC §11):

    - ``add``, ``put_versioned`` store the encoded value; ``get_versioned`` decodes the
      value it returns (the version is the wrapped store's, unchanged); ``touch`` forwards.
    - ``take`` reads the entry with its version, decodes it, and only then removes it if
      its version is still the one read (``put_versioned`` with a TTL of zero), reading
      again after a conflict: a value that cannot be decoded (a missing key, corrupt
      data) raises DeserializationError and stays stored, where a plain ``take`` of the
      wrapped store would have removed it first. Exactly one of many racing takes gets
      the value.
    - ``increment`` cannot run inside the wrapped store on a value it cannot read: it is
      an optimistic loop over the wrapped store's ``get_versioned``, ``ttl`` and
      ``put_versioned`` (decode, count, encode, write only if the version is unchanged,
      else start again), so racing increments give the exact total. A live counter keeps
      its expiry (rewritten with the TTL it had left, so ``ttl()`` then reports that
      remainder as its TTL and the time of the increment as ``created_at``).
      :class:`CompressionWrapper` forwards ``increment`` instead: it never compresses a
      counter.

    ``take`` and ``increment`` are in :attr:`atomic_operations` only when the wrapped
    store has ``get_versioned`` and ``put_versioned``.
    """

    def __init__(self, store: BaseKVStore) -> None:
        super().__init__(store)
        if not store.atomic_operations >= COMPARE_AND_SET:
            self.atomic_operations = store.atomic_operations - {"take", "increment"}

    def encode_value(self, collection: str, key: str, value: Value) -> Value:
        """Return what to store for ``value`` under (collection, key)."""
        raise NotImplementedError

    def decode_value(self, collection: str, key: str, stored: Value) -> Value:
        """Return the caller's value from what is stored under (collection, key)."""
        raise NotImplementedError

    async def get(self, collection: str, key: str) -> Value | None:
        stored = await self.store.get(collection, key)
        return None if stored is None else self.decode_value(collection, key, stored)

    async def get_with_ttl(self, collection: str, key: str) -> tuple[Value | None, TTLInfo | None]:
        stored, info = await self.store.get_with_ttl(collection, key)
        return (None if stored is None else self.decode_value(collection, key, stored)), info

    async def get_many(self, collection: str, keys: Sequence[str]) -> list[Value | None]:
        key_list = check_keys(collection, keys)
        stored = await self.store.get_many(collection, key_list)
        return [
            None if value is None else self.decode_value(collection, key, value)
            for key, value in zip(key_list, stored, strict=True)
        ]

    async def get_many_with_ttl(
        self, collection: str, keys: Sequence[str]
    ) -> list[tuple[Value | None, TTLInfo | None]]:
        key_list = check_keys(collection, keys)
        stored = await self.store.get_many_with_ttl(collection, key_list)
        return [
            (None if value is None else self.decode_value(collection, key, value), info)
            for key, (value, info) in zip(key_list, stored, strict=True)
        ]

    async def put(self, collection: str, key: str, value: Value, *, ttl: TTL = None) -> None:
        normalize_ttl(ttl)
        await self.store.put(collection, key, self.encode_value(collection, key, value), ttl=ttl)

    async def put_many(
        self, collection: str, items: Mapping[str, Value], *, ttl: TTL = None
    ) -> None:
        normalize_ttl(ttl)
        encoded = {
            key: self.encode_value(collection, key, value)
            for key, value in check_items(collection, items)
        }
        await self.store.put_many(collection, encoded, ttl=ttl)

    # -- atomic operations --------------------------------------------------------------

    async def add(self, collection: str, key: str, value: Value, *, ttl: TTL = None) -> bool:
        normalize_ttl(ttl)
        encoded = self.encode_value(collection, key, value)
        return await self.store.add(collection, key, encoded, ttl=ttl)

    async def get_versioned(self, collection: str, key: str) -> Versioned[Value] | None:
        found = await self.store.get_versioned(collection, key)
        if found is None:
            return None
        return Versioned(self.decode_value(collection, key, found.value), found.version)

    async def put_versioned(
        self, collection: str, key: str, value: Value, *, version: str | None, ttl: TTL = None
    ) -> bool:
        check_version(collection, key, version)
        normalize_ttl(ttl)
        encoded = self.encode_value(collection, key, value)
        return await self.store.put_versioned(collection, key, encoded, version=version, ttl=ttl)

    async def take(self, collection: str, key: str) -> Value | None:
        if "take" not in self.atomic_operations:
            raise unsupported(self, "take")
        check_name(collection, key)
        attempt = 0
        while True:
            found = await self.store.get_versioned(collection, key)
            if found is None:
                return None
            value = self.decode_value(collection, key, found.value)  # raises: nothing removed
            # A TTL of zero makes put_versioned a removal conditional on the version.
            if await self.store.put_versioned(
                collection, key, found.value, version=found.version, ttl=0
            ):
                return value
            attempt += 1
            await after_conflict("take", collection, key, attempt)

    async def increment(
        self, collection: str, key: str, amount: int = 1, *, ttl: TTL = None
    ) -> int:
        if "increment" not in self.atomic_operations:
            raise unsupported(self, "increment")
        check_name(collection, key)
        amount = check_amount(collection, key, amount)
        seconds = normalize_ttl(ttl)
        attempt = 0
        while True:
            found = await self.store.get_versioned(collection, key)
            if found is None:
                count = check_count(collection, key, amount)
                remaining = seconds  # a new counter takes the caller's TTL
            else:
                current = count_of(collection, key, self.decode_value(collection, key, found.value))
                count = check_count(collection, key, current + amount)
                # Read after the version: a write since then changes the version, so the
                # conditional write below fails and the loop reads both again.
                info = await self.store.ttl(collection, key)
                if info is None:  # gone or expired since: read again
                    attempt += 1
                    await after_conflict("increment", collection, key, attempt)
                    continue
                remaining = None
                if info.expires_at is not None:
                    # As core's own increment does: an entry on the point of expiring is
                    # written to expire at once, never given time it did not have.
                    remaining = max(info.expires_at.timestamp() - time.time(), 0.001)
            encoded = self.encode_value(collection, key, {"count": count})
            version = None if found is None else found.version
            if await self.store.put_versioned(
                collection, key, encoded, version=version, ttl=remaining
            ):
                return count
            attempt += 1
            await after_conflict("increment", collection, key, attempt)
