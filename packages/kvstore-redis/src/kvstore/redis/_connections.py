"""Commands on a standalone redis-py client's connections, without the client's per-call layers.

``Redis.execute_command`` takes a connection from the pool under a lock, polls the socket to
check it is still usable, wraps the round trip in a retry closure, looks up a reply callback
and puts the connection back under the lock: about 40% of a ``GET``'s client-side cost on
the development machine. A :class:`Lender` makes its own connections (on a standalone server
with the pool's settings, ``ConnectionPool.make_connection``; on a cluster one lender per node,
see ``_cluster.py``) and lends them to one call at a time, first
come first served, so a call pays for none of that. A connection that broke (server
restart, dropped socket) is detected by the command itself and the command is retried on it
once redis-py has reconnected it, unless the command applies once (an atomic operation) and
may have reached the server.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any

from redis.asyncio.connection import AbstractConnection
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

from ._deadline import Watchdog
from ._resp import Replies, fits, pack, send

_BROKEN = (RedisConnectionError, RedisTimeoutError, OSError)
"""What a send or a read raises when the connection itself failed (it is then disconnected)."""

Command = Sequence[Any]

_SCRIPT_CALLS = frozenset({"EVALSHA", "EVAL"})


def applies_once(command: Command) -> bool:
    """True for a command that must not be sent again once it may have reached the server:
    a script (every store script is an atomic operation) or ``SET ... NX``. Sent twice, an
    applied ``add`` would answer False to its own writer, a ``take`` lose the value, an
    ``increment`` count twice."""
    return command[0] in _SCRIPT_CALLS or (command[0] == "SET" and "NX" in command[3:])


class NotSent(RedisConnectionError):
    """A command that applies once failed before anything was sent (its connection could not
    be opened): sending it elsewhere cannot apply it twice."""


class Lender:
    """Lends at most ``limit`` connections, one per call, first come first served.

    Args:
        connect: makes a new (not yet connected) connection, for example the standalone
            client's ``connection_pool.make_connection`` (the lender opens, keeps and closes
            its connections itself; the pool holds none).
        limit: connections open at most; further callers wait in line for one.
        retries: how often a command that failed on a broken connection is sent again.
        backoff: seconds to wait before each retry (the n-th retry waits ``backoff(n)``).
        watchdog: bounds each call from the moment it has a connection (connecting included)
            to its last reply (retries included); waiting in line for a connection is not
            bounded, since each call ahead is.
    """

    def __init__(
        self,
        connect: Callable[[], AbstractConnection],
        limit: int,
        retries: int,
        backoff: Callable[[int], float],
        watchdog: Watchdog,
    ) -> None:
        self._connect = connect
        self._watchdog = watchdog
        self._limit = limit
        self._retries = retries
        self._backoff = backoff
        self._idle: list[AbstractConnection] = []
        self._opened: list[AbstractConnection] = []
        self._waiters: deque[asyncio.Future[AbstractConnection]] = deque()
        self._fits = (False, False)
        """Whether the store packs commands (first) and reads replies (second) itself on
        these connections (``_resp.fits``; they all have the same settings)."""

    @property
    def watchdog(self) -> Watchdog:
        """What bounds each call on these connections."""
        return self._watchdog

    async def command(self, command: Command) -> Any:
        """Send one command and return its reply (a Redis error reply is raised).

        Raises:
            redis.exceptions.RedisError, OSError: the server refused the command, could not be
                reached (after the retries) or did not answer within the watchdog's bound
                (``TimeoutError``).
        """
        return await self._exchange((command,), True)

    async def pipeline(self, commands: Sequence[Command]) -> list[Any]:
        """Send commands in one write and read their replies in order, on one connection.

        Returns:
            One item per command: its reply, or the ``ResponseError`` the server answered it
            with (the others still run, as in a non-transactional pipeline).

        Raises:
            redis.exceptions.RedisError, OSError: as :meth:`command`, for the whole pipeline;
                the commands may or may not have run.
        """
        replies: list[Any] = await self._exchange(commands, False)
        return replies

    async def _exchange(self, commands: Sequence[Command], single: bool) -> Any:
        """Send ``commands`` on a lent connection within the bound; return the reply or replies.

        A failure is retried on a reconnected connection, except for commands that apply once
        (:func:`applies_once`): those are retried only while their connection cannot be
        opened, and a failure after that is raised, since the server may have run them.
        """
        connection = self._idle.pop() if self._idle else await self._next_free()
        watchdog = self._watchdog
        task = watchdog.begin()
        once = applies_once(commands[0]) if single else any(map(applies_once, commands))
        try:
            attempt = 0
            while True:
                sent = False
                try:
                    if once:
                        if not connection.is_connected:
                            await connection.connect()  # type: ignore[no-untyped-call]
                        sent = True
                    return await _round_trip(connection, commands, single, self._fits)
                except _BROKEN as exc:
                    attempt += 1
                    if sent:
                        raise
                    if attempt > self._retries:
                        if once:
                            raise NotSent(str(exc)) from exc
                        raise
                    delay = self._backoff(attempt)
                    if delay > 0:
                        await asyncio.sleep(delay)
        except asyncio.CancelledError:
            watchdog.raise_if_expired(task)
            raise
        finally:
            watchdog.end(task)
            self._give_back(connection)

    async def close(self) -> None:
        """Close every connection (a call still holding one loses it; later calls reconnect)."""
        opened, self._opened, self._idle = self._opened, [], []
        for connection in opened:
            await connection.disconnect()

    async def _next_free(self) -> AbstractConnection:
        """A connection when none is idle: a new one (it connects on first use), or the next
        one freed, in the order callers asked."""
        if len(self._opened) < self._limit:
            connection = self._connect()
            if not self._opened:
                self._fits = fits(connection)
            self._opened.append(connection)
            return connection
        waiter: asyncio.Future[AbstractConnection] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            return await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                # Handed a connection just as the caller was cancelled: pass it on.
                self._give_back(waiter.result())
            raise

    def _give_back(self, connection: AbstractConnection) -> None:
        """Hand the connection to the longest-waiting caller, or keep it idle."""
        waiters = self._waiters
        while waiters:
            waiter = waiters.popleft()
            if not waiter.done():
                waiter.set_result(connection)
                return
        self._idle.append(connection)


async def _round_trip(
    connection: AbstractConnection,
    commands: Sequence[Command],
    single: bool,
    fast: tuple[bool, bool],
) -> Any:
    """Send and read back: the reply of one command, or each command's reply or error."""
    packs, reads = fast
    packed: bytes | list[bytes] | None = pack(commands) if packs else None
    if packed is None:
        packed = (
            connection.pack_command(*commands[0]) if single else connection.pack_commands(commands)
        )
    if reads and type(packed) is bytes:
        await send(connection, packed)
    else:
        await connection.send_packed_command(packed)
    if reads:
        if not single:
            return await Replies(connection).read(len(commands))
        reply = await Replies(connection).read(None)
        if isinstance(reply, ResponseError):
            raise reply
        return reply
    if single:
        return await connection.read_response()
    replies: list[Any] = []
    for _ in commands:
        try:
            replies.append(await connection.read_response())
        except ResponseError as error:  # the reply was read whole: the others follow it
            replies.append(error)
    return replies
