"""MemoryStore's atomic operations against a raw ``cachetools.TTLCache`` doing the same thing.

``python -m benchmarks.bench_memory_atomic``. The raw reference holds the same entries in a
TTLCache behind a ``threading.Lock`` (what makes a check-then-write atomic across threads, as
the store's lock does), with values stored as they are (no copy); every operation is an
``async def``, as the store's are. Raw equivalents:

- add: under the lock, write only if the key is absent;
- take: ``cache.pop(key, None)`` under the lock;
- touch: re-insert the value under the lock (TTLCache's only way to restart an entry's TTL);
- get_versioned / put_versioned: a (value, version) pair per key, the version a counter,
  compared and replaced under the lock;
- increment: read ``{"count": n}``, write ``{"count": n + amount}`` under the lock.

Prints a markdown table: median ops/s and the ratio to raw.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import threading
from collections.abc import Awaitable, Callable
from typing import Any

from cachetools import TTLCache

from kvstore.memory import MemoryStore

from ._harness import VALUE, Case, report, run_cases, sample_keys

COLLECTION = "bench"
TTL = 300.0


class Raw:
    """The reference: a TTLCache keyed like the store, each compound step under a lock."""

    def __init__(self, size: int) -> None:
        self.cache: TTLCache[tuple[str, str], Any] = TTLCache(maxsize=size, ttl=TTL)
        self.lock = threading.Lock()
        self.versions = itertools.count(1)

    async def add(self, collection: str, key: str, value: dict[str, Any]) -> bool:
        name = (collection, key)
        with self.lock:
            if name in self.cache:
                return False
            self.cache[name] = value
            return True

    async def take(self, collection: str, key: str) -> Any:
        with self.lock:
            return self.cache.pop((collection, key), None)

    async def touch(self, collection: str, key: str) -> bool:
        name = (collection, key)
        with self.lock:
            value = self.cache.get(name)
            if value is None:
                return False
            self.cache[name] = value
            return True

    async def get_versioned(self, collection: str, key: str) -> Any:
        with self.lock:
            return self.cache.get((collection, key))

    async def put_versioned(
        self, collection: str, key: str, value: dict[str, Any], version: int | None
    ) -> bool:
        name = (collection, key)
        with self.lock:
            current = self.cache.get(name)
            if (None if current is None else current[1]) != version:
                return False
            self.cache[name] = (value, next(self.versions))
            return True

    async def increment(self, collection: str, key: str, amount: int = 1) -> int:
        name = (collection, key)
        with self.lock:
            current = self.cache.get(name)
            count: int = (0 if current is None else current["count"]) + amount
            self.cache[name] = {"count": count}
            return count


def build_cases(ops: int, repetitions: int) -> tuple[list[Case], Callable[[], Awaitable[None]]]:
    """Return the cases and a coroutine function that prefills both stores."""
    runs = repetitions + 1  # run_cases' warmup run, then the measured ones
    # Room for every key the runs write (add and take use fresh keys each repetition), so
    # nothing prefilled is ever evicted.
    size = ops * (8 + 2 * runs)
    store = MemoryStore(max_entries=size)
    raw = Raw(size)
    keys = sample_keys(ops)
    rounds = itertools.count()

    def fresh(prefix: str) -> list[str]:
        return [f"{prefix}{next(rounds)}-{key}" for key in keys]

    async def store_add() -> int:
        for key in fresh("s"):
            await store.add(COLLECTION, key, VALUE, ttl=TTL)
        return ops

    async def raw_add() -> int:
        for key in fresh("r"):
            await raw.add(COLLECTION, key, VALUE)
        return ops

    # take removes what it takes: each run takes a batch of its own, written by prefill.
    store_batches = [[f"take-{run}-{key}" for key in keys] for run in range(runs)]
    raw_batches = [list(batch) for batch in store_batches]

    async def store_take() -> int:
        for key in store_batches.pop():
            await store.take(COLLECTION, key)
        return ops

    async def raw_take() -> int:
        for key in raw_batches.pop():
            await raw.take(COLLECTION, key)
        return ops

    touched = keys[: ops // 10] or keys[:1]

    async def store_touch() -> int:
        for key in keys:
            await store.touch(COLLECTION, key, TTL)
        return ops

    async def raw_touch() -> int:
        for key in keys:
            await raw.touch(COLLECTION, key)
        return ops

    async def store_cas() -> int:
        # A read-modify-write round: get_versioned, then put_versioned with its version.
        for key in touched:
            found = await store.get_versioned(COLLECTION, key)
            assert found is not None
            await store.put_versioned(COLLECTION, key, VALUE, version=found.version, ttl=TTL)
        return len(touched)

    async def raw_cas() -> int:
        for key in touched:
            value, version = await raw.get_versioned(COLLECTION, f"v-{key}")
            await raw.put_versioned(COLLECTION, f"v-{key}", value, version)
        return len(touched)

    async def store_increment() -> int:
        for n in range(ops):
            await store.increment(COLLECTION, f"counter-{n % 100}")
        return ops

    async def raw_increment() -> int:
        for n in range(ops):
            await raw.increment(COLLECTION, f"counter-{n % 100}")
        return ops

    async def prefill() -> None:
        await store.put_many(COLLECTION, dict.fromkeys(keys, VALUE), ttl=TTL)
        for batch in store_batches:
            await store.put_many(COLLECTION, dict.fromkeys(batch, VALUE), ttl=TTL)
        with raw.lock:
            for batch in raw_batches:
                for key in batch:
                    raw.cache[(COLLECTION, key)] = VALUE
            for key in keys:
                raw.cache[(COLLECTION, key)] = VALUE
                raw.cache[(COLLECTION, f"v-{key}")] = (VALUE, next(raw.versions))

    cases = [
        Case("add (absent keys)", "raw", {"raw": raw_add, "MemoryStore": store_add}),
        Case("take (present keys)", "raw", {"raw": raw_take, "MemoryStore": store_take}),
        Case("touch", "raw", {"raw": raw_touch, "MemoryStore": store_touch}),
        Case(
            "get_versioned + put_versioned (one round)",
            "raw",
            {"raw": raw_cas, "MemoryStore": store_cas},
        ),
        Case("increment", "raw", {"raw": raw_increment, "MemoryStore": store_increment}),
    ]
    return cases, prefill


async def main(ops: int, repetitions: int) -> None:
    cases, prefill = build_cases(ops, repetitions)
    await prefill()
    await run_cases(cases, repetitions=repetitions)
    print(report(f"MemoryStore atomic operations vs raw TTLCache + lock ({ops} ops)", cases))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ops", type=int, default=10_000)
    parser.add_argument("--repetitions", type=int, default=7)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.ops, arguments.repetitions))
