"""TimeoutWrapper: bounds the time every operation may take."""

from __future__ import annotations

import asyncio
import math
import sys
from collections.abc import AsyncIterator, Awaitable, Collection, Mapping, Sequence
from typing import TypeVar

from .._base import BaseKVStore, Value
from .._ttl_info import TTLInfo
from .._validation import TTL
from ..errors import ConfigurationError, StoreConnectionError
from ._base import BaseWrapper
from ._retry import close_iterator

T = TypeVar("T")
_NAMED_KEYS = 5
"""How many keys of a batch a timeout message names."""


def _where(collection: object, key: object = None, keys: object = None) -> str:
    """Describe what an operation touched, for its timeout message."""
    if collection is None:
        return ""
    where = f" on collection {collection!r}"
    if key is not None:
        where += f" key {key!r}"
    elif isinstance(keys, Collection) and not isinstance(keys, (str, bytes)):
        names = list(keys)
        shown = ", ".join(repr(name) for name in names[:_NAMED_KEYS])
        more = f", ... {len(names)} keys" if len(names) > _NAMED_KEYS else ""
        where += f" keys [{shown}{more}]"
    return where


class TimeoutWrapper(BaseWrapper):
    """Bounds every operation to ``timeout`` seconds; one that takes longer raises.

    A timed-out operation raises StoreConnectionError naming the operation, collection
    and key(s), chained from the ``asyncio.TimeoutError`` (the built-in TimeoutError
    from Python 3.11 on). The operation is cancelled: a write
    that timed out may or may not have reached the store, so treat it as unknown and
    retry or re-read (RetryWrapper over this wrapper retries it). ``iter_keys`` bounds
    the wait for each next key, so a long iteration is not cut short while it makes
    progress. ``close`` is bounded too.

    Args:
        store: the store to wrap.
        timeout: the longest an operation may take, in seconds (finite and > 0).

    Raises:
        ConfigurationError: ``timeout`` is not a finite number > 0.
    """

    def __init__(self, store: BaseKVStore, timeout: float = 5.0) -> None:
        super().__init__(store)
        if (
            isinstance(timeout, bool)
            or not isinstance(timeout, (int, float))
            or not math.isfinite(timeout)
            or timeout <= 0
        ):
            raise ConfigurationError(f"timeout must be a finite number > 0, got {timeout!r}")
        self.timeout = float(timeout)

    async def _bounded(
        self,
        call: Awaitable[T],
        operation: str,
        collection: object = None,
        key: object = None,
        keys: object = None,
    ) -> T:
        try:
            if sys.version_info >= (3, 11):
                # A timeout scope costs far less than wait_for's extra task per call.
                async with asyncio.timeout(self.timeout):
                    return await call
            return await asyncio.wait_for(call, self.timeout)
        except asyncio.TimeoutError as exc:
            raise StoreConnectionError(
                f"{operation}{_where(collection, key, keys)} timed out after {self.timeout:g}s"
            ) from exc

    async def get(self, collection: str, key: str) -> Value | None:
        return await self._bounded(self.store.get(collection, key), "get", collection, key)

    async def put(self, collection: str, key: str, value: Value, *, ttl: TTL = None) -> None:
        await self._bounded(self.store.put(collection, key, value, ttl=ttl), "put", collection, key)

    async def delete(self, collection: str, key: str) -> bool:
        return await self._bounded(self.store.delete(collection, key), "delete", collection, key)

    async def exists(self, collection: str, key: str) -> bool:
        return await self._bounded(self.store.exists(collection, key), "exists", collection, key)

    async def ttl(self, collection: str, key: str) -> TTLInfo | None:
        return await self._bounded(self.store.ttl(collection, key), "ttl", collection, key)

    async def get_many(self, collection: str, keys: Sequence[str]) -> list[Value | None]:
        return await self._bounded(
            self.store.get_many(collection, keys), "get_many", collection, keys=keys
        )

    async def put_many(
        self, collection: str, items: Mapping[str, Value], *, ttl: TTL = None
    ) -> None:
        await self._bounded(
            self.store.put_many(collection, items, ttl=ttl), "put_many", collection, keys=items
        )

    async def delete_many(self, collection: str, keys: Sequence[str]) -> int:
        return await self._bounded(
            self.store.delete_many(collection, keys), "delete_many", collection, keys=keys
        )

    async def get_with_ttl(self, collection: str, key: str) -> tuple[Value | None, TTLInfo | None]:
        return await self._bounded(
            self.store.get_with_ttl(collection, key), "get_with_ttl", collection, key
        )

    async def get_many_with_ttl(
        self, collection: str, keys: Sequence[str]
    ) -> list[tuple[Value | None, TTLInfo | None]]:
        return await self._bounded(
            self.store.get_many_with_ttl(collection, keys),
            "get_many_with_ttl",
            collection,
            keys=keys,
        )

    async def keys(self, collection: str, *, limit: int | None = None) -> list[str]:
        return await self._bounded(self.store.keys(collection, limit=limit), "keys", collection)

    async def iter_keys(self, collection: str) -> AsyncIterator[str]:
        keys = self.store.iter_keys(collection)
        try:
            while True:
                try:
                    key = await self._bounded(anext(keys), "iter_keys", collection)
                except StopAsyncIteration:
                    return
                yield key
        finally:
            await close_iterator(keys)

    async def list_collections(self) -> list[str]:
        return await self._bounded(self.store.list_collections(), "list_collections")

    async def clear_collection(self, collection: str) -> int:
        return await self._bounded(
            self.store.clear_collection(collection), "clear_collection", collection
        )

    async def cull(self) -> None:
        await self._bounded(self.store.cull(), "cull")

    async def close(self) -> None:
        await self._bounded(self.store.close(), "close")

    def __repr__(self) -> str:
        return f"TimeoutWrapper({self.store!r}, timeout={self.timeout!r})"
