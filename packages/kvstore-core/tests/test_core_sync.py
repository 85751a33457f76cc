"""SyncStore: blocking calls from threads, forked children, and the mistakes it refuses."""

from __future__ import annotations

import asyncio
import gc
import inspect
import os
import signal
import sys
import threading
import time
import warnings
from collections.abc import AsyncIterator, Callable, Iterator

import pytest

from kvstore.core import (
    ATOMIC_OPERATIONS,
    BaseKVStore,
    ConfigurationError,
    InvalidKeyError,
    Payload,
)
from kvstore.core.adapters import SingleCollectionAdapter
from kvstore.core.stores import SimpleStore
from kvstore.core.sync import SyncSingleCollectionAdapter, SyncStore, open_sync_store
from kvstore.core.sync._store import PAGE_SIZE
from kvstore.core.wrappers import PrefixCollectionWrapper, StatisticsWrapper

WAIT = 10.0
"""Seconds a test waits for something that happens at once when the facade works."""


class GatedStore(SimpleStore):
    """A SimpleStore whose reads wait until ``release`` is set; records cancelled reads."""

    def __init__(self) -> None:
        super().__init__()
        self.reading = threading.Semaphore(0)
        self.cancelled = threading.Event()
        self.release = threading.Event()

    async def _read(self, collection: str, key: str) -> Payload | None:
        self.reading.release()
        try:
            await asyncio.to_thread(self.release.wait)
        except asyncio.CancelledError:
            self.cancelled.set()
            raise
        return await super()._read(collection, key)


class ClosingScanStore(SimpleStore):
    """A SimpleStore that records when the async iterator of its keys is closed."""

    def __init__(self) -> None:
        super().__init__(max_entries=None)
        self.iterator_closed = threading.Event()

    async def iter_keys(self, collection: str) -> AsyncIterator[str]:
        try:
            async for key in super().iter_keys(collection):
                yield key
        finally:
            self.iterator_closed.set()


def _facade_threads() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name.startswith("kvstore-sync")]


@pytest.fixture
def facade() -> Iterator[SyncStore]:
    store = SyncStore(SimpleStore())
    yield store
    store.close()


# -- the same operations -------------------------------------------------------------------


def _public_methods(cls: type) -> dict[str, list[tuple[str, object, object]]]:
    """Each public method's parameters: name, kind and default (the annotations differ:
    the facade's values are of its type parameter)."""
    return {
        name: [
            (parameter.name, parameter.kind, parameter.default)
            for parameter in inspect.signature(member).parameters.values()
        ]
        for name, member in inspect.getmembers(cls, inspect.isfunction)
        if not name.startswith("_")
    }


def test_every_public_method_of_base_kv_store_is_offered_with_the_same_arguments() -> None:
    # A method added to BaseKVStore fails here until SyncStore offers it too.
    offered = _public_methods(SyncStore)
    for name, parameters in _public_methods(BaseKVStore).items():
        assert name in offered, f"SyncStore lacks {name}()"
        assert offered[name] == parameters, name


def test_operations_block_and_return_what_the_store_returns(facade: SyncStore) -> None:
    facade.put("c", "k", {"v": [1, 2]}, ttl=60)
    facade.put_many("c", {"a": {"n": 1}, "b": {"n": 2}})
    assert facade.get("c", "k") == {"v": [1, 2]}
    assert facade.exists("c", "k") is True
    info = facade.ttl("c", "k")
    assert info is not None and info.ttl == 60
    assert facade.get_with_ttl("c", "k") == ({"v": [1, 2]}, info)
    assert facade.get_many("c", ["a", "missing", "b"]) == [{"n": 1}, None, {"n": 2}]
    assert facade.get_many_with_ttl("c", ["a"])[0][0] == {"n": 1}
    assert sorted(facade.keys("c")) == ["a", "b", "k"]
    assert len(facade.keys("c", limit=2)) == 2
    assert facade.list_collections() == ["c"]
    assert facade.delete("c", "k") is True
    assert facade.delete_many("c", ["a", "missing"]) == 1
    facade.cull()
    assert facade.clear_collection("c") == 1
    assert facade.keys("c") == []


def test_errors_are_the_store_errors(facade: SyncStore) -> None:
    with pytest.raises(InvalidKeyError, match="non-empty str"):
        facade.get("", "k")
    with pytest.raises(InvalidKeyError):
        list(facade.iter_keys(""))


def test_a_wrapper_chain_is_served_whole() -> None:
    statistics = StatisticsWrapper(SimpleStore())
    with SyncStore(PrefixCollectionWrapper(statistics, "app")) as facade:
        facade.put("users", "1", {"name": "Ada"})
        assert facade.get("users", "1") == {"name": "Ada"}
        assert facade.list_collections() == ["users"]
    assert statistics.statistics.get_collection("app__users").get.hit == 1


def test_the_single_collection_adapter_has_a_blocking_counterpart(facade: SyncStore) -> None:
    users = SyncSingleCollectionAdapter(facade, "users")
    assert _public_methods(SyncSingleCollectionAdapter) == _public_methods(SingleCollectionAdapter)
    users.put("ada", {"name": "Ada"}, ttl=60)
    users.put_many({"bob": {"name": "Bob"}})
    assert users.get("ada") == {"name": "Ada"}
    assert users.get_many(["bob", "eve"]) == [{"name": "Bob"}, None]
    assert users.exists("ada") is True
    info = users.ttl("ada")
    assert info is not None and info.ttl == 60
    assert users.delete("ada") is True
    assert users.delete_many(["bob", "eve"]) == 1
    assert facade.keys("users") == []
    assert users.add("t", {"v": 1}, ttl=60) is True
    assert users.add("t", {"v": 2}) is False
    found = users.get_versioned("t")
    assert found is not None and found.value == {"v": 1}
    assert users.put_versioned("t", {"v": 3}, version=found.version) is True
    assert users.touch("t", 30) is True
    assert users.take("t") == {"v": 3}
    assert users.increment("hits", 4) == 4
    assert facade.get("users", "hits") == {"count": 4}
    with pytest.raises(InvalidKeyError):
        SyncSingleCollectionAdapter(facade, "")


def test_repr_names_the_store(facade: SyncStore) -> None:
    assert repr(facade).startswith("SyncStore(SimpleStore(")


# -- iter_keys -----------------------------------------------------------------------------


def test_iter_keys_is_a_plain_iterator_over_every_page() -> None:
    with SyncStore(SimpleStore(max_entries=None)) as facade:
        count = PAGE_SIZE * 2 + 7
        facade.put_many("big", {f"k{n}": {} for n in range(count)})
        keys = facade.iter_keys("big")
        assert iter(keys) is keys
        assert sorted(keys) == sorted(f"k{n}" for n in range(count))


def test_closing_the_iterator_early_closes_the_async_one() -> None:
    store = ClosingScanStore()
    with SyncStore(store) as facade:
        facade.put_many("big", {f"k{n}": {} for n in range(PAGE_SIZE + 5)})
        keys = facade.iter_keys("big")
        next(keys)
        assert not store.iterator_closed.is_set()
        keys.close()
        assert store.iterator_closed.is_set()


# -- threads -------------------------------------------------------------------------------


def test_calls_from_many_threads_run_concurrently() -> None:
    store = GatedStore()
    facade = SyncStore(store)
    results: list[object] = []
    threads = [
        threading.Thread(target=lambda: results.append(facade.get("c", "k"))) for _ in range(8)
    ]
    try:
        for thread in threads:
            thread.start()
        # All eight reads are waiting inside the store at once: none waits for another.
        for _ in threads:
            assert store.reading.acquire(timeout=WAIT)
    finally:
        store.release.set()
        for thread in threads:
            thread.join(WAIT)
        facade.close()
    assert results == [None] * 8


async def test_works_from_worker_threads_of_a_running_event_loop() -> None:
    facade = SyncStore(SimpleStore())
    await asyncio.to_thread(facade.put, "c", "k", {"v": 1})
    values = await asyncio.gather(*(asyncio.to_thread(facade.get, "c", "k") for _ in range(4)))
    assert values == [{"v": 1}] * 4
    await asyncio.to_thread(facade.close)


def test_works_from_a_thread_whose_own_event_loop_is_not_running() -> None:
    def in_thread() -> object:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        try:
            return facade.get("c", "k")
        finally:
            asyncio.set_event_loop(None)
            loop.close()

    with SyncStore(SimpleStore()) as facade:
        facade.put("c", "k", {"v": 1})
        found: list[object] = []
        thread = threading.Thread(target=lambda: found.append(in_thread()))
        thread.start()
        thread.join(WAIT)
        assert found == [{"v": 1}]


# -- inside an event loop ------------------------------------------------------------------


async def test_a_call_inside_a_running_loop_raises_and_does_nothing() -> None:
    store = SimpleStore()
    facade = SyncStore(store)
    with pytest.raises(ConfigurationError, match=r"SyncStore\.put\(\).*running event loop"):
        facade.put("c", "k", {"v": 1})
    with pytest.raises(ConfigurationError, match=r"asyncio\.to_thread"):
        list(facade.iter_keys("c"))
    with pytest.raises(ConfigurationError, match=r"SyncStore\.close\(\)"):
        facade.close()
    assert await store.get("c", "k") is None
    await asyncio.to_thread(facade.close)


# -- KeyboardInterrupt ---------------------------------------------------------------------


def test_keyboard_interrupt_cancels_the_call_underneath() -> None:
    assert threading.current_thread() is threading.main_thread()
    store = GatedStore()
    facade = SyncStore(store)
    main = threading.main_thread().ident
    assert main is not None

    def interrupt_once_waiting() -> None:
        if not store.reading.acquire(timeout=WAIT):
            return
        # The signal must find the caller blocked on the result, as a Ctrl-C would.
        while sys._current_frames()[main].f_code.co_name != "wait":
            time.sleep(0.001)
        signal.pthread_kill(main, signal.SIGINT)

    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    interrupter = threading.Thread(target=interrupt_once_waiting)
    try:
        interrupter.start()
        with pytest.raises(KeyboardInterrupt):
            facade.get("c", "k")
        assert store.cancelled.wait(WAIT)
    finally:
        signal.signal(signal.SIGINT, previous)
        store.release.set()
        interrupter.join(WAIT)
    # The facade keeps working after an interrupted call.
    facade.put("c", "k", {"v": 1})
    assert facade.get("c", "k") == {"v": 1}
    facade.close()


# -- lifecycle -----------------------------------------------------------------------------


def test_close_is_idempotent_stops_the_thread_and_refuses_later_calls() -> None:
    before = _facade_threads()
    facade = SyncStore(SimpleStore())
    facade.put("c", "k", {})
    assert len(_facade_threads()) == len(before) + 1
    facade.close()
    facade.close()
    assert _facade_threads() == before
    with pytest.raises(RuntimeError, match="closed"):
        facade.get("c", "k")
    assert _facade_threads() == before


def test_with_closes_the_store_it_wraps() -> None:
    closed: list[bool] = []

    class Recording(SimpleStore):
        async def _close(self) -> None:
            closed.append(True)

    with SyncStore(Recording()) as facade:
        assert facade.get("c", "k") is None
    assert closed == [True]
    assert facade._runner is None


def test_a_facade_dropped_without_close_stops_its_thread() -> None:
    facade = SyncStore(SimpleStore())
    facade.put("c", "k", {})
    runner = facade._runner
    assert runner is not None
    del facade
    gc.collect()
    runner._thread.join(WAIT)
    assert not runner._thread.is_alive()


def test_open_sync_store_opens_by_url() -> None:
    with open_sync_store("simple://?max_entries=5") as facade:
        facade.put("c", "k", {"v": 1})
        assert facade.get("c", "k") == {"v": 1}
    with pytest.raises(ConfigurationError, match="no installed kvstore backend"):
        open_sync_store("nowhere://")


# -- fork ----------------------------------------------------------------------------------


def _in_child(check: Callable[[], bool]) -> int:
    """Fork; the child runs ``check`` and exits 0 if it returns True; return its exit code
    (-1 if it hung)."""
    with warnings.catch_warnings():
        # Python 3.12+ warns that forking a threaded process may deadlock: the facade's
        # loop thread is exactly what this test forks away from.
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
    if pid == 0:
        code = 1
        try:
            code = 0 if check() else 2
        finally:
            os._exit(code)
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        time.sleep(0.01)
    os.kill(pid, signal.SIGKILL)  # a child stuck on the parent's loop thread
    os.waitpid(pid, 0)
    return -1


@pytest.mark.skipif(not hasattr(os, "fork"), reason="os.fork exists on POSIX only")
def test_a_forked_child_gets_its_own_loop_thread() -> None:
    with SyncStore(SimpleStore()) as facade:
        facade.put("c", "k", {"from": "parent"})
        parent_runner = facade._runner

        def child() -> bool:
            facade.put("c", "child", {"from": "child"})
            return (
                facade.get("c", "k") == {"from": "parent"}
                and facade.get("c", "child") == {"from": "child"}
                and facade._runner is not parent_runner
                and len(_facade_threads()) == 1
            )

        assert _in_child(child) == 0
        assert facade.get("c", "child") is None


@pytest.mark.skipif(not hasattr(os, "fork"), reason="os.fork exists on POSIX only")
def test_a_forked_child_reopens_a_store_opened_by_url() -> None:
    with open_sync_store("simple://") as facade:
        facade.put("c", "k", {"from": "parent"})
        parent_store = facade._current

        def child() -> bool:
            fresh = facade.get("c", "k") is None and facade._current is not parent_store
            facade.put("c", "k", {"from": "child"})
            return fresh and facade.get("c", "k") == {"from": "child"}

        assert _in_child(child) == 0
        assert facade.get("c", "k") == {"from": "parent"}


def test_the_facade_reports_the_atomic_operations_of_its_store() -> None:
    with SyncStore(SimpleStore()) as store:
        assert store.atomic_operations == ATOMIC_OPERATIONS
        assert SyncSingleCollectionAdapter(store, "c").atomic_operations == ATOMIC_OPERATIONS
    with SyncStore(BaseKVStore()) as bare:
        assert bare.atomic_operations == frozenset()
