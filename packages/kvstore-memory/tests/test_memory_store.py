"""MemoryStore beyond the kit: LRU eviction, reclamation of expired entries, event loops."""

from __future__ import annotations

import asyncio
import gc
import threading
import time
import tracemalloc
import weakref
from collections import OrderedDict
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import kvstore.memory
from kvstore.core.errors import ConfigurationError
from kvstore.memory import MemoryStore


def test_public_names() -> None:
    assert kvstore.memory.__all__ == ["MemoryStore"]


@pytest.mark.parametrize("bad", [0, -1, 1.5, "10", None, True])
def test_max_entries_must_be_a_positive_int(bad: Any) -> None:
    with pytest.raises(ConfigurationError, match="max_entries"):
        MemoryStore(max_entries=bad)


def test_defaults_and_repr() -> None:
    store = MemoryStore()
    assert store.max_entries == 1000
    assert store.entry_count == 0
    assert repr(store) == "MemoryStore(max_entries=1000, entries=0)"


# -- eviction -------------------------------------------------------------------------


async def test_least_recently_used_is_evicted_first() -> None:
    store = MemoryStore(max_entries=3)
    for key in ("a", "b", "c"):
        await store.put("c", key, {"k": key})
    assert await store.get("c", "a") == {"k": "a"}  # a is now the most recently used
    await store.put("c", "d", {"k": "d"})
    assert await store.get("c", "b") is None
    assert sorted(await store.keys("c")) == ["a", "c", "d"]


async def test_batch_reads_and_overwrites_refresh_recency() -> None:
    store = MemoryStore(max_entries=3)
    await store.put_many("c", {"a": {}, "b": {}, "c": {}})
    await store.get_many("c", ["a"])
    await store.put("c", "b", {"v": 2})
    await store.put_many("c", {"d": {}, "e": {}})
    assert sorted(await store.keys("c")) == ["b", "d", "e"]
    assert store.entry_count == 3


async def test_a_full_store_drops_expired_entries_before_live_ones() -> None:
    store = MemoryStore(max_entries=3)
    await store.put("c", "lasting", {})
    await store.put("c", "short", {}, ttl=0.02)
    await store.put("c", "live", {})
    await store.get("c", "lasting")
    await asyncio.sleep(0.05)
    await store.put("c", "new", {})
    assert sorted(await store.keys("c")) == ["lasting", "live", "new"]


async def test_put_many_larger_than_the_bound_keeps_its_last_items() -> None:
    store = MemoryStore(max_entries=10)
    await store.put_many("c", {f"k{n:02d}": {"n": n} for n in range(25)}, ttl=60)
    assert sorted(await store.keys("c")) == [f"k{n:02d}" for n in range(15, 25)]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(["put", "get", "delete", "get_many"]), st.integers(0, 6)),
        max_size=40,
    )
)
def test_behaves_like_an_lru_model(operations: list[tuple[str, int]]) -> None:
    async def scenario() -> None:
        store = MemoryStore(max_entries=4)
        model: OrderedDict[str, dict[str, int]] = OrderedDict()
        for step, (operation, n) in enumerate(operations):
            key = f"k{n}"
            if operation == "put":
                await store.put("c", key, {"step": step})
                model[key] = {"step": step}
                model.move_to_end(key)
                if len(model) > 4:
                    model.popitem(last=False)
            elif operation == "delete":
                assert await store.delete("c", key) == (model.pop(key, None) is not None)
            else:
                expected = model.get(key)
                if expected is not None:
                    model.move_to_end(key)
                if operation == "get":
                    assert await store.get("c", key) == expected
                else:
                    assert await store.get_many("c", [key]) == [expected]
        assert sorted(await store.keys("c")) == sorted(model)

    asyncio.run(scenario())


# -- expiry and reclamation -----------------------------------------------------------


async def _write_expiring(store: MemoryStore, count: int, ttl: float) -> None:
    for start in range(0, count, 1_000):
        items = {f"key-{n}": {"n": n, "pad": "x" * 50} for n in range(start, start + 1_000)}
        await store.put_many("bulk", items, ttl=ttl)


async def _wait_for_entry_count(store: MemoryStore, count: int, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    # Polling on purpose: the store offers no event, the reaper works in the background.
    while store.entry_count > count and time.monotonic() < deadline:  # noqa: ASYNC110
        await asyncio.sleep(0.02)


@pytest.mark.slow
async def test_100k_expired_entries_are_reclaimed_without_any_call() -> None:
    store = MemoryStore(max_entries=200_000)
    await store.put("kept", "k", {"v": 1})
    await _write_expiring(store, 100_000, ttl=0.05)
    await _wait_for_entry_count(store, 1)
    assert store.entry_count == 1
    assert await store.get("kept", "k") == {"v": 1}
    assert await store.keys("bulk") == []


@pytest.mark.slow
async def test_memory_of_expired_entries_is_handed_back_without_any_call() -> None:
    store = MemoryStore(max_entries=200_000)
    await store.put("warm", "up", {})  # allocations that last; measure from after them
    gc.collect()
    tracemalloc.start()  # slows writes tenfold: fewer, larger entries and a longer TTL
    try:
        before = tracemalloc.get_traced_memory()[0]
        for start in range(0, 5_000, 500):
            items = {f"key-{n}": {"n": n, "pad": "x" * 400} for n in range(start, start + 500)}
            await store.put_many("bulk", items, ttl=2.0)
        del items  # the test's own last batch is not what the store holds
        held = tracemalloc.get_traced_memory()[1] - before
        await _wait_for_entry_count(store, 1)
        gc.collect()
        after = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert store.entry_count == 1
    assert held > 2_000_000, f"5k entries should hold over 2 MB, held {held:,}"
    assert after < held / 20, f"{after:,} bytes still held of {held:,}"


async def test_clear_collection_hands_memory_back() -> None:
    store = MemoryStore(max_entries=200_000)
    await store.put("kept", "k", {})
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for start in range(0, 5_000, 500):
            items = {f"key-{n}": {"pad": "x" * 400} for n in range(start, start + 500)}
            await store.put_many("bulk", items)
        del items  # the test's own last batch is not what the store holds
        held = tracemalloc.get_traced_memory()[0] - before
        assert await store.clear_collection("bulk") == 5_000
        gc.collect()
        after = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert await store.keys("kept") == ["k"]
    assert after < held / 20, f"{after:,} bytes still held of {held:,}"


async def test_single_writes_reclaim_while_the_loop_never_idles() -> None:
    # The loop below never yields to the event loop, so no reaper runs: only writes reclaim.
    store = MemoryStore(max_entries=1_000_000)
    for round_ in range(4):
        for n in range(5_000):
            await store.put("c", f"r{round_}-{n}", {}, ttl=0.001)
        time.sleep(0.03)  # noqa: ASYNC251 - let entries expire without idling the loop
    # Each round's writes reclaimed the round before it; only the last round is left.
    assert store.entry_count <= 5_000


async def test_expiry_follows_the_monotonic_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    store = MemoryStore()
    await store.put("c", "k", {"v": 1}, ttl=0.05)
    await asyncio.sleep(0.1)
    real_time = time.time
    # The wall clock is set back an hour: the entry has still expired.
    monkeypatch.setattr(time, "time", lambda: real_time() - 3600)
    assert await store.get("c", "k") is None
    assert await store.keys("c") == []
    assert await store.delete("c", "k") is False


async def test_expired_entries_are_hidden_from_management_operations() -> None:
    store = MemoryStore()
    await store.put_many("gone", {"a": {}, "b": {}}, ttl=0.02)
    await store.put("kept", "a", {}, ttl=60)
    await asyncio.sleep(0.04)
    assert await store.keys("gone") == []
    assert await store.list_collections() == ["kept"]
    assert await store.delete_many("gone", ["a", "b"]) == 0
    assert await store.clear_collection("gone") == 0


async def test_the_longest_ttls_mean_never_in_practice() -> None:
    store = MemoryStore()
    await store.put("c", "a", {"v": 1}, ttl=1e300)
    await store.put_many("c", {"b": {"v": 2}}, ttl=1.7e308)
    assert await store.get_many("c", ["a", "b"]) == [{"v": 1}, {"v": 2}]
    await store.cull()
    assert store.entry_count == 2
    assert await store.delete("c", "a") is True


async def test_cull_reclaims_at_once() -> None:
    store = MemoryStore()
    await store.put("c", "live", {}, ttl=60)
    await store.put_many("c", {f"k{n}": {} for n in range(100)}, ttl=0.01)
    time.sleep(0.02)  # noqa: ASYNC251 - block the loop so that no reaper runs before cull
    assert store.entry_count == 101
    await store.cull()
    assert store.entry_count == 1


async def test_rewriting_a_key_keeps_its_new_expiry() -> None:
    store = MemoryStore()
    await store.put("c", "k", {"v": 1}, ttl=0.03)
    await store.put("c", "k", {"v": 2}, ttl=60)
    await asyncio.sleep(0.1)  # the reaper ran for the first expiry
    assert await store.get("c", "k") == {"v": 2}
    await store.put("c", "k", {"v": 3}, ttl=0.03)
    await store.put("c", "k", {"v": 4})
    await asyncio.sleep(0.1)
    assert await store.get("c", "k") == {"v": 4}


# -- event loops, threads and lifecycle -----------------------------------------------


def test_one_store_serves_one_event_loop_after_another() -> None:
    store = MemoryStore()

    async def write_then_wait() -> int:
        await store.put("c", "short", {}, ttl=0.03)
        await store.put("c", "long", {"v": 1})
        await _wait_for_entry_count(store, 1)
        return store.entry_count

    for _ in range(3):
        # Each run has its own loop; the reaper follows the store to the new one.
        assert asyncio.run(write_then_wait()) == 1
    assert asyncio.run(store.get("c", "long")) == {"v": 1}


def test_loops_in_several_threads_share_a_store() -> None:
    store = MemoryStore(max_entries=500)
    errors: list[BaseException] = []

    async def hammer(worker: int) -> None:
        for n in range(3_000):
            key = f"k{n % 700}"
            await store.put("c", key, {"w": worker, "n": n}, ttl=0.01 if n % 3 else None)
            await store.get_many("c", [key, f"k{(n * 7) % 700}"])
            if n % 50 == 0:
                await store.keys("c")
                await asyncio.sleep(0)

    def run(worker: int) -> None:
        try:
            asyncio.run(hammer(worker))
        except BaseException as exc:  # collected and re-raised by the test thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(worker,)) for worker in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert store.entry_count <= 500


async def test_a_dropped_store_is_not_kept_alive_by_its_reaper() -> None:
    store = MemoryStore()
    await store.put("c", "k", {}, ttl=3600)
    ref = weakref.ref(store)
    del store
    gc.collect()
    assert ref() is None


async def test_a_closed_store_keeps_working() -> None:
    store = MemoryStore()
    await store.put("c", "k", {"v": 1}, ttl=60)
    await store.close()
    assert await store.get("c", "k") == {"v": 1}
    await store.put("c", "short", {}, ttl=0.02)
    await _wait_for_entry_count(store, 1)
    assert store.entry_count == 1
