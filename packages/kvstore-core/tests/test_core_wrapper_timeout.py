"""TimeoutWrapper: every operation bounded in time."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from kvstore.core import BaseKVStore, Payload
from kvstore.core.errors import (
    ConfigurationError,
    StoreConnectionError,
)
from kvstore.core.stores import SimpleStore
from kvstore.core.wrappers import TimeoutWrapper
from kvstore.testing import SlowStore, StoreConformance


class TestTimeoutWrapper(StoreConformance):
    @pytest.fixture
    async def store(self) -> AsyncIterator[BaseKVStore]:
        async with TimeoutWrapper(SimpleStore(max_entries=None), timeout=5.0) as store:
            yield store


async def test_timeout_bounds_a_slow_operation() -> None:
    store = TimeoutWrapper(SlowStore(delay=1.0), timeout=0.05)
    started = time.perf_counter()
    with pytest.raises(StoreConnectionError) as raised:
        await store.get("the-collection", "the-key")
    assert time.perf_counter() - started < 0.5
    assert isinstance(raised.value.__cause__, asyncio.TimeoutError)
    message = str(raised.value)
    assert "get" in message
    assert "'the-collection'" in message
    assert "'the-key'" in message
    assert "0.05s" in message


async def test_timeout_names_the_keys_of_a_batch() -> None:
    store = TimeoutWrapper(SlowStore(delay=1.0), timeout=0.02)
    with pytest.raises(StoreConnectionError, match=r"put_many on collection 'c' keys \['a'"):
        await store.put_many("c", {"a": {}, "b": {}})
    keys = [f"k{i}" for i in range(20)]
    with pytest.raises(StoreConnectionError, match=r"'k4', \.\.\. 20 keys\]"):
        await store.get_many("c", keys)
    with pytest.raises(StoreConnectionError, match="iter_keys on collection 'c'"):
        [key async for key in store.iter_keys("c")]
    with pytest.raises(StoreConnectionError, match="list_collections timed out"):
        await store.list_collections()


async def test_timeout_lets_fast_operations_through() -> None:
    store = TimeoutWrapper(SlowStore(delay=0.01), timeout=1.0)
    await store.put("c", "k", {"v": 1})
    assert await store.get("c", "k") == {"v": 1}
    assert [key async for key in store.iter_keys("c")] == ["k"]


@pytest.mark.parametrize("timeout", [0, -1, float("nan"), float("inf"), "5", True])
def test_timeout_rejects_bad_values(timeout: Any) -> None:
    with pytest.raises(ConfigurationError):
        TimeoutWrapper(SimpleStore(), timeout=timeout)


class SlowCompareAndSet(SimpleStore):
    """A SimpleStore whose compare-and-set reads take ``delay`` seconds."""

    def __init__(self, delay: float) -> None:
        super().__init__(max_entries=None)
        self.delay = delay

    async def _read_versioned(self, collection: str, key: str) -> tuple[Payload, str] | None:
        await asyncio.sleep(self.delay)
        return await super()._read_versioned(collection, key)


@pytest.mark.parametrize(
    "operation", ["add", "take", "touch", "get_versioned", "put_versioned", "increment"]
)
async def test_timeout_bounds_the_atomic_operations(operation: str) -> None:
    inner = SlowCompareAndSet(delay=1.0)
    await inner.put("c", "k", {"count": 1})
    store = TimeoutWrapper(inner, timeout=0.05)
    calls: dict[str, Callable[[], Awaitable[object]]] = {
        "add": lambda: store.add("c", "new", {}),
        "take": lambda: store.take("c", "k"),
        "touch": lambda: store.touch("c", "k", 60),
        "get_versioned": lambda: store.get_versioned("c", "k"),
        "put_versioned": lambda: store.put_versioned("c", "k", {}, version="1"),
        "increment": lambda: store.increment("c", "k"),
    }
    with pytest.raises(StoreConnectionError, match=f"{operation} on collection 'c' key"):
        await calls[operation]()  # the store would have answered after a second
    assert await inner.get("c", "k") == {"count": 1}
