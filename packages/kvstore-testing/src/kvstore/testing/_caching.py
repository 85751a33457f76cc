"""CacheCoherenceConformance: a caching wrapper never serves what a finished write replaced."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from kvstore.core import BaseKVStore

from ._doubles import ReadGate

STEP = 5.0
"""Seconds any one step of a race may take before the case fails instead of hanging."""

Read = Callable[[BaseKVStore], Awaitable[Any]]
Write = Callable[[BaseKVStore], Awaitable[Any]]

READS: dict[str, Read] = {
    "get": lambda store: store.get("race", "k"),
    "get_with_ttl": lambda store: store.get_with_ttl("race", "k"),
    "get_many": lambda store: store.get_many("race", ["k", "other"]),
    "get_many_with_ttl": lambda store: store.get_many_with_ttl("race", ["k"]),
    "exists": lambda store: store.exists("race", "k"),
}
"""Reads that miss a cold cache and fill it from the primary."""
WRITES: dict[str, tuple[Write, dict[str, Any] | None]] = {
    "put": (lambda store: store.put("race", "k", {"v": "new"}), {"v": "new"}),
    "put_many": (lambda store: store.put_many("race", {"k": {"v": "new"}}), {"v": "new"}),
    "delete": (lambda store: store.delete("race", "k"), None),
    "delete_many": (lambda store: store.delete_many("race", ["k"]), None),
    "clear_collection": (lambda store: store.clear_collection("race"), None),
    "take": (lambda store: store.take("race", "k"), None),
    "put_versioned": (lambda store: _replace_versioned(store), {"v": "new"}),
}
"""Writes through the wrapper, and what ``get`` must return once they have returned."""

ATOMIC_WRITES = {"take": ("take",), "put_versioned": ("get_versioned", "put_versioned")}
"""The writes that are atomic operations, and the operations each needs (a store that does
not declare them in ``atomic_operations`` skips the case)."""


async def _replace_versioned(store: BaseKVStore) -> None:
    """Replace the value with a compare-and-set on the version read just before."""
    seen = await store.get_versioned("race", "k")
    assert seen is not None, "get_versioned found no value to replace"
    assert await store.put_versioned("race", "k", {"v": "new"}, version=seen.version), (
        "put_versioned with the version just read was refused"
    )


class CacheCoherenceConformance:
    """Subclass this for a caching wrapper: races between a fill and a write never go stale.

    Provide the async ``primary`` fixture (an empty store of record) and :meth:`cached`
    (your wrapper over a primary, with an empty cache). Each case reads through the
    wrapper a value the cache does not hold, holds that read after it has read the
    primary (a :class:`ReadGate` over the primary), writes through the wrapper, lets
    the read finish, and checks that no read from then on returns the replaced value:
    "once a write through the wrapper has returned, no read through it returns what
    the write replaced".
    """

    @pytest.fixture
    async def primary(self) -> AsyncIterator[BaseKVStore]:
        """Yield an empty store of record."""
        raise NotImplementedError("a cache coherence test class must define `primary`")
        return

    def cached(self, primary: BaseKVStore) -> BaseKVStore:
        """Return the caching wrapper under test over ``primary``, with an empty cache."""
        raise NotImplementedError("a cache coherence test class must define cached()")

    @pytest.mark.parametrize("write", sorted(WRITES))
    @pytest.mark.parametrize("read", sorted(READS))
    async def test_a_fill_racing_a_write_never_serves_the_replaced_value(
        self, primary: BaseKVStore, read: str, write: str
    ) -> None:
        gate = ReadGate(primary)
        store = self.cached(gate)
        missing = set(ATOMIC_WRITES.get(write, ())) - set(store.atomic_operations)
        if missing:
            pytest.skip(f"store.atomic_operations does not declare {sorted(missing)}")
        await primary.put("race", "k", {"v": "old"})  # behind the wrapper: the cache is cold
        gate.close_gate()
        reader = asyncio.ensure_future(READS[read](store))
        try:
            await asyncio.wait_for(gate.read_held(), STEP)  # the read has the old value
            change, expected = WRITES[write]
            await asyncio.wait_for(change(store), STEP)
        finally:
            gate.open_gate()
            await asyncio.wait_for(reader, STEP)
        for _ in range(2):  # the first read may fill the cache; the second reads it back
            assert await store.get("race", "k") == expected
            assert await store.get_many("race", ["k"]) == [expected]
            assert await store.exists("race", "k") is (expected is not None)
