"""Auto-pipelining: single commands from concurrent tasks share round trips, one at a time."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from ._deadline import Watchdog

Command = Sequence[Any]


class AutoPipeline:
    """Coalesces the single commands that concurrent tasks issue into pipelines.

    A command issued while no other command of this pipeline is in flight runs alone, as it
    would without auto-pipelining, so a lone sequential caller pays nothing for it. A command
    issued while others are in flight is queued; at the end of the event-loop turn every
    queued command goes out as one pipeline, and each caller gets its own reply or its own
    error. One pipeline is in flight at a time: what is queued meanwhile goes out as the next
    one, once the callers the last one answered have had a loop turn to queue their next
    commands (fewer, larger writes: on a busy client each write and each wake-up costs more
    than the commands it carries). A caller cancelled while its command waits gets
    ``CancelledError`` and the others are unaffected (its command may still run, as any
    command cancelled after its send).

    Args:
        loop: the event loop every caller runs on.
        single: runs one command alone and returns its reply.
        batch: runs commands as one pipeline and returns, per command, its reply or the
            exception the server answered it with; raising fails every command of the batch.
        watchdog: bounds each queued caller's wait from the moment it queues, as ``single``
            and ``batch`` bound theirs: a caller whose command waits behind a pipeline that
            is not answered fails within the bound with ``TimeoutError``, and its command,
            if not sent yet, is not sent. ``None``: the wait is bounded only by the pipeline
            ahead (as ``batch`` bounds it).
    """

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        single: Callable[[Command], Awaitable[Any]],
        batch: Callable[[list[Command]], Awaitable[list[Any]]],
        watchdog: Watchdog | None = None,
    ) -> None:
        self._loop = loop
        self._watchdog = watchdog
        self._single = single
        self._batch = batch
        self._in_flight = 0
        self._draining = False
        self._queue: list[tuple[Command, asyncio.Future[Any]]] = []
        self._sending: set[asyncio.Task[None]] = set()

    async def execute(self, command: Command) -> Any:
        """Run ``command``, alone or in the next pipeline; return its reply or raise its error."""
        if not self._in_flight:
            self._in_flight += 1
            try:
                return await self._single(command)
            finally:
                self._in_flight -= 1
        reply: asyncio.Future[Any] = self._loop.create_future()
        if not self._draining:
            self._draining = True
            self._loop.call_soon(self._flush)
        self._queue.append((command, reply))
        watchdog = self._watchdog
        if watchdog is None:
            return await reply
        task = watchdog.begin()
        try:
            return await reply
        except asyncio.CancelledError:
            watchdog.raise_if_expired(task)
            raise
        finally:
            watchdog.end(task)

    def _flush(self) -> None:
        self._in_flight += 1
        task = self._loop.create_task(self._drain())
        # The loop keeps only weak references to tasks: hold it until it is done.
        self._sending.add(task)
        task.add_done_callback(self._sending.discard)

    async def _drain(self) -> None:
        """Send what is queued, one pipeline at a time, until nothing is."""
        try:
            while True:
                # A caller cancelled (or out of time) while queued: its command is not sent.
                queued = [item for item in self._queue if not item[1].done()]
                self._queue = []
                if queued:
                    await self._send(queued)
                # Let the callers this pipeline answered run first: their next commands
                # join the next pipeline.
                await asyncio.sleep(0)
                if not self._queue:
                    return
        except BaseException:  # the loop is shutting down: nobody waits for a reply any more
            queued, self._queue = self._queue, []
            for _, reply in queued:
                reply.cancel()
            raise
        finally:
            self._in_flight -= 1
            self._draining = False

    async def _send(self, queued: list[tuple[Command, asyncio.Future[Any]]]) -> None:
        try:
            replies = await self._batch([command for command, _ in queued])
        except Exception as error:
            for _, reply in queued:
                if not reply.done():
                    reply.set_exception(error)
            return
        except BaseException:  # the loop is shutting down: nobody waits for a reply any more
            for _, reply in queued:
                reply.cancel()
            raise
        for (_, reply), result in zip(queued, replies, strict=True):
            if reply.done():  # its caller was cancelled
                continue
            if isinstance(result, Exception):
                reply.set_exception(result)
            else:
                reply.set_result(result)
