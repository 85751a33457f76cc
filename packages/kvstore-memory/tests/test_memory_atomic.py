"""MemoryStore's atomic operations hold across threads and event loops (the store's lock)."""

from __future__ import annotations

import asyncio
import threading

from kvstore.memory import MemoryStore

THREADS = 8
CALLS = 500


def _in_threads(store: MemoryStore, work: object) -> list[object]:
    """Run ``work(store)`` (a coroutine function) on its own event loop in each of THREADS."""
    results: list[object] = [None] * THREADS
    start = threading.Barrier(THREADS)

    def run(index: int) -> None:
        start.wait()
        results[index] = asyncio.run(work(store))  # type: ignore[operator]

    threads = [threading.Thread(target=run, args=(index,)) for index in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_increment_from_threads_and_loops_counts_every_call() -> None:
    store = MemoryStore(max_entries=10)

    async def work(store: MemoryStore) -> list[int]:
        return [await store.increment("c", "n") for _ in range(CALLS)]

    counts = [count for result in _in_threads(store, work) for count in result]  # type: ignore[attr-defined]
    assert sorted(counts) == list(range(1, THREADS * CALLS + 1))


def test_add_and_take_from_threads_have_one_winner_per_key() -> None:
    store = MemoryStore(max_entries=3 * CALLS)
    asyncio.run(store.put_many("c", {f"token-{n}": {"n": n} for n in range(CALLS)}))

    async def work(store: MemoryStore) -> tuple[list[bool], list[bool]]:
        added = [await store.add("c", f"once-{n}", {"v": 1}) for n in range(CALLS)]
        taken = [await store.take("c", f"token-{n}") is not None for n in range(CALLS)]
        return added, taken

    results: list[tuple[list[bool], list[bool]]] = _in_threads(store, work)  # type: ignore[assignment]
    for n in range(CALLS):
        assert sum(added[n] for added, _ in results) == 1
        assert sum(taken[n] for _, taken in results) == 1


async def test_a_touched_entry_is_reclaimed_at_its_new_deadline() -> None:
    store = MemoryStore()
    await store.put("c", "k", {"v": 1}, ttl=60)
    assert await store.touch("c", "k", 0.05) is True
    await asyncio.sleep(0.3)
    assert store.entry_count == 0  # the reaper filed it under the new deadline
