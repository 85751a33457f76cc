"""RESP packing and reply reading for the store's own connections, in one pass each.

redis-py packs each argument through its encoder and chunking (about 2 µs for a ``GET``, 3 µs
for a ``SET ... PX`` here) and reads each reply through four coroutines
(``Connection.read_response``, the parser's ``read_response`` and ``_read_response``,
``StreamReader.readline``), about 2.5 µs a reply even when the bytes are already in hand.
:func:`pack` writes the commands of an exchange into one ``bytes`` and :class:`Replies`
parses their replies straight from the connection's stream, awaiting only when the bytes have
not arrived yet.

Both are used only where they do exactly what redis-py would (:func:`fits`); anything else goes
through redis-py. Packing: arguments of exact type ``str`` (encoded as UTF-8, strict, the
default encoder's way), ``bytes`` or ``int``, and a command name without a space (redis-py
splits ``"CONFIG GET"``). Sending and reading: a connection speaking RESP2 (RESP3
connections, the default of redis-py 8.1, are left to redis-py), without
``decode_responses``, ``socket_timeout`` or ``health_check_interval`` (redis-py bounds each
send and read by the second and checks the connection before a send by the third); there
:func:`send` writes without ``send_packed_command``'s per-call checks. An error reply
becomes the exception redis-py's parser makes of it; an error that means the connection is
unusable (such as ``LOADING``) is raised, as redis-py raises it. On any failure or
cancellation while sending or reading, the connection is disconnected, so no reply is left on
it for a later exchange, as redis-py does.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Any

from redis.asyncio.connection import AbstractConnection
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import InvalidResponse

Command = Sequence[Any]

SERVER_CLOSED = "Connection closed by server."
"""redis-py's message when the server closed the connection mid-reply."""

_CHUNK = 1 << 16
_CRLF = b"\r\n"


def fits(connection: AbstractConnection) -> tuple[bool, bool]:
    """Whether :func:`pack` (first) and :func:`send` and :class:`Replies` (second) may serve
    ``connection`` in place of redis-py: what they do must be exactly what redis-py would do
    there."""
    encoder = getattr(connection, "encoder", None)
    packs = (
        encoder is not None
        and str(getattr(encoder, "encoding", "")).lower().replace("-", "") == "utf8"
        and getattr(encoder, "encoding_errors", None) == "strict"
    )
    protocol = getattr(connection, "protocol", 2)
    reads = (
        packs
        and encoder is not None
        and not getattr(encoder, "decode_responses", True)
        and protocol in (None, 2, "2")
        and not getattr(connection, "health_check_interval", 1)
        and not getattr(connection, "socket_timeout", 1)
        and hasattr(connection, "_reader")
        and hasattr(connection, "_writer")
        and callable(getattr(getattr(connection, "_parser", None), "parse_error", None))
    )
    return packs, reads


def pack(commands: Sequence[Command]) -> bytes | None:
    """The commands in RESP, as redis-py's default encoder packs them; ``None`` if one has an
    argument of another type (or a name with a space), for redis-py to pack instead."""
    out: list[bytes] = []
    append = out.append
    for command in commands:
        name = command[0]
        if type(name) is str:
            if " " in name:
                return None
        elif type(name) is not bytes or b" " in name:
            return None
        append(b"*%d\r\n" % len(command))
        for argument in command:
            kind = type(argument)
            if kind is str:
                argument = argument.encode()
            elif kind is int:
                argument = b"%d" % argument
            elif kind is not bytes:
                return None
            append(b"$%d\r\n" % len(argument))
            append(argument)
            append(_CRLF)
    return b"".join(out)


async def send(connection: AbstractConnection, data: bytes) -> None:
    """Write ``data`` as ``send_packed_command`` would on a connection :func:`fits` reads (no
    health check, no ``socket_timeout``), without its per-call checks; an unconnected
    connection is left to redis-py to connect."""
    writer: asyncio.StreamWriter | None = connection._writer
    if writer is None or not connection.is_connected:
        await connection.send_packed_command(data)
        return
    try:
        writer.write(data)
        await writer.drain()
    except OSError as exc:
        await connection.disconnect(nowait=True)
        raise RedisConnectionError(f"Error while writing to socket: {exc.args}") from exc
    except BaseException:
        await connection.disconnect(nowait=True)
        raise


class Replies:
    """Reads RESP2 replies from a connection's stream (see :func:`fits` for which).

    Each reply is returned as redis-py's parser returns it: ``bytes``, ``int``, ``None``, a
    list, or the ``ResponseError`` of an error reply (returned, not raised, as redis-py's parser
    does; the caller decides). An exchange reads exactly the replies of what it sent, so the
    stream holds nothing of it afterwards.
    """

    __slots__ = ("_buffer", "_connection", "_parse_error", "_pos", "_reader")

    def __init__(self, connection: AbstractConnection) -> None:
        self._connection = connection
        reader: asyncio.StreamReader | None = connection._reader
        assert reader is not None  # connected: the command was just sent on it
        self._reader = reader
        self._parse_error: Callable[[str], Exception] = connection._parser.parse_error
        self._buffer = b""
        self._pos = 0

    async def read(self, count: int | None) -> Any:
        """The next ``count`` replies as a list, or with ``None`` the one reply itself; on any
        failure the connection is disconnected."""
        try:
            reply = self._reply
            replies = await reply() if count is None else [await reply() for _ in range(count)]
        except OSError as exc:
            await self._connection.disconnect(nowait=True)
            raise RedisConnectionError(f"Error while reading from Redis: {exc.args}") from exc
        except BaseException:
            await self._connection.disconnect(nowait=True)
            raise
        if self._pos != len(self._buffer):  # bytes nobody asked for: the stream is out of step
            await self._connection.disconnect(nowait=True)
            raise InvalidResponse("Protocol Error: unexpected data after the replies")
        return replies

    async def _fill(self) -> None:
        data = await self._reader.read(_CHUNK)
        if not data:
            raise RedisConnectionError(SERVER_CLOSED)
        pos = self._pos
        self._buffer = self._buffer[pos:] + data if pos < len(self._buffer) else data
        self._pos = 0

    async def _reply(self) -> Any:
        while True:
            buffer = self._buffer
            pos = self._pos
            end = buffer.find(_CRLF, pos)
            if end >= 0:
                break
            await self._fill()
        kind = buffer[pos]
        if kind == 36:  # $ bulk string
            length = int(buffer[pos + 1 : end])
            if length < 0:
                self._pos = end + 2
                return None
            start = end + 2
            stop = start + length
            if stop + 2 <= len(buffer):
                self._pos = stop + 2
                return buffer[start:stop]
            # The rest of it has not arrived: read exactly what is missing (and its CRLF).
            tail = buffer[start:]
            self._buffer = b""
            self._pos = 0
            try:
                rest = await self._reader.readexactly(stop + 2 - len(buffer))
            except asyncio.IncompleteReadError as exc:
                raise RedisConnectionError(SERVER_CLOSED) from exc
            return (tail + rest)[:-2]
        self._pos = end + 2
        if kind == 43:  # + simple string
            return buffer[pos + 1 : end]
        if kind == 58:  # : integer
            return int(buffer[pos + 1 : end])
        if kind == 45:  # - error
            error = self._parse_error(buffer[pos + 1 : end].decode("utf-8", errors="replace"))
            if isinstance(error, RedisConnectionError):  # redis-py raises these at once
                raise error
            return error
        if kind == 42:  # * array
            count = int(buffer[pos + 1 : end])
            if count < 0:
                return None
            reply = self._reply
            return [await reply() for _ in range(count)]
        raise InvalidResponse(f"Protocol Error: {buffer[pos:end]!r}")
