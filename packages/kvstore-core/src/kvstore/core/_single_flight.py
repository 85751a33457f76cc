"""Single flight: concurrent callers asking a store for the same entry share one computation."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from functools import partial
from typing import Any, Generic, TypeVar

T = TypeVar("T")

Name = tuple[int, asyncio.AbstractEventLoop, str, str]
"""(id of the store, event loop, collection, key): what one flight computes."""


class Flight(Generic[T]):
    """One computation in flight, and a future for each caller still waiting for it."""

    __slots__ = ("owner", "task", "waiters")

    def __init__(self, owner: object, task: asyncio.Task[T]) -> None:
        self.owner = owner
        """The store: held so that its id stays unique while the flight is registered."""
        self.task = task
        self.waiters: set[asyncio.Future[T]] = set()
        """One future per caller: cancelling a caller cancels its own future only."""


_FLIGHTS: dict[Name, Flight[Any]] = {}
"""The flights running now. An entry leaves when its computation ends (or is abandoned),
so a key asked for once leaves nothing behind. Keyed by event loop: a caller only ever
awaits a future of its own loop, and each loop's entries are touched by its thread only."""


async def share(
    owner: object, collection: str, key: str, compute: Callable[[], Coroutine[Any, Any, T]]
) -> T:
    """Return what ``compute()`` returns, computed once for all concurrent callers.

    The first caller for (owner, collection, key) on this event loop starts ``compute()``
    in a task of its own; callers arriving while it runs wait for the same task and get
    the same result (the same object: copy it if callers may mutate it) or exception.
    A cancelled caller stops waiting without cancelling the task, unless it was the last
    caller waiting: then nobody wants the result and the task is cancelled.
    """
    loop = asyncio.get_running_loop()
    name: Name = (id(owner), loop, collection, key)
    flight: Flight[T] | None = _FLIGHTS.get(name)
    if flight is None:
        flight = Flight(owner, loop.create_task(compute(), name="kvstore.get_or_set"))
        _FLIGHTS[name] = flight
        flight.task.add_done_callback(partial(_land, name, flight))
    waiter: asyncio.Future[T] = loop.create_future()
    flight.waiters.add(waiter)
    try:
        return await waiter
    except asyncio.CancelledError:
        flight.waiters.discard(waiter)
        if not flight.waiters and not flight.task.done():
            # The next caller starts a fresh computation rather than join a cancelled one.
            _forget(name, flight)
            flight.task.cancel()
        raise


def _land(name: Name, flight: Flight[T], task: asyncio.Task[T]) -> None:
    """Hand the finished computation's outcome to every caller still waiting."""
    _forget(name, flight)
    waiters, flight.waiters = flight.waiters, set()
    if task.cancelled():
        for waiter in waiters:
            waiter.cancel()
        return
    error = task.exception()
    for waiter in waiters:
        if waiter.done():
            continue
        if error is not None:
            waiter.set_exception(error)
        else:
            waiter.set_result(task.result())


def _forget(name: Name, flight: Flight[Any]) -> None:
    """Unregister ``flight`` unless a newer flight of the same name replaced it."""
    if _FLIGHTS.get(name) is flight:
        del _FLIGHTS[name]


def flights_in_progress() -> int:
    """How many flights are registered now, on every event loop (for tests)."""
    return len(_FLIGHTS)
