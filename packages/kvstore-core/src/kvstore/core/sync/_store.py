"""SyncStore: every operation of an async store as a plain blocking method."""

from __future__ import annotations

import asyncio
import atexit
import inspect
import os
import threading
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Generator, Mapping, Sequence
from concurrent.futures import Future
from functools import partial
from types import TracebackType
from typing import Any, Generic, Protocol, cast

from typing_extensions import ParamSpec, Self, TypeVar

from .._atomic import Versioned
from .._base import Value
from .._registry import open_store
from .._ttl_info import TTLInfo
from .._validation import TTL
from ..errors import ConfigurationError
from ._loop_thread import LoopThread

V = TypeVar("V", default=Value)
"""The values the wrapped store takes and returns: dicts, or an adapter's models."""
T = TypeVar("T")
P = ParamSpec("P")

PAGE_SIZE = 1_000
"""Keys ``iter_keys`` fetches per trip to the loop thread: one trip per key would cost more
than the keys themselves."""


class Operations(Protocol[V]):
    """The protocol's eight operations on values of type ``V`` (what an adapter offers)."""

    async def get(self, collection: str, key: str) -> V | None: ...

    async def put(self, collection: str, key: str, value: V, *, ttl: TTL = None) -> None: ...

    async def delete(self, collection: str, key: str) -> bool: ...

    async def exists(self, collection: str, key: str) -> bool: ...

    async def ttl(self, collection: str, key: str) -> TTLInfo | None: ...

    async def get_many(self, collection: str, keys: Sequence[str]) -> list[V | None]: ...

    async def put_many(
        self, collection: str, items: Mapping[str, V], *, ttl: TTL = None
    ) -> None: ...

    async def delete_many(self, collection: str, keys: Sequence[str]) -> int: ...


class _Store(Operations[V], Protocol[V]):
    """Every public operation of ``BaseKVStore``, on values of type ``V``."""

    async def add(self, collection: str, key: str, value: V, *, ttl: TTL = None) -> bool: ...

    async def take(self, collection: str, key: str) -> V | None: ...

    async def touch(self, collection: str, key: str, ttl: TTL) -> bool: ...

    async def get_versioned(self, collection: str, key: str) -> Versioned[V] | None: ...

    async def put_versioned(
        self, collection: str, key: str, value: V, *, version: str | None, ttl: TTL = None
    ) -> bool: ...

    async def increment(
        self, collection: str, key: str, amount: int = 1, *, ttl: TTL = None
    ) -> int: ...

    async def get_or_set(
        self,
        collection: str,
        key: str,
        factory: Callable[[], Awaitable[V] | V],
        *,
        ttl: TTL = None,
        lease: TTL = None,
    ) -> V: ...

    async def get_with_ttl(self, collection: str, key: str) -> tuple[V | None, TTLInfo | None]: ...

    async def get_many_with_ttl(
        self, collection: str, keys: Sequence[str]
    ) -> list[tuple[V | None, TTLInfo | None]]: ...

    async def keys(self, collection: str, *, limit: int | None = None) -> list[str]: ...

    def iter_keys(self, collection: str) -> AsyncIterator[str]: ...

    async def list_collections(self) -> list[str]: ...

    async def clear_collection(self, collection: str) -> int: ...

    async def cull(self) -> None: ...

    async def close(self) -> None: ...


class SyncStore(Generic[V]):
    """A store's operations as blocking methods, for code that is not async.

    Every public method of the wrapped store is here with the same name, arguments,
    result and errors, without ``await``. The store runs on one private event loop in a
    daemon thread the facade starts at its first call; calls from any number of threads
    run on that loop concurrently. An exception raised while a call waits (such as
    ``KeyboardInterrupt``) cancels the call on the loop before it propagates.

    In a child process made by ``os.fork`` the facade starts a fresh loop thread; a
    facade from :func:`open_sync_store` also opens a fresh store (fresh connections).

    Args:
        store: any store or wrapper chain; or an adapter (``PydanticAdapter``), whose
            value type the facade keeps (it offers the operations the adapter has).
    """

    def __init__(self, store: Operations[V]) -> None:
        self._current = cast("_Store[V]", store)
        self._reopen: Callable[[], _Store[V]] | None = None
        self._parent_store = False
        """True in a forked child until ``_reopen`` has replaced the parent's store."""
        self._runner: LoopThread | None = None
        self._finalizer: weakref.finalize[[], SyncStore[Any]] | None = None
        self._lock = threading.Lock()
        self._closed = False
        _FACADES.add(self)

    # -- the protocol -------------------------------------------------------------------

    def get(self, collection: str, key: str) -> V | None:
        """Return the live value stored under (collection, key), or None (``store.get``)."""
        return self._call(self._store.get, collection, key)

    def put(self, collection: str, key: str, value: V, *, ttl: TTL = None) -> None:
        """Insert or overwrite a value; the TTL restarts (``store.put``)."""
        return self._call(self._store.put, collection, key, value, ttl=ttl)

    def delete(self, collection: str, key: str) -> bool:
        """Remove an entry; True if a live entry was removed (``store.delete``)."""
        return self._call(self._store.delete, collection, key)

    def exists(self, collection: str, key: str) -> bool:
        """True if a live entry is stored under (collection, key) (``store.exists``)."""
        return self._call(self._store.exists, collection, key)

    def ttl(self, collection: str, key: str) -> TTLInfo | None:
        """Return the metadata of a live entry, or None (``store.ttl``)."""
        return self._call(self._store.ttl, collection, key)

    def get_many(self, collection: str, keys: Sequence[str]) -> list[V | None]:
        """Return the live values of ``keys``, aligned with them (``store.get_many``)."""
        return self._call(self._store.get_many, collection, keys)

    def put_many(self, collection: str, items: Mapping[str, V], *, ttl: TTL = None) -> None:
        """Write every item with the same TTL, all checked first (``store.put_many``)."""
        return self._call(self._store.put_many, collection, items, ttl=ttl)

    def delete_many(self, collection: str, keys: Sequence[str]) -> int:
        """Remove entries; return how many live ones were removed (``store.delete_many``)."""
        return self._call(self._store.delete_many, collection, keys)

    # -- atomic operations ------------------------------------------------------------------

    @property
    def atomic_operations(self) -> frozenset[str]:
        """The atomic operations the wrapped store implements (``store.atomic_operations``)."""
        declared: frozenset[str] = getattr(self._current, "atomic_operations", frozenset())
        return declared

    def add(self, collection: str, key: str, value: V, *, ttl: TTL = None) -> bool:
        """Write a value only if no live entry exists; True if written (``store.add``)."""
        return self._call(self._store.add, collection, key, value, ttl=ttl)

    def take(self, collection: str, key: str) -> V | None:
        """Return the live value and remove it, in one step (``store.take``)."""
        return self._call(self._store.take, collection, key)

    def touch(self, collection: str, key: str, ttl: TTL) -> bool:
        """Give a live entry a new TTL; False if missing (``store.touch``)."""
        return self._call(self._store.touch, collection, key, ttl)

    def get_versioned(self, collection: str, key: str) -> Versioned[V] | None:
        """Return the live value with its version token (``store.get_versioned``)."""
        return self._call(self._store.get_versioned, collection, key)

    def put_versioned(
        self, collection: str, key: str, value: V, *, version: str | None, ttl: TTL = None
    ) -> bool:
        """Write only if the live entry still has ``version`` (``store.put_versioned``)."""
        return self._call(
            self._store.put_versioned, collection, key, value, version=version, ttl=ttl
        )

    def increment(self, collection: str, key: str, amount: int = 1, *, ttl: TTL = None) -> int:
        """Add ``amount`` to the counter and return the count (``store.increment``)."""
        return self._call(self._store.increment, collection, key, amount, ttl=ttl)

    # -- cache-aside ----------------------------------------------------------------------------

    def get_or_set(
        self,
        collection: str,
        key: str,
        factory: Callable[[], Awaitable[V] | V],
        *,
        ttl: TTL = None,
        lease: TTL = None,
    ) -> V:
        """Return the live value, or compute it with ``factory()``, store it and return it;
        concurrent callers from any threads share one computation (``store.get_or_set``).

        A plain (blocking) factory runs in a worker thread of the facade's loop, so other
        threads' calls go on meanwhile; an ``async def`` factory runs on the loop itself.
        """
        return self._call(
            self._store.get_or_set, collection, key, _off_the_loop(factory), ttl=ttl, lease=lease
        )

    # -- beyond the protocol --------------------------------------------------------------

    def get_with_ttl(self, collection: str, key: str) -> tuple[V | None, TTLInfo | None]:
        """Return the live value and its metadata, or (None, None) (``store.get_with_ttl``)."""
        return self._call(self._store.get_with_ttl, collection, key)

    def get_many_with_ttl(
        self, collection: str, keys: Sequence[str]
    ) -> list[tuple[V | None, TTLInfo | None]]:
        """Return (value, metadata) for each of ``keys`` (``store.get_many_with_ttl``)."""
        return self._call(self._store.get_many_with_ttl, collection, keys)

    def keys(self, collection: str, *, limit: int | None = None) -> list[str]:
        """Return the collection's live keys, all unless ``limit`` is given (``store.keys``)."""
        return self._call(self._store.keys, collection, limit=limit)

    def iter_keys(self, collection: str) -> Generator[str, None, None]:
        """Yield the collection's live keys, fetched a page at a time (``store.iter_keys``).

        Closing the iterator early (``close()``, or leaving a ``for`` loop and dropping
        it) closes the store's async iterator too.
        """
        return self._iterate(self._store.iter_keys, collection)

    def list_collections(self) -> list[str]:
        """Return the sorted names of non-empty collections (``store.list_collections``)."""
        return self._call(self._store.list_collections)

    def clear_collection(self, collection: str) -> int:
        """Remove one collection's entries; return the count (``store.clear_collection``)."""
        return self._call(self._store.clear_collection, collection)

    def cull(self) -> None:
        """Physically remove expired entries (``store.cull``)."""
        return self._call(self._store.cull)

    # -- lifecycle --------------------------------------------------------------------------

    def close(self) -> None:
        """Close the wrapped store, then stop the loop thread; a second call does nothing.

        An adapter without a ``close()`` of its own has the store it adapts (its ``store``)
        closed. Calls still running on the loop when it stops are cancelled.

        Raises:
            ConfigurationError: called from inside a running event loop.
        """
        if self._closed:
            return
        _refuse_inside_a_loop("close")
        try:
            self._call(_close_of(self._store))
        finally:
            self._stop()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"SyncStore({self._current!r})"

    # -- running calls on the loop thread ------------------------------------------------------

    @property
    def _store(self) -> _Store[V]:
        if self._parent_store:
            self._open_own_store()
        return self._current

    def _call(self, method: Callable[P, Awaitable[T]], /, *args: P.args, **kwargs: P.kwargs) -> T:
        """Run ``method(*args, **kwargs)`` on the loop thread (started if need be) and return
        its result; an exception while waiting (``KeyboardInterrupt``) cancels the call first.

        Raises:
            ConfigurationError: called from a thread that runs an event loop.
        """
        _refuse_inside_a_loop(getattr(method, "__name__", "call"))
        loop = (self._runner or self._start()).loop
        future: Future[T] | None = None
        try:
            future = asyncio.run_coroutine_threadsafe(
                _await(partial(method, *args, **kwargs)), loop
            )
            return future.result()
        except BaseException:
            if future is not None:
                future.cancel()
            raise

    def _iterate(
        self, method: Callable[P, AsyncIterator[T]], /, *args: P.args, **kwargs: P.kwargs
    ) -> Generator[T, None, None]:
        """Yield what ``method(*args, **kwargs)`` yields, fetched through the loop by pages."""
        iterator = method(*args, **kwargs)
        finished = False
        try:
            while not finished:
                page = self._call(_next_page, iterator, PAGE_SIZE)
                finished = len(page) < PAGE_SIZE
                yield from page
        finally:
            aclose = getattr(iterator, "aclose", None)
            if not finished and aclose is not None:
                self._close_iterator(aclose)

    def _close_iterator(self, aclose: Callable[[], Awaitable[object]]) -> None:
        """Close an async iterator its reader dropped, wherever the sync one is finalized."""
        if self._closed:
            return  # the loop's shutdown closed every async generator already
        if asyncio._get_running_loop() is None:
            self._call(aclose)
        elif self._runner is not None:
            # Garbage collection ran the iterator's cleanup on some event loop's thread,
            # where waiting is not allowed: the close runs without being waited for.
            asyncio.run_coroutine_threadsafe(_await(aclose), self._runner.loop)

    def _start(self) -> LoopThread:
        """Start the loop thread, once."""
        with self._lock:
            if self._closed:
                raise RuntimeError(f"{self!r} is closed")
            if self._runner is None:
                self._runner = LoopThread(name=f"kvstore-sync-{id(self):x}")
                # A facade dropped without close() stops its thread instead of leaking it.
                self._finalizer = weakref.finalize(self, self._runner.stop_soon)
            return self._runner

    def _stop(self) -> None:
        """Stop the loop thread, if it runs, and refuse further calls."""
        with self._lock:
            self._closed = True
            runner, self._runner = self._runner, None
        if runner is not None:
            runner.stop()

    def _forget_parent(self) -> None:
        """In a forked child: drop the parent's loop thread (it does not exist here)."""
        self._lock = threading.Lock()
        if self._runner is not None:
            assert self._finalizer is not None
            self._finalizer.detach()  # stopping it would wake the parent's loop
            _INHERITED.append(self._runner)
            self._runner = None
        self._parent_store = self._reopen is not None

    def _open_own_store(self) -> None:
        """In a forked child, replace the parent's store by a freshly opened one."""
        assert self._reopen is not None
        with self._lock:
            if self._parent_store:
                _INHERITED.append(self._current)
                self._current = self._reopen()
                self._parent_store = False


def open_sync_store(url: str, **options: Any) -> SyncStore[Value]:
    """Return a :class:`SyncStore` over the store :func:`kvstore.core.open_store` opens.

    In a child process made by ``os.fork`` the facade opens the store again, so the
    child uses connections of its own.

    Raises:
        ConfigurationError: as ``open_store`` (unknown scheme, bad options).
    """
    facade = SyncStore(open_store(url, **options))
    facade._reopen = partial(open_store, url, **options)
    return facade


def _close_of(store: object) -> Callable[[], Awaitable[object]]:
    """Return the close of ``store``, or of the store an adapter without one adapts."""
    while not hasattr(store, "close") and hasattr(store, "store"):
        store = store.store
    close: Callable[[], Awaitable[object]] = getattr(store, "close", _nothing)
    return close


async def _nothing() -> None:
    """Close what has nothing to close."""


def _off_the_loop(factory: Callable[[], Awaitable[T] | T]) -> Callable[[], Awaitable[T] | T]:
    """``factory``, made to run in a worker thread unless it is an async function: a
    blocking factory on the loop thread would stall every other thread's calls."""
    if not callable(factory) or inspect.iscoroutinefunction(factory):
        return factory  # not callable: get_or_set says so
    if inspect.iscoroutinefunction(getattr(factory, "__call__", None)):  # noqa: B004
        return factory

    async def in_a_thread() -> T:
        result = await asyncio.to_thread(factory)
        if inspect.isawaitable(result):
            return await result
        return result

    return in_a_thread


async def _await(call: Callable[[], Awaitable[T]]) -> T:
    """Make and await the call on the loop thread, where the store's code must run."""
    return await call()


async def _next_page(iterator: AsyncIterator[T], size: int) -> list[T]:
    """Return up to ``size`` next items of ``iterator`` (fewer once it is exhausted)."""
    page: list[T] = []
    async for item in iterator:
        page.append(item)
        if len(page) == size:
            break
    return page


def _refuse_inside_a_loop(operation: str) -> None:
    """Raise ConfigurationError in a thread that runs an event loop: blocking there would
    stall that loop, and deadlock if the call needed it."""
    if asyncio._get_running_loop() is not None:
        raise ConfigurationError(
            f"SyncStore.{operation}() was called from inside a running event loop, where "
            "blocking would stall (or deadlock) the loop: in async code await the store "
            "itself, or call the SyncStore through asyncio.to_thread()"
        )


_FACADES: weakref.WeakSet[SyncStore[Any]] = weakref.WeakSet()
"""Every facade alive, for the fork and exit hooks."""
_INHERITED: list[object] = []
"""In a forked child, the parent's loops and stores: their sockets and threads belong to the
parent, so the child keeps them referenced and unused (finalizing one could close a
connection, or end a TLS session, the parent still uses)."""


def _after_fork_in_child() -> None:
    for facade in list(_FACADES):
        facade._forget_parent()


def _at_exit() -> None:
    # Daemon threads freeze at interpreter shutdown: a call waiting on one would hang.
    for facade in list(_FACADES):
        facade._stop()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
atexit.register(_at_exit)
