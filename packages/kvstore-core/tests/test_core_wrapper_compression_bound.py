"""CompressionWrapper inflates at most max_size bytes: a zip bomb is refused, not allocated."""

from __future__ import annotations

import base64
import tracemalloc
import zlib
from typing import Any

import pytest

from kvstore.core.errors import ConfigurationError, DeserializationError, ValueTooLargeError
from kvstore.core.stores import SimpleStore
from kvstore.core.wrappers import CompressionWrapper
from kvstore.core.wrappers._compression import DEFAULT_MAX_SIZE

MIB = 1024 * 1024
BOMB_SIZE = 200 * MIB
"""What the bomb inflates to: a JSON object of one 200 MiB string."""


@pytest.fixture(scope="module")
def bomb() -> dict[str, Any]:
    """A stored compressed marker of about 270 KB that inflates to 200 MiB of valid JSON."""
    packer = zlib.compressobj(9)
    parts = [packer.compress(b'{"pad":"')]
    chunk = b" " * MIB
    parts += [packer.compress(chunk) for _ in range(BOMB_SIZE // MIB)]
    parts.append(packer.compress(b'"}') + packer.flush())
    packed = base64.b64encode(b"".join(parts)).decode("ascii")
    assert len(packed) < 300_000
    return {"__kvstore_compressed__": 1, "zlib": packed}


async def peak_while_reading(store: CompressionWrapper, key: str) -> tuple[Exception, int]:
    """Return the error a get raises and the most memory traced while it ran."""
    tracemalloc.start()
    try:
        with pytest.raises(DeserializationError) as raised:
            await store.get("c", key)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return raised.value, peak


async def test_a_zip_bomb_is_refused_by_the_default_bound(bomb: dict[str, Any]) -> None:
    inner = SimpleStore()
    await inner.put("c", "bomb", bomb)
    store = CompressionWrapper(inner)
    error, peak = await peak_while_reading(store, "bomb")
    assert "max_size" in str(error)
    assert "'c' key 'bomb'" in str(error)
    assert peak < DEFAULT_MAX_SIZE + 8 * MIB < BOMB_SIZE // 2


async def test_a_zip_bomb_allocates_no_more_than_a_small_bound(bomb: dict[str, Any]) -> None:
    inner = SimpleStore()
    await inner.put("c", "bomb", bomb)
    store = CompressionWrapper(inner, max_size=MIB)
    _, peak = await peak_while_reading(store, "bomb")
    assert peak < 4 * MIB
    for read in (store.get_many("c", ["bomb"]), store.get_with_ttl("c", "bomb")):
        with pytest.raises(DeserializationError, match="max_size"):
            await read


async def test_a_value_of_exactly_max_size_round_trips_and_one_byte_more_is_refused() -> None:
    inner = SimpleStore()
    store = CompressionWrapper(inner, min_size=0, max_size=4096)
    at_limit = {"t": "a" * (4096 - len('{"t":""}'))}
    await store.put("c", "at", at_limit)
    assert "__kvstore_compressed__" in (await inner.get("c", "at") or {})
    assert await store.get("c", "at") == at_limit
    with pytest.raises(ValueTooLargeError, match=r"'c' key 'over'.*max_size of 4096"):
        await store.put("c", "over", {"t": at_limit["t"] + "a"})
    with pytest.raises(ValueTooLargeError):
        await store.put_many("c", {"fine": {"t": "b"}, "over": {"t": at_limit["t"] + "a"}})
    assert sorted(await inner.keys("c")) == ["at"]


async def test_values_stored_plain_are_read_whatever_their_size() -> None:
    # The bound is on inflation: a value stored uncompressed is returned as it is.
    inner = SimpleStore()
    big = {"t": "x" * 10_000}
    await inner.put("c", "plain", big)
    assert await CompressionWrapper(inner, max_size=1024).get("c", "plain") == big


async def test_a_truncated_stream_still_raises() -> None:
    inner = SimpleStore()
    whole = zlib.compress(b'{"t":"' + b"a" * 5000 + b'"}')
    await inner.put(
        "c", "k", {"__kvstore_compressed__": 1, "zlib": base64.b64encode(whole[:-6]).decode()}
    )
    with pytest.raises(DeserializationError, match="cannot be decompressed"):
        await CompressionWrapper(inner).get("c", "k")


@pytest.mark.parametrize(
    "options",
    [{"max_size": 0}, {"max_size": 1.0e6}, {"max_size": None}, {"min_size": 10, "max_size": 9}],
    ids=["zero", "float", "none", "below-min_size"],
)
def test_max_size_must_be_a_positive_int_at_least_min_size(options: dict[str, Any]) -> None:
    with pytest.raises(ConfigurationError, match="max_size"):
        CompressionWrapper(SimpleStore(), **options)


def test_max_size_is_in_the_repr() -> None:
    assert "max_size=1024" in repr(CompressionWrapper(SimpleStore(), max_size=1024))
