"""A server that stops answering: every call ends with StoreConnectionError within its bound,
and the same store serves again once the server answers (the bound is one deadline per call)."""

from __future__ import annotations

import asyncio
import os
import signal
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest

from kvstore.redis import RedisStore
from kvstore.redis._layout import encode_name

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


# -- a cluster node that stops answering --------------------------------------------------


def port_of(store: RedisStore, collection: str, key: str) -> int:
    """The port of the cluster node that serves ``key`` (the store has discovered the cluster)."""
    cluster = store._loops.get().cluster
    assert cluster is not None
    name = encode_name(store._prefix, collection, key)
    return int(cluster.nodes_manager.get_node_from_slot(cluster.keyslot(name)).port)


def single_calls(store: RedisStore, key: str) -> list[Callable[[], Awaitable[object]]]:
    """One of each single-key operation (a script call among them) on ``key``."""
    return [
        lambda: store.get("c", key),
        lambda: store.put("c", key, {"k": key}, ttl=60),
        lambda: store.put("c", key, {"k": key}),
        lambda: store.delete("c", key),
        lambda: store.add("c", key, {"k": key}),
    ]


@pytest.fixture
def cluster_node(
    redis_cluster_processes: tuple[str, list[Any]],
) -> Iterator[tuple[str, Any, Callable[[bool], None]]]:
    """The private cluster's URL, its first node, and what pauses or resumes that node."""
    url, nodes = redis_cluster_processes
    node = nodes[0]

    def pause(stop: bool) -> None:
        os.kill(node.process.pid, signal.SIGSTOP if stop else signal.SIGCONT)

    try:
        yield url, node, pause
    finally:
        pause(False)


@pytest.mark.slow
@pytest.mark.cluster
@pytest.mark.parametrize("auto_pipelining", [False, True], ids=["plain", "auto-pipelining"])
async def test_a_paused_cluster_node_fails_its_calls_in_time_then_serves_again(
    cluster_node: tuple[str, Any, Callable[[bool], None]], auto_pipelining: bool
) -> None:
    url, node, pause = cluster_node
    store = RedisStore(
        url=url,
        prefix=f"deadline-{uuid.uuid4().hex[:8]}:",
        socket_timeout=TIMEOUT,
        auto_pipelining=auto_pipelining,
    )
    keys = [f"k{n}" for n in range(48)]
    for _ in range(2):  # connections open and warm before the node stops answering
        await asyncio.gather(*(call() for key in keys for call in single_calls(store, key)))
    on_paused = [key for key in keys if port_of(store, "c", key) == node.port]
    elsewhere = [key for key in keys if port_of(store, "c", key) != node.port]
    assert on_paused and elsewhere

    async def timed(call: Callable[[], Awaitable[object]]) -> tuple[object, float]:
        start = time.monotonic()
        try:
            await asyncio.wait_for(call(), BOUND + 10)
        except Exception as error:
            return error, time.monotonic() - start
        return "answered", time.monotonic() - start

    pause(True)
    try:
        stalled, served = await asyncio.gather(
            asyncio.gather(
                *(timed(call) for key in on_paused for call in single_calls(store, key))
            ),
            asyncio.gather(
                *(timed(call) for key in elsewhere for call in single_calls(store, key))
            ),
        )
    finally:
        pause(False)

    kinds = {type(outcome).__name__ for outcome, _ in stalled}
    assert kinds == {"StoreConnectionError"}, kinds
    assert min(elapsed for _, elapsed in stalled) >= TIMEOUT, "failed before the bound"
    slowest = max(elapsed for _, elapsed in stalled)
    assert slowest < BOUND, f"slowest call took {slowest:.2f}s"
    # The other nodes kept serving while one was paused.
    assert {outcome for outcome, _ in served} == {"answered"}
    # The same store serves again on the connections it dropped.
    await asyncio.gather(*(call() for key in keys for call in single_calls(store, key)))
    await store.put("c", on_paused[0], {"ok": True})
    assert await store.get("c", on_paused[0]) == {"ok": True}
    await store.close()


@pytest.mark.cluster
async def test_a_cancelled_cluster_call_leaves_no_reply_behind(
    cluster_node: tuple[str, Any, Callable[[bool], None]],
) -> None:
    """A caller cancelled mid-command drops its node connection: the next call never reads
    its reply."""
    url, node, pause = cluster_node
    store = RedisStore(url=url, prefix=f"deadline-{uuid.uuid4().hex[:8]}:", max_connections=1)
    await store.exists("c", "warm-up")
    a, b = [key for key in (f"k{n}" for n in range(64)) if port_of(store, "c", key) == node.port][
        :2
    ]
    await store.put("c", a, {"v": "a"})
    await store.put("c", b, {"v": "b"})
    pause(True)
    pending = asyncio.ensure_future(store.get("c", a))
    await asyncio.sleep(0.2)  # its GET is sent; the reply will come once the node resumes
    pending.cancel()
    with pytest.raises(asyncio.CancelledError):
        await pending
    pause(False)
    assert await store.get("c", b) == {"v": "b"}
    await store.close()


@pytest.mark.parametrize("where", ["url", "host"])
async def test_the_stores_own_connections_leave_the_bound_to_the_watchdog(
    redis_process: Any, where: str
) -> None:
    """No redis-py socket_timeout on the connections the store lends (redis-py 8.1 defaults a
    connection's to 5 s, which would cut a longer bound short and cost a wait_for per send)."""
    if where == "url":
        store = RedisStore(url=redis_process.url, socket_timeout=30)
    else:
        store = RedisStore(host="127.0.0.1", port=redis_process.port, socket_timeout=30)
    await store.put("c", "k", {"v": 1})
    lender = store._loops.get().lender
    assert lender is not None
    assert [connection.socket_timeout for connection in lender._opened] == [None]
    await store.close()


@pytest.mark.cluster
async def test_the_stores_own_cluster_connections_leave_the_bound_to_the_watchdog(
    redis_cluster_url: str,
) -> None:
    store = RedisStore(url=redis_cluster_url, prefix=f"deadline-{uuid.uuid4().hex[:8]}:")
    await store.exists("c", "warm-up")  # discovers the cluster (calls before go through it)
    await asyncio.gather(*(store.put("c", f"k{n}", {"v": n}) for n in range(16)))
    router = store._loops.get().router
    assert router is not None
    opened = [connection for lender in router._lenders for connection in lender._opened]
    assert opened
    assert {connection.socket_timeout for connection in opened} == {None}
    await store.clear_collection("c")
    await store.close()
