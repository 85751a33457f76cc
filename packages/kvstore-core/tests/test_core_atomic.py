"""Core's side of the atomic operations: declared support, the optimistic defaults, bad input.

The behaviour every backend shares is in the kit (kvstore.testing); these tests cover what
core decides itself: refusing undeclared operations, retrying conflicts in the optimistic
defaults (over a store whose compare-and-set steps really interleave), and giving up on a
backend whose compare-and-set never succeeds.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from kvstore.core import (
    ATOMIC_OPERATIONS,
    BaseKVStore,
    InvalidKeyError,
    InvalidTTLError,
    InvalidValueError,
    KVStoreError,
    Payload,
    SerializationError,
    UnsupportedOperationError,
    Versioned,
    _optimistic,
)
from kvstore.core.stores import NullStore, SimpleStore

CALLS: dict[str, tuple[Any, ...]] = {
    "add": ("c", "k", {"v": 1}),
    "take": ("c", "k"),
    "touch": ("c", "k", 10),
    "get_versioned": ("c", "k"),
    "increment": ("c", "k"),
}


async def call(store: BaseKVStore, operation: str) -> Any:
    if operation == "put_versioned":
        return await store.put_versioned("c", "k", {"v": 1}, version=None)
    return await getattr(store, operation)(*CALLS[operation])


class OldBackend(BaseKVStore):
    """A backend written for core 0.1: the envelope primitives only, in a dict."""

    def __init__(self) -> None:
        self.data: dict[tuple[str, str], str] = {}

    async def _read(self, collection: str, key: str) -> Payload | None:
        return self.data.get((collection, key))

    async def _write(self, collection: str, key: str, payload: str, ttl: float | None) -> None:
        self.data[(collection, key)] = payload

    async def _remove(self, collection: str, key: str) -> bool:
        return self.data.pop((collection, key), None) is not None

    async def _scan(self, collection: str) -> AsyncIterator[list[str]]:
        yield [key for name, key in self.data if name == collection]

    async def _collections(self) -> list[str]:
        return list({name for name, _ in self.data})


class InterleavingStore(SimpleStore):
    """A SimpleStore whose compare-and-set steps each yield to the loop first, as a network
    store's round trips do, so concurrent optimistic operations really conflict."""

    def __init__(self) -> None:
        super().__init__(max_entries=None)
        self.conflicts = 0

    async def _read_versioned(self, collection: str, key: str) -> tuple[Payload, str] | None:
        await asyncio.sleep(0)
        return await super()._read_versioned(collection, key)

    async def _write_versioned(
        self, collection: str, key: str, payload: str, ttl: float | None, version: str | None
    ) -> bool:
        await asyncio.sleep(0)
        written = await super()._write_versioned(collection, key, payload, ttl, version)
        self.conflicts += not written
        return written

    async def _remove_versioned(self, collection: str, key: str, version: str) -> bool:
        await asyncio.sleep(0)
        removed = await super()._remove_versioned(collection, key, version)
        self.conflicts += not removed
        return removed


@pytest.mark.parametrize("operation", sorted(ATOMIC_OPERATIONS))
async def test_an_undeclared_operation_is_refused_by_name_before_anything_happens(
    operation: str,
) -> None:
    store = OldBackend()
    await store.put("c", "k", {"count": 1})
    with pytest.raises(
        UnsupportedOperationError, match=rf"OldBackend does not implement {operation}\(\)"
    ):
        await call(store, operation)
    assert await store.get("c", "k") == {"count": 1}
    assert isinstance(UnsupportedOperationError(), KVStoreError)


async def test_old_operations_of_an_old_backend_still_work() -> None:
    store = OldBackend()
    assert store.atomic_operations == frozenset()
    await store.put("c", "k", {"v": 1}, ttl=60)
    assert await store.get("c", "k") == {"v": 1}
    assert await store.delete("c", "k") is True


async def test_null_store_answers_as_if_nothing_were_ever_present() -> None:
    store = NullStore()
    assert store.atomic_operations == ATOMIC_OPERATIONS
    assert await store.add("c", "k", {"v": 1}) is True
    assert await store.add("c", "k", {"v": 1}) is True
    assert await store.take("c", "k") is None
    assert await store.touch("c", "k", 10) is False
    assert await store.get_versioned("c", "k") is None
    assert await store.put_versioned("c", "k", {"v": 1}, version=None) is True
    assert await store.put_versioned("c", "k", {"v": 1}, version="1") is False
    assert await store.increment("c", "k", 5) == 5
    assert await store.increment("c", "k", 5) == 5


async def test_optimistic_add_has_one_winner_among_interleaved_callers() -> None:
    store = InterleavingStore()
    won = await asyncio.gather(*[store.add("c", "k", {"i": i}) for i in range(64)])
    assert won.count(True) == 1
    assert await store.get("c", "k") == {"i": won.index(True)}


async def test_optimistic_increment_counts_every_call_despite_conflicts() -> None:
    store = InterleavingStore()
    counts = await asyncio.gather(*[store.increment("c", "n", 2) for _ in range(64)])
    assert sorted(counts) == list(range(2, 130, 2))
    assert await store.get("c", "n") == {"count": 128}
    assert store.conflicts > 0  # the callers did interleave, and each conflict was retried


async def test_optimistic_take_hands_the_value_to_one_caller() -> None:
    store = InterleavingStore()
    await store.put("c", "k", {"token": "abc"})
    taken = await asyncio.gather(*[store.take("c", "k") for _ in range(64)])
    assert [value for value in taken if value is not None] == [{"token": "abc"}]
    assert await store.get("c", "k") is None


async def test_optimistic_put_versioned_has_one_winner_per_version() -> None:
    store = InterleavingStore()
    await store.put("c", "k", {"n": 0})
    found = await store.get_versioned("c", "k")
    assert found is not None
    won = await asyncio.gather(
        *[store.put_versioned("c", "k", {"n": i}, version=found.version) for i in range(1, 65)]
    )
    assert won.count(True) == 1
    assert await store.get("c", "k") == {"n": won.index(True) + 1}


async def test_optimistic_touch_keeps_the_value_and_creation_time() -> None:
    store = InterleavingStore()
    await store.put("c", "k", {"v": 1}, ttl=60)
    before = await store.ttl("c", "k")
    assert await store.touch("c", "k", None) is True
    after = await store.ttl("c", "k")
    assert before is not None and after is not None
    assert await store.get("c", "k") == {"v": 1}
    assert after.created_at == before.created_at
    assert after.ttl is None and after.expires_at is None


async def test_a_compare_and_set_that_never_succeeds_gives_up_with_a_kvstore_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    class Stuck(SimpleStore):
        async def _write_versioned(self, *args: Any) -> bool:
            return False

    monkeypatch.setattr(_optimistic, "MAX_ATTEMPTS", 5)
    monkeypatch.setattr(_optimistic, "_QUIET_ATTEMPTS", 10)
    with pytest.raises(KVStoreError, match=r"increment for collection 'c' key 'k' gave up"):
        await Stuck().increment("c", "k")


@pytest.mark.parametrize("store_class", [SimpleStore, InterleavingStore])
async def test_versions_change_on_every_write(store_class: type[SimpleStore]) -> None:
    store = store_class()
    seen: set[str] = set()
    writes: list[Callable[[], Awaitable[Any]]] = [
        lambda: store.put("c", "k", {"count": 1}),
        lambda: store.put_many("c", {"k": {"count": 1}}),
        lambda: store.increment("c", "k"),
        lambda: store.touch("c", "k", 60),
    ]
    for write in writes:
        await write()
        found = await store.get_versioned("c", "k")
        assert found is not None
        assert found.version not in seen
        seen.add(found.version)


@pytest.mark.parametrize(
    ("arguments", "error"),
    [
        ((1,), InvalidValueError),
        ((True,), InvalidValueError),
        ((1.5,), InvalidValueError),
        (("1",), InvalidValueError),
        ((2**63,), InvalidValueError),
    ],
)
async def test_a_bad_amount_is_refused_and_nothing_is_written(
    arguments: tuple[Any, ...], error: type[Exception]
) -> None:
    store = SimpleStore()
    await store.put("c", "k", {"count": 2**63 - 1})
    with pytest.raises(error):
        await store.increment("c", "k", *arguments)
    assert await store.get("c", "k") == {"count": 2**63 - 1}


@pytest.mark.parametrize(
    ("operation", "error"),
    [
        (lambda s: s.add("", "k", {"v": 1}), InvalidKeyError),
        (lambda s: s.add("c", "k", {"v": math.nan}), SerializationError),
        (lambda s: s.add("c", "k", ["v"]), SerializationError),
        (lambda s: s.add("c", "k", {"v": 1}, ttl=True), InvalidTTLError),
        (lambda s: s.touch("c", "k", math.inf), InvalidTTLError),
        (lambda s: s.take("c", 5), InvalidKeyError),
        (lambda s: s.get_versioned(None, "k"), InvalidKeyError),
        (lambda s: s.put_versioned("c", "k", {"v": 1}, version=5), InvalidValueError),
        (lambda s: s.put_versioned("c", "k", {"v": {1: 2}}, version=None), SerializationError),
        (lambda s: s.increment("c", "k", ttl=math.nan), InvalidTTLError),
        (lambda s: s.increment("c", "v"), InvalidValueError),
    ],
)
async def test_bad_input_raises_a_clear_error_and_loses_nothing(operation: Any, error: Any) -> None:
    store = SimpleStore()
    await store.put("c", "k", {"count": 1})
    await store.put("c", "v", {"count": 1, "other": 2})
    with pytest.raises(error):
        await operation(store)
    assert await store.get("c", "k") == {"count": 1}
    assert await store.get("c", "v") == {"count": 1, "other": 2}


async def test_versioned_is_a_frozen_pair() -> None:
    found = Versioned({"v": 1}, "7")
    assert (found.value, found.version) == ({"v": 1}, "7")
    with pytest.raises(AttributeError):
        found.version = "8"  # type: ignore[misc]
