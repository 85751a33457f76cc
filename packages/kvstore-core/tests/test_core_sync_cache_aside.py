"""SyncStore.get_or_set: threads share one computation; a blocking factory leaves the loop free."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from kvstore.core import SerializationError
from kvstore.core.stores import SimpleStore
from kvstore.core.sync import SyncSingleCollectionAdapter, SyncStore

WAIT = 10.0
"""Seconds a test waits for something that happens at once when the facade works."""


def test_a_blocking_factory_does_not_stall_other_threads_calls() -> None:
    started, release = threading.Event(), threading.Event()

    def blocking() -> dict[str, Any]:
        started.set()
        release.wait(WAIT)
        return {"v": 1}

    with SyncStore(SimpleStore()) as facade, ThreadPoolExecutor(2) as pool:
        pending = pool.submit(facade.get_or_set, "c", "k", blocking)
        assert started.wait(WAIT)
        # The factory blocks its thread; the facade's loop still serves this call.
        other = pool.submit(facade.put, "c", "other", {"v": 2})
        try:
            other.result(timeout=2)
        finally:
            release.set()
        assert pending.result(WAIT) == {"v": 1}
        assert facade.get("c", "k") == {"v": 1}


def test_threads_share_one_computation() -> None:
    calls: list[None] = []

    def slow() -> dict[str, Any]:
        calls.append(None)
        time.sleep(0.1)
        return {"v": 1}

    with SyncStore(SimpleStore()) as facade, ThreadPoolExecutor(8) as pool:
        values = list(pool.map(lambda _: facade.get_or_set("c", "k", slow), range(8)))
    assert values == [{"v": 1}] * 8
    assert len(calls) == 1


def test_an_async_factory_runs_on_the_facades_loop() -> None:
    async def compute() -> dict[str, Any]:
        return {"async": True}

    with SyncStore(SimpleStore()) as facade:
        assert facade.get_or_set("c", "k", compute, ttl=60) == {"async": True}
        info = facade.ttl("c", "k")
        assert info is not None and info.ttl == 60


def test_errors_are_the_stores_errors() -> None:
    with SyncStore(SimpleStore()) as facade:
        with pytest.raises(SerializationError, match="factory"):
            facade.get_or_set("c", "k", lambda: {"b": b"x"})
        with pytest.raises(TypeError, match="factory must be a callable"):
            facade.get_or_set("c", "k", {"v": 1})  # type: ignore[arg-type]
        assert facade.get("c", "k") is None


def test_the_single_collection_adapter_has_it_too() -> None:
    with SyncStore(SimpleStore()) as facade:
        users = SyncSingleCollectionAdapter(facade, "users")
        assert users.get_or_set("ada", lambda: {"name": "Ada"}) == {"name": "Ada"}
        assert facade.get("users", "ada") == {"name": "Ada"}
