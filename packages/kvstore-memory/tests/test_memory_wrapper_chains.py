"""Atomic operations through wrapper chains over one MemoryStore, from many threads and loops."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from typing import TypeVar

from kvstore.core import BaseKVStore
from kvstore.core.wrappers import (
    CompressionWrapper,
    PrefixCollectionWrapper,
    StatisticsWrapper,
    TTLClampWrapper,
)
from kvstore.memory import MemoryStore

T = TypeVar("T")
THREADS = 4
TASKS = 16
"""64 racers in all: TASKS tasks on the event loop of each of THREADS threads."""


def chain(store: MemoryStore) -> StatisticsWrapper:
    return StatisticsWrapper(
        TTLClampWrapper(
            PrefixCollectionWrapper(CompressionWrapper(store, min_size=0), "app"), 1, 3600
        )
    )


def race(store: BaseKVStore, call: Callable[[BaseKVStore], Awaitable[T]]) -> list[T]:
    """Run ``call(store)`` TASKS times at once on a loop of its own in each of THREADS."""
    results: list[list[T]] = [[] for _ in range(THREADS)]
    start = threading.Barrier(THREADS)

    async def tasks() -> list[T]:
        return list(await asyncio.gather(*(call(store) for _ in range(TASKS))))

    def run(index: int) -> None:
        start.wait()
        results[index] = asyncio.run(tasks())

    threads = [threading.Thread(target=run, args=(index,)) for index in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return [result for thread_results in results for result in thread_results]


def test_add_from_threads_through_a_chain_writes_once() -> None:
    store = chain(MemoryStore())
    added = race(store, lambda store: store.add("jobs", "nightly", {"by": "someone"}, ttl=60))
    assert added.count(True) == 1
    stats = store.statistics.get_collection("jobs").add
    assert (stats.count, stats.hit, stats.miss) == (THREADS * TASKS, 1, THREADS * TASKS - 1)


def test_increment_from_threads_through_a_chain_counts_every_call() -> None:
    memory = MemoryStore()
    store = chain(memory)
    counts = race(store, lambda store: store.increment("hits", "k", ttl=60))
    assert sorted(counts) == list(range(1, THREADS * TASKS + 1))
    assert asyncio.run(memory.get("app__hits", "k")) == {"count": THREADS * TASKS}


def test_take_from_threads_through_a_chain_gives_the_value_once() -> None:
    store = chain(MemoryStore())
    value = {"token": "x" * 2000}  # compressed on the way in
    asyncio.run(store.put("tokens", "t", value))
    taken = race(store, lambda store: store.take("tokens", "t"))
    assert [found for found in taken if found is not None] == [value]
