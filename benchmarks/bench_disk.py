"""DiskStore against a raw ``diskcache.Cache``: ``python -m benchmarks.bench_disk``.

The raw reference stores the same values as JSON strings (``json.dumps`` on the way in,
``json.loads`` on the way out) under str keys, with the same TTL, and is called from an
``async def`` as the store is. It has no batch call: its get_many is a loop of gets and
its put_many a loop of sets inside one ``Cache.transact()``. Both caches live in fresh
temporary directories; the raw one is a default ``diskcache.Cache(directory)``, as users create
it (least-recently-stored eviction, 1 GB size limit), not given the store's settings.

Prints markdown tables: median ops/s (keys/s for batch cases) with the ratio to raw, and
the keys/s of each DiskStore batch call relative to the same keys written, read or deleted
one call at a time (a variant of the same case, so measured interleaved with it).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import tempfile
from collections.abc import Awaitable, Callable
from typing import Any

import diskcache

from kvstore.disk import DiskStore

from ._harness import VALUE, Case, Runner, median, report, run_cases, sample_keys

COLLECTION = "bench"
TTL = 300.0
PREFILL = 10_000
BATCH = 100
TASKS = 64
SINGLY = f"DiskStore, {BATCH} single calls"
"""The variant of each batch case that does the same work one key per call."""


class Raw:
    """The reference: a diskcache.Cache holding JSON strings, behind async functions."""

    def __init__(self, directory: str) -> None:
        self.cache = diskcache.Cache(directory)

    async def get(self, collection: str, key: str) -> dict[str, Any] | None:
        text = self.cache.get(f"{collection}:{key}")
        return None if text is None else json.loads(text)  # type: ignore[no-any-return]

    async def put(self, collection: str, key: str, value: dict[str, Any]) -> None:
        self.cache.set(f"{collection}:{key}", json.dumps(value), expire=TTL)

    async def delete(self, collection: str, key: str) -> bool:
        return bool(self.cache.delete(f"{collection}:{key}"))

    async def get_many(self, collection: str, keys: list[str]) -> list[dict[str, Any] | None]:
        get = self.cache.get
        texts = [get(f"{collection}:{key}") for key in keys]
        return [None if text is None else json.loads(text) for text in texts]

    async def put_many(self, collection: str, items: dict[str, dict[str, Any]]) -> None:
        cache = self.cache
        with cache.transact():
            for key, value in items.items():
                cache.set(f"{collection}:{key}", json.dumps(value), expire=TTL)


def build_cases(
    ops: int, runs: int, store: DiskStore, raw: Raw
) -> tuple[list[Case], Callable[[], Awaitable[None]]]:
    """Return the cases and a coroutine function that prefills both caches.

    ``runs`` is how often each runner is called (warm-up included): every call of a
    delete runner removes its own slice of rows written by the prefill.
    """
    hits = sample_keys(PREFILL)
    doomed = {
        variant: [sample_keys(ops, prefix=f"{variant}-{run}") for run in range(runs)]
        for variant in ("raw", "raw-batch", "single", "batch", "batch-single")
    }
    misses = sample_keys(ops, prefix="missing")
    writes = sample_keys(ops, prefix="written")
    batches = [hits[start : start + BATCH] for start in range(0, ops, BATCH)]
    write_batches = [
        dict.fromkeys(writes[start : start + BATCH], VALUE) for start in range(0, ops, BATCH)
    ]

    async def prefill() -> None:
        for start in range(0, PREFILL, 1_000):
            chunk = dict.fromkeys(hits[start : start + 1000], VALUE)
            await store.put_many(COLLECTION, chunk, ttl=TTL)
            await raw.put_many(COLLECTION, chunk)
        for run in range(runs):
            for start in range(0, ops, 1_000):
                for variant in ("raw", "raw-batch"):
                    chunk = dict.fromkeys(doomed[variant][run][start : start + 1000], VALUE)
                    await raw.put_many(COLLECTION, chunk)
                for variant in ("single", "batch", "batch-single"):
                    chunk = dict.fromkeys(doomed[variant][run][start : start + 1000], VALUE)
                    await store.put_many(COLLECTION, chunk, ttl=TTL)

    async def store_put() -> int:
        for key in writes:
            await store.put(COLLECTION, key, VALUE, ttl=TTL)
        return ops

    async def raw_put() -> int:
        for key in writes:
            await raw.put(COLLECTION, key, VALUE)
        return ops

    async def store_get() -> int:
        for key in hits[:ops]:
            await store.get(COLLECTION, key)
        return ops

    async def raw_get() -> int:
        for key in hits[:ops]:
            await raw.get(COLLECTION, key)
        return ops

    async def store_miss() -> int:
        for key in misses:
            await store.get(COLLECTION, key)
        return ops

    async def raw_miss() -> int:
        for key in misses:
            await raw.get(COLLECTION, key)
        return ops

    async def store_get_many() -> int:
        for batch in batches:
            await store.get_many(COLLECTION, batch)
        return ops

    async def raw_get_many() -> int:
        for batch in batches:
            await raw.get_many(COLLECTION, batch)
        return ops

    async def store_put_many() -> int:
        for items in write_batches:
            await store.put_many(COLLECTION, items, ttl=TTL)
        return ops

    async def store_put_singly() -> int:
        for items in write_batches:
            for key, value in items.items():
                await store.put(COLLECTION, key, value, ttl=TTL)
        return ops

    async def store_get_singly() -> int:
        for batch in batches:
            for key in batch:
                await store.get(COLLECTION, key)
        return ops

    async def raw_put_many() -> int:
        for items in write_batches:
            await raw.put_many(COLLECTION, items)
        return ops

    def deleter(variant: str, delete: Callable[[list[str]], Awaitable[object]]) -> Runner:
        slices = iter(doomed[variant])

        async def run() -> int:
            keys = next(slices)
            for start in range(0, ops, BATCH):
                await delete(keys[start : start + BATCH])
            return ops

        return run

    async def raw_delete(keys: list[str]) -> None:
        for key in keys:
            await raw.delete(COLLECTION, key)

    async def store_delete(keys: list[str]) -> None:
        for key in keys:
            await store.delete(COLLECTION, key)

    async def store_delete_many(keys: list[str]) -> None:
        await store.delete_many(COLLECTION, keys)

    per_task = max(ops // TASKS, 8)

    def mix(
        get: Callable[[str, str], Awaitable[object]],
        put: Callable[[str, str, dict[str, Any]], Awaitable[None]],
    ) -> Callable[[], Awaitable[int]]:
        async def task(offset: int) -> None:
            # Four reads for each write, on keys spread over the prefilled set.
            for n in range(per_task):
                key = hits[(offset * per_task + n * 7) % PREFILL]
                if n % 5 == 4:
                    await put(COLLECTION, key, VALUE)
                else:
                    await get(COLLECTION, key)

        async def run() -> int:
            await asyncio.gather(*(task(offset) for offset in range(TASKS)))
            return per_task * TASKS

        return run

    async def store_put_ttl(collection: str, key: str, value: dict[str, Any]) -> None:
        await store.put(collection, key, value, ttl=TTL)

    cases = [
        Case("put", "raw diskcache", {"raw diskcache": raw_put, "DiskStore": store_put}),
        Case("get hit", "raw diskcache", {"raw diskcache": raw_get, "DiskStore": store_get}),
        Case("get miss", "raw diskcache", {"raw diskcache": raw_miss, "DiskStore": store_miss}),
        Case(
            f"get_many({BATCH})",
            "raw diskcache",
            {
                "raw diskcache": raw_get_many,
                "DiskStore": store_get_many,
                SINGLY: store_get_singly,
            },
        ),
        Case(
            f"put_many({BATCH})",
            "raw diskcache",
            {
                "raw diskcache": raw_put_many,
                "DiskStore": store_put_many,
                SINGLY: store_put_singly,
            },
        ),
        Case(
            "delete",
            "raw diskcache",
            {
                "raw diskcache": deleter("raw", raw_delete),
                "DiskStore": deleter("single", store_delete),
            },
        ),
        Case(
            f"delete_many({BATCH})",
            "raw diskcache",
            {
                "raw diskcache": deleter("raw-batch", raw_delete),
                "DiskStore": deleter("batch", store_delete_many),
                SINGLY: deleter("batch-single", store_delete),
            },
        ),
        Case(
            f"{TASKS}-task mix",
            "raw diskcache",
            {"raw diskcache": mix(raw.get, raw.put), "DiskStore": mix(store.get, store_put_ttl)},
        ),
    ]
    return cases, prefill


async def main(ops: int, repetitions: int) -> str:
    directory = tempfile.mkdtemp(prefix="kvstore-bench-disk-")
    raw = Raw(f"{directory}/raw")
    store = DiskStore(f"{directory}/store")
    try:
        cases, prefill = build_cases(ops, repetitions + 1, store, raw)
        await prefill()
        await run_cases(cases, repetitions=repetitions)
    finally:
        await store.close()
        raw.cache.close()
        shutil.rmtree(directory, ignore_errors=True)
    lines = [
        report("DiskStore vs raw diskcache.Cache (JSON strings)", cases),
        "",
        "| batch call | keys/s relative to the same keys in single calls (same case) |",
        "|---|---:|",
    ]
    for case in cases:
        if SINGLY in case.results:
            ratio = median(case, "DiskStore") / median(case, SINGLY)
            lines.append(f"| {case.name} | {ratio:.2f}x |")
    return "\n".join(lines)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ops", type=int, default=2_000, help="operations per repetition")
    parser.add_argument("--repetitions", type=int, default=7)
    arguments = parser.parse_args()
    print(asyncio.run(main(arguments.ops, arguments.repetitions)))
