"""ElasticsearchStore without a server: constructors, secrets, unreachable servers."""

from __future__ import annotations

import asyncio
import logging
import socket
import time

import pytest
from elasticsearch import AsyncElasticsearch

import kvstore.elasticsearch
from kvstore.core.errors import ConfigurationError, StoreConnectionError
from kvstore.elasticsearch import ElasticsearchStore

SECRET = "s3cr3t-Pa55"
API_KEY = "QUtJQV9LRVk6c2VjcmV0LWFwaS1rZXk="


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_public_names() -> None:
    assert kvstore.elasticsearch.__all__ == ["ElasticsearchStore"]


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"url": ""},
        {"url": "http://localhost:9200", "index": "Upper"},
        {"url": "http://localhost:9200", "index": "a b"},
        {"url": "http://localhost:9200", "index": "_hidden"},
        {"url": "http://localhost:9200", "index": ""},
        {"url": "http://localhost:9200", "refresh": "sometimes"},
        {"url": "http://localhost:9200", "refresh": 1},
        {"url": "http://localhost:9200", "request_timeout": 0},
        {"url": "http://localhost:9200", "api_key": "k", "basic_auth": ("u", "p")},
        {"url": "http://u:p@localhost:9200", "api_key": "k"},
    ],
)
def test_bad_options_raise_configuration_error(kwargs: dict[str, object]) -> None:
    with pytest.raises(ConfigurationError):
        ElasticsearchStore(**kwargs)  # type: ignore[arg-type]


async def test_client_with_credentials_is_rejected() -> None:
    client = AsyncElasticsearch("http://localhost:9200")
    try:
        with pytest.raises(ConfigurationError):
            ElasticsearchStore(url="http://localhost:9200", client=client)
        with pytest.raises(ConfigurationError):
            ElasticsearchStore(client=client, api_key="k")
    finally:
        await client.close()


async def test_a_handed_in_client_stays_open() -> None:
    client = AsyncElasticsearch("http://localhost:9200")
    store = ElasticsearchStore(client=client, index="kv")
    await store.close()
    assert "AsyncElasticsearch" in repr(store) and "'kv'" in repr(store)
    # still usable by its owner: close() of the store did not close the transport
    assert client.transport.node_pool.all()
    await client.close()


async def test_secrets_never_appear_in_repr_str_errors_or_logs(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    port = _closed_port()
    stores = [
        ElasticsearchStore(url=f"http://admin:{SECRET}@127.0.0.1:{port}", request_timeout=2),
        ElasticsearchStore(url=f"http://127.0.0.1:{port}", api_key=API_KEY, request_timeout=2),
        ElasticsearchStore(
            url=f"http://127.0.0.1:{port}", basic_auth=("admin", SECRET), request_timeout=2
        ),
    ]
    for store in stores:
        for text in (repr(store), str(store)):
            assert SECRET not in text and API_KEY not in text
        assert f"127.0.0.1:{port}" in repr(store)
        with pytest.raises(StoreConnectionError) as caught:
            await store.put("users", "42", {"v": 1})
        for text in (str(caught.value), repr(caught.value)):
            assert SECRET not in text and API_KEY not in text
            assert "'users'" in text and "'42'" in text
        await store.close()
    assert caplog.records, "the driver logs its requests; the check below must see them"
    for record in caplog.records:
        assert SECRET not in record.getMessage() and API_KEY not in record.getMessage()


@pytest.mark.parametrize("operation", ["get", "put", "get_many", "put_many", "keys", "cull"])
async def test_a_refused_connection_raises_store_connection_error_quickly(operation: str) -> None:
    store = ElasticsearchStore(url=f"http://127.0.0.1:{_closed_port()}", request_timeout=2)
    calls = {
        "get": lambda: store.get("c", "k"),
        "put": lambda: store.put("c", "k", {}),
        "get_many": lambda: store.get_many("c", ["a", "b"]),
        "put_many": lambda: store.put_many("c", {"a": {}}),
        "keys": lambda: store.keys("c"),
        "cull": lambda: store.cull(),
    }
    started = time.monotonic()
    with pytest.raises(StoreConnectionError) as caught:
        await asyncio.wait_for(calls[operation](), timeout=10)
    assert time.monotonic() - started < 10
    assert caught.value.__cause__ is not None
    await store.close()


async def test_a_silent_server_times_out_within_the_request_timeout() -> None:
    accepted: list[asyncio.StreamWriter] = []

    async def never_answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        accepted.append(writer)

    server = await asyncio.start_server(never_answer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    store = ElasticsearchStore(url=f"http://127.0.0.1:{port}", request_timeout=0.5)
    started = time.monotonic()
    with pytest.raises(StoreConnectionError, match="'c'"):
        await store.get("c", "k")
    assert time.monotonic() - started < 5
    await store.close()
    server.close()
    for writer in accepted:
        writer.close()
    await server.wait_closed()


@pytest.mark.parametrize(
    "credentials",
    [{"api_key": API_KEY}, {"api_key": ("key-id", API_KEY)}, {"basic_auth": ("app", SECRET)}],
    ids=["encoded-api-key", "api-key-pair", "basic-auth"],
)
async def test_failures_name_operation_collection_and_keys_in_one_format_without_secrets(
    credentials: dict[str, object],
) -> None:
    store = ElasticsearchStore(
        url=f"http://127.0.0.1:{_closed_port()}", request_timeout=2, **credentials
    )
    with pytest.raises(StoreConnectionError) as caught:
        await store.get_many("c", ["a", "b", "c", "d"])
    message = str(caught.value)
    assert message.startswith(
        "Elasticsearch index 'kv-store' get_many failed for collection 'c' "
        "keys ['a', 'b', 'c'] and 1 more: "
    )
    assert SECRET not in message and API_KEY not in message
    await store.close()
