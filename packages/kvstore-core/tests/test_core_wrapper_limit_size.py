"""LimitSizeWrapper: values over a byte limit refused."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from kvstore.core import BaseKVStore
from kvstore.core.errors import (
    ConfigurationError,
    InvalidKeyError,
    InvalidValueError,
    SerializationError,
    ValueTooLargeError,
)
from kvstore.core.stores import SimpleStore
from kvstore.core.wrappers import LimitSizeWrapper
from kvstore.testing import StoreConformance


class TestLimitSizeWrapper(StoreConformance):
    @pytest.fixture
    async def store(self) -> AsyncIterator[BaseKVStore]:
        async with LimitSizeWrapper(SimpleStore(max_entries=None), max_bytes=1_000_000) as store:
            yield store


def value_of_size(size: int) -> dict[str, str]:
    """A value whose compact JSON is exactly ``size`` bytes."""
    value = {"t": "x" * (size - len('{"t":""}'))}
    assert len(json.dumps(value, separators=(",", ":"))) == size
    return value


async def test_limit_size_boundary() -> None:
    inner = SimpleStore()
    store = LimitSizeWrapper(inner, max_bytes=100)
    await store.put("c", "fits", value_of_size(100))
    assert await store.get("c", "fits") == value_of_size(100)
    with pytest.raises(ValueTooLargeError) as raised:
        await store.put("the-collection", "the-key", value_of_size(101))
    message = str(raised.value)
    assert "'the-collection'" in message
    assert "'the-key'" in message
    assert "101" in message
    assert "100" in message
    assert await inner.get("the-collection", "the-key") is None


async def test_limit_size_counts_escaped_characters() -> None:
    store = LimitSizeWrapper(SimpleStore(), max_bytes=20)
    await store.put("c", "k", {"t": "é" * 2})
    with pytest.raises(ValueTooLargeError):
        await store.put("c", "k", {"t": "🎉" * 2})


async def test_limit_size_put_many_checks_every_value_first() -> None:
    inner = SimpleStore()
    store = LimitSizeWrapper(inner, max_bytes=100)
    await store.put("c", "a", {"old": True})
    with pytest.raises(ValueTooLargeError, match="'big'"):
        await store.put_many("c", {"a": {"new": True}, "big": value_of_size(500), "z": {}})
    assert await inner.get_many("c", ["a", "big", "z"]) == [{"old": True}, None, None]


async def test_limit_size_reports_bad_values_and_names_first() -> None:
    store = LimitSizeWrapper(SimpleStore(), max_bytes=10)
    with pytest.raises(SerializationError):
        await store.put("c", "k", {"big": "x" * 100, "bad": object()})
    with pytest.raises(InvalidKeyError):
        await store.put("c", "", value_of_size(500))


@pytest.mark.parametrize("max_bytes", [0, 1, -5, 10.5, "100"])
def test_limit_size_rejects_bad_limits(max_bytes: Any) -> None:
    with pytest.raises(ConfigurationError):
        LimitSizeWrapper(SimpleStore(), max_bytes=max_bytes)


async def test_limit_size_measures_add_and_put_versioned() -> None:
    inner = SimpleStore()
    store = LimitSizeWrapper(inner, max_bytes=100)
    assert await store.add("c", "k", value_of_size(100)) is True
    with pytest.raises(ValueTooLargeError, match="'c' key 'other'"):
        await store.add("c", "other", value_of_size(101))
    found = await store.get_versioned("c", "k")
    assert found is not None
    with pytest.raises(ValueTooLargeError, match="nothing was written"):
        await store.put_versioned("c", "k", value_of_size(101), version=found.version)
    assert await store.get_versioned("c", "k") == found
    assert await store.put_versioned("c", "k", {"v": 1}, version=found.version) is True
    assert await inner.get("c", "other") is None
    with pytest.raises(InvalidValueError, match="version"):
        await store.put_versioned("c", "k", value_of_size(101), version=1)  # type: ignore[arg-type]


async def test_limit_size_forwards_increment() -> None:
    store = LimitSizeWrapper(SimpleStore(), max_bytes=12)
    assert await store.increment("c", "k", 2**62) == 2**62  # a counter is never refused
    assert store.atomic_operations == SimpleStore.atomic_operations
