"""RedisStore against raw redis-py doing the same work: ``python -m benchmarks.bench_redis``.

The script starts its own ``redis-server`` on a free loopback port (no persistence) and stops
it at the end. The raw reference encodes the value as JSON and uses ``SET ... PX``, ``GET``,
``MGET`` and a non-transactional pipeline of ``SET ... PX``, on a client with the same pool
and timeouts as the store's. Prints a markdown table of median ops/s (keys/s for batch
cases) with ratios to raw, then the issue's targets and whether each was met.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager

import redis.asyncio

from kvstore.redis import RedisStore

from ._harness import VALUE, Case, median, report, run_cases

COLLECTION = "bench"
TTL = 300.0
TTL_MS = int(TTL * 1000)
BATCH = 100
TASKS = 64


@contextmanager
def redis_server() -> Iterator[int]:
    """Run a private redis-server on a free loopback port; yield the port."""
    if not shutil.which("redis-server"):
        sys.exit("bench_redis needs redis-server on PATH (Debian: apt-get install redis-server)")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    with tempfile.TemporaryDirectory() as directory:
        process = subprocess.Popen(
            ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--dir", directory,
             "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 10
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.02)
            yield port
        finally:
            process.terminate()
            process.wait(timeout=10)


def build_cases(store: RedisStore, raw: redis.asyncio.Redis, ops: int) -> list[Case]:
    """The cases: each variant does ``ops`` operations (or ``ops`` keys for batch cases)."""
    hit_keys = [f"hit{i}" for i in range(BATCH)]
    raw_hit = [f"raw:{key}" for key in hit_keys]
    batches = max(1, ops // BATCH)
    dumps, loads = json.dumps, json.loads

    async def store_put() -> int:
        for i in range(ops):
            await store.put(COLLECTION, f"p{i % 1000}", VALUE, ttl=TTL)
        return ops

    async def raw_put() -> int:
        for i in range(ops):
            await raw.set(f"raw:p{i % 1000}", dumps(VALUE), px=TTL_MS)
        return ops

    async def store_get_hit() -> int:
        for i in range(ops):
            await store.get(COLLECTION, hit_keys[i % BATCH])
        return ops

    async def raw_get_hit() -> int:
        for i in range(ops):
            payload = await raw.get(raw_hit[i % BATCH])
            loads(payload)
        return ops

    async def store_get_miss() -> int:
        for i in range(ops):
            await store.get(COLLECTION, f"missing{i}")
        return ops

    async def raw_get_miss() -> int:
        for i in range(ops):
            payload = await raw.get(f"raw:missing{i}")
            if payload is not None:
                loads(payload)
        return ops

    async def store_get_many() -> int:
        for _ in range(batches):
            await store.get_many(COLLECTION, hit_keys)
        return batches * BATCH

    async def raw_mget() -> int:
        for _ in range(batches):
            [loads(payload) for payload in await raw.mget(raw_hit)]
        return batches * BATCH

    async def store_sequential_gets() -> int:
        for key in hit_keys:
            await store.get(COLLECTION, key)
        return BATCH

    items = {f"m{i}": VALUE for i in range(BATCH)}

    async def store_put_many() -> int:
        for _ in range(batches):
            await store.put_many(COLLECTION, items, ttl=TTL)
        return batches * BATCH

    async def raw_pipeline() -> int:
        for _ in range(batches):
            pipe = raw.pipeline(transaction=False)
            for key, value in items.items():
                pipe.set(f"raw:{key}", dumps(value), px=TTL_MS)
            await pipe.execute()
        return batches * BATCH

    async def store_sequential_puts() -> int:
        for key, value in items.items():
            await store.put(COLLECTION, key, value, ttl=TTL)
        return BATCH

    per_task = max(1, ops // TASKS)

    async def store_mix() -> int:
        async def task(n: int) -> None:
            for i in range(per_task):
                key = f"mix{n}-{i % 10}"
                if i % 4 == 0:
                    await store.put(COLLECTION, key, VALUE, ttl=TTL)
                else:
                    await store.get(COLLECTION, key)

        await asyncio.gather(*(task(n) for n in range(TASKS)))
        return per_task * TASKS

    async def raw_mix() -> int:
        async def task(n: int) -> None:
            for i in range(per_task):
                key = f"raw:mix{n}-{i % 10}"
                if i % 4 == 0:
                    await raw.set(key, dumps(VALUE), px=TTL_MS)
                else:
                    payload = await raw.get(key)
                    if payload is not None:
                        loads(payload)

        await asyncio.gather(*(task(n) for n in range(TASKS)))
        return per_task * TASKS

    return [
        Case("put", "raw", {"raw": raw_put, "RedisStore": store_put}),
        Case("get hit", "raw", {"raw": raw_get_hit, "RedisStore": store_get_hit}),
        Case("get miss", "raw", {"raw": raw_get_miss, "RedisStore": store_get_miss}),
        Case(
            f"get_many({BATCH})",
            "raw",
            {"raw": raw_mget, "RedisStore": store_get_many, "100 x get": store_sequential_gets},
        ),
        Case(
            f"put_many({BATCH})",
            "raw",
            {"raw": raw_pipeline, "RedisStore": store_put_many, "100 x put": store_sequential_puts},
        ),
        Case(f"{TASKS}-task mix", "raw", {"raw": raw_mix, "RedisStore": store_mix}),
    ]


def check_targets(cases: list[Case]) -> list[str]:
    """The issue's targets, each with the measured ratio and whether it was met."""
    lines = []
    for case in cases:
        ratio = median(case, "RedisStore") / median(case, "raw")
        batch = "many" in case.name
        target = 0.85 if batch else 0.9
        lines.append(
            f"- {case.name}: {ratio:.2f}x raw (target >= {target}x): "
            + ("met" if ratio >= target else "NOT met")
        )
        if batch:
            single = next(variant for variant in case.results if variant.startswith("100 x"))
            speedup = median(case, "RedisStore") / median(case, single)
            lines.append(
                f"- {case.name}: {speedup:.1f}x the keys/s of {single} (target >= 10x): "
                + ("met" if speedup >= 10 else "NOT met")
            )
    return lines


async def main(ops: int, repetitions: int) -> None:
    with redis_server() as port:
        url = f"redis://127.0.0.1:{port}/0"
        store = RedisStore(url=url)
        raw = redis.asyncio.Redis.from_url(url, socket_timeout=5.0, socket_connect_timeout=5.0)
        await store.put_many(COLLECTION, {f"hit{i}": VALUE for i in range(BATCH)}, ttl=TTL)
        await raw.mset({f"raw:hit{i}": json.dumps(VALUE) for i in range(BATCH)})
        cases = build_cases(store, raw, ops)
        await run_cases(cases, repetitions=repetitions)
        print(report(f"RedisStore vs redis-py {redis.__version__} (loopback redis-server)", cases))
        print()
        print("\n".join(check_targets(cases)))
        await store.close()
        await raw.aclose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ops", type=int, default=2_000, help="operations per sample")
    parser.add_argument("--repetitions", type=int, default=7, help="samples per variant")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.ops, arguments.repetitions))
