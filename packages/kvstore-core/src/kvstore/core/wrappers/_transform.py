"""ValueTransformWrapper: a wrapper that changes values on the way in and back on the way out."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from .._base import Value
from .._ttl_info import TTLInfo
from .._validation import TTL, check_items, check_keys, normalize_ttl
from ._base import BaseWrapper


class ValueTransformWrapper(BaseWrapper):
    """Stores ``encode_value(...)`` of every value written and reads back ``decode_value(...)``.

    Subclasses implement the two methods; every read and write of the protocol (single,
    batch and ``_with_ttl`` forms) goes through them, and everything else forwards. Names
    and the TTL are checked before ``encode_value`` runs, so a bad call writes nothing.
    """

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
