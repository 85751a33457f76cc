"""RedisStore against the raw redis-py client and its peers: ``python -m benchmarks.bench_redis``.

The script starts its own ``redis-server`` on a free loopback port (no persistence) and, for
the cluster section, three more joined into a cluster with ``redis-cli --cluster create``; it
stops them at the end.

The reference (``raw``) is a **default** client, as users create it:
``redis.asyncio.Redis.from_url(url)`` (``RedisCluster.from_url`` on the cluster), encoding the
value as JSON and using ``SET ... PX``, ``GET``, ``MGET`` and a non-transactional pipeline of
``SET ... PX``. A second raw row (``raw, socket_timeout``) gives the same client the store's
default timeouts, for reference: with any ``socket_timeout`` redis-py wraps every send in
``asyncio.wait_for`` and every read in a timeout block. ``RedisStore, auto_pipelining`` is a
store made with ``auto_pipelining=True``; in the sequential cases it shows what a lone caller
pays for it.

Peers run in the same process, interleaved with the rest, when installed (each with its own
defaults and serialization): py-key-value-aio, kv-store-adapter 0.1.2, aiocache, cashews
(``pip install -r benchmarks/requirements.txt``). A peer appears only in the cases it has a
call for (kv-store-adapter has no batch calls). On the cluster: cashews (``cluster=True``),
and py-key-value-aio and kv-store-adapter handed a ``RedisCluster`` client (see
``peer_contenders``); aiocache cannot talk to a cluster.

Every variant runs the same loop over one ``async def`` per operation, so each pays one
coroutine call around the client's own. Prints markdown tables of median ops/s (keys/s for
batch cases) with ratios to raw, then the targets of issue 15 and whether each was met.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.util
import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any

import redis.asyncio

from kvstore.redis import RedisStore

from ._harness import VALUE, Case, median, report, run_cases

COLLECTION = "bench"
TTL = 300.0
TTL_MS = int(TTL * 1000)
BATCH = 100
TASKS = 64
STORE_TIMEOUTS = {"socket_timeout": 5.0, "socket_connect_timeout": 5.0}
"""RedisStore's default timeouts, given to the reference raw row."""

Get = Callable[[str], Awaitable[Any]]
Put = Callable[[str, dict[str, Any]], Awaitable[None]]
GetMany = Callable[[list[str]], Awaitable[Any]]
PutMany = Callable[[dict[str, dict[str, Any]]], Awaitable[None]]


@dataclass
class Contender:
    """One way of talking to Redis: a key namespace and the operations it has."""

    name: str
    get: Get
    put: Put
    get_many: GetMany | None = None
    put_many: PutMany | None = None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start_server(directory: str, port: int, *extra: str) -> subprocess.Popen[bytes]:
    """Start a redis-server on a loopback port and wait until it accepts connections."""
    process = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--dir", directory,
         "--save", "", "--appendonly", "no", *extra],
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return process
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.terminate()
                raise
            time.sleep(0.02)


@contextlib.contextmanager
def redis_servers(count: int) -> Iterator[list[int]]:
    """Run ``count`` private redis-servers (a cluster if more than one); yield their ports."""
    if not shutil.which("redis-server") or (count > 1 and not shutil.which("redis-cli")):
        sys.exit("bench_redis needs redis-server and redis-cli (apt-get install redis-server)")
    processes: list[subprocess.Popen[bytes]] = []
    with tempfile.TemporaryDirectory() as directory:
        try:
            ports = [_free_port() for _ in range(count)]
            for index, port in enumerate(ports):
                node = f"{directory}/{index}"
                os.makedirs(node)
                # The cluster bus port is given: the default (port + 10000) may not exist.
                extra = ("--cluster-enabled", "yes", "--cluster-port", str(_free_port()))
                processes.append(_start_server(node, port, *(extra if count > 1 else ())))
            if count > 1:
                _create_cluster(ports)
            yield ports
        finally:
            for process in processes:
                process.terminate()
                process.wait(timeout=10)


def _create_cluster(ports: list[int]) -> None:
    addresses = [f"127.0.0.1:{port}" for port in ports]
    subprocess.run(
        ["redis-cli", "--cluster", "create", *addresses, "--cluster-replicas", "0",
         "--cluster-yes"],
        check=True, capture_output=True, timeout=30,
    )  # fmt: skip
    deadline = time.monotonic() + 30
    for port in ports:
        command = ["redis-cli", "-p", str(port), "cluster", "info"]
        while (
            "cluster_state:ok" not in subprocess.run(command, capture_output=True).stdout.decode()
        ):
            if time.monotonic() > deadline:
                raise RuntimeError("the benchmark's Redis cluster did not become ok")
            time.sleep(0.1)


def raw_contender(name: str, client: Any, namespace: str) -> Contender:
    """The raw client doing what the store does: JSON, SET PX, GET, MGET, pipelined SET PX."""
    dumps, loads = json.dumps, json.loads
    cluster = isinstance(client, redis.asyncio.RedisCluster)

    async def get(key: str) -> Any:
        payload = await client.get(namespace + key)
        return None if payload is None else loads(payload)

    async def put(key: str, value: dict[str, Any]) -> None:
        await client.set(namespace + key, dumps(value), px=TTL_MS)

    async def get_many(keys: list[str]) -> Any:
        payloads = await client.mget([namespace + key for key in keys])
        return [None if payload is None else loads(payload) for payload in payloads]

    async def put_many(items: dict[str, dict[str, Any]]) -> None:
        pipe = client.pipeline(transaction=False)
        for key, value in items.items():
            pipe.set(namespace + key, dumps(value), px=TTL_MS)
        await pipe.execute()

    if cluster:  # MGET across slots is refused on a cluster
        return Contender(name, get, put)
    return Contender(name, get, put, get_many, put_many)


def store_contender(name: str, store: RedisStore) -> Contender:
    async def get(key: str) -> Any:
        return await store.get(COLLECTION, key)

    async def put(key: str, value: dict[str, Any]) -> None:
        await store.put(COLLECTION, key, value, ttl=TTL)

    async def get_many(keys: list[str]) -> Any:
        return await store.get_many(COLLECTION, keys)

    async def put_many(items: dict[str, dict[str, Any]]) -> None:
        await store.put_many(COLLECTION, items, ttl=TTL)

    return Contender(name, get, put, get_many, put_many)


@contextlib.asynccontextmanager
async def peer_contenders(url: str, cluster: bool = False) -> AsyncIterator[list[Contender]]:
    """The installed peers, each on its own defaults and its own key namespace.

    On a cluster (``url`` then names one node, ``redis://host:port``): cashews with its own
    ``cluster=True``; py-key-value-aio and kv-store-adapter handed a default
    ``RedisCluster.from_url(url, decode_responses=True)`` (both create their own clients with
    ``decode_responses=True``; neither has a cluster option, and their type hints name
    ``Redis``: py-key-value-aio's beartype warns about it on every call, which is left on, as
    a user would see it); no batch rows (MGET across slots is refused). aiocache cannot be
    given a client and builds a single-node ``Redis`` itself, so it has no cluster row.
    """
    peers: list[Contender] = []
    closers: list[Callable[[], Awaitable[Any]]] = []
    cluster_clients: list[Any] = []

    def cluster_client() -> Any:
        client = redis.asyncio.RedisCluster.from_url(url, decode_responses=True)
        cluster_clients.append(client)
        return client

    if importlib.util.find_spec("key_value") and importlib.util.find_spec("key_value.aio"):
        from key_value.aio.stores.redis import RedisStore as KeyValueStore

        kv = KeyValueStore(client=cluster_client()) if cluster else KeyValueStore(url=url)

        async def kv_get(key: str) -> Any:
            return await kv.get(key, collection="pkv")

        async def kv_put(key: str, value: dict[str, Any]) -> None:
            await kv.put(key, value, collection="pkv", ttl=TTL)

        async def kv_get_many(keys: list[str]) -> Any:
            return await kv.get_many(keys, collection="pkv")

        async def kv_put_many(items: dict[str, dict[str, Any]]) -> None:
            await kv.put_many(list(items), list(items.values()), collection="pkv", ttl=TTL)

        if cluster:
            peers.append(Contender("py-key-value-aio, RedisCluster client", kv_get, kv_put))
        else:
            peers.append(Contender("py-key-value-aio", kv_get, kv_put, kv_get_many, kv_put_many))
            closers.append(kv.close)
    if importlib.util.find_spec("kv_store_adapter") is not None:
        from kv_store_adapter.stores.redis import RedisStore as AdapterStore

        adapter = AdapterStore(client=cluster_client()) if cluster else AdapterStore(url=url)

        async def adapter_get(key: str) -> Any:
            return await adapter.get("ksa", key)

        async def adapter_put(key: str, value: dict[str, Any]) -> None:
            await adapter.put("ksa", key, value, ttl=TTL)

        if cluster:
            peers.append(
                Contender("kv-store-adapter, RedisCluster client", adapter_get, adapter_put)
            )
        else:
            peers.append(Contender("kv-store-adapter", adapter_get, adapter_put))
            closers.append(adapter._client.aclose)
    if importlib.util.find_spec("aiocache") is not None and not cluster:
        from aiocache import Cache as AioCache

        host_port = url.split("//", 1)[1].split("/", 1)[0]
        host, port = host_port.rsplit(":", 1)
        aio = AioCache(AioCache.REDIS, endpoint=host, port=int(port), namespace="aiocache")

        async def aio_get(key: str) -> Any:
            return await aio.get(key)

        async def aio_put(key: str, value: dict[str, Any]) -> None:
            await aio.set(key, value, ttl=TTL)

        async def aio_get_many(keys: list[str]) -> Any:
            return await aio.multi_get(keys)

        async def aio_put_many(items: dict[str, dict[str, Any]]) -> None:
            await aio.multi_set(list(items.items()), ttl=TTL)

        peers.append(Contender("aiocache", aio_get, aio_put, aio_get_many, aio_put_many))
        closers.append(aio.close)
    if importlib.util.find_spec("cashews") is not None:
        from cashews import Cache as CashewsCache

        cashews = CashewsCache()
        if cluster:
            cashews.setup(url, cluster=True)
        else:
            cashews.setup(url)

        async def cashews_get(key: str) -> Any:
            return await cashews.get("cashews:" + key)

        async def cashews_put(key: str, value: dict[str, Any]) -> None:
            await cashews.set("cashews:" + key, value, expire=TTL)

        async def cashews_get_many(keys: list[str]) -> Any:
            return await cashews.get_many(*("cashews:" + key for key in keys))

        async def cashews_put_many(items: dict[str, dict[str, Any]]) -> None:
            await cashews.set_many({"cashews:" + k: v for k, v in items.items()}, expire=TTL)

        if cluster:
            peers.append(Contender("cashews, cluster=True", cashews_get, cashews_put))
        else:
            peers.append(
                Contender("cashews", cashews_get, cashews_put, cashews_get_many, cashews_put_many)
            )
        closers.append(cashews.close)
    closers += [client.aclose for client in cluster_clients]
    try:
        yield peers
    finally:
        for close in closers:
            with contextlib.suppress(Exception):
                await close()


def build_cases(contenders: list[Contender], ops: int, batches_too: bool) -> list[Case]:
    """The cases: each variant does ``ops`` operations (or ``ops`` keys for batch cases)."""
    hit_keys = [f"hit{i}" for i in range(BATCH)]
    batches = max(1, ops // BATCH)
    items = {f"m{i}": VALUE for i in range(BATCH)}
    per_task = max(1, ops // TASKS)

    def put_loop(put: Put) -> Callable[[], Awaitable[int]]:
        async def run() -> int:
            for i in range(ops):
                await put(f"p{i % 1000}", VALUE)
            return ops

        return run

    def get_loop(get: Get, miss: bool) -> Callable[[], Awaitable[int]]:
        async def run() -> int:
            for i in range(ops):
                await get(f"missing{i}" if miss else hit_keys[i % BATCH])
            return ops

        return run

    def get_many_loop(get_many: GetMany) -> Callable[[], Awaitable[int]]:
        async def run() -> int:
            for _ in range(batches):
                await get_many(hit_keys)
            return batches * BATCH

        return run

    def put_many_loop(put_many: PutMany) -> Callable[[], Awaitable[int]]:
        async def run() -> int:
            for _ in range(batches):
                await put_many(items)
            return batches * BATCH

        return run

    def mix(get: Get, put: Put) -> Callable[[], Awaitable[int]]:
        async def task(n: int) -> None:
            for i in range(per_task):
                key = f"mix{n}-{i % 10}"
                if i % 4 == 0:
                    await put(key, VALUE)
                else:
                    await get(key)

        async def run() -> int:
            await asyncio.gather(*(task(n) for n in range(TASKS)))
            return per_task * TASKS

        return run

    cases = [
        Case("put", "raw", {c.name: put_loop(c.put) for c in contenders}),
        Case("get hit", "raw", {c.name: get_loop(c.get, False) for c in contenders}),
        Case("get miss", "raw", {c.name: get_loop(c.get, True) for c in contenders}),
    ]
    if batches_too:
        cases += [
            Case(
                f"get_many({BATCH})",
                "raw",
                {c.name: get_many_loop(c.get_many) for c in contenders if c.get_many},
            ),
            Case(
                f"put_many({BATCH})",
                "raw",
                {c.name: put_many_loop(c.put_many) for c in contenders if c.put_many},
            ),
        ]
    cases.append(Case(f"{TASKS}-task mix", "raw", {c.name: mix(c.get, c.put) for c in contenders}))
    return cases


async def prefill(contenders: list[Contender]) -> None:
    """Write the keys the get cases read, through each contender itself."""
    for contender in contenders:
        for i in range(BATCH):
            await contender.put(f"hit{i}", VALUE)


PIPED = "RedisStore, auto_pipelining"
STORES = ("RedisStore", PIPED)
"""The variants that are the store (the targets are checked on them)."""


def cpu_ratio(case: Case, variant: str) -> float:
    """The variant's median client CPU per operation over raw's (below 1: cheaper)."""
    return statistics.median(case.cpu[variant]) / statistics.median(case.cpu["raw"])


def check_targets(cases: list[Case], topology: str) -> list[str]:
    """Issue 15's targets, each with the measured ratio and whether it was met."""
    lines = []
    for case in cases:
        raw = median(case, "raw")
        ours = max(median(case, variant) for variant in STORES)
        if "mix" in case.name:
            ratio = median(case, PIPED) / raw
            lines.append(
                f"- {topology} {case.name}, auto_pipelining: {ratio:.2f}x raw (target >= 3x; "
                f"CPU/op {cpu_ratio(case, PIPED):.2f}x raw's): "
                + ("met" if ratio >= 3 else "NOT met")
            )
        elif case.name != "get miss":
            ratio = median(case, "RedisStore") / raw
            lines.append(
                f"- {topology} {case.name}: {ratio:.2f}x raw (target >= 0.95x; "
                f"CPU/op {cpu_ratio(case, 'RedisStore'):.2f}x raw's): "
                + ("met" if ratio >= 0.95 else "NOT met")
            )
        ahead = [
            f"{variant} {median(case, variant) / raw:.2f}x"
            for variant in case.results
            if not variant.startswith(("raw", "RedisStore")) and median(case, variant) > ours
        ]
        if ahead:
            lines.append(f"- {topology} {case.name}: peers ahead of RedisStore: {', '.join(ahead)}")
    return lines


async def run_topology(ports: list[int], ops: int, repetitions: int) -> tuple[str, list[str]]:
    """Benchmark one standalone server (one port) or one cluster (several ports)."""
    cluster = len(ports) > 1
    topology = "cluster" if cluster else "standalone"
    if cluster:
        url = f"redis+cluster://127.0.0.1:{ports[0]}"
        client_class: Any = redis.asyncio.RedisCluster
        client_url = f"redis://127.0.0.1:{ports[0]}"
    else:
        url = client_url = f"redis://127.0.0.1:{ports[0]}/0"
        client_class = redis.asyncio.Redis
    raw = client_class.from_url(client_url)
    raw_timeout = client_class.from_url(client_url, **STORE_TIMEOUTS)
    store = RedisStore(url=url)
    piped = RedisStore(url=url, prefix="piped:", auto_pipelining=True)
    contenders = [
        raw_contender("raw", raw, "raw:"),
        raw_contender("raw, socket_timeout", raw_timeout, "rawt:"),
        store_contender("RedisStore", store),
        store_contender(PIPED, piped),
    ]
    async with contextlib.AsyncExitStack() as stack:
        peer_url = client_url if cluster else url
        contenders += await stack.enter_async_context(peer_contenders(peer_url, cluster))
        await prefill(contenders)
        cases = build_cases(contenders, ops, batches_too=not cluster)
        await run_cases(cases, repetitions=repetitions)
        await store.close()
        await piped.close()
        await raw.aclose()
        await raw_timeout.aclose()
    title = (
        f"{topology}: RedisStore vs redis-py {redis.__version__}, Python "
        f"{platform.python_version()} (loopback redis-server)"
    )
    return report(title, cases), check_targets(cases, topology)


def _server_version() -> str:
    found = subprocess.run(["redis-server", "--version"], capture_output=True, text=True).stdout
    return found.split()[2] if found else "?"


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
    parser.add_argument("--ops", type=int, default=2_000, help="operations per sample")
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
