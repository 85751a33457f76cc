"""TTLClampWrapper: every TTL kept inside a range."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from kvstore.core import BaseKVStore
from kvstore.core.errors import ConfigurationError
from kvstore.core.stores import SimpleStore
from kvstore.core.wrappers import TTLClampWrapper
from kvstore.testing import Capabilities, StoreConformance


async def test_ttl_clamp_raises_short_lowers_long_and_fills_missing() -> None:
    inner = SimpleStore()
    store = TTLClampWrapper(inner, min_ttl=10, max_ttl=timedelta(hours=1), missing_ttl=600)
    await store.put("c", "short", {}, ttl=1)
    await store.put("c", "long", {}, ttl=10**6)
    await store.put("c", "none", {})
    await store.put_many("c", {"batch": {}}, ttl=0.5)
    ttls = {key: (await inner.ttl("c", key)).ttl for key in ("short", "long", "none", "batch")}  # type: ignore[union-attr]
    assert ttls == {"short": 10, "long": 3600, "none": 600, "batch": 10}


async def test_ttl_clamp_keeps_already_expired_writes_expired() -> None:
    store = TTLClampWrapper(SimpleStore(), min_ttl=10, max_ttl=100)
    await store.put("c", "k", {"v": 1})
    await store.put("c", "k", {"v": 2}, ttl=0)
    assert await store.get("c", "k") is None


def test_ttl_clamp_rejects_inverted_or_empty_bounds() -> None:
    with pytest.raises(ConfigurationError):
        TTLClampWrapper(SimpleStore(), min_ttl=10, max_ttl=5)
    with pytest.raises(ConfigurationError):
        TTLClampWrapper(SimpleStore(), min_ttl=-1, max_ttl=5)


class TestTTLClampWrapper(StoreConformance):
    capabilities = Capabilities(max_ttl=3600)

    @pytest.fixture
    async def store(self) -> AsyncIterator[BaseKVStore]:
        async with TTLClampWrapper(SimpleStore(max_entries=None), 0.01, 3600) as store:
            yield store


async def test_ttl_clamp_clamps_the_atomic_operations_ttls() -> None:
    inner = SimpleStore()
    store = TTLClampWrapper(inner, min_ttl=10, max_ttl=3600, missing_ttl=600)
    assert await store.add("c", "added", {}, ttl=1) is True
    assert await store.add("c", "added-none", {}) is True
    assert await store.put_versioned("c", "versioned", {}, version=None, ttl=10**6) is True
    assert await store.put_versioned("c", "versioned-none", {}, version=None) is True
    assert await store.increment("c", "counter", ttl=2) == 1
    assert await store.increment("c", "counter-none") == 1
    await inner.put("c", "touched", {})
    await inner.put("c", "touched-none", {})
    assert await store.touch("c", "touched", 10**6) is True
    assert await store.touch("c", "touched-none", None) is True
    names = (
        "added",
        "added-none",
        "versioned",
        "versioned-none",
        "counter",
        "counter-none",
        "touched",
        "touched-none",
    )
    ttls = {key: (await inner.ttl("c", key)).ttl for key in names}  # type: ignore[union-attr]
    assert ttls == {
        "added": 10,
        "added-none": 600,
        "versioned": 3600,
        "versioned-none": 600,
        "counter": 10,
        "counter-none": 600,
        "touched": 3600,
        "touched-none": 600,
    }


async def test_ttl_clamp_keeps_a_live_counters_ttl_and_expired_atomic_writes_expired() -> None:
    inner = SimpleStore()
    store = TTLClampWrapper(inner, min_ttl=10, max_ttl=100)
    await store.increment("c", "counter", ttl=50)
    assert await store.increment("c", "counter", ttl=1000) == 2
    assert (await inner.ttl("c", "counter")).ttl == 50  # type: ignore[union-attr]
    assert await store.add("c", "k", {"v": 1}, ttl=0) is True
    assert await store.get("c", "k") is None
    await store.put("c", "k", {"v": 1})
    assert await store.touch("c", "k", -1) is True  # expires it, as delete does
    assert await store.get("c", "k") is None


async def test_ttl_clamp_without_missing_ttl_lets_touch_remove_the_expiry() -> None:
    inner = SimpleStore()
    store = TTLClampWrapper(inner, min_ttl=0, max_ttl=100)
    await store.put("c", "k", {}, ttl=50)
    assert await store.touch("c", "k", None) is True
    assert (await inner.ttl("c", "k")).expires_at is None  # type: ignore[union-attr]
