"""CompressionWrapper: large values stored zlib-compressed."""

from __future__ import annotations

import asyncio
import base64
import os
import zlib
from collections.abc import AsyncIterator
from typing import Any

import pytest

from kvstore.core import ATOMIC_OPERATIONS, BaseKVStore
from kvstore.core.errors import (
    ConfigurationError,
    DeserializationError,
)
from kvstore.core.stores import SimpleStore
from kvstore.core.wrappers import CompressionWrapper
from kvstore.testing import StoreConformance


def payload_of(store: SimpleStore, collection: str, key: str) -> str:
    """The envelope text SimpleStore holds for an entry."""
    return store.entries[(collection, key)][0]


class TestCompressionWrapper(StoreConformance):
    @pytest.fixture
    async def store(self) -> AsyncIterator[BaseKVStore]:
        async with CompressionWrapper(SimpleStore(max_entries=None), min_size=0) as store:
            yield store


COMPRESSIBLE = {"rows": [{"id": i, "name": "same text again and again"} for i in range(200)]}


async def test_compression_shrinks_what_is_stored() -> None:
    plain, inner = SimpleStore(), SimpleStore()
    store = CompressionWrapper(inner)
    await plain.put("c", "k", COMPRESSIBLE)
    await store.put("c", "k", COMPRESSIBLE)
    assert len(payload_of(inner, "c", "k")) * 5 < len(payload_of(plain, "c", "k"))
    stored = await inner.get("c", "k")
    assert stored is not None
    assert set(stored) == {"__kvstore_compressed__", "zlib"}
    assert await store.get("c", "k") == COMPRESSIBLE
    assert await store.get_many("c", ["k", "missing", "k"]) == [COMPRESSIBLE, None, COMPRESSIBLE]
    value, info = await store.get_with_ttl("c", "k")
    assert value == COMPRESSIBLE
    assert info is not None
    assert info.key == "k"


async def test_compression_threshold_is_on_the_json_size() -> None:
    inner = SimpleStore()
    store = CompressionWrapper(inner, min_size=500)
    at_limit = {"t": "a" * (500 - len('{"t":""}'))}
    over = {"t": "a" * (501 - len('{"t":""}'))}
    await store.put_many("c", {"at": at_limit, "over": over})
    assert await inner.get("c", "at") == at_limit
    over_stored = await inner.get("c", "over")
    assert over_stored is not None
    assert "__kvstore_compressed__" in over_stored
    assert await store.get_many("c", ["at", "over"]) == [at_limit, over]


async def test_compression_keeps_incompressible_values_plain() -> None:
    inner = SimpleStore()
    store = CompressionWrapper(inner, min_size=10)
    noise = {"n": base64.b64encode(os.urandom(3000)).decode()}
    await store.put("c", "noise", noise)
    assert await inner.get("c", "noise") == noise
    assert await store.get("c", "noise") == noise


async def test_compression_reads_data_written_without_it() -> None:
    inner = SimpleStore()
    await inner.put("c", "old", COMPRESSIBLE)
    assert await CompressionWrapper(inner).get("c", "old") == COMPRESSIBLE


async def test_a_value_that_looks_like_a_marker_round_trips() -> None:
    inner = SimpleStore()
    store = CompressionWrapper(inner, min_size=10_000)
    lookalike = {"__kvstore_compressed__": 1, "zlib": "not base64!"}
    await store.put("c", "k", lookalike)
    assert await store.get("c", "k") == lookalike


@pytest.mark.parametrize(
    "stored",
    [
        {"__kvstore_compressed__": 1, "zlib": "%%% not base64"},
        {"__kvstore_compressed__": 1, "zlib": base64.b64encode(b"not zlib").decode()},
        {"__kvstore_compressed__": 1, "zlib": base64.b64encode(zlib.compress(b"[1]")).decode()},
        {"__kvstore_compressed__": 1, "zlib": base64.b64encode(zlib.compress(b"{no")).decode()},
        {"__kvstore_compressed__": 2, "zlib": ""},
        {"__kvstore_compressed__": True, "zlib": ""},
        {"__kvstore_compressed__": 1},
    ],
    ids=["bad-base64", "not-zlib", "not-an-object", "bad-json", "version-2", "bool", "no-data"],
)
async def test_a_corrupt_compressed_value_raises(stored: dict[str, Any]) -> None:
    inner = SimpleStore()
    await inner.put("the-collection", "the-key", stored)
    store = CompressionWrapper(inner)
    with pytest.raises(DeserializationError, match=r"'the-collection' key 'the-key'"):
        await store.get("the-collection", "the-key")
    with pytest.raises(DeserializationError):
        await store.get_many("the-collection", ["the-key"])


@pytest.mark.parametrize("options", [{"min_size": -1}, {"level": 10}, {"level": "9"}])
def test_compression_rejects_bad_options(options: dict[str, Any]) -> None:
    with pytest.raises(ConfigurationError):
        CompressionWrapper(SimpleStore(), **options)


# -- atomic operations ----------------------------------------------------------------------


async def test_atomic_writes_compress_and_reads_inflate() -> None:
    inner = SimpleStore()
    store = CompressionWrapper(inner, min_size=100)
    assert await store.add("c", "k", COMPRESSIBLE) is True
    assert await store.add("c", "k", {"small": 1}) is False
    stored = await inner.get("c", "k")
    assert stored is not None and set(stored) == {"__kvstore_compressed__", "zlib"}
    found = await store.get_versioned("c", "k")
    assert found is not None and found.value == COMPRESSIBLE
    bigger = {"rows": COMPRESSIBLE["rows"] * 2}
    assert await store.put_versioned("c", "k", bigger, version=found.version) is True
    assert await store.put_versioned("c", "k", {"small": 1}, version=found.version) is False
    assert "__kvstore_compressed__" in (await inner.get("c", "k") or {})
    assert await store.take("c", "k") == bigger
    assert await store.take("c", "k") is None


async def test_take_of_a_corrupt_value_raises_and_removes_nothing() -> None:
    inner = SimpleStore()
    broken = {"__kvstore_compressed__": 1, "zlib": base64.b64encode(b"not zlib").decode()}
    await inner.put("c", "k", broken)
    with pytest.raises(DeserializationError, match="cannot be decompressed"):
        await CompressionWrapper(inner).take("c", "k")
    assert await inner.get("c", "k") == broken


@pytest.mark.parametrize("count", [0, 1, -1, 2**63 - 1, -(2**63)])
async def test_a_counter_is_never_compressed_so_increment_is_the_stores_own(count: int) -> None:
    # Even at min_size=0 and the best level, the marker is longer than any counter's JSON.
    inner = SimpleStore()
    store = CompressionWrapper(inner, min_size=0, level=9)
    await store.put("hits", "k", {"count": count})
    assert await inner.get("hits", "k") == {"count": count}
    calls: list[str] = []

    class Counting(SimpleStore):
        async def increment(self, *args: Any, **kwargs: Any) -> int:
            calls.append("increment")
            return await super().increment(*args, **kwargs)

    counted = CompressionWrapper(Counting(), min_size=0, level=9)
    assert await counted.increment("hits", "k", 5, ttl=60) == 5
    assert calls == ["increment"]


async def test_racing_compressed_increments_and_takes_are_exact(
    interleaving_store: SimpleStore,
) -> None:
    store = CompressionWrapper(interleaving_store, min_size=0)
    counts = await asyncio.gather(*(store.increment("hits", "k") for _ in range(64)))
    assert sorted(counts) == list(range(1, 65))
    await store.put("tokens", "t", COMPRESSIBLE)
    taken = await asyncio.gather(*(store.take("tokens", "t") for _ in range(64)))
    assert [value for value in taken if value is not None] == [COMPRESSIBLE]
    added = await asyncio.gather(*(store.add("keys", "k", COMPRESSIBLE) for _ in range(64)))
    assert added.count(True) == 1


def test_compression_reports_increment_only_where_the_store_counts() -> None:
    class NoCounter(SimpleStore):
        atomic_operations = ATOMIC_OPERATIONS - {"increment"}

    class NoCompareAndSet(SimpleStore):
        atomic_operations = frozenset({"add", "increment"})

    assert CompressionWrapper(SimpleStore()).atomic_operations == ATOMIC_OPERATIONS
    assert CompressionWrapper(NoCounter()).atomic_operations == ATOMIC_OPERATIONS - {"increment"}
    assert CompressionWrapper(NoCompareAndSet()).atomic_operations == {"add", "increment"}
