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
