"""A server that stops answering: every call ends with StoreConnectionError within its bound,
and the same store serves again once the server answers (the bound is one deadline per call)."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest

from kvstore.redis import RedisStore

TIMEOUT = 0.5
BOUND = TIMEOUT * 1.125 + 0.75
"""The store's bound (``socket_timeout`` plus at most an eighth), plus scheduling slack on a
loaded 2-core machine; redis-py's own per-read timeout would have allowed twice ``TIMEOUT``
with the default single retry."""


@pytest.fixture
def paused(redis_process: Any) -> Iterator[Callable[[bool], None]]:
    """Pause (SIGSTOP) or resume (SIGCONT) the test's own redis-server; resumed at the end."""

    def pause(stop: bool) -> None:
        os.kill(redis_process.process.pid, signal.SIGSTOP if stop else signal.SIGCONT)

    try:
        yield pause
    finally:
        pause(False)


def calls(store: RedisStore, n: int) -> list[Callable[[], Awaitable[object]]]:
    """One of each single and batch operation, on keys of their own."""
    return [
        lambda: store.get("c", f"k{n}"),
        lambda: store.put("c", f"k{n}", {"n": n}, ttl=60),
        lambda: store.put("c", f"k{n}", {"n": n}),
        lambda: store.delete("c", f"k{n}"),
        lambda: store.get_many("c", [f"k{n}", "other"]),
        lambda: store.put_many("c", {f"k{n}": {"n": n}, "other": {}}, ttl=60),
        lambda: store.put_many("c", {f"k{n}": {"n": n}, "other": {}}),
        lambda: store.delete_many("c", [f"k{n}", "other"]),
    ]


@pytest.mark.slow
@pytest.mark.parametrize("auto_pipelining", [False, True], ids=["plain", "auto-pipelining"])
async def test_a_paused_server_fails_every_call_in_time_then_serves_again(
    redis_process: Any, paused: Callable[[bool], None], auto_pipelining: bool
) -> None:
    store = RedisStore(
        url=redis_process.url, socket_timeout=TIMEOUT, auto_pipelining=auto_pipelining
    )
    for n in range(4):  # connections open and warm before the server stops answering
        await asyncio.gather(*(call() for call in calls(store, n)))

    async def timed(call: Callable[[], Awaitable[object]]) -> tuple[object, float]:
        start = time.monotonic()
        try:
            # A hang fails the test here instead of stalling it.
            await asyncio.wait_for(call(), BOUND + 10)
        except Exception as error:
            return error, time.monotonic() - start
        return "answered", time.monotonic() - start

    paused(True)
    outcomes = await asyncio.gather(*(timed(call) for n in range(8) for call in calls(store, n)))
    paused(False)

    kinds = {type(outcome).__name__ for outcome, _ in outcomes}
    assert kinds == {"StoreConnectionError"}, kinds
    slowest = max(elapsed for _, elapsed in outcomes)
    assert min(elapsed for _, elapsed in outcomes) >= TIMEOUT, "failed before the bound"
    assert slowest < BOUND, f"slowest call took {slowest:.2f}s"
    # The same store, never recreated, serves again on the connections it dropped.
    await asyncio.gather(*(call() for n in range(8) for call in calls(store, n)))
    await store.put("c", "after", {"ok": True})
    assert await store.get("c", "after") == {"ok": True}
    await store.close()


async def test_a_cancelled_call_leaves_no_reply_behind(
    redis_process: Any, paused: Callable[[bool], None]
) -> None:
    """A caller cancelled mid-command drops its connection: the next call never reads its reply."""
    store = RedisStore(url=redis_process.url, max_connections=1)
    await store.put("c", "a", {"v": "a"})
    await store.put("c", "b", {"v": "b"})
    paused(True)
    pending = asyncio.ensure_future(store.get("c", "a"))
    await asyncio.sleep(0.2)  # its GET is sent; the reply will come once the server resumes
    pending.cancel()
    with pytest.raises(asyncio.CancelledError):
        await pending
    paused(False)
    assert await store.get("c", "b") == {"v": "b"}
    await store.close()
