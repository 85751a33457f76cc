"""MemoryStore against a raw ``cachetools.TTLCache``: ``python -m benchmarks.bench_memory``.

The raw reference is the practical limit: dict values stored as they are (no copy, no
encoding), each operation called from an ``async def`` as the store's are. Both hold the
same prefilled keys; every write carries a TTL (TTLCache's global one; the store's ``ttl=``).
Prints markdown tables: median ops/s (keys/s for batch cases), the ratio to raw, and the
keys/s of each batch call relative to the single call of the same store.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
from collections.abc import Awaitable, Callable
from typing import Any

from cachetools import TTLCache

from kvstore.memory import MemoryStore

from ._harness import Case, median, report, run_cases

COLLECTION = "bench"
TTL = 300.0
PREFILL = 10_000
BATCH = 100
TASKS = 64
VALUE: dict[str, Any] = {
    "name": "Ada Lovelace",
    "email": "ada@example.com",
    "age": 36,
    "active": True,
    "tags": ["math", "engines"],
    "address": {"city": "London", "zip": "W1"},
}


class Raw:
    """The reference: a TTLCache keyed like the store, behind async functions."""

    def __init__(self) -> None:
        self.cache: TTLCache[tuple[str, str], dict[str, Any]] = TTLCache(
            maxsize=PREFILL * 4, ttl=TTL
        )

    async def get(self, collection: str, key: str) -> dict[str, Any] | None:
        return self.cache.get((collection, key))

    async def put(self, collection: str, key: str, value: dict[str, Any]) -> None:
        self.cache[(collection, key)] = value

    async def get_many(self, collection: str, keys: list[str]) -> list[dict[str, Any] | None]:
        get = self.cache.get
        return [get((collection, key)) for key in keys]

    async def put_many(self, collection: str, items: dict[str, dict[str, Any]]) -> None:
        cache = self.cache
        for key, value in items.items():
            cache[(collection, key)] = value


def _keys(count: int, prefix: str = "key") -> list[str]:
    return [f"{prefix}-{n:06d}" for n in range(count)]


def build_cases(ops: int) -> tuple[list[Case], Callable[[], Awaitable[None]]]:
    """Return the cases and a coroutine function that prefills both stores."""
    store = MemoryStore(max_entries=PREFILL * 4)
    raw = Raw()
    hits = _keys(PREFILL)
    misses = _keys(ops, prefix="missing")
    writes = _keys(ops, prefix="written")
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
    ]
    return cases, prefill


def batch_report(cases: list[Case]) -> str:
    """Keys/s of each batch call relative to the single call, per variant (>= 1.00x wanted)."""
    by_name = {case.name: case for case in cases}
    lines = [
        "## Batch vs single calls (keys/s of the batch call / ops/s of the single call)",
        "",
        "| variant | get_many / get | put_many / put |",
        "|---|---:|---:|",
    ]
    for variant in ("raw TTLCache", "MemoryStore"):
        get_ratio = median(by_name[f"get_many({BATCH}) keys"], variant) / median(
            by_name["get hit"], variant
        )
        put_ratio = median(by_name[f"put_many({BATCH}) keys"], variant) / median(
            by_name["put"], variant
        )
        lines.append(f"| {variant} | {get_ratio:.2f}x | {put_ratio:.2f}x |")
    return "\n".join(lines)


async def main(ops: int, repetitions: int) -> None:
    cases, prefill = build_cases(ops)
    await prefill()
    await run_cases(cases, repetitions=repetitions)
    print(report(f"MemoryStore vs raw cachetools.TTLCache ({ops} ops per sample)", cases))
    print()
    print(batch_report(cases))
    spread = max(
        statistics.pstdev(samples) / statistics.mean(samples)
        for case in cases
        for samples in case.results.values()
    )
    print(f"\nlargest relative spread between repetitions: {spread:.0%}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ops", type=int, default=5_000, help="operations per sample")
    parser.add_argument("--repetitions", type=int, default=9, help="interleaved repetitions")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.ops, arguments.repetitions))
