"""RenamingWrapper: a wrapper that stores each entry under another name."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Coroutine, Mapping, Sequence
from typing import Any

from .._atomic import Versioned
from .._base import Value
from .._ttl_info import TTLInfo
from .._validation import TTL, check_collection, check_items, check_keys, check_name
from ._base import BaseWrapper, close_iterator, collect_keys


def renamed(info: TTLInfo | None, collection: str, key: str) -> TTLInfo | None:
    """The metadata as the caller sees it: under the names the caller used."""
    if info is None:
        return None
    return TTLInfo(collection, key, info.created_at, info.ttl, info.expires_at)


class RenamingWrapper(BaseWrapper):
    """Stores key ``k`` of collection ``c`` as key ``key_head(c) + k`` of ``inner_collection(c)``.

    A subclass defines the mapping once, with :meth:`inner_collection`,
    :meth:`key_head` and, for ``list_collections``, :meth:`outer_collection`; this base
    renames every operation with it (single and batch ones, ``_with_ttl`` forms and
    their ``TTLInfo``), lists and clears only the keys under the collection's head, and
    checks the caller's names before renaming them (an empty key plus a head would
    otherwise be a valid key). A batch's keys are read once, so any iterable works.
    """

    def inner_collection(self, collection: str) -> str:
        """Return the wrapped store's collection for the caller's (a checked name)."""
        return collection

    def key_head(self, collection: str) -> str:
        """Return what precedes every key of the caller's collection in the wrapped store."""
        return ""

    def outer_collection(self, name: str) -> str | None:
        """Return the caller's collection stored as ``name``, or None if it is not this one's."""
        return name

    def _inner(self, collection: str, key: str) -> tuple[str, str]:
        if type(collection) is not str or type(key) is not str or not collection or not key:
            check_name(collection, key)
        return self.inner_collection(collection), self.key_head(collection) + key

    def _inner_keys(self, collection: str, key_list: list[str]) -> tuple[str, list[str]]:
        head = self.key_head(collection)
        if head:
            key_list = [head + key for key in key_list]
        return self.inner_collection(collection), key_list

    # The single-key operations hand back the wrapped store's coroutine: no frame of their
    # own per call (bad names still raise InvalidKeyError, before anything is awaited).

    def get(self, collection: str, key: str) -> Coroutine[Any, Any, Value | None]:
        inner, inner_key = self._inner(collection, key)
        return self.store.get(inner, inner_key)

    def put(
        self, collection: str, key: str, value: Value, *, ttl: TTL = None
    ) -> Coroutine[Any, Any, None]:
        inner, inner_key = self._inner(collection, key)
        return self.store.put(inner, inner_key, value, ttl=ttl)

    def delete(self, collection: str, key: str) -> Coroutine[Any, Any, bool]:
        return self.store.delete(*self._inner(collection, key))

    def exists(self, collection: str, key: str) -> Coroutine[Any, Any, bool]:
        return self.store.exists(*self._inner(collection, key))

    async def add(self, collection: str, key: str, value: Value, *, ttl: TTL = None) -> bool:
        inner, inner_key = self._inner(collection, key)
        return await self.store.add(inner, inner_key, value, ttl=ttl)

    async def take(self, collection: str, key: str) -> Value | None:
        return await self.store.take(*self._inner(collection, key))

    async def touch(self, collection: str, key: str, ttl: TTL) -> bool:
        inner, inner_key = self._inner(collection, key)
        return await self.store.touch(inner, inner_key, ttl)

    async def get_versioned(self, collection: str, key: str) -> Versioned[Value] | None:
        return await self.store.get_versioned(*self._inner(collection, key))

    async def put_versioned(
        self, collection: str, key: str, value: Value, *, version: str | None, ttl: TTL = None
    ) -> bool:
        inner, inner_key = self._inner(collection, key)
        return await self.store.put_versioned(inner, inner_key, value, version=version, ttl=ttl)

    async def increment(
        self, collection: str, key: str, amount: int = 1, *, ttl: TTL = None
    ) -> int:
        inner, inner_key = self._inner(collection, key)
        return await self.store.increment(inner, inner_key, amount, ttl=ttl)

    async def ttl(self, collection: str, key: str) -> TTLInfo | None:
        return renamed(await self.store.ttl(*self._inner(collection, key)), collection, key)

    async def get_with_ttl(self, collection: str, key: str) -> tuple[Value | None, TTLInfo | None]:
        value, info = await self.store.get_with_ttl(*self._inner(collection, key))
        return value, renamed(info, collection, key)

    async def get_many(self, collection: str, keys: Sequence[str]) -> list[Value | None]:
        key_list = check_keys(collection, keys)
        return await self.store.get_many(*self._inner_keys(collection, key_list))

    async def get_many_with_ttl(
        self, collection: str, keys: Sequence[str]
    ) -> list[tuple[Value | None, TTLInfo | None]]:
        key_list = check_keys(collection, keys)
        results = await self.store.get_many_with_ttl(*self._inner_keys(collection, key_list))
        return [
            (value, renamed(info, collection, key))
            for key, (value, info) in zip(key_list, results, strict=True)
        ]

    async def put_many(
        self, collection: str, items: Mapping[str, Value], *, ttl: TTL = None
    ) -> None:
        pairs = check_items(collection, items)
        head = self.key_head(collection)
        inner_items = {head + key: value for key, value in pairs} if head else dict(pairs)
        await self.store.put_many(self.inner_collection(collection), inner_items, ttl=ttl)

    async def delete_many(self, collection: str, keys: Sequence[str]) -> int:
        key_list = check_keys(collection, keys)
        return await self.store.delete_many(*self._inner_keys(collection, key_list))

    async def iter_keys(self, collection: str) -> AsyncGenerator[str, None]:
        check_collection(collection)
        head = self.key_head(collection)
        keys = self.store.iter_keys(self.inner_collection(collection))
        try:
            async for key in keys:
                if key.startswith(head):
                    yield key[len(head) :]
        finally:
            await close_iterator(keys)

    async def keys(self, collection: str, *, limit: int | None = None) -> list[str]:
        check_collection(collection)
        if self.key_head(collection):
            return await collect_keys(self.iter_keys(collection), limit)
        return await self.store.keys(self.inner_collection(collection), limit=limit)

    async def list_collections(self) -> list[str]:
        found = (self.outer_collection(name) for name in await self.store.list_collections())
        return sorted(name for name in found if name is not None)

    async def clear_collection(self, collection: str) -> int:
        check_collection(collection)
        head = self.key_head(collection)
        inner = self.inner_collection(collection)
        if not head:
            return await self.store.clear_collection(inner)
        mine = [head + key async for key in self.iter_keys(collection)]
        return await self.store.delete_many(inner, mine) if mine else 0
