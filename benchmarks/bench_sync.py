"""SyncStore against the async store and raw sync clients: ``python -m benchmarks.bench_sync``.

For each backend (MemoryStore, DiskStore, RedisStore on a private ``redis-server``) three
variants do the same operations:

- ``raw (sync)``, the reference: the synchronous client users would otherwise call, with its
  defaults: ``cachetools.TTLCache`` holding the dicts (behind a ``threading.Lock``, which a
  TTLCache shared by threads needs), ``diskcache.Cache`` holding JSON strings with
  ``expire=``, ``redis.Redis.from_url(url)`` (sync redis-py) with JSON and ``SET ... PX``;
- ``async store``: the kvstore store awaited from an event loop (what the facade wraps);
- ``SyncStore``: the blocking facade over that store;
- ``loop round trip only``: an empty coroutine handed to a loop thread and waited for, the
  floor under every facade call (two thread switches).

Single-thread cases call one operation after the other from one thread; the ``8 threads``
case splits the operations over 8 threads sharing one client, store or facade (the async
store's row there is 8 tasks on its loop). Sync variants run in a worker thread, the async
ones on the harness's loop. Prints markdown tables of median ops/s with ratios to raw.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import tempfile
import threading
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import diskcache
import redis
from cachetools import TTLCache

from kvstore.core import BaseKVStore
from kvstore.core.sync import SyncStore
from kvstore.core.sync._loop_thread import LoopThread
from kvstore.disk import DiskStore
from kvstore.memory import MemoryStore
from kvstore.redis import RedisStore

from ._harness import VALUE, Case, report, run_cases, sample_keys
from .bench_redis import redis_servers

COLLECTION = "bench"
TTL = 300.0
THREADS = 8
PREFILL = 2_000

SyncOps = tuple[Callable[[str], Any], Callable[[str, dict[str, Any]], None]]
"""A synchronous get(key) and put(key, value)."""


def cachetools_ops() -> SyncOps:
    cache: TTLCache[tuple[str, str], dict[str, Any]] = TTLCache(maxsize=PREFILL * 100, ttl=TTL)
    lock = threading.Lock()

    def get(key: str) -> Any:
        with lock:
            return cache.get((COLLECTION, key))

    def put(key: str, value: dict[str, Any]) -> None:
        with lock:
            cache[(COLLECTION, key)] = value

    return get, put


def json_ops(read: Callable[[str], Any], write: Callable[[str, str], Any]) -> SyncOps:
    """get and put over a client that stores text: the value goes in and out as JSON."""

    def get(key: str) -> Any:
        text = read(key)
        return None if text is None else json.loads(text)

    def put(key: str, value: dict[str, Any]) -> None:
        write(key, json.dumps(value))

    return get, put


def diskcache_ops(cache: diskcache.Cache) -> SyncOps:
    return json_ops(
        lambda key: cache.get(f"{COLLECTION}:{key}"),
        lambda key, text: cache.set(f"{COLLECTION}:{key}", text, expire=TTL),
    )


def redis_ops(client: redis.Redis) -> SyncOps:
    return json_ops(
        lambda key: client.get(f"raw:{COLLECTION}:{key}"),
        lambda key, text: client.set(f"raw:{COLLECTION}:{key}", text, px=int(TTL * 1000)),
    )


def facade_ops(facade: SyncStore) -> SyncOps:
    def get(key: str) -> Any:
        return facade.get(COLLECTION, key)

    def put(key: str, value: dict[str, Any]) -> None:
        facade.put(COLLECTION, key, value, ttl=TTL)

    return get, put


def round_trip_ops(runner: LoopThread) -> SyncOps:
    """The facade's floor: hand an empty coroutine to a loop thread and wait for it."""

    async def nothing() -> None:
        return None

    def call(*_: Any) -> None:
        asyncio.run_coroutine_threadsafe(nothing(), runner.loop).result()

    return call, call


def in_thread(work: Callable[[], int]) -> Callable[[], Awaitable[int]]:
    """A harness runner doing ``work`` in a worker thread (sync code may not block the loop)."""

    async def runner() -> int:
        return await asyncio.to_thread(work)

    return runner


def threaded(operation: Callable[[str], Any], keys: list[str]) -> Callable[[], int]:
    """Work that calls ``operation`` on ``keys`` split over THREADS threads."""
    shares = [keys[n::THREADS] for n in range(THREADS)]

    def run_share(share: list[str]) -> None:
        for key in share:
            operation(key)

    def work() -> int:
        with ThreadPoolExecutor(max_workers=THREADS) as pool:
            list(pool.map(run_share, shares))
        return len(keys)

    return work


def build_cases(
    backend: str,
    raw: SyncOps,
    store: BaseKVStore,
    facade: SyncStore,
    runner: LoopThread,
    ops: int,
) -> list[Case]:
    """get, put and 8-thread get cases for one backend, raw (sync) first."""
    hits = sample_keys(PREFILL)
    reads = [hits[n % PREFILL] for n in range(ops)]
    writes = sample_keys(ops, prefix="written")
    contenders: dict[str, SyncOps] = {
        "raw (sync)": raw,
        "SyncStore": facade_ops(facade),
        "loop round trip only": round_trip_ops(runner),
    }

    def loop_get(get: Callable[[str], Any]) -> Callable[[], int]:
        def work() -> int:
            for key in reads:
                get(key)
            return ops

        return work

    def loop_put(put: Callable[[str, dict[str, Any]], None]) -> Callable[[], int]:
        def work() -> int:
            for key in writes:
                put(key, VALUE)
            return ops

        return work

    async def store_get() -> int:
        for key in reads:
            await store.get(COLLECTION, key)
        return ops

    async def store_put() -> int:
        for key in writes:
            await store.put(COLLECTION, key, VALUE, ttl=TTL)
        return ops

    async def store_get_tasks() -> int:
        async def share(keys: list[str]) -> None:
            for key in keys:
                await store.get(COLLECTION, key)

        await asyncio.gather(*(share(reads[n::THREADS]) for n in range(THREADS)))
        return ops

    def case(name: str, make: Callable[[SyncOps], Callable[[], int]], store_runner: Any) -> Case:
        variants = {variant: in_thread(make(sync)) for variant, sync in contenders.items()}
        variants["async store"] = store_runner
        return Case(f"{backend} {name}", "raw (sync)", dict(sorted(variants.items(), key=_order)))

    return [
        case("get", lambda sync: loop_get(sync[0]), store_get),
        case("put", lambda sync: loop_put(sync[1]), store_put),
        case(f"get, {THREADS} threads", lambda sync: threaded(sync[0], reads), store_get_tasks),
    ]


def _order(item: tuple[str, Any]) -> int:
    return ["raw (sync)", "async store", "SyncStore", "loop round trip only"].index(item[0])


async def prefill(raw: SyncOps, facade: SyncStore) -> None:
    def fill() -> None:
        for key in sample_keys(PREFILL):
            raw[1](key, VALUE)
            facade.put(COLLECTION, key, VALUE, ttl=TTL)

    await asyncio.to_thread(fill)


async def measure(
    backend: str,
    raw: SyncOps,
    facade_store: BaseKVStore,
    async_store: BaseKVStore,
    ops: int,
    repetitions: int,
) -> list[Case]:
    """Run one backend's cases: the facade over ``facade_store``, the async variant on
    ``async_store`` (the same object, for stores that serve several event loops)."""
    facade = SyncStore(facade_store)
    runner = LoopThread("bench-round-trip")
    try:
        await prefill(raw, facade)
        cases = build_cases(backend, raw, async_store, facade, runner, ops)
        await run_cases(cases, repetitions=repetitions)
    finally:
        await asyncio.to_thread(facade.close)
        runner.stop()
    return cases


async def main(ops: int, repetitions: int) -> str:
    directory = tempfile.mkdtemp(prefix="kvstore-bench-sync-")
    cases: list[Case] = []
    try:
        memory = MemoryStore(max_entries=PREFILL * 100)
        cases += await measure("memory", cachetools_ops(), memory, memory, ops, repetitions)
        with diskcache.Cache(f"{directory}/raw") as cache:
            disk = DiskStore(f"{directory}/store")
            cases += await measure("disk", diskcache_ops(cache), disk, disk, ops, repetitions)
        with redis_servers(1) as ports:
            url = f"redis://127.0.0.1:{ports[0]}/0"
            client = redis.Redis.from_url(url)
            # A RedisStore serves one event loop: the facade's store and the async
            # variant's are two stores on the same server.
            async_store = RedisStore(url=url, prefix="sync:")
            try:
                facade_store = RedisStore(url=url, prefix="sync:")
                raw = redis_ops(client)
                cases += await measure("redis", raw, facade_store, async_store, ops, repetitions)
            finally:
                await async_store.close()
                client.close()
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    return report("SyncStore vs the async store and raw synchronous clients", cases)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ops", type=int, default=2_000, help="operations per repetition")
    parser.add_argument("--repetitions", type=int, default=7)
    arguments = parser.parse_args()
    print(asyncio.run(main(arguments.ops, arguments.repetitions)))
