"""A TCP proxy that can lose one reply: the server has run the request, the client sees its
connection break (importable through the ``pythonpath`` pytest setting)."""

from __future__ import annotations

import asyncio
import contextlib


class ReplyDropper:
    """A TCP proxy to one server that can lose the next reply it would pass back."""

    def __init__(self, host: str, port: int) -> None:
        self._target = (host, port)
        self._to_pass: int | None = None
        self.dropped = 0
        """Replies lost so far."""
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    def lose_reply(self, after: int = 0) -> None:
        """Pass ``after`` more replies on, then lose the next one and close its connection
        (a reply is what one read from the server returns: small replies come whole)."""
        self._to_pass = after

    async def start(self) -> int:
        """Listen on a free loopback port; return it."""
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return int(self._server.sockets[0].getsockname()[1])

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _serve(
        self, client_in: asyncio.StreamReader, client_out: asyncio.StreamWriter
    ) -> None:
        this = asyncio.current_task()
        assert this is not None
        self._tasks.add(this)
        server_in, server_out = await asyncio.open_connection(*self._target)
        upstream = asyncio.ensure_future(self._pipe(client_in, server_out))
        self._tasks.add(upstream)
        try:
            while data := await server_in.read(65536):
                if self._to_pass == 0:
                    self._to_pass = None
                    self.dropped += 1
                    break  # the server ran the request; its reply never arrives
                if self._to_pass is not None:
                    self._to_pass -= 1
                client_out.write(data)
                await client_out.drain()
        finally:
            upstream.cancel()
            self._tasks.discard(upstream)
            self._tasks.discard(this)
            for writer in (client_out, server_out):
                writer.close()
                with contextlib.suppress(ConnectionError):
                    await writer.wait_closed()

    @staticmethod
    async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError):
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
