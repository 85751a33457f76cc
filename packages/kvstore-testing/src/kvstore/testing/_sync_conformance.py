"""SyncStoreConformance: every case of the kit again, through kvstore.core.sync.SyncStore."""

from __future__ import annotations

import asyncio
import random
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, cast

import pytest

from kvstore.core import BaseKVStore
from kvstore.core.sync import SyncStore

from ._conformance import StoreConformance

THREADS = 16
"""Threads sharing one SyncStore in the thread-safety case."""
OPERATIONS = 1_000
"""Operations each of those threads performs."""
KEYS_PER_THREAD = 20
"""Keys each thread owns: 320 in all, within any bounded store the kit runs."""

_END = object()


class ThreadedFacade:
    """A SyncStore seen as an async store, for the kit's async cases.

    Every call runs the facade's blocking method in a worker thread (``asyncio.to_thread``),
    as a threaded application calls it. Operations are looked up on the facade by name, so
    a case written later for a new operation exercises the facade's method of that name
    (and fails with AttributeError while the facade lacks it).
    """

    def __init__(self, facade: SyncStore) -> None:
        self.facade = facade

    @property
    def atomic_operations(self) -> frozenset[str]:
        """What the facade's store declares (a plain attribute, not an operation)."""
        return self.facade.atomic_operations

    def __getattr__(self, name: str) -> Callable[..., Awaitable[Any]]:
        method = getattr(self.facade, name)

        async def in_a_thread(*args: Any, **kwargs: Any) -> Any:
            return await asyncio.to_thread(method, *args, **kwargs)

        return in_a_thread

    async def iter_keys(self, collection: str) -> AsyncIterator[str]:
        keys = self.facade.iter_keys(collection)
        try:
            while (key := await asyncio.to_thread(next, keys, _END)) is not _END:
                yield cast(str, key)
        finally:
            await asyncio.to_thread(keys.close)

    async def __aenter__(self) -> ThreadedFacade:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await asyncio.to_thread(self.facade.close)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.facade!r})"


class SyncStoreConformance(StoreConformance):
    """The conformance kit through ``SyncStore``: subclass it and provide ``backend_store``.

    ``backend_store`` returns an empty store not yet used on any event loop; the kit wraps it
    in a ``SyncStore`` (which closes it at the end) and every case of ``StoreConformance``
    calls the facade from worker threads. The facade serves every thread from its own event
    loop, so a backend declares ``other_event_loops=True`` (the default) here even when its
    async store is bound to one loop. One case is added: threads sharing one facade.
    """

    @pytest.fixture
    async def backend_store(self) -> BaseKVStore:
        """Return an empty store of the backend under test, unused so far."""
        raise NotImplementedError("a sync conformance class must define `backend_store`")

    @pytest.fixture
    async def store(self, backend_store: BaseKVStore) -> AsyncIterator[BaseKVStore]:
        """Yield the backend's store behind a SyncStore, called from worker threads."""
        facade = SyncStore(backend_store)
        # The first call starts the loop thread and the store's connections (slot discovery
        # on a cluster): done before a case starts the clock of its shortest TTL.
        await asyncio.to_thread(facade.exists, "warm-up", "warm-up")
        yield cast(BaseKVStore, ThreadedFacade(facade))
        await asyncio.to_thread(facade.close)

    async def test_threads_sharing_one_sync_store(self, store: BaseKVStore) -> None:
        self.require_values()
        facade = cast(ThreadedFacade, store).facade
        failures = await asyncio.to_thread(_share, facade, THREADS, OPERATIONS)
        assert failures == []


def _share(facade: SyncStore, threads: int, operations: int) -> list[str]:
    """Run ``threads`` threads of mixed operations on ``facade``; return what went wrong."""
    failures: list[str] = []
    start = threading.Barrier(threads)

    def work(thread: int) -> None:
        try:
            start.wait()
            _mixed_operations(facade, thread, threads, operations)
        except BaseException as exc:  # every failure is reported, none lost
            failures.append(f"thread {thread}: {exc!r}")

    workers = [threading.Thread(target=work, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return failures


def _mixed_operations(facade: SyncStore, thread: int, threads: int, operations: int) -> None:
    """Operations on this thread's keys, checked against what it wrote; reads of other
    threads' keys must find None or a value that thread wrote under that very key."""
    rng = random.Random(thread)
    mine = [f"t{thread}-k{n}" for n in range(KEYS_PER_THREAD)]
    model: dict[str, dict[str, Any]] = {}
    for step in range(operations):
        key = rng.choice(mine)
        value = {"thread": thread, "key": key, "step": step}
        roll = rng.random()
        if roll < 0.25:
            facade.put("threads", key, value, ttl=None if step % 2 else 600)
            model[key] = value
        elif roll < 0.45:
            assert facade.get("threads", key) == model.get(key), key
        elif roll < 0.55:
            group = rng.sample(mine, 3)
            assert facade.get_many("threads", group) == [model.get(k) for k in group], group
        elif roll < 0.62:
            batch = {k: {"thread": thread, "key": k, "step": step} for k in rng.sample(mine, 3)}
            facade.put_many("threads", batch)
            model.update(batch)
        elif roll < 0.72:
            assert facade.delete("threads", key) == (key in model), key
            model.pop(key, None)
        elif roll < 0.77:
            group = rng.sample(mine, 2)
            assert facade.delete_many("threads", group) == sum(k in model for k in group)
            for k in group:
                model.pop(k, None)
        elif roll < 0.85:
            assert facade.exists("threads", key) == (key in model), key
            info = facade.ttl("threads", key)
            assert (info is not None) == (key in model), key
        else:
            other = f"t{rng.randrange(threads)}-k{rng.randrange(KEYS_PER_THREAD)}"
            seen = facade.get("threads", other)
            assert seen is None or seen["key"] == other, (other, seen)
