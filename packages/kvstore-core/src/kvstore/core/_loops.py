"""The event-loop policy of network stores: what a store holds per event loop, and for how long."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import AsyncGenerator, Awaitable, Callable
from typing import Generic, TypeVar, cast

from .errors import ConfigurationError

T = TypeVar("T")


class PerLoop(Generic[T]):
    """What a network store holds for each event loop that uses it: a client, a queue, a lock.

    Drivers' connections belong to the event loop that opened them. A store that opens its
    own client gives ``open`` and ``close``: every event loop calling the store gets its own
    value, opened on its first call there and closed (``close``) when that loop shuts down
    (``asyncio.run``, ``asyncio.Runner`` and pytest-asyncio shut loops down this way) or when
    the store closes. Successive ``asyncio.run`` calls and threads running their own loops at
    once all work. A store handed a client by its caller gives ``handed_in`` instead, the
    message naming the fix: the first loop that calls the store keeps the value, and a call
    from any other loop raises ``ConfigurationError``, since the client's connections belong
    to that first loop.

    Args:
        open: build the value for the running loop (called on that loop, without awaiting).
        close: release a value, awaited on its own loop; None if there is nothing to release.
        handed_in: for a client the caller owns, what the ConfigurationError tells the
            caller to do instead.
    """

    def __init__(
        self,
        open: Callable[[], T],
        close: Callable[[T], Awaitable[None]] | None = None,
        *,
        handed_in: str | None = None,
    ) -> None:
        self._open = open
        self._close = close
        self._handed_in = handed_in
        self._first_loop: asyncio.AbstractEventLoop | None = None
        self._first_value: T | None = None
        self._values: dict[asyncio.AbstractEventLoop, tuple[T, AsyncGenerator[None, None]]] = {}
        self._lock = threading.Lock()
        # The last loop bound and its value, read as one tuple so that threads binding
        # their own loops at once never pair one loop with another loop's value.
        self._last: tuple[asyncio.AbstractEventLoop | None, T] = (None, cast("T", None))

    def get(self) -> T:
        """Return the running loop's value, opening it on the loop's first call.

        Raises:
            ConfigurationError: a handed-in client called from another event loop.
            RuntimeError: no event loop is running.
        """
        loop = asyncio.get_running_loop()
        last = self._last
        if last[0] is loop:
            return last[1]
        return self._bind(loop)

    def _bind(self, loop: asyncio.AbstractEventLoop) -> T:
        with self._lock:
            if self._handed_in is not None:
                value = self._first(loop)
            else:
                entry = self._values.get(loop)
                if entry is None:
                    # Loops closed without shutting down (never through asyncio.run) left
                    # values nothing can close any more: forget them.
                    for closed in [other for other in self._values if other.is_closed()]:
                        del self._values[closed]
                    entry = self._values[loop] = self._open_on(loop)
                value = entry[0]
            self._last = (loop, value)
            return value

    def _first(self, loop: asyncio.AbstractEventLoop) -> T:
        """The value of a handed-in client: for the first loop only."""
        if self._first_loop is None:
            self._first_loop, self._first_value = loop, self._open()
        elif self._first_loop is not loop:
            state = "has closed" if self._first_loop.is_closed() else "is another one"
            raise ConfigurationError(
                "this store uses a client it was handed, whose connections belong to the "
                f"event loop the store was first used in, and that loop {state}: "
                f"{self._handed_in}"
            )
        return cast("T", self._first_value)

    def _open_on(self, loop: asyncio.AbstractEventLoop) -> tuple[T, AsyncGenerator[None, None]]:
        value = self._open()
        keeper = self._keep(loop, value)
        # A loop registers an async generator at its first step and, when it shuts down
        # (loop.shutdown_asyncgens), closes it while still running: the keeper's finally
        # then releases the value on its own loop. The first step reaches the yield at
        # once, so it runs here without awaiting.
        with contextlib.suppress(StopIteration):
            keeper.asend(None).send(None)
        return value, keeper

    async def _keep(self, loop: asyncio.AbstractEventLoop, value: T) -> AsyncGenerator[None, None]:
        """Hold ``value`` until its loop shuts down or the store closes, then release it."""
        try:
            yield
        finally:
            with self._lock:
                entry = self._values.get(loop)
                if entry is not None and entry[0] is value:
                    del self._values[loop]
                if self._last[0] is loop:
                    self._last = (None, cast("T", None))
            if self._close is not None:
                await self._close(value)

    async def close(self) -> None:
        """Release every loop's value: the running loop's at once, other live loops' on them.

        The store stays usable: a later call opens a new value for its loop.
        """
        running = asyncio.get_running_loop()
        with self._lock:
            values = list(self._values.items())
            self._values.clear()
            self._last = (None, cast("T", None))
        for loop, (_, keeper) in values:
            if loop is running:
                await keeper.aclose()
            elif not loop.is_closed():
                with contextlib.suppress(RuntimeError):  # that loop closed meanwhile
                    asyncio.run_coroutine_threadsafe(_aclose(keeper), loop)


async def _aclose(keeper: AsyncGenerator[None, None]) -> None:
    await keeper.aclose()


__all__ = ["PerLoop"]
