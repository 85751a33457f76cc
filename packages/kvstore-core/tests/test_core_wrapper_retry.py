"""RetryWrapper: operations that fail to reach the store are retried."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from kvstore.core import BaseKVStore, Payload
from kvstore.core.errors import (
    ConfigurationError,
    DeserializationError,
    InvalidKeyError,
    SerializationError,
    StoreConnectionError,
)
from kvstore.core.stores import SimpleStore
from kvstore.core.wrappers import RetryWrapper
from kvstore.testing import FlakyStore, StoreConformance


class TestRetryWrapper(StoreConformance):
    """The kit passes over a store that drops every seventh read."""

    @pytest.fixture
    async def store(self) -> AsyncIterator[BaseKVStore]:
        inner = FlakyStore(fail_every=7)
        # Four attempts: the kit's 100 concurrent get_or_set callers interleave their
        # retries so that, with three, one read met the seventh-read failure every time.
        async with RetryWrapper(inner, attempts=4, base_delay=0.001, max_delay=0.002) as store:
            yield store


@pytest.mark.parametrize("failures", [0, 1, 2])
async def test_retry_succeeds_after_fewer_failures_than_attempts(failures: int) -> None:
    inner = FlakyStore()
    store = RetryWrapper(inner, attempts=3, base_delay=0.001, max_delay=0.01)
    inner.failures = failures
    await store.put("c", "k", {"v": 1})
    assert inner.calls == failures + 1
    inner.calls, inner.failures = 0, failures
    assert await store.get("c", "k") == {"v": 1}
    assert inner.calls == failures + 1


async def test_retry_gives_up_after_the_attempts() -> None:
    inner = FlakyStore(failures=5)
    store = RetryWrapper(inner, attempts=4, base_delay=0.001, max_delay=0.01)
    with pytest.raises(StoreConnectionError):
        await store.get("c", "k")
    assert inner.calls == 4
    inner.calls = 0
    with pytest.raises(StoreConnectionError):
        await RetryWrapper(inner, attempts=1).get("c", "k")
    assert inner.calls == 1


async def test_retry_does_not_retry_other_errors() -> None:
    inner = FlakyStore()
    store = RetryWrapper(inner, attempts=5, base_delay=0.001)
    inner.entries[("c", "corrupt")] = ("not an envelope", None)
    with pytest.raises(DeserializationError):
        await store.get("c", "corrupt")
    assert inner.calls == 1
    with pytest.raises(InvalidKeyError):
        await store.get("c", "")
    with pytest.raises(SerializationError):
        await store.put("c", "k", {"bad": {1, 2}})
    assert inner.calls == 1


def test_retry_delays_are_jittered_and_bounded() -> None:
    store = RetryWrapper(SimpleStore(), attempts=10, base_delay=0.1, max_delay=0.5)
    for retry, cap in [(1, 0.1), (2, 0.2), (3, 0.4), (4, 0.5), (9, 0.5), (10_000, 0.5)]:
        delays = [store.delay(retry) for _ in range(300)]
        assert all(0 <= delay <= cap for delay in delays)
        assert max(delays) > cap * 0.8
        assert min(delays) < cap * 0.2
        assert len(set(delays)) > 250


async def test_retry_total_wait_is_bounded() -> None:
    inner = FlakyStore(failures=3)
    store = RetryWrapper(inner, attempts=4, base_delay=0.05, max_delay=0.08)
    started = time.perf_counter()
    await store.put("c", "k", {})
    elapsed = time.perf_counter() - started
    assert inner.calls == 4
    assert elapsed < 0.05 + 0.08 + 0.08 + 0.1


async def test_retry_restarts_iter_keys_before_its_first_key() -> None:
    inner = FlakyStore()
    store = RetryWrapper(inner, attempts=3, base_delay=0.001)
    await store.put_many("c", {"a": {}, "b": {}})
    inner.failures = 2
    assert sorted([key async for key in store.iter_keys("c")]) == ["a", "b"]
    inner.failures = 3
    with pytest.raises(StoreConnectionError):
        [key async for key in store.iter_keys("c")]


@pytest.mark.parametrize(
    "options",
    [
        {"attempts": 0},
        {"attempts": 1.5},
        {"base_delay": -1},
        {"max_delay": float("inf")},
        {"base_delay": 2.0, "max_delay": 1.0},
        {"base_delay": True},
    ],
)
def test_retry_rejects_bad_options(options: dict[str, Any]) -> None:
    with pytest.raises(ConfigurationError):
        RetryWrapper(SimpleStore(), **options)


class LosesAnswers(SimpleStore):
    """Reads fail before reading (``read_failures``); a compare-and-set write that
    succeeds then loses its answer (``lost_answers``), as a reset after sending would."""

    def __init__(self) -> None:
        super().__init__(max_entries=None)
        self.read_failures = 0
        self.lost_answers = 0
        self.reads = 0

    async def _read_versioned(self, collection: str, key: str) -> tuple[Payload, str] | None:
        self.reads += 1
        if self.read_failures:
            self.read_failures -= 1
            raise StoreConnectionError("test store: connection refused")
        return await super()._read_versioned(collection, key)

    async def _write_versioned(
        self, collection: str, key: str, payload: str, ttl: float | None, version: str | None
    ) -> bool:
        written = await super()._write_versioned(collection, key, payload, ttl, version)
        if self.lost_answers:
            self.lost_answers -= 1
            raise StoreConnectionError("test store: connection reset after the write")
        return written

    async def _remove_versioned(self, collection: str, key: str, version: str) -> bool:
        removed = await super()._remove_versioned(collection, key, version)
        if self.lost_answers:
            self.lost_answers -= 1
            raise StoreConnectionError("test store: connection reset after the removal")
        return removed


async def test_retry_repeats_get_versioned() -> None:
    inner = LosesAnswers()
    store = RetryWrapper(inner, attempts=3, base_delay=0.001, max_delay=0.002)
    await inner.put("c", "k", {"v": 1})
    inner.read_failures = 2
    found = await store.get_versioned("c", "k")
    assert found is not None and found.value == {"v": 1}
    assert inner.reads == 3


ONCE: dict[str, Callable[[BaseKVStore], Awaitable[Any]]] = {
    "add": lambda store: store.add("c", "new", {"v": 1}),
    "take": lambda store: store.take("c", "k"),
    "touch": lambda store: store.touch("c", "k", 60),
    "put_versioned": lambda store: store.put_versioned("c", "new", {"v": 1}, version=None),
    "increment": lambda store: store.increment("c", "counter"),
}
"""Atomic writes, each of which a failed connection may have applied."""


@pytest.mark.parametrize("operation", sorted(ONCE))
async def test_retry_never_repeats_an_atomic_write(operation: str) -> None:
    inner = LosesAnswers()
    await inner.put("c", "k", {"v": 1})
    await inner.put("c", "counter", {"count": 1})
    store = RetryWrapper(inner, attempts=5, base_delay=0.001, max_delay=0.002)
    inner.lost_answers = 1
    with pytest.raises(StoreConnectionError, match="after the"):
        await ONCE[operation](store)
    # Applied once, and not again: a retry would have answered False, None or 3.
    after = {
        "add": ("new", {"v": 1}),
        "take": ("k", None),
        "touch": ("k", {"v": 1}),
        "put_versioned": ("new", {"v": 1}),
        "increment": ("counter", {"count": 2}),
    }[operation]
    assert await inner.get("c", after[0]) == after[1]
    assert inner.reads == 1
    if operation == "touch":
        info = await inner.ttl("c", "k")
        assert info is not None and info.ttl == 60
