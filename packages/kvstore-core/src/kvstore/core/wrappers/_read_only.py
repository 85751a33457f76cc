"""ReadOnlyWrapper: a store whose writes are refused."""

from __future__ import annotations

from typing import Any, TypeVar

from .._base import BaseKVStore
from ..errors import ReadOnlyError
from ._around import Args, AroundWrapper, Call, is_write

T = TypeVar("T")


class ReadOnlyWrapper(AroundWrapper):
    """Refuses every write with ReadOnlyError; reads and ``close`` reach the wrapped store.

    The writes are ``put``, ``put_many``, ``delete``, ``delete_many``,
    ``clear_collection``, ``cull`` and the atomic ``add``, ``take``, ``touch``,
    ``put_versioned`` and ``increment`` (and any operation a later release adds until
    it is listed among the reads); ``get_versioned`` is a read and is allowed. A
    refused write touches nothing: it is refused before its arguments are looked at,
    so the wrapped store is never called.
    ``read_only`` is an attribute: setting it to False (for example at the end of a
    maintenance window) lets writes through again, and back to True refuses them.

    Args:
        store: the store to wrap.
        read_only: whether writes are refused (the default) or forwarded.
    """

    def __init__(self, store: BaseKVStore, *, read_only: bool = True) -> None:
        super().__init__(store)
        self.read_only = read_only

    async def around(
        self, operation: str, collection: str | None, keys: Any, call: Call[T], args: Args
    ) -> T:
        if self.read_only and is_write(operation):
            where = "" if collection is None else f" on collection {collection!r}"
            if isinstance(keys, str):
                where += f" key {keys!r}"
            raise ReadOnlyError(f"{operation} refused{where}: the store is read-only")
        return await call(self.store, collection, keys, args)

    def __repr__(self) -> str:
        return f"ReadOnlyWrapper({self.store!r}, read_only={self.read_only!r})"
