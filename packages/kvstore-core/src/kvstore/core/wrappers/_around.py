"""AroundWrapper: a wrapper that acts around every call through one hook."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Mapping, Sequence
from typing import Any, TypeVar

from .._atomic import Versioned
from .._base import BaseKVStore, Value
from .._ttl_info import TTLInfo
from .._validation import TTL
from ._base import BaseWrapper, close_iterator, materialised

T = TypeVar("T")
Args = tuple[Any, ...]
Call = Callable[[BaseKVStore, Any, Any, Args], Awaitable[T]]
"""Runs one operation on a store: ``call(store, collection, keys, args)``."""

ITER_KEYS_CONTINUED = "iter_keys_continued"
"""The operation name of an ``iter_keys`` page after the first: it continues the iteration the
first page opened, on that page's store, so it can be neither repeated nor sent elsewhere."""
PAGE_SIZE = 100
"""How many keys of ``iter_keys`` one call of the hook reads."""
READS = frozenset(
    {
        "get",
        "exists",
        "ttl",
        "get_many",
        "get_with_ttl",
        "get_many_with_ttl",
        "get_versioned",
        "keys",
        "iter_keys",
        ITER_KEYS_CONTINUED,
        "list_collections",
    }
)
"""The operations that only read. Every other one but ``close`` writes (an operation added
later counts as a write until it is listed here, so ReadOnlyWrapper refuses it)."""


def is_write(operation: str) -> bool:
    """True if ``operation`` may change what is stored."""
    return operation not in READS and operation != "close"


# One function per operation, so a call carries no closure: each runs the operation on
# whichever store the hook hands it.


def _get(store: BaseKVStore, collection: str, key: str, _: Args) -> Awaitable[Value | None]:
    return store.get(collection, key)


def _put(store: BaseKVStore, collection: str, key: str, args: Args) -> Awaitable[None]:
    return store.put(collection, key, args[0], ttl=args[1])


def _delete(store: BaseKVStore, collection: str, key: str, _: Args) -> Awaitable[bool]:
    return store.delete(collection, key)


def _exists(store: BaseKVStore, collection: str, key: str, _: Args) -> Awaitable[bool]:
    return store.exists(collection, key)


def _ttl(store: BaseKVStore, collection: str, key: str, _: Args) -> Awaitable[TTLInfo | None]:
    return store.ttl(collection, key)


def _get_many(
    store: BaseKVStore, collection: str, keys: Sequence[str], _: Args
) -> Awaitable[list[Value | None]]:
    return store.get_many(collection, keys)


def _put_many(
    store: BaseKVStore, collection: str, items: Mapping[str, Value], args: Args
) -> Awaitable[None]:
    return store.put_many(collection, items, ttl=args[0])


def _delete_many(
    store: BaseKVStore, collection: str, keys: Sequence[str], _: Args
) -> Awaitable[int]:
    return store.delete_many(collection, keys)


def _add(store: BaseKVStore, collection: str, key: str, args: Args) -> Awaitable[bool]:
    return store.add(collection, key, args[0], ttl=args[1])


def _take(store: BaseKVStore, collection: str, key: str, _: Args) -> Awaitable[Value | None]:
    return store.take(collection, key)


def _touch(store: BaseKVStore, collection: str, key: str, args: Args) -> Awaitable[bool]:
    return store.touch(collection, key, args[0])


def _get_versioned(
    store: BaseKVStore, collection: str, key: str, _: Args
) -> Awaitable[Versioned[Value] | None]:
    return store.get_versioned(collection, key)


def _put_versioned(store: BaseKVStore, collection: str, key: str, args: Args) -> Awaitable[bool]:
    return store.put_versioned(collection, key, args[0], version=args[1], ttl=args[2])


def _increment(store: BaseKVStore, collection: str, key: str, args: Args) -> Awaitable[int]:
    return store.increment(collection, key, args[0], ttl=args[1])


def _get_with_ttl(
    store: BaseKVStore, collection: str, key: str, _: Args
) -> Awaitable[tuple[Value | None, TTLInfo | None]]:
    return store.get_with_ttl(collection, key)


def _get_many_with_ttl(
    store: BaseKVStore, collection: str, keys: Sequence[str], _: Args
) -> Awaitable[list[tuple[Value | None, TTLInfo | None]]]:
    return store.get_many_with_ttl(collection, keys)


def _keys(store: BaseKVStore, collection: str, _: None, args: Args) -> Awaitable[list[str]]:
    return store.keys(collection, limit=args[0])


def _list_collections(store: BaseKVStore, _: None, __: None, ___: Args) -> Awaitable[list[str]]:
    return store.list_collections()


def _clear_collection(store: BaseKVStore, collection: str, _: None, __: Args) -> Awaitable[int]:
    return store.clear_collection(collection)


def _cull(store: BaseKVStore, _: None, __: None, ___: Args) -> Awaitable[None]:
    return store.cull()


def _close(store: BaseKVStore, _: None, __: None, ___: Args) -> Awaitable[None]:
    return store.close()


class _KeyPages:
    """The pages of one ``iter_keys``: the first opens the iteration on the store it is given."""

    def __init__(self) -> None:
        self.keys: AsyncIterator[str] | None = None
        self.done = False

    async def first(self, store: BaseKVStore, collection: str, _: None, __: Args) -> list[str]:
        await self.close()  # a repeated first page starts again
        self.keys = store.iter_keys(collection)
        return await self.more(store, collection, None, ())

    async def more(self, _: BaseKVStore, __: str, ___: None, ____: Args) -> list[str]:
        keys = self.keys
        assert keys is not None
        page: list[str] = []
        while len(page) < PAGE_SIZE:
            try:
                page.append(await anext(keys))
            except StopAsyncIteration:
                self.done = True
                break
        return page

    async def close(self) -> None:
        if self.keys is not None:
            keys, self.keys = self.keys, None
            await close_iterator(keys)


class AroundWrapper(BaseWrapper):
    """Sends every operation through one hook, :meth:`around`, that decides how to run it.

    A subclass overrides ``around`` only: retrying, bounding, logging, counting or
    refusing every public operation (the protocol's, batches, management and ``close``)
    takes one method, and an operation added to ``BaseKVStore`` reaches the hook too.
    Batch keys given as a one-shot iterator are made a list first, so the hook and the
    store can both read them.

    ``iter_keys`` reaches the hook once per page of up to :data:`PAGE_SIZE` keys: the
    first page as ``"iter_keys"`` (running it again, or on another store, starts the
    iteration again: no key has reached the caller yet), the later ones as
    :data:`ITER_KEYS_CONTINUED`, which must run on ``self.store`` once.
    """

    async def around(
        self,
        operation: str,
        collection: str | None,
        keys: Any,
        call: Call[T],
        args: Args,
    ) -> T:
        """Run one operation; override to act around it.

        Args:
            operation: the ``BaseKVStore`` method's name (``"get"``, ``"put_many"``, ...).
            collection: the collection it names, or None (``list_collections``, ``cull``,
                ``close``).
            keys: the key (single-key operations), the list of keys (batches), the
                mapping of items (``put_many``) or None.
            call: ``call(store, collection, keys, args)`` runs the operation on ``store``
                (``self.store``, or another one) and may be awaited more than once.
            args: the rest of the operation's arguments: ``(value, ttl)`` for ``put`` and
                ``add``, ``(ttl,)`` for ``put_many`` and ``touch``, ``(limit,)`` for
                ``keys``, ``(value, version, ttl)`` for ``put_versioned``, ``(amount, ttl)``
                for ``increment``.

        Returns:
            What the operation returns.
        """
        return await call(self.store, collection, keys, args)

    def get(self, collection: str, key: str) -> Coroutine[Any, Any, Value | None]:
        return self.around("get", collection, key, _get, ())

    def put(
        self, collection: str, key: str, value: Value, *, ttl: TTL = None
    ) -> Coroutine[Any, Any, None]:
        return self.around("put", collection, key, _put, (value, ttl))

    def delete(self, collection: str, key: str) -> Coroutine[Any, Any, bool]:
        return self.around("delete", collection, key, _delete, ())

    def exists(self, collection: str, key: str) -> Coroutine[Any, Any, bool]:
        return self.around("exists", collection, key, _exists, ())

    def ttl(self, collection: str, key: str) -> Coroutine[Any, Any, TTLInfo | None]:
        return self.around("ttl", collection, key, _ttl, ())

    def get_many(
        self, collection: str, keys: Sequence[str]
    ) -> Coroutine[Any, Any, list[Value | None]]:
        return self.around("get_many", collection, materialised(keys), _get_many, ())

    def put_many(
        self, collection: str, items: Mapping[str, Value], *, ttl: TTL = None
    ) -> Coroutine[Any, Any, None]:
        return self.around("put_many", collection, items, _put_many, (ttl,))

    def delete_many(self, collection: str, keys: Sequence[str]) -> Coroutine[Any, Any, int]:
        return self.around("delete_many", collection, materialised(keys), _delete_many, ())

    def add(
        self, collection: str, key: str, value: Value, *, ttl: TTL = None
    ) -> Coroutine[Any, Any, bool]:
        return self.around("add", collection, key, _add, (value, ttl))

    def take(self, collection: str, key: str) -> Coroutine[Any, Any, Value | None]:
        return self.around("take", collection, key, _take, ())

    def touch(self, collection: str, key: str, ttl: TTL) -> Coroutine[Any, Any, bool]:
        return self.around("touch", collection, key, _touch, (ttl,))

    def get_versioned(
        self, collection: str, key: str
    ) -> Coroutine[Any, Any, Versioned[Value] | None]:
        return self.around("get_versioned", collection, key, _get_versioned, ())

    def put_versioned(
        self, collection: str, key: str, value: Value, *, version: str | None, ttl: TTL = None
    ) -> Coroutine[Any, Any, bool]:
        return self.around("put_versioned", collection, key, _put_versioned, (value, version, ttl))

    def increment(
        self, collection: str, key: str, amount: int = 1, *, ttl: TTL = None
    ) -> Coroutine[Any, Any, int]:
        return self.around("increment", collection, key, _increment, (amount, ttl))

    def get_with_ttl(
        self, collection: str, key: str
    ) -> Coroutine[Any, Any, tuple[Value | None, TTLInfo | None]]:
        return self.around("get_with_ttl", collection, key, _get_with_ttl, ())

    def get_many_with_ttl(
        self, collection: str, keys: Sequence[str]
    ) -> Coroutine[Any, Any, list[tuple[Value | None, TTLInfo | None]]]:
        return self.around(
            "get_many_with_ttl", collection, materialised(keys), _get_many_with_ttl, ()
        )

    def keys(self, collection: str, *, limit: int | None = None) -> Coroutine[Any, Any, list[str]]:
        return self.around("keys", collection, None, _keys, (limit,))

    async def iter_keys(self, collection: str) -> AsyncIterator[str]:
        pages = _KeyPages()
        try:
            page = await self.around("iter_keys", collection, None, pages.first, ())
            while True:
                for key in page:
                    yield key
                if pages.done:
                    return
                page = await self.around(ITER_KEYS_CONTINUED, collection, None, pages.more, ())
        finally:
            await pages.close()

    def list_collections(self) -> Coroutine[Any, Any, list[str]]:
        return self.around("list_collections", None, None, _list_collections, ())

    def clear_collection(self, collection: str) -> Coroutine[Any, Any, int]:
        return self.around("clear_collection", collection, None, _clear_collection, ())

    def cull(self) -> Coroutine[Any, Any, None]:
        return self.around("cull", None, None, _cull, ())

    def close(self) -> Coroutine[Any, Any, None]:
        return self.around("close", None, None, _close, ())
