"""Cache-aside under a cold start: ``python -m benchmarks.bench_cache_aside``.

1,000 concurrent requests for 10 keys (100 per key) arrive at an empty cache; computing a
value takes 50 ms (an ``asyncio.sleep``: a database query's latency, not CPU). Two ways
of serving them on the same store:

- ``naive get-then-put``: ``get``; on a miss compute and ``put`` (what cache-aside by
  hand does: every request that misses computes);
- ``get_or_set``: ``store.get_or_set(collection, key, factory)`` (one computation per key
  in flight; the others wait for it);
- ``get_or_set, lease=5``: the same with a lease entry (what several processes sharing
  the store would use; here one process, so it only adds the lease's round trips).

Reported per store (MemoryStore, DiskStore, RedisStore on a private redis-server): the
factory calls of one burst (the same every repetition) and the median wall time of a
burst over interleaved repetitions, with its ratio to the naive one. Each repetition
starts from an empty collection.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from typing import Any

from kvstore.core import BaseKVStore
from kvstore.disk import DiskStore
from kvstore.memory import MemoryStore
from kvstore.redis import RedisStore

from ._harness import VALUE
from .bench_redis import redis_servers

REQUESTS = 1_000
KEYS = 10
COMPUTE_SECONDS = 0.05
TTL = 300.0
LEASE_OPERATIONS = frozenset({"add", "get_versioned", "put_versioned"})
"""A store without them (RedisStore before its atomic operations) skips the lease row."""

Serve = Callable[[BaseKVStore, str, str, Callable[[], Awaitable[dict[str, Any]]]], Awaitable[Any]]


async def naive(
    store: BaseKVStore, collection: str, key: str, compute: Callable[[], Awaitable[Any]]
) -> Any:
    value = await store.get(collection, key)
    if value is None:
        value = await compute()
        await store.put(collection, key, value, ttl=TTL)
    return value


async def single_flight(
    store: BaseKVStore, collection: str, key: str, compute: Callable[[], Awaitable[Any]]
) -> Any:
    return await store.get_or_set(collection, key, compute, ttl=TTL)


async def leased(
    store: BaseKVStore, collection: str, key: str, compute: Callable[[], Awaitable[Any]]
) -> Any:
    return await store.get_or_set(collection, key, compute, ttl=TTL, lease=5)


VARIANTS: dict[str, Serve] = {
    "naive get-then-put": naive,
    "get_or_set": single_flight,
    "get_or_set, lease=5": leased,
}


async def burst(store: BaseKVStore, serve: Serve) -> tuple[int, float]:
    """Serve REQUESTS concurrent requests on an empty collection; return (calls, seconds)."""
    await store.clear_collection("bench")
    calls = 0

    async def compute() -> dict[str, Any]:
        nonlocal calls
        calls += 1
        await asyncio.sleep(COMPUTE_SECONDS)
        return VALUE

    keys = [f"key-{n % KEYS}" for n in range(REQUESTS)]
    start = time.perf_counter()
    results = await asyncio.gather(*(serve(store, "bench", key, compute) for key in keys))
    elapsed = time.perf_counter() - start
    assert all(result == VALUE for result in results)
    return calls, elapsed


async def measure(name: str, store: BaseKVStore, repetitions: int) -> list[str]:
    variants = {
        variant: serve
        for variant, serve in VARIANTS.items()
        if "lease" not in variant or store.atomic_operations >= LEASE_OPERATIONS
    }
    calls: dict[str, int] = {}
    seconds: dict[str, list[float]] = {variant: [] for variant in variants}
    for serve in variants.values():  # warm-up: connections, files, first imports
        await burst(store, serve)
    for _ in range(repetitions):
        for variant, serve in variants.items():
            count, elapsed = await burst(store, serve)
            calls[variant] = count
            seconds[variant].append(elapsed)
    reference = statistics.median(seconds["naive get-then-put"])
    rows = []
    for variant in variants:
        median = statistics.median(seconds[variant])
        rows.append(
            f"| {name} | {variant} | {calls[variant]:,} | {median * 1000:,.0f} "
            f"| {median / reference:.2f}x |"
        )
    return rows


async def main(repetitions: int) -> None:
    rows: list[str] = []
    with tempfile.TemporaryDirectory() as directory, redis_servers(1) as ports:
        async with AsyncExitStack() as stack:
            stores: dict[str, BaseKVStore] = {
                "MemoryStore": MemoryStore(max_entries=10_000),
                "DiskStore": DiskStore(path=directory),
                "RedisStore": RedisStore(url=f"redis://127.0.0.1:{ports[0]}/0"),
            }
            for name, store in stores.items():
                await stack.enter_async_context(store)
                rows += await measure(name, store, repetitions)
    print(
        f"## {REQUESTS:,} concurrent cold requests for {KEYS} keys, "
        f"{COMPUTE_SECONDS * 1000:.0f} ms factory (median of {repetitions})\n"
    )
    print("| store | variant | factory calls | wall ms | ratio to naive |")
    print("|---|---|---:|---:|---:|")
    print("\n".join(rows))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repetitions", type=int, default=7)
    asyncio.run(main(parser.parse_args().repetitions))
