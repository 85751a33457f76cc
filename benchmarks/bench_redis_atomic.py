"""RedisStore's atomic operations against the raw redis-py client doing the same atomic thing:
``python -m benchmarks.bench_redis_atomic``.

Starts its own ``redis-server`` (and, for the cluster section, a 3-node cluster) on free
loopback ports, like ``bench_redis``. The reference (``raw``) is a **default** client
(``redis.asyncio.Redis.from_url(url)``, ``RedisCluster.from_url`` on the cluster) doing, per
operation, the one atomic command or script a user would send:

- add: ``SET k <json> NX PX``;
- take: ``GETDEL k`` and ``json.loads``;
- touch: a redis-py ``Script`` (``EVALSHA``) of the store's touch script, same arguments;
- get_versioned + put_versioned (an optimistic update): ``GET`` and its SHA-1, then a
  ``Script`` of the store's compare-and-set script;
- increment: a ``Script`` of the store's increment script; for reference, ``INCRBY`` on a
  bare integer key (no envelope, no TTL kept) is shown beside it.

Keys a case consumes (``add`` of new keys, ``take``) are written before each timed sample,
outside the timing. Variants run interleaved, sample after sample; the report gives median
ops/s, the ratio to raw and the client CPU per operation (see ``_harness``), then the issue 16
target (each operation at least 0.8x raw's ops/s) and whether it was met.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import platform
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import redis.asyncio

from kvstore.core import _envelope
from kvstore.redis import RedisStore
from kvstore.redis._layout import encode_name
from kvstore.redis._scripts import INCREMENT, PUT_IF, TOUCH, envelope_head

from ._harness import VALUE, Case, report
from .bench_redis import _server_version, redis_servers

COLLECTION = "bench"
TTL = 300.0
TTL_MS = int(TTL * 1000)
TASKS = 64

Prepare = Callable[[int], Awaitable[None]]
Run = Callable[[], Awaitable[int]]


@dataclass
class Timed:
    """One variant of a case: ``prepare(sample)`` runs untimed before ``run`` each sample."""

    run: Callable[[int], Awaitable[int]]
    prepare: Prepare | None = None


async def run_timed(cases: dict[str, dict[str, Timed]], repetitions: int) -> list[Case]:
    """Run each case's variants interleaved (one warm-up sample each); return the cases."""
    done = []
    for name, variants in cases.items():
        case = Case(name, "raw", {})
        for sample in range(-1, repetitions):
            for variant, timed in variants.items():
                if timed.prepare is not None:
                    await timed.prepare(sample)
                cpu = time.process_time()
                start = time.perf_counter()
                ops = await timed.run(sample)
                elapsed = time.perf_counter() - start
                if sample >= 0:
                    case.results.setdefault(variant, []).append(ops / elapsed)
                    case.cpu.setdefault(variant, []).append((time.process_time() - cpu) / ops)
        done.append(case)
    return done


def raw_cases(client: Any, ops: int, namespace: str) -> dict[str, Timed]:
    """The raw client's variant of every case, on keys under ``namespace``."""
    dumps, loads = json.dumps, json.loads
    touch = client.register_script(TOUCH.source)
    put_if = client.register_script(PUT_IF.source)
    increment = client.register_script(INCREMENT.source)

    def name(key: str) -> bytes:
        return encode_name(namespace, COLLECTION, key)

    async def add(sample: int) -> int:
        for i in range(ops):
            await client.set(name(f"add{sample}-{i}"), dumps(VALUE), nx=True, px=TTL_MS)
        return ops

    async def add_taken(sample: int) -> int:
        for i in range(ops):
            await client.set(name(f"held{i % 100}"), dumps(VALUE), nx=True, px=TTL_MS)
        return ops

    async def seed_take(sample: int) -> None:
        await _seed(client, [name(f"take{i}") for i in range(ops)], dumps(VALUE))

    async def take(sample: int) -> int:
        for i in range(ops):
            payload = await client.getdel(name(f"take{i}"))
            loads(payload)
        return ops

    async def touch_run(sample: int) -> int:
        for i in range(ops):
            key = f"hit{i % 100}"
            now = time.time()
            head = envelope_head(COLLECTION, key)
            await touch([name(key)], [repr(now), head, repr(TTL), repr(now + TTL), TTL_MS])
        return ops

    async def update(sample: int) -> int:
        for i in range(ops):
            key = f"hit{i % 100}"
            stored = await client.get(name(key))
            document = loads(stored)
            version = hashlib.sha1(stored).hexdigest()
            now = time.time()
            payload = _envelope.encode(COLLECTION, key, document["value"], TTL, now)
            args = [payload, TTL_MS, repr(now), envelope_head(COLLECTION, key), "=" + version]
            await put_if([name(key)], args)
        return ops

    async def count(sample: int) -> int:
        for i in range(ops):
            key = f"n{i % 100}"
            now = time.time()
            fresh = _envelope.encode(COLLECTION, key, {"count": 1}, TTL, now)
            head = envelope_head(COLLECTION, key)
            await increment([name(key)], [repr(now), head, 1, fresh, TTL_MS])
        return ops

    async def count_together(sample: int) -> int:
        async def task() -> None:
            for _ in range(ops // TASKS):
                now = time.time()
                fresh = _envelope.encode(COLLECTION, "shared", {"count": 1}, TTL, now)
                head = envelope_head(COLLECTION, "shared")
                await increment([name("shared")], [repr(now), head, 1, fresh, TTL_MS])

        await asyncio.gather(*(task() for _ in range(TASKS)))
        return ops // TASKS * TASKS

    return {
        "add (new key)": Timed(add),
        "add (key held)": Timed(add_taken),
        "take": Timed(take, seed_take),
        "touch": Timed(touch_run),
        "get_versioned + put_versioned": Timed(update),
        "increment": Timed(count),
        f"increment, {TASKS} tasks on one key": Timed(count_together),
    }


def incrby_cases(client: Any, ops: int, namespace: str) -> dict[str, Timed]:
    """``INCRBY`` on bare integer keys: what a counter costs without the envelope."""

    async def count(sample: int) -> int:
        for i in range(ops):
            await client.incrby(f"{namespace}n{i % 100}", 1)
        return ops

    async def count_together(sample: int) -> int:
        async def task() -> None:
            for _ in range(ops // TASKS):
                await client.incrby(f"{namespace}shared", 1)

        await asyncio.gather(*(task() for _ in range(TASKS)))
        return ops // TASKS * TASKS

    return {
        "increment": Timed(count),
        f"increment, {TASKS} tasks on one key": Timed(count_together),
    }


def store_cases(store: RedisStore, ops: int) -> dict[str, Timed]:
    """The store's variant of every case."""

    async def add(sample: int) -> int:
        for i in range(ops):
            await store.add(COLLECTION, f"add{sample}-{i}", VALUE, ttl=TTL)
        return ops

    async def add_taken(sample: int) -> int:
        for i in range(ops):
            await store.add(COLLECTION, f"held{i % 100}", VALUE, ttl=TTL)
        return ops

    async def seed_take(sample: int) -> None:
        await store.put_many(COLLECTION, {f"take{i}": VALUE for i in range(ops)}, ttl=TTL)

    async def take(sample: int) -> int:
        for i in range(ops):
            await store.take(COLLECTION, f"take{i}")
        return ops

    async def touch(sample: int) -> int:
        for i in range(ops):
            await store.touch(COLLECTION, f"hit{i % 100}", TTL)
        return ops

    async def update(sample: int) -> int:
        for i in range(ops):
            key = f"hit{i % 100}"
            found = await store.get_versioned(COLLECTION, key)
            assert found is not None
            await store.put_versioned(COLLECTION, key, found.value, version=found.version, ttl=TTL)
        return ops

    async def count(sample: int) -> int:
        for i in range(ops):
            await store.increment(COLLECTION, f"n{i % 100}", ttl=TTL)
        return ops

    async def count_together(sample: int) -> int:
        async def task() -> None:
            for _ in range(ops // TASKS):
                await store.increment(COLLECTION, "shared", ttl=TTL)

        await asyncio.gather(*(task() for _ in range(TASKS)))
        return ops // TASKS * TASKS

    return {
        "add (new key)": Timed(add),
        "add (key held)": Timed(add_taken),
        "take": Timed(take, seed_take),
        "touch": Timed(touch),
        "get_versioned + put_versioned": Timed(update),
        "increment": Timed(count),
        f"increment, {TASKS} tasks on one key": Timed(count_together),
    }


async def _seed(client: Any, names: list[bytes], payload: str) -> None:
    """Write ``payload`` under every name with the TTL, in one pipeline."""
    pipe = client.pipeline(transaction=False)
    for name in names:
        pipe.set(name, payload, px=TTL_MS)
    await pipe.execute()


PIPED = "RedisStore, auto_pipelining"
INCRBY = "raw INCRBY (bare integer)"


def check_targets(cases: list[Case], topology: str) -> list[str]:
    """Issue 16's target: each operation at least 0.8x the raw client's ops/s (the plain
    store; the auto_pipelining row is shown beside it)."""
    lines = []
    for case in cases:
        raw = statistics.median(case.results["raw"])
        ratio = statistics.median(case.results["RedisStore"]) / raw
        piped = statistics.median(case.results[PIPED]) / raw
        cpu = statistics.median(case.cpu["RedisStore"]) / statistics.median(case.cpu["raw"])
        lines.append(
            f"- {topology} {case.name}: {ratio:.2f}x raw (auto_pipelining {piped:.2f}x; "
            f"target >= 0.8x; CPU/op {cpu:.2f}x raw's): " + ("met" if ratio >= 0.8 else "NOT met")
        )
    return lines


async def run_topology(ports: list[int], ops: int, repetitions: int) -> tuple[str, list[str]]:
    cluster = len(ports) > 1
    topology = "cluster" if cluster else "standalone"
    if cluster:
        url = f"redis+cluster://127.0.0.1:{ports[0]}"
        client: Any = redis.asyncio.RedisCluster.from_url(f"redis://127.0.0.1:{ports[0]}")
    else:
        url = f"redis://127.0.0.1:{ports[0]}/0"
        client = redis.asyncio.Redis.from_url(url)
    store = RedisStore(url=url, prefix="store:")
    piped = RedisStore(url=url, prefix="piped:", auto_pipelining=True)
    # the keys touched and updated in place: envelopes, written by each variant's own store
    for prefix in ("raw:", "store:", "piped:"):
        async with RedisStore(url=url, prefix=prefix) as writer:
            await writer.put_many(COLLECTION, {f"hit{i}": VALUE for i in range(100)}, ttl=TTL)
    variants = {
        "raw": raw_cases(client, ops, "raw:"),
        "RedisStore": store_cases(store, ops),
        PIPED: store_cases(piped, ops),
        INCRBY: incrby_cases(client, ops, "incrby:"),
    }
    names = list(variants["raw"])
    cases = {
        name: {variant: found[name] for variant, found in variants.items() if name in found}
        for name in names
    }
    done = await run_timed(cases, repetitions)
    await store.close()
    await piped.close()
    await client.aclose()
    title = (
        f"{topology}: RedisStore atomic operations vs redis-py {redis.__version__}, Python "
        f"{platform.python_version()} (loopback redis-server)"
    )
    return report(title, done), check_targets(done, topology)


async def main(ops: int, repetitions: int, topologies: list[str]) -> None:
    targets: list[str] = []
    print(f"redis-server {_server_version()}, {', '.join(topologies)}\n")
    for topology in topologies:
        with redis_servers(3 if topology == "cluster" else 1) as ports:
            table, lines = await run_topology(ports, ops, repetitions)
        print(table, end="\n\n", flush=True)
        targets += lines
    print("\n".join(targets))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ops", type=int, default=1_000, help="operations per sample")
    parser.add_argument("--repetitions", type=int, default=7, help="samples per variant")
    parser.add_argument(
        "--topology",
        choices=["standalone", "cluster", "both"],
        default="both",
        help="a single server, a 3-node cluster, or both (default)",
    )
    arguments = parser.parse_args()
    chosen = ["standalone", "cluster"] if arguments.topology == "both" else [arguments.topology]
    asyncio.run(main(arguments.ops, arguments.repetitions, chosen))
