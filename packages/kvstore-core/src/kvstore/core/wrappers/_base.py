"""BaseWrapper: a store over a store, forwarding every operation."""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Iterator, Mapping, Sequence
from contextlib import aclosing
from typing import TypeVar

from .._atomic import Versioned
from .._base import BaseKVStore, Value
from .._ttl_info import TTLInfo
from .._validation import TTL, check_limit

K = TypeVar("K")


class BaseWrapper(BaseKVStore):
    """Forwards every public operation to the wrapped store unchanged.

    A concrete wrapper overrides only what it changes, so every operation (batch and
    management ones included) reaches the wrapped store. Closing a wrapper closes the
    store it wraps: the wrapper owns it.

    Args:
        store: the store to wrap.
    """

    def __init__(self, store: BaseKVStore) -> None:
        self.store = store
        self.atomic_operations = store.atomic_operations

    async def get(self, collection: str, key: str) -> Value | None:
        return await self.store.get(collection, key)

    async def put(self, collection: str, key: str, value: Value, *, ttl: TTL = None) -> None:
        await self.store.put(collection, key, value, ttl=ttl)

    async def delete(self, collection: str, key: str) -> bool:
        return await self.store.delete(collection, key)

    async def exists(self, collection: str, key: str) -> bool:
        return await self.store.exists(collection, key)

    async def ttl(self, collection: str, key: str) -> TTLInfo | None:
        return await self.store.ttl(collection, key)

    async def get_many(self, collection: str, keys: Sequence[str]) -> list[Value | None]:
        return await self.store.get_many(collection, keys)

    async def put_many(
        self, collection: str, items: Mapping[str, Value], *, ttl: TTL = None
    ) -> None:
        await self.store.put_many(collection, items, ttl=ttl)

    async def delete_many(self, collection: str, keys: Sequence[str]) -> int:
        return await self.store.delete_many(collection, keys)

    async def add(self, collection: str, key: str, value: Value, *, ttl: TTL = None) -> bool:
        return await self.store.add(collection, key, value, ttl=ttl)

    async def take(self, collection: str, key: str) -> Value | None:
        return await self.store.take(collection, key)

    async def touch(self, collection: str, key: str, ttl: TTL) -> bool:
        return await self.store.touch(collection, key, ttl)

    async def get_versioned(self, collection: str, key: str) -> Versioned[Value] | None:
        return await self.store.get_versioned(collection, key)

    async def put_versioned(
        self, collection: str, key: str, value: Value, *, version: str | None, ttl: TTL = None
    ) -> bool:
        return await self.store.put_versioned(collection, key, value, version=version, ttl=ttl)

    async def increment(
        self, collection: str, key: str, amount: int = 1, *, ttl: TTL = None
    ) -> int:
        return await self.store.increment(collection, key, amount, ttl=ttl)

    async def get_with_ttl(self, collection: str, key: str) -> tuple[Value | None, TTLInfo | None]:
        return await self.store.get_with_ttl(collection, key)

    async def get_many_with_ttl(
        self, collection: str, keys: Sequence[str]
    ) -> list[tuple[Value | None, TTLInfo | None]]:
        return await self.store.get_many_with_ttl(collection, keys)

    async def keys(self, collection: str, *, limit: int | None = None) -> list[str]:
        return await self.store.keys(collection, limit=limit)

    def iter_keys(self, collection: str) -> AsyncIterator[str]:
        return self.store.iter_keys(collection)

    async def list_collections(self) -> list[str]:
        return await self.store.list_collections()

    async def clear_collection(self, collection: str) -> int:
        return await self.store.clear_collection(collection)

    async def cull(self) -> None:
        await self.store.cull()

    async def close(self) -> None:
        await self.store.close()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.store!r})"


async def collect_keys(keys: AsyncGenerator[str, None], limit: int | None) -> list[str]:
    """Return the keys a generator yields, stopping after ``limit`` of them."""
    check_limit(limit)
    found: list[str] = []
    async with aclosing(keys):
        async for key in keys:
            if len(found) == limit:
                break
            found.append(key)
    return found


def materialised(keys: K) -> K:
    """Return ``keys``, or a list of them when they are a one-shot iterator.

    A wrapper that reads a batch's keys more than once (to name them, count them, retry,
    or pair them with the results) takes them through this first, once per public call.
    """
    if type(keys) is list or not isinstance(keys, Iterator):
        return keys
    return list(keys)  # type: ignore[return-value]


async def close_iterator(iterator: AsyncIterator[str]) -> None:
    """Close an async generator left before its end, so it releases what it holds now."""
    aclose = getattr(iterator, "aclose", None)
    if aclose is not None:
        await aclose()
