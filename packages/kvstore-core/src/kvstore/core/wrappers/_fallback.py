"""FallbackWrapper: serves reads from a second store while the first cannot be reached."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import TypeVar

from .._base import BaseKVStore, Value
from .._ttl_info import TTLInfo
from .._validation import check_keys
from ..errors import StoreConnectionError
from ._base import BaseWrapper
from ._retry import close_iterator

T = TypeVar("T")


class FallbackWrapper(BaseWrapper):
    """Reads from ``primary``; when it raises StoreConnectionError, reads from ``fallback``.

    Every read (``get``, ``get_many``, ``exists``, ``ttl``, ``get_with_ttl``,
    ``get_many_with_ttl``, ``keys``, ``iter_keys``, ``list_collections``) tries the
    primary first, on every call, so reads return to it as soon as it answers again.
    Put a TimeoutWrapper around a primary that can hang, so that a failing primary
    costs a bounded wait per read. ``iter_keys`` switches only if the primary fails
    before yielding its first key. Other errors (bad arguments, DeserializationError)
    are raised, not hidden by the fallback.

    Writes (``put``, ``put_many``, ``delete``, ``delete_many``, ``clear_collection``,
    ``cull``) go to the primary only, and its StoreConnectionError is raised: the
    fallback is never written, so it never holds data the primary lacks and a write
    is never reported as done when the store of record did not take it. Keep the
    fallback filled yourself (a replica, a snapshot, a warmed cache) and expect it to
    serve data as old as its last fill. ``close`` closes both stores.

    Args:
        primary: the store of record.
        fallback: the store that serves reads while the primary cannot be reached.
    """

    def __init__(self, primary: BaseKVStore, fallback: BaseKVStore) -> None:
        super().__init__(primary)
        self.fallback = fallback

    async def _read_from(self, call: Callable[[BaseKVStore], Awaitable[T]]) -> T:
        try:
            return await call(self.store)
        except StoreConnectionError:
            return await call(self.fallback)

    async def get(self, collection: str, key: str) -> Value | None:
        return await self._read_from(lambda store: store.get(collection, key))

    async def exists(self, collection: str, key: str) -> bool:
        return await self._read_from(lambda store: store.exists(collection, key))

    async def ttl(self, collection: str, key: str) -> TTLInfo | None:
        return await self._read_from(lambda store: store.ttl(collection, key))

    async def get_many(self, collection: str, keys: Sequence[str]) -> list[Value | None]:
        key_list = check_keys(collection, keys)
        return await self._read_from(lambda store: store.get_many(collection, key_list))

    async def get_with_ttl(self, collection: str, key: str) -> tuple[Value | None, TTLInfo | None]:
        return await self._read_from(lambda store: store.get_with_ttl(collection, key))

    async def get_many_with_ttl(
        self, collection: str, keys: Sequence[str]
    ) -> list[tuple[Value | None, TTLInfo | None]]:
        key_list = check_keys(collection, keys)
        return await self._read_from(lambda store: store.get_many_with_ttl(collection, key_list))

    async def keys(self, collection: str, *, limit: int | None = None) -> list[str]:
        return await self._read_from(lambda store: store.keys(collection, limit=limit))

    async def iter_keys(self, collection: str) -> AsyncIterator[str]:
        for store in (self.store, self.fallback):
            keys = store.iter_keys(collection)
            yielded = False
            try:
                async for key in keys:
                    yielded = True
                    yield key
                return
            except StoreConnectionError:
                if yielded or store is self.fallback:
                    raise
            finally:
                await close_iterator(keys)

    async def list_collections(self) -> list[str]:
        return await self._read_from(lambda store: store.list_collections())

    async def close(self) -> None:
        try:
            await self.store.close()
        finally:
            await self.fallback.close()

    def __repr__(self) -> str:
        return f"FallbackWrapper({self.store!r}, fallback={self.fallback!r})"
