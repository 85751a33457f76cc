"""MemoryStore against a raw ``cachetools.TTLCache``: ``python -m benchmarks.bench_memory``.

The raw reference is the practical limit: dict values stored as they are (no copy, no
encoding), each operation called from an ``async def`` as the store's are. Both hold the
same prefilled keys; every write carries a TTL (TTLCache's global one; the store's ``ttl=``).
Prints a markdown table: median ops/s (keys/s for batch cases) and the ratio to raw; the
last two cases compare the store's batch calls (keys/s) with its single calls instead.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable
from typing import Any

from cachetools import TTLCache

from kvstore.core import _envelope
from kvstore.core._validation import normalize_ttl
from kvstore.memory import MemoryStore

from ._harness import VALUE, Case, report, run_cases, sample_keys

COLLECTION = "bench"
TTL = 300.0
PREFILL = 10_000
BATCH = 100
TASKS = 64


class Raw:
    """The reference: a TTLCache keyed like the store, behind async functions."""

    def __init__(self) -> None:
        self.cache: TTLCache[tuple[str, str], dict[str, Any]] = TTLCache(
            maxsize=PREFILL * 4, ttl=TTL
        )

    async def get(self, collection: str, key: str) -> dict[str, Any] | None:
        value: dict[str, Any] | None = self.cache.get((collection, key))
        return value

    async def put(self, collection: str, key: str, value: dict[str, Any]) -> None:
        self.cache[(collection, key)] = value

    async def get_many(self, collection: str, keys: list[str]) -> list[dict[str, Any] | None]:
        get = self.cache.get
        return [get((collection, key)) for key in keys]

    async def put_many(self, collection: str, items: dict[str, dict[str, Any]]) -> None:
        cache = self.cache
        for key, value in items.items():
            cache[(collection, key)] = value


def build_cases(ops: int) -> tuple[list[Case], Callable[[], Awaitable[None]]]:
    """Return the cases and a coroutine function that prefills both stores."""
    store = MemoryStore(max_entries=PREFILL * 4)
    raw = Raw()
    hits = sample_keys(PREFILL)
    misses = sample_keys(ops, prefix="missing")
    writes = sample_keys(ops, prefix="written")
    batches = [hits[start : start + BATCH] for start in range(0, ops, BATCH)]
    write_batches = [
        dict.fromkeys(writes[start : start + BATCH], VALUE) for start in range(0, ops, BATCH)
    ]

    async def prefill() -> None:
        for start in range(0, PREFILL, 1_000):
            chunk = dict.fromkeys(hits[start : start + 1_000], VALUE)
            await store.put_many(COLLECTION, chunk, ttl=TTL)
            await raw.put_many(COLLECTION, chunk)

    async def store_put() -> int:
        for key in writes:
            await store.put(COLLECTION, key, VALUE, ttl=TTL)
        return len(writes)

    async def raw_put() -> int:
        for key in writes:
            await raw.put(COLLECTION, key, VALUE)
        return len(writes)

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

    async def raw_put_many() -> int:
        for items in write_batches:
            await raw.put_many(COLLECTION, items)
        return ops

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
        Case("put", "raw TTLCache", {"raw TTLCache": raw_put, "MemoryStore": store_put}),
        Case("get hit", "raw TTLCache", {"raw TTLCache": raw_get, "MemoryStore": store_get}),
        Case("get miss", "raw TTLCache", {"raw TTLCache": raw_miss, "MemoryStore": store_miss}),
        Case(
            f"get_many({BATCH}) keys",
            "raw TTLCache",
            {"raw TTLCache": raw_get_many, "MemoryStore": store_get_many},
        ),
        Case(
            f"put_many({BATCH}) keys",
            "raw TTLCache",
            {"raw TTLCache": raw_put_many, "MemoryStore": store_put_many},
        ),
        Case(
            f"{TASKS}-task mix (4 get : 1 put)",
            "raw TTLCache",
            {
                "raw TTLCache": mix(raw.get, raw.put),
                "MemoryStore": mix(store.get, store_put_ttl),
            },
        ),
        Case(
            f"batch vs single: put_many({BATCH}) keys/s vs put ops/s",
            "MemoryStore put",
            {"MemoryStore put": store_put, f"MemoryStore put_many({BATCH})": store_put_many},
        ),
        Case(
            f"batch vs single: get_many({BATCH}) keys/s vs get ops/s",
            "MemoryStore get",
            {"MemoryStore get": store_get, f"MemoryStore get_many({BATCH})": store_get_many},
        ),
    ]
    return cases, prefill


async def main(ops: int, repetitions: int) -> None:
    cases, prefill = build_cases(ops)
    await prefill()
    await run_cases(cases, repetitions=repetitions)
    print(report(f"MemoryStore vs raw cachetools.TTLCache ({ops} ops per sample)", cases))
    spread = max(
        statistics.pstdev(samples) / statistics.mean(samples)
        for case in cases
        for samples in case.results.values()
    )
    print(f"\nlargest relative spread between repetitions: {spread:.0%}")


def _best_ns(run: Callable[[], object], loops: int = 2_000, repetitions: int = 15) -> float:
    """The fastest of ``repetitions`` timings of ``loops`` calls, in ns per call."""
    best = float("inf")
    for _ in range(repetitions):
        start = time.perf_counter_ns()
        for _ in range(loops):
            run()
        best = min(best, (time.perf_counter_ns() - start) / loops)
    return best


async def _best_ns_async(
    run: Callable[[], Awaitable[object]], loops: int = 2_000, repetitions: int = 15
) -> float:
    best = float("inf")
    for _ in range(repetitions):
        start = time.perf_counter_ns()
        for _ in range(loops):
            await run()
        best = min(best, (time.perf_counter_ns() - start) / loops)
    return best


async def breakdown() -> None:
    """Print what each stage of a get and a put costs, core stages included (best of 15)."""
    store = MemoryStore(max_entries=PREFILL)
    raw = Raw()
    await store.put(COLLECTION, "k", VALUE, ttl=TTL)
    await raw.put(COLLECTION, "k", VALUE)
    record = store._read_record(COLLECTION, "k")
    assert record is not None
    payload = _envelope.encode(COLLECTION, "k", VALUE, TTL, time.time())
    cache = raw.cache
    name = (COLLECTION, "k")
    codec = store.codec

    async def nothing() -> None:
        return None

    rows = [
        ("raw: TTLCache.get, sync", _best_ns(lambda: cache.get(name))),
        ("raw: TTLCache set, sync", _best_ns(lambda: cache.__setitem__(name, VALUE))),
        ("await of an empty coroutine", await _best_ns_async(nothing)),
        ("MemoryStore.get, total", await _best_ns_async(lambda: store.get(COLLECTION, "k"))),
        ("  backend: MemoryStore._read_record", _best_ns(lambda: store._read_record(*name))),
        ("  core: codec.thaw (the value copy)", _best_ns(lambda: codec.thaw(record.snapshot))),
        (
            "MemoryStore.put, total",
            await _best_ns_async(lambda: store.put(COLLECTION, "k", VALUE, ttl=TTL)),
        ),
        ("  core: normalize_ttl", _best_ns(lambda: normalize_ttl(TTL))),
        (
            "  core: codec.snapshot (check and copy)",
            _best_ns(lambda: codec.snapshot(*name, VALUE)),
        ),
        (
            "  backend: MemoryStore._write_record",
            _best_ns(lambda: store._write_record(*name, record)),
        ),
        ("for comparison, envelope backends:", 0.0),
        ("  _envelope.decode", _best_ns(lambda: _envelope.decode(payload, *name))),
        ("  _envelope.encode", _best_ns(lambda: _envelope.encode(*name, VALUE, TTL, 1.0))),
    ]
    print(f"## Where a get and a put spend their time ({len(payload)}-character envelope)")
    print()
    print("| stage | ns per call |")
    print("|---|---:|")
    for label, ns in rows:
        print(f"| {label.replace('  ', '&nbsp;&nbsp;')} | {ns:,.0f} |")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ops", type=int, default=1_000, help="operations per sample")
    parser.add_argument("--repetitions", type=int, default=41, help="interleaved repetitions")
    parser.add_argument(
        "--breakdown", action="store_true", help="print the cost of each stage of get and put"
    )
    arguments = parser.parse_args()
    if arguments.breakdown:
        asyncio.run(breakdown())
    else:
        asyncio.run(main(arguments.ops, arguments.repetitions))
