"""The store's own RESP packing and reply reading do what redis-py does (no server: the replies
are fed to a stream by hand, in pieces)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from redis.asyncio.connection import Connection
from redis.exceptions import BusyLoadingError, InvalidResponse, NoScriptError, ResponseError
from redis.exceptions import ConnectionError as RedisConnectionError

from kvstore.redis._resp import Replies, fits, pack, send


class _Connection(Connection):
    """A connection whose stream is fed by the test; it notes being disconnected."""

    def __init__(self) -> None:
        super().__init__(protocol=2, socket_timeout=None)
        self.disconnected = False

    def attach(self, reader: asyncio.StreamReader) -> None:
        self._reader = reader
        self._parser.on_connect(self)

    async def disconnect(self, nowait: bool = False, **_: Any) -> None:
        self.disconnected = True
        self._writer = None


arguments = st.one_of(
    st.text(),
    st.binary(),
    st.integers(min_value=-(2**70), max_value=2**70),
)
commands = st.lists(
    st.tuples(st.sampled_from(["GET", "SET", b"EVALSHA", "UNLINK"]), st.lists(arguments)),
    min_size=1,
    max_size=5,
)


@given(commands)
def test_pack_writes_what_redis_py_writes(drawn: list[tuple[Any, list[Any]]]) -> None:
    batch = [(name, *rest) for name, rest in drawn]
    connection = Connection()
    try:
        expected = b"".join(connection.pack_commands(batch))
    except UnicodeEncodeError:  # a lone surrogate: redis-py refuses it, and so does pack
        with pytest.raises(UnicodeEncodeError):
            pack(batch)
        return
    assert pack(batch) == expected


@pytest.mark.parametrize(
    "command",
    [("SET", "k", 1.5), ("SET", "k", True), ("SET", "k", memoryview(b"v")), ("CONFIG GET", "x")],
)
def test_pack_leaves_other_arguments_to_redis_py(command: tuple[Any, ...]) -> None:
    assert pack([command]) is None


def test_fits_only_connections_redis_py_would_treat_alike() -> None:
    plain: dict[str, Any] = {"protocol": 2, "socket_timeout": None}
    assert fits(Connection(**plain)) == (True, True)
    assert fits(Connection(**plain, decode_responses=True)) == (True, False)
    assert fits(Connection(**plain, health_check_interval=30)) == (True, False)
    assert fits(Connection(**{**plain, "socket_timeout": 5})) == (True, False)
    assert fits(Connection(**plain, encoding="latin-1")) == (False, False)
    assert fits(Connection(**plain, encoding_errors="replace")) == (False, False)
    assert fits(Connection(**{**plain, "protocol": 3})) == (True, False)


_errors = st.sampled_from(
    [
        "ERR unknown command",
        "MOVED 3999 127.0.0.1:6381",
        "NOSCRIPT No matching script",
        "WRONGTYPE x",
    ]
)
_leaves = st.one_of(
    st.binary().map(lambda b: ("bulk", b)),
    st.text(
        alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n"),
        max_size=20,
    ).map(lambda s: ("simple", s.encode())),
    st.integers(min_value=-(2**63), max_value=2**63 - 1).map(lambda i: ("int", i)),
    st.just(("nil", None)),
    st.just(("nil array", None)),
    _errors.map(lambda e: ("error", e)),
)
replies = st.recursive(
    _leaves, lambda inner: st.lists(inner, max_size=4).map(lambda r: ("array", r))
)


def _encode(reply: tuple[str, Any]) -> bytes:
    kind, value = reply
    if kind == "bulk":
        return b"$%d\r\n%s\r\n" % (len(value), value)
    if kind == "simple":
        return b"+%s\r\n" % value
    if kind == "int":
        return b":%d\r\n" % value
    if kind == "nil":
        return b"$-1\r\n"
    if kind == "nil array":
        return b"*-1\r\n"
    if kind == "error":
        return b"-%s\r\n" % value.encode()
    return b"*%d\r\n" % len(value) + b"".join(map(_encode, value))


def _plain(reply: Any) -> Any:
    """Errors compared by class and text."""
    if isinstance(reply, list):
        return [_plain(item) for item in reply]
    if isinstance(reply, Exception):
        return (type(reply), str(reply))
    return reply


def _attached(data: bytes = b"", eof: bool = False) -> tuple[_Connection, asyncio.StreamReader]:
    """A connection reading from a stream that already holds ``data``."""
    connection = _Connection()
    reader = asyncio.StreamReader()
    connection.attach(reader)
    if data:
        reader.feed_data(data)
    if eof:
        reader.feed_eof()
    return connection, reader


async def _feed(reader: asyncio.StreamReader, data: bytes, cuts: list[int]) -> None:
    start = 0
    for cut in [*sorted({c % (len(data) + 1) for c in cuts}), len(data)]:
        if cut > start:
            reader.feed_data(data[start:cut])
            start = cut
        await asyncio.sleep(0)


async def _redis_py_reads(data: bytes, count: int) -> list[Any]:
    connection, _ = _attached(data)
    read: list[Any] = []
    for _ in range(count):
        try:
            read.append(await connection.read_response())
        except ResponseError as error:
            read.append(error)
    return read


@settings(suppress_health_check=[HealthCheck.too_slow], max_examples=200)
@given(st.lists(replies, min_size=1, max_size=6), st.lists(st.integers(min_value=0), max_size=8))
def test_replies_reads_what_redis_py_reads(drawn: list[Any], cuts: list[int]) -> None:
    data = b"".join(map(_encode, drawn))

    async def run() -> None:
        expected = await _redis_py_reads(data, len(drawn))
        connection, reader = _attached()
        feeding = asyncio.ensure_future(_feed(reader, data, cuts))
        read = await Replies(connection).read(len(drawn))
        await feeding
        assert _plain(read) == _plain(expected)
        assert not connection.disconnected
        assert not reader._buffer  # nothing left behind for the next exchange

    asyncio.run(run())


async def _read(data: bytes, count: int | None, eof: bool = False) -> tuple[Any, _Connection]:
    connection, _ = _attached(data, eof)
    return await Replies(connection).read(count), connection


async def test_one_reply_is_returned_itself() -> None:
    reply, _ = await _read(b"$2\r\nhi\r\n", None)
    assert reply == b"hi"
    error, connection = await _read(b"-NOSCRIPT No matching script\r\n", None)
    assert isinstance(error, NoScriptError)  # returned: the caller raises it
    assert not connection.disconnected


async def test_a_large_value_split_in_pieces_is_read_whole() -> None:
    value = bytes(range(256)) * 4000
    connection, reader = _attached()
    data = b"$%d\r\n%s\r\n:7\r\n" % (len(value), value)
    feeding = asyncio.ensure_future(_feed(reader, data, list(range(3, len(data), 65_000))))
    assert await Replies(connection).read(2) == [value, 7]
    await feeding


async def test_a_connection_closed_mid_reply_is_a_connection_error() -> None:
    for data in (b"$10\r\nabc", b"*2\r\n:1\r\n", b"+O"):
        with pytest.raises(RedisConnectionError, match="Connection closed by server"):
            await _read(data, 1, eof=True)


async def test_a_connection_error_reply_is_raised_and_the_connection_dropped() -> None:
    connection, _ = _attached(b"+OK\r\n-LOADING Redis is loading the dataset in memory\r\n")
    with pytest.raises(BusyLoadingError):
        await Replies(connection).read(2)
    assert connection.disconnected


async def test_bytes_beyond_the_replies_drop_the_connection() -> None:
    connection, _ = _attached(b"+OK\r\n+OK\r\n")
    with pytest.raises(InvalidResponse):
        await Replies(connection).read(1)
    assert connection.disconnected


async def test_an_unknown_reply_type_drops_the_connection() -> None:
    with pytest.raises(InvalidResponse):
        await _read(b"?what\r\n", 1)


async def test_a_cancelled_read_drops_the_connection() -> None:
    connection, _ = _attached(b"+OK\r\n$5\r\nab")
    reading = asyncio.ensure_future(Replies(connection).read(2))
    await asyncio.sleep(0)
    reading.cancel()
    with pytest.raises(asyncio.CancelledError):
        await reading
    assert connection.disconnected


class _BrokenWriter:
    def write(self, data: bytes) -> None:
        raise ConnectionResetError(104, "Connection reset by peer")

    async def drain(self) -> None:
        raise AssertionError("not reached")


async def test_a_failed_send_is_a_connection_error_and_drops_the_connection() -> None:
    connection, _ = _attached()
    connection._writer = _BrokenWriter()  # type: ignore[assignment]
    with pytest.raises(RedisConnectionError, match="Connection reset"):
        await send(connection, b"*1\r\n$4\r\nPING\r\n")
    assert connection.disconnected
