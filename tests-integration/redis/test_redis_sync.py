"""SyncStore over RedisStore in forked children: each child uses connections of its own."""

from __future__ import annotations

import os
import signal
import time
import warnings
from collections.abc import Callable

import pytest

from kvstore.core.sync import SyncStore, open_sync_store
from kvstore.redis import RedisStore

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="os.fork exists on POSIX only")

WAIT = 20.0
"""Seconds a child may take; it is killed (and the test fails) past that."""


def _in_child(check: Callable[[], bool]) -> int:
    """Fork; the child runs ``check`` and exits 0 if it returns True; return its exit code
    (-1 if it hung)."""
    with warnings.catch_warnings():
        # Python 3.12+ warns that forking a threaded process may deadlock: the facade's
        # loop thread is exactly what this test forks away from.
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
    if pid == 0:
        code = 1
        try:
            code = 0 if check() else 2
        finally:
            os._exit(code)
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        time.sleep(0.01)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    return -1


def test_children_of_an_open_sync_store_use_their_own_connections(
    redis_url: str, fresh_prefix: str
) -> None:
    with open_sync_store(redis_url, prefix=fresh_prefix) as store:
        store.put("c", "parent", {"from": "parent"})

        def child() -> bool:
            store.put("c", f"child-{os.getpid()}", {"from": "child"})
            return store.get("c", "parent") == {"from": "parent"}

        assert [_in_child(child) for _ in range(3)] == [0, 0, 0]
        # The parent's connections were neither used nor closed by the children.
        assert store.get("c", "parent") == {"from": "parent"}
        assert len(store.keys("c")) == 4
        store.clear_collection("c")


def test_a_child_of_a_facade_over_a_store_object_uses_it_on_a_new_loop(
    redis_url: str, fresh_prefix: str
) -> None:
    with SyncStore(RedisStore(url=redis_url, prefix=fresh_prefix)) as store:
        store.put("c", "parent", {"from": "parent"})

        def child() -> bool:
            store.put("c", "child", {"from": "child"})
            return store.get("c", "parent") == {"from": "parent"}

        assert _in_child(child) == 0
        assert store.get("c", "child") == {"from": "child"}
        store.clear_collection("c")
