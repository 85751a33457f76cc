"""TTLs at the edges of int, float and timedelta: a finite TTL or InvalidTTLError, never more."""

from __future__ import annotations

from datetime import timedelta

import pytest

from kvstore.core._validation import normalize_ttl
from kvstore.core.errors import InvalidTTLError
from kvstore.core.stores import SimpleStore


class Seconds(int):
    """An int subclass, as some libraries hand out."""


@pytest.mark.parametrize(
    "ttl", [10**400, -(10**400), 2**1024, Seconds(10**400), 10**5000], ids=lambda t: "int"
)
async def test_ints_beyond_a_float_raise_invalid_ttl_error_and_write_nothing(ttl: int) -> None:
    store = SimpleStore()
    await store.put("c", "k", {"old": True})
    with pytest.raises(InvalidTTLError, match="beyond a float"):
        await store.put("c", "k", {"new": True}, ttl=ttl)
    with pytest.raises(InvalidTTLError, match="beyond a float"):
        await store.put_many("c", {"k": {"new": True}, "other": {}}, ttl=ttl)
    assert await store.get_many("c", ["k", "other"]) == [{"old": True}, None]


@pytest.mark.parametrize(
    ("ttl", "seconds"),
    [
        (2**1023, float(2**1023)),
        (timedelta.max, timedelta.max.total_seconds()),
        (timedelta.min, timedelta.min.total_seconds()),
        (timedelta(microseconds=1), 1e-6),
        (timedelta(microseconds=-1), -1e-6),
        (timedelta(0), 0.0),
        (Seconds(5), 5.0),
    ],
    ids=repr,
)
def test_largest_and_smallest_ttls_are_plain_seconds(ttl: int | timedelta, seconds: float) -> None:
    assert normalize_ttl(ttl) == seconds


async def test_the_longest_timedelta_stores_an_entry_that_lives() -> None:
    store = SimpleStore()
    await store.put("c", "k", {"v": 1}, ttl=timedelta.max)
    await store.put_many("c", {"m": {"v": 2}}, ttl=timedelta.max)
    assert await store.get_many("c", ["k", "m"]) == [{"v": 1}, {"v": 2}]
    await store.put("c", "k", {"v": 1}, ttl=timedelta.min)
    assert await store.get("c", "k") is None
