"""CompressionWrapper: large values stored zlib-compressed."""

from __future__ import annotations

import base64
import os
import zlib
from collections.abc import AsyncIterator
from typing import Any

import pytest

from kvstore.core import BaseKVStore
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
