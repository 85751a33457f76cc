"""DiskStore's atomic operations against a raw ``diskcache.Cache`` doing the same atomic thing.

``python -m benchmarks.bench_disk_atomic``. The raw reference is a default
``diskcache.Cache(directory)`` holding the same values as JSON strings under str keys,
called from an ``async def`` as the store is. Raw equivalents (each atomic in diskcache):

- add: ``cache.add(key, json.dumps(value), expire=TTL)`` on a new key;
- take: ``json.loads(cache.pop(key))`` of a key written beforehand (outside the timing);
- touch: ``cache.touch(key, expire=TTL)`` (the store also rewrites the envelope's times);
- get_versioned: ``json.loads(cache.get(key))`` (diskcache has no version to return);
- put_versioned: a read-modify-write cycle: the store's get_versioned then put_versioned
  against ``cache.get`` then, inside ``cache.transact()``, a get, a comparison with the text
  read and a set;
- increment: ``cache.incr(key)`` (an int column, where the store rewrites ``{"count": n}``).

Prints a markdown table: median ops/s and the ratio to raw.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import tempfile

import diskcache

from kvstore.disk import DiskStore

from ._harness import VALUE, Case, Runner, report, run_cases, sample_keys

COLLECTION = "bench"
TTL = 300.0


def build_cases(ops: int, runs: int, store: DiskStore, cache: diskcache.Cache) -> list[Case]:
    """Return the cases; ``runs`` is how often each runner is called (warm-up included)."""
    hot = sample_keys(ops, prefix="hot")
    rounds: dict[str, int] = {}

    def fresh(variant: str) -> list[str]:
        """Keys no runner has used: one slice per call of a runner."""
        rounds[variant] = rounds.get(variant, 0) + 1
        return sample_keys(ops, prefix=f"{variant}-{rounds[variant]}")

    async def store_add() -> int:
        for key in fresh("store-add"):
            await store.add(COLLECTION, key, VALUE, ttl=TTL)
        return ops

    async def raw_add() -> int:
        for key in fresh("raw-add"):
            cache.add(f"{COLLECTION}:{key}", json.dumps(VALUE), expire=TTL)
        return ops

    store_takes = [sample_keys(ops, prefix=f"store-take-{run}") for run in range(runs)]
    raw_takes = [sample_keys(ops, prefix=f"raw-take-{run}") for run in range(runs)]

    async def store_take() -> int:
        for key in store_takes.pop():
            await store.take(COLLECTION, key)
        return ops

    async def raw_take() -> int:
        for key in raw_takes.pop():
            json.loads(cache.pop(f"{COLLECTION}:{key}"))
        return ops

    async def store_touch() -> int:
        for key in hot:
            await store.touch(COLLECTION, key, TTL)
        return ops

    async def raw_touch() -> int:
        for key in hot:
            cache.touch(f"{COLLECTION}:{key}", expire=TTL)
        return ops

    async def store_get_versioned() -> int:
        for key in hot:
            await store.get_versioned(COLLECTION, key)
        return ops

    async def raw_get() -> int:
        for key in hot:
            json.loads(cache.get(f"{COLLECTION}:{key}"))
        return ops

    async def store_cycle() -> int:
        for key in hot:
            seen = await store.get_versioned(COLLECTION, key)
            assert seen is not None
            await store.put_versioned(COLLECTION, key, VALUE, version=seen.version, ttl=TTL)
        return ops

    async def raw_cycle() -> int:
        for key in hot:
            name = f"{COLLECTION}:{key}"
            seen = cache.get(name)
            json.loads(seen)
            with cache.transact():
                if cache.get(name) == seen:
                    cache.set(name, json.dumps(VALUE), expire=TTL)
        return ops

    async def store_increment() -> int:
        for key in hot:
            await store.increment("counters", key)
        return ops

    async def raw_increment() -> int:
        for key in hot:
            cache.incr(f"counters:{key}")
        return ops

    def pair(raw: Runner, ours: Runner) -> dict[str, Runner]:
        return {"raw diskcache": raw, "DiskStore": ours}

    return [
        Case("add (new key)", "raw diskcache", pair(raw_add, store_add)),
        Case("take", "raw diskcache", pair(raw_take, store_take)),
        Case("touch", "raw diskcache", pair(raw_touch, store_touch)),
        Case("get_versioned", "raw diskcache", pair(raw_get, store_get_versioned)),
        Case("put_versioned (read + CAS)", "raw diskcache", pair(raw_cycle, store_cycle)),
        Case("increment", "raw diskcache", pair(raw_increment, store_increment)),
    ]


async def prefill(ops: int, runs: int, store: DiskStore, cache: diskcache.Cache) -> None:
    """Write the hot keys and every slice the take runners remove."""
    await store.put_many(COLLECTION, dict.fromkeys(sample_keys(ops, prefix="hot"), VALUE), ttl=TTL)
    with cache.transact():
        for key in sample_keys(ops, prefix="hot"):
            cache.set(f"{COLLECTION}:{key}", json.dumps(VALUE), expire=TTL)
    for run in range(runs):
        keys = sample_keys(ops, prefix=f"store-take-{run}")
        await store.put_many(COLLECTION, dict.fromkeys(keys, VALUE), ttl=TTL)
        with cache.transact():
            for key in sample_keys(ops, prefix=f"raw-take-{run}"):
                cache.set(f"{COLLECTION}:{key}", json.dumps(VALUE), expire=TTL)


async def main(ops: int, repetitions: int) -> str:
    directory = tempfile.mkdtemp(prefix="kvstore-bench-disk-atomic-")
    cache = diskcache.Cache(f"{directory}/raw")
    store = DiskStore(f"{directory}/store")
    runs = repetitions + 1  # the harness warms each runner up once
    try:
        cases = build_cases(ops, runs, store, cache)
        await prefill(ops, runs, store, cache)
        await run_cases(cases, repetitions=repetitions)
    finally:
        await store.close()
        cache.close()
        shutil.rmtree(directory, ignore_errors=True)
    return report("DiskStore atomic operations vs raw diskcache.Cache (JSON strings)", cases)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ops", type=int, default=1_000, help="operations per repetition")
    parser.add_argument("--repetitions", type=int, default=7)
    arguments = parser.parse_args()
    print(asyncio.run(main(arguments.ops, arguments.repetitions)))
