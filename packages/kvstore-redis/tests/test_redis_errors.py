"""Driver failures become StoreConnectionError in bounded time, without leaking secrets.

No Redis server is needed: a refused loopback port, and a loopback listener that accepts
connections but never answers, stand in for a server that is down or hung.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from redis.exceptions import RedisError

from kvstore.core.errors import StoreConnectionError
from kvstore.redis import RedisStore

SECRET = "hunter2-secret"

OPERATIONS: dict[str, Callable[[RedisStore], Awaitable[Any]]] = {
    "get": lambda s: s.get("users", "ada"),
    "put": lambda s: s.put("users", "ada", {"v": 1}),
    "put_ttl": lambda s: s.put("users", "ada", {"v": 1}, ttl=5),
    "delete": lambda s: s.delete("users", "ada"),
    "exists": lambda s: s.exists("users", "ada"),
    "ttl": lambda s: s.ttl("users", "ada"),
    "get_many": lambda s: s.get_many("users", ["ada", "bob"]),
    "put_many": lambda s: s.put_many("users", {"ada": {}, "bob": {}}),
    "put_many_ttl": lambda s: s.put_many("users", {"ada": {}, "bob": {}}, ttl=5),
    "delete_many": lambda s: s.delete_many("users", ["ada", "bob"]),
    "keys": lambda s: s.keys("users"),
    "list_collections": lambda s: s.list_collections(),
    "clear_collection": lambda s: s.clear_collection("users"),
}


def refused_port() -> int:
    """A loopback port with nothing listening (connections are refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
async def silent_port() -> AsyncIterator[int]:
    """A loopback port that accepts connections and never replies, like a hung server."""
    held: list[asyncio.StreamWriter] = []

    async def swallow(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)
        while await reader.read(65536):
            pass

    server = await asyncio.start_server(swallow, "127.0.0.1", 0)
    yield server.sockets[0].getsockname()[1]
    for writer in held:
        writer.close()
    server.close()


@pytest.fixture
async def garbling_port() -> AsyncIterator[int]:
    """A loopback server answering OK to every command but GET, whose reply is malformed.

    redis-py's parser fails on it with an exception that is not one of redis-py's errors
    (ValueError up to redis-py 7, AttributeError from 8).
    """

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        buffered = b""
        while data := await reader.read(65536):
            buffered += data
            # Each command is a RESP array of bulk strings: *<n>, then $<len> and the bytes.
            while (command := _take_command(buffered)) is not None:
                name, buffered = command
                writer.write(b"$not-a-length\r\n" if name.upper() == b"GET" else b"+OK\r\n")
            await writer.drain()
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    yield server.sockets[0].getsockname()[1]
    server.close()


def _take_command(buffered: bytes) -> tuple[bytes, bytes] | None:
    """The first command's name and the bytes after it, or None if it is incomplete."""
    head, found, rest = buffered.partition(b"\r\n")
    if not found:
        return None
    parts = []
    for _ in range(int(head[1:])):
        length, found, rest = rest.partition(b"\r\n")
        size = int(length[1:]) if found else -1
        if size < 0 or len(rest) < size + 2:
            return None
        parts.append(rest[:size])
        rest = rest[size + 2 :]
    return parts[0], rest


@pytest.mark.parametrize("operation", sorted(OPERATIONS))
async def test_refused_connection_raises_store_connection_error(
    operation: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    store = RedisStore(f"redis://app:{SECRET}@127.0.0.1:{refused_port()}/0")
    start = time.monotonic()
    with pytest.raises(StoreConnectionError) as caught:
        await OPERATIONS[operation](store)
    assert time.monotonic() - start < 3
    error = caught.value
    assert isinstance(error.__cause__, RedisError)
    if operation != "list_collections":
        assert "'users'" in str(error)
    if operation not in ("keys", "list_collections", "clear_collection"):
        assert "'ada'" in str(error)
    assert SECRET not in str(error) and SECRET not in repr(error)
    assert SECRET not in repr(store)
    for record in caplog.records:
        assert SECRET not in record.getMessage()
    await store.close()


async def test_hung_server_times_out_within_the_configured_bound(silent_port: int) -> None:
    store = RedisStore(
        f"redis://:{SECRET}@127.0.0.1:{silent_port}/0", socket_timeout=0.3, retries=1
    )
    for operation in ("get", "put_ttl", "get_many", "keys"):
        start = time.monotonic()
        with pytest.raises(StoreConnectionError) as caught:
            await OPERATIONS[operation](store)
        # Two attempts (retries=1) of at most socket_timeout each, plus a short backoff.
        assert time.monotonic() - start < 2 * 0.3 + 1.0, operation
        assert SECRET not in str(caught.value)
    await store.close()


async def test_an_exception_of_any_type_from_inside_redis_py_is_a_store_error(
    garbling_port: int,
) -> None:
    store = RedisStore(f"redis://:{SECRET}@127.0.0.1:{garbling_port}/0")
    with pytest.raises(StoreConnectionError) as caught:
        await store.get("users", "ada")
    assert isinstance(caught.value.__cause__, Exception)
    assert not isinstance(caught.value.__cause__, RedisError)
    assert str(caught.value).startswith("Redis get failed for collection 'users' key 'ada': ")
    await store.put("users", "ada", {"v": 1})
    await store.close()


async def test_cancellation_is_not_turned_into_a_store_error(silent_port: int) -> None:
    store = RedisStore(f"redis://127.0.0.1:{silent_port}/0", socket_timeout=5)
    with pytest.raises(asyncio.TimeoutError):
        await asyncio.wait_for(store.get("users", "ada"), 0.2)
    await store.close()


async def test_store_is_usable_again_after_errors() -> None:
    store = RedisStore(f"redis://127.0.0.1:{refused_port()}/0")
    for _ in range(3):
        with pytest.raises(StoreConnectionError):
            await store.get("users", "ada")
    await store.close()
    await store.close()
