"""ReadOnlyWrapper: a store whose writes are refused."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from .._base import BaseKVStore, Value
from .._validation import TTL
from ..errors import ReadOnlyError
from ._base import BaseWrapper


class ReadOnlyWrapper(BaseWrapper):
    """Refuses every write with ReadOnlyError; reads and ``close`` reach the wrapped store.

    The writes are ``put``, ``put_many``, ``delete``, ``delete_many``,
    ``clear_collection`` and ``cull``. A refused write touches nothing: it is refused
    before its arguments are looked at, so the wrapped store is never called.
    ``read_only`` is an attribute: setting it to False (for example at the end of a
    maintenance window) lets writes through again, and back to True refuses them.

    Args:
        store: the store to wrap.
        read_only: whether writes are refused (the default) or forwarded.
    """

    def __init__(self, store: BaseKVStore, *, read_only: bool = True) -> None:
        super().__init__(store)
        self.read_only = read_only

    def _refuse(self, operation: str, collection: object, key: object = None) -> None:
        if self.read_only:
            where = f"collection {collection!r}" + ("" if key is None else f" key {key!r}")
            raise ReadOnlyError(f"{operation} refused on {where}: the store is read-only")

    async def put(self, collection: str, key: str, value: Value, *, ttl: TTL = None) -> None:
        self._refuse("put", collection, key)
        await self.store.put(collection, key, value, ttl=ttl)

    async def put_many(
        self, collection: str, items: Mapping[str, Value], *, ttl: TTL = None
    ) -> None:
        self._refuse("put_many", collection)
        await self.store.put_many(collection, items, ttl=ttl)

    async def delete(self, collection: str, key: str) -> bool:
        self._refuse("delete", collection, key)
        return await self.store.delete(collection, key)

    async def delete_many(self, collection: str, keys: Sequence[str]) -> int:
        self._refuse("delete_many", collection)
        return await self.store.delete_many(collection, keys)

    async def clear_collection(self, collection: str) -> int:
        self._refuse("clear_collection", collection)
        return await self.store.clear_collection(collection)

    async def cull(self) -> None:
        if self.read_only:
            raise ReadOnlyError("cull refused: the store is read-only")
        await self.store.cull()

    def __repr__(self) -> str:
        return f"ReadOnlyWrapper({self.store!r}, read_only={self.read_only!r})"
