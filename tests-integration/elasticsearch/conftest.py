"""A real Elasticsearch-API server for the ElasticsearchStore integration tests.

Where the server comes from, in order:

1. ``KVSTORE_ELASTICSEARCH_URL`` (with ``KVSTORE_ELASTICSEARCH_API_KEY`` when the cluster
   needs one): a real Elasticsearch, used as it is.
2. A testcontainers Elasticsearch, when the ``testcontainers`` package is installed and a
   Docker daemon answers (kept to a few lines; not exercised on machines without Docker).
3. ``osmem-server`` (PyPI ``osmem-server``): an independent in-memory server for the
   Elasticsearch/OpenSearch REST API. Its bundled binary runs on a free loopback port.
   It rejects the client's ``compatible-with`` vendor content type, so the clients built
   here send plain ``application/json`` through :class:`PlainJsonNode` (a test-side
   transport node; the store itself is never told about osmem).

With none of these the tests skip, except under ``CI=true`` where that is a failure.

Every test gets its own index (``kvtest-<random>``), deleted afterwards. Every client
built here records the requests it sends (method and target, query string included), so
tests can assert what the store asks for, such as its ``refresh`` parameter.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from elastic_transport import AiohttpHttpNode, HttpHeaders
from elastic_transport._node import NodeApiResponse
from elastic_transport.client_utils import DEFAULT, DefaultType
from elasticsearch import AsyncElasticsearch
from kvtest_servers import ServerProcess, free_port, unavailable

from kvstore.elasticsearch import ElasticsearchStore

STARTUP_TIMEOUT = 30.0
"""Seconds a local server may take to answer."""
OSMEM_REASON = (
    "osmem-server lacks it; runs against a real Elasticsearch (KVSTORE_ELASTICSEARCH_URL)"
)


class PlainJsonNode(AiohttpHttpNode):
    """An aiohttp node that sends plain JSON media types and records every request.

    ``plain_json`` turns the client's ``application/vnd.elasticsearch+json;
    compatible-with=N`` (and the ``x-ndjson`` variant) into the plain types osmem accepts;
    ``sent`` collects ``(method, target)`` of every request, when set. The node really
    opens up to ``connections_per_node`` connections, also beyond aiohttp's default 100.
    """

    plain_json = False
    sent: list[tuple[str, str]] | None = None

    def _create_aiohttp_session(self) -> None:
        super()._create_aiohttp_session()
        # elastic_transport passes connections_per_node to aiohttp only as the per-host
        # limit, so aiohttp's total limit (100 by default) still caps the pool. Requests
        # beyond it queue for a connection, and aiohttp hands a released connection to
        # the next request of the task that released it before a queued one: with 256
        # tasks, queued requests starved until their request_timeout (ConnectionTimeout).
        connector = self.session.connector if self.session is not None else None
        if connector is not None and 0 < connector.limit < self._connections_per_node:
            connector._limit = self._connections_per_node

    async def perform_request(  # type: ignore[override]
        self,
        method: str,
        target: str,
        body: bytes | None = None,
        headers: HttpHeaders | None = None,
        request_timeout: DefaultType | float | None = DEFAULT,
    ) -> NodeApiResponse:
        if self.sent is not None:
            self.sent.append((method, target))
        if self.plain_json and headers is not None:
            headers = headers.copy()
            for name in ("accept", "content-type"):
                value = headers.get(name)
                if value is not None and "vnd.elasticsearch+" in value:
                    headers[name] = "application/" + value.split("+", 1)[1].split(";", 1)[0]
        return await super().perform_request(method, target, body, headers, request_timeout)


class OsmemProcess(ServerProcess):
    """One osmem-server on a loopback port: start, kill, start again (same port), stop."""

    def __init__(self) -> None:
        from osmem_server import resolve_binary

        self.binary = resolve_binary()
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        # --no-ja: without it the first index creation loads a Japanese analyzer for seconds.
        self.process = subprocess.Popen(
            [self.binary, "--addr", f"127.0.0.1:{self.port}", "--no-stdin-watch", "--no-ja"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"osmem-server exited with {self.process.returncode}")
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5),
            ):
                return
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"osmem-server did not answer within {STARTUP_TIMEOUT} s")


@dataclass
class EsServer:
    """The server the tests use and how to build clients for it."""

    url: str
    kind: str
    """"external", "container" or "osmem"."""
    api_key: str | None = None
    process: OsmemProcess | None = None

    def client(
        self, sent: list[tuple[str, str]] | None = None, **options: Any
    ) -> AsyncElasticsearch:
        """A new client for the server; requests are appended to ``sent`` when given."""
        options.setdefault("request_timeout", 10.0)
        if self.api_key is not None:
            options.setdefault("api_key", self.api_key)
        return AsyncElasticsearch(self.url, node_class=self._node_class(sent), **options)

    def store(self, index: str) -> ElasticsearchStore:
        """A store that opens its own clients (one per event loop) from the server's URL."""
        return ElasticsearchStore(
            self.url,
            api_key=self.api_key,
            index=index,
            client_options={"node_class": self._node_class(None)},
        )

    def _node_class(self, sent: list[tuple[str, str]] | None) -> type[PlainJsonNode]:
        return type(
            "TestNode", (PlainJsonNode,), {"plain_json": self.kind == "osmem", "sent": sent}
        )


def _docker_answers() -> bool:
    try:
        import docker  # type: ignore[import-untyped]

        docker.from_env(timeout=2).ping()
    except Exception:
        return False
    return True


@pytest.fixture(scope="session")
def es_server() -> Iterator[EsServer]:
    """The Elasticsearch-API server of the session (see the module docstring)."""
    url = os.environ.get("KVSTORE_ELASTICSEARCH_URL")
    if url:
        yield EsServer(
            url=url, kind="external", api_key=os.environ.get("KVSTORE_ELASTICSEARCH_API_KEY")
        )
        return
    if _docker_answers():
        with contextlib.suppress(ImportError):
            from testcontainers.elasticsearch import (  # type: ignore[import-untyped]
                ElasticSearchContainer,
            )

            with ElasticSearchContainer("elasticsearch:8.15.0", mem_limit="1g") as container:
                yield EsServer(url=container.get_url(), kind="container")
            return
    try:
        process = OsmemProcess()
    except Exception as exc:
        unavailable(
            f"no Elasticsearch server: set KVSTORE_ELASTICSEARCH_URL, run Docker, or "
            f"pip install osmem-server ({exc})"
        )
        return
    process.start()
    try:
        yield EsServer(url=process.url, kind="osmem", process=process)
    finally:
        process.stop()


@pytest.fixture
def needs_real_elasticsearch(es_server: EsServer) -> None:
    """Skip on osmem-server: the test needs behaviour only a real Elasticsearch has."""
    if es_server.kind == "osmem":
        pytest.skip(OSMEM_REASON)


@pytest.fixture
def index_name() -> str:
    """A fresh index name for one test."""
    return f"kvtest-{uuid.uuid4().hex[:12]}"


@pytest.fixture
async def es_client(es_server: EsServer, index_name: str) -> AsyncIterator[AsyncElasticsearch]:
    """A raw client for the test's own checks; deletes the test's index afterwards."""
    client = es_server.client()
    yield client
    with contextlib.suppress(Exception):
        await client.indices.delete(index=index_name, ignore_unavailable=True)
    await client.close()


@pytest.fixture
async def make_client(es_server: EsServer) -> AsyncIterator[Callable[..., AsyncElasticsearch]]:
    """Build clients for the server (each closed after the test)."""
    made: list[AsyncElasticsearch] = []

    def make(sent: list[tuple[str, str]] | None = None, **options: Any) -> AsyncElasticsearch:
        client = es_server.client(sent, **options)
        made.append(client)
        return client

    yield make
    for client in made:
        await client.close()


@pytest.fixture
def killable_server(es_server: EsServer) -> Iterator[EsServer]:
    """A server of the test's own that it may kill and restart (osmem-server only)."""
    if es_server.kind != "osmem":
        pytest.skip("needs a server process the test can kill: runs with osmem-server only")
    process = OsmemProcess()
    process.start()
    try:
        yield EsServer(url=process.url, kind="osmem", process=process)
    finally:
        process.stop()
