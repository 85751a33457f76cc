"""Bounded Redis calls: one coarse timer per event loop cancels the calls that outlive a bound.

redis-py enforces ``socket_timeout`` with ``asyncio.wait_for`` around every send (a new task
per command before Python 3.12) and a timeout block around every read; a timer per call (what
``asyncio.timeout`` does) still costs a timer handle, a heap push and a cancellation per call.
Here a call costs two dict operations: it notes the watchdog's tick count when it begins, and
one timer, armed only while calls are in flight, ticks ``TICKS`` times per bound and cancels
every call that has seen more than ``TICKS`` ticks.
"""

from __future__ import annotations

import asyncio

TICKS = 8
"""Ticks per bound: a call is cancelled between ``seconds`` and ``seconds * (1 + 1 / TICKS)``
after it began (later only if the event loop itself is blocked)."""


class Watchdog:
    """Cancels the calls (tasks) still running ``seconds`` after they began, on one event loop.

    Use::

        task = watchdog.begin()
        try:
            ...  # the awaits to bound
        except asyncio.CancelledError:
            watchdog.raise_if_expired(task)
            raise
        finally:
            watchdog.end(task)

    A task has at most one call in flight per watchdog. A cancelled call's connection is
    dropped by redis-py (it disconnects on any exception inside a send or a read), so no reply
    is left unread on a pooled connection.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop, seconds: float) -> None:
        self.seconds = seconds
        self._loop = loop
        self._period = seconds / TICKS
        self._tick = 0
        self._calls: dict[asyncio.Task[object], int] = {}
        self._cancelled: set[asyncio.Task[object]] = set()
        self._armed = False

    def begin(self) -> asyncio.Task[object]:
        """Start bounding the current task's call; return the task, for ``end``."""
        task: asyncio.Task[object] = asyncio.current_task(self._loop)  # type: ignore[assignment]
        self._calls[task] = self._tick
        if not self._armed:
            self._armed = True
            self._loop.call_later(self._period, self._check)
        return task

    def end(self, task: asyncio.Task[object]) -> None:
        """Stop bounding ``task``'s call (it returned, raised or was cancelled)."""
        del self._calls[task]
        if self._cancelled:
            self._cancelled.discard(task)

    def raise_if_expired(self, task: asyncio.Task[object]) -> None:
        """Raise ``TimeoutError`` if the watchdog cancelled ``task`` (its cancellation request
        is then withdrawn); return if someone else cancelled it.

        Call it where the call's ``CancelledError`` is caught, then re-raise that error.
        """
        if task not in self._cancelled:
            return
        self._cancelled.discard(task)
        uncancel = getattr(task, "uncancel", None)  # Python 3.11+: keep cancelling() exact
        if uncancel is not None:
            uncancel()
        raise TimeoutError(f"no reply within {self.seconds} s") from None

    def _check(self) -> None:
        self._tick += 1
        oldest = self._tick - TICKS - 1
        for task, began in self._calls.items():
            if began <= oldest and task not in self._cancelled:
                self._cancelled.add(task)
                task.cancel()
        if self._calls:
            self._loop.call_later(self._period, self._check)
        else:
            self._armed = False
