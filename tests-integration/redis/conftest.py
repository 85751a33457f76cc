"""Real Redis servers for the RedisStore integration tests.

Standalone: ``KVSTORE_REDIS_URL`` if set; else a ``redis-server`` this conftest starts on a
free loopback port in a temporary directory (no persistence) and stops afterwards; else a
testcontainers Redis when a Docker daemon answers; else the tests skip, except under
``CI=true`` where a missing server is a failure. A 3-master cluster is resolved the same
way (``KVSTORE_REDIS_CLUSTER_URL``, then three local ``redis-server`` processes joined with
``redis-cli --cluster create``); there is no container path for the cluster.

The testcontainers path is not exercised in CI (CI machines have redis-server and no Docker
daemon); it is kept to a few lines so it is easy to read and to check by hand.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest
from kvtest_servers import ServerProcess, free_port, unavailable

from kvstore.redis import RedisStore

STARTUP_TIMEOUT = 20.0
"""Seconds a local server or cluster may take to answer."""


def _unavailable(what: str) -> None:
    """Skip, or fail under CI=true, when no server of a kind can be had."""
    variable = "KVSTORE_REDIS_CLUSTER_URL" if "cluster" in what else "KVSTORE_REDIS_URL"
    unavailable(
        f"{what}: set {variable} or install redis-server "
        "(Debian/Ubuntu: apt-get install redis-server)"
    )


def _answers(port: int) -> bool:
    """True if a Redis server on the loopback port answers PING."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(64).startswith(b"+PONG")
    except OSError:
        return False


class RedisProcess(ServerProcess):
    """One local redis-server on a loopback port: start, kill, start again, stop."""

    def __init__(self, directory: Path, port: int | None = None, *extra: str) -> None:
        self.directory = directory
        self.port = port or free_port()
        self.extra = extra
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port", str(self.port),
                "--bind", "127.0.0.1",
                "--dir", str(self.directory),
                "--save", "",
                "--appendonly", "no",
                "--protected-mode", "no",
                *self.extra,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while not _answers(self.port):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"redis-server did not start on port {self.port}")
            time.sleep(0.02)


@contextlib.contextmanager
def _container_url() -> Iterator[str | None]:
    """A Redis in a container when testcontainers is installed and a Docker daemon answers."""
    try:
        import docker  # type: ignore[import-not-found]
        from testcontainers.redis import RedisContainer  # type: ignore[import-not-found]

        docker.from_env().ping()
    except Exception:
        yield None
        return
    with RedisContainer("redis:7") as container:
        host, port = container.get_container_host_ip(), container.get_exposed_port(6379)
        yield f"redis://{host}:{port}/0"


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The URL of a standalone Redis the tests may write to (under their own prefixes)."""
    if url := os.environ.get("KVSTORE_REDIS_URL"):
        yield url
        return
    if shutil.which("redis-server"):
        server = RedisProcess(tmp_path_factory.mktemp("redis"))
        server.start()
        try:
            yield server.url
        finally:
            server.stop()
        return
    with _container_url() as url:
        if url is None:
            _unavailable("no Redis server")
        assert url is not None
        yield url


@pytest.fixture(scope="session")
def redis_cluster_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A ``redis+cluster://`` URL of a 3-master Redis Cluster."""
    if url := os.environ.get("KVSTORE_REDIS_CLUSTER_URL"):
        yield url
        return
    with local_cluster(tmp_path_factory.mktemp("redis-cluster")) as (url, _):
        yield url


@pytest.fixture(scope="module")
def redis_cluster_processes(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[str, list[RedisProcess]]]:
    """A private 3-master cluster (URL and nodes) the tests of a module may pause."""
    with local_cluster(tmp_path_factory.mktemp("redis-cluster-private")) as cluster:
        yield cluster


@contextlib.contextmanager
def local_cluster(base: Path) -> Iterator[tuple[str, list[RedisProcess]]]:
    """Start three local ``redis-server`` masters joined as a cluster; stop them afterwards."""
    if not (shutil.which("redis-server") and shutil.which("redis-cli")):
        _unavailable("no Redis cluster")
    nodes = []
    try:
        for index in range(3):
            node = RedisProcess(
                base / f"node{index}",
                None,
                "--cluster-enabled", "yes",
                "--cluster-config-file", "nodes.conf",
                "--cluster-port", str(free_port()),
                "--cluster-node-timeout", "5000",
            )  # fmt: skip
            nodes.append(node)
            node.start()
        addresses = [f"127.0.0.1:{node.port}" for node in nodes]
        subprocess.run(
            ["redis-cli", "--cluster", "create", *addresses, "--cluster-replicas", "0",
             "--cluster-yes"],
            check=True, capture_output=True, timeout=STARTUP_TIMEOUT,
        )  # fmt: skip
        _wait_for_cluster(nodes)
        yield f"redis+cluster://127.0.0.1:{nodes[0].port}", nodes
    finally:
        for node in nodes:
            node.stop()


def _wait_for_cluster(nodes: list[RedisProcess]) -> None:
    """Wait until every node reports the cluster as ok (all slots served)."""
    deadline = time.monotonic() + STARTUP_TIMEOUT
    for node in nodes:
        while True:
            info = subprocess.run(
                ["redis-cli", "-p", str(node.port), "cluster", "info"],
                capture_output=True, text=True, timeout=5,
            ).stdout  # fmt: skip
            if "cluster_state:ok" in info:
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"Redis cluster did not become ok: {info}")
            time.sleep(0.1)


@pytest.fixture(params=["standalone", pytest.param("cluster", marks=pytest.mark.cluster)])
def any_url(request: pytest.FixtureRequest) -> str:
    """The URL of a standalone server, then (a second run of the test) of a cluster."""
    name = "redis_url" if request.param == "standalone" else "redis_cluster_url"
    return str(request.getfixturevalue(name))


@pytest.fixture
def redis_process(tmp_path: Path) -> Iterator[RedisProcess]:
    """A private redis-server the test may kill and restart (needs the binary)."""
    if not shutil.which("redis-server"):
        _unavailable("no redis-server binary to kill and restart")
    server = RedisProcess(tmp_path / "redis")
    server.start()
    try:
        yield server
    finally:
        server.stop()


def unique_prefix() -> str:
    """A key prefix no other test uses, so each store starts empty on a shared server."""
    return f"kvstore-test-{uuid.uuid4().hex[:12]}:"


@pytest.fixture
def fresh_prefix() -> str:
    """A key prefix no other test uses."""
    return unique_prefix()


async def purge(url: str, prefix: str) -> None:
    """Remove everything stored under ``prefix`` (through a fresh store and the public API).

    A fresh store, because the test may have closed its own or bound it to another loop.
    """
    async with RedisStore(url=url, prefix=prefix) as store:
        for collection in await store.list_collections():
            await store.clear_collection(collection)


@pytest.fixture
async def make_store(redis_url: str) -> AsyncIterator[Callable[..., RedisStore]]:
    """Build standalone stores on fresh prefixes; each is emptied and closed afterwards."""
    made: list[RedisStore] = []

    def make(**options: object) -> RedisStore:
        options.setdefault("prefix", unique_prefix())
        store = RedisStore(url=redis_url, **options)  # type: ignore[arg-type]
        made.append(store)
        return store

    yield make
    for store in made:
        await store.close()
        await purge(redis_url, store._prefix)


@pytest.fixture
async def redis_store(redis_url: str) -> AsyncIterator[RedisStore]:
    """An empty standalone store on a fresh prefix."""
    store = RedisStore(url=redis_url, prefix=unique_prefix())
    try:
        yield store
    finally:
        await store.close()
        await purge(redis_url, store._prefix)


@pytest.fixture
async def redis_cluster_store(redis_cluster_url: str) -> AsyncIterator[RedisStore]:
    """An empty Redis Cluster store on a fresh prefix."""
    store = RedisStore(url=redis_cluster_url, prefix=unique_prefix())
    # Discovering the cluster's slots on first use can take longer than the kit's shortest
    # TTL on a loaded machine; do it before the test starts its clock.
    await store.exists("warm-up", "warm-up")
    try:
        yield store
    finally:
        await store.close()
        await purge(redis_cluster_url, store._prefix)
