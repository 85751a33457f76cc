"""get_or_set: hits, misses, one computation per key in flight, errors and cancellation."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import pytest

from kvstore.core import BaseKVStore, InvalidKeyError, InvalidTTLError, SerializationError
from kvstore.core._lease import LEASE_COLLECTION, lease_key
from kvstore.core._single_flight import flights_in_progress
from kvstore.core.errors import ReadOnlyError, UnsupportedOperationError
from kvstore.core.stores import NullStore, SimpleStore
from kvstore.core.wrappers import (
    PrefixCollectionWrapper,
    ReadOnlyWrapper,
    StatisticsWrapper,
    TTLClampWrapper,
)

STEP = 5.0
"""Seconds any one step may take before a case fails instead of hanging."""


class Factory:
    """An async factory that counts its calls and, when gated, waits to be let through."""

    def __init__(self, value: Any = None, *, gated: bool = False) -> None:
        self.value = {"v": 1} if value is None else value
        self.calls = 0
        self.started = asyncio.Event()
        self.gate = asyncio.Event()
        if not gated:
            self.gate.set()

    async def __call__(self) -> Any:
        self.calls += 1
        self.started.set()
        await self.gate.wait()
        return self.value


@pytest.fixture
def store() -> SimpleStore:
    return SimpleStore()


async def test_a_hit_returns_the_stored_value_without_calling_the_factory(
    store: SimpleStore,
) -> None:
    await store.put("c", "k", {"stored": True})
    factory = Factory()
    assert await store.get_or_set("c", "k", factory) == {"stored": True}
    assert factory.calls == 0


async def test_a_miss_computes_stores_with_the_ttl_and_returns_the_value(
    store: SimpleStore,
) -> None:
    assert await store.get_or_set("c", "k", Factory({"v": (1, 2)}), ttl=60) == {"v": [1, 2]}
    assert await store.get("c", "k") == {"v": [1, 2]}
    info = await store.ttl("c", "k")
    assert info is not None and info.ttl == 60


async def test_a_plain_function_is_a_factory_too(store: SimpleStore) -> None:
    assert await store.get_or_set("c", "k", lambda: {"sync": True}) == {"sync": True}
    assert await store.get("c", "k") == {"sync": True}


async def test_concurrent_callers_share_one_call_and_get_copies_of_its_value(
    store: SimpleStore,
) -> None:
    factory = Factory({"v": [1]}, gated=True)
    callers = [asyncio.ensure_future(store.get_or_set("c", "k", factory)) for _ in range(100)]
    await asyncio.wait_for(factory.started.wait(), STEP)
    factory.gate.set()
    values = await asyncio.wait_for(asyncio.gather(*callers), STEP)
    assert factory.calls == 1
    assert all(value == {"v": [1]} for value in values)
    values[0]["v"].append(2)  # no caller shares its dict with another one, or with the store
    assert values[1] == {"v": [1]}
    assert await store.get("c", "k") == {"v": [1]}


async def test_different_keys_and_collections_compute_separately(store: SimpleStore) -> None:
    factory = Factory()
    await asyncio.gather(
        store.get_or_set("c", "a", factory),
        store.get_or_set("c", "b", factory),
        store.get_or_set("d", "a", factory),
    )
    assert factory.calls == 3


async def test_a_raising_factory_raises_to_every_caller_and_stores_nothing(
    store: SimpleStore,
) -> None:
    calls = 0

    async def failing() -> dict[str, Any]:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.01)
        raise LookupError("the database said no")

    results = await asyncio.gather(
        *(store.get_or_set("c", "k", failing) for _ in range(20)), return_exceptions=True
    )
    assert calls == 1
    assert all(isinstance(result, LookupError) for result in results)
    assert await store.get("c", "k") is None
    assert flights_in_progress() == 0
    assert await store.get_or_set("c", "k", Factory()) == {"v": 1}  # the next call computes


@pytest.mark.parametrize(
    "bad", [None, [1], "text", {1: "int key"}, {"f": float("nan")}, {"b": b"x"}], ids=repr
)
async def test_an_invalid_result_raises_serialization_error_and_stores_nothing(
    store: SimpleStore, bad: Any
) -> None:
    results = await asyncio.gather(
        *(store.get_or_set("c", "k", lambda: bad) for _ in range(3)), return_exceptions=True
    )
    for result in results:
        assert isinstance(result, SerializationError)
        assert "factory" in str(result) and "'k'" in str(result)
    assert await store.get("c", "k") is None


async def test_a_cancelled_caller_does_not_cancel_the_others_computation(
    store: SimpleStore,
) -> None:
    factory = Factory(gated=True)
    first = asyncio.ensure_future(store.get_or_set("c", "k", factory))
    others = [asyncio.ensure_future(store.get_or_set("c", "k", factory)) for _ in range(3)]
    await asyncio.wait_for(factory.started.wait(), STEP)
    await asyncio.sleep(0)  # the others are waiting now (SimpleStore's get does not yield)
    first.cancel()
    with pytest.raises(asyncio.CancelledError):
        await first
    factory.gate.set()
    assert await asyncio.wait_for(asyncio.gather(*others), STEP) == [{"v": 1}] * 3
    assert factory.calls == 1
    assert await store.get("c", "k") == {"v": 1}


async def test_when_every_caller_is_cancelled_the_computation_is_cancelled(
    store: SimpleStore,
) -> None:
    cancelled = asyncio.Event()

    async def endless() -> dict[str, Any]:
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            cancelled.set()
            raise
        return {"never": True}

    callers = [asyncio.ensure_future(store.get_or_set("c", "k", endless)) for _ in range(2)]
    await asyncio.sleep(0.01)
    for caller in callers:
        caller.cancel()
    await asyncio.wait_for(cancelled.wait(), STEP)
    assert flights_in_progress() == 0
    assert await store.get("c", "k") is None
    # A hung computation does not keep the key: the next caller computes afresh.
    assert await asyncio.wait_for(store.get_or_set("c", "k", Factory()), STEP) == {"v": 1}


async def test_no_flight_or_task_outlives_its_computation(store: SimpleStore) -> None:
    before = asyncio.all_tasks()
    for index in range(50):
        await store.get_or_set("c", f"once-{index}", Factory())
    await asyncio.gather(*(store.get_or_set("c", "shared", Factory()) for _ in range(10)))
    with pytest.raises(LookupError):
        await store.get_or_set("c", "failing", _raise(LookupError("no")))
    assert flights_in_progress() == 0
    await asyncio.sleep(0)
    assert asyncio.all_tasks() == before


def _raise(error: Exception) -> Callable[[], Awaitable[Any]]:
    async def raising() -> Any:
        raise error

    return raising


def test_callers_on_several_event_loops_never_await_another_loops_computation() -> None:
    store = SimpleStore()
    calls = 0
    errors: list[BaseException] = []

    async def slow() -> dict[str, Any]:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.05)
        return {"v": 1}

    async def callers() -> None:
        values = await asyncio.gather(*(store.get_or_set("c", "k", slow) for _ in range(20)))
        assert values == [{"v": 1}] * 20

    def run() -> None:
        try:
            asyncio.run(callers())
        except BaseException as exc:  # reported below, from the main thread
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(STEP)
    assert errors == []
    assert 1 <= calls <= 2  # one computation per loop at most
    assert flights_in_progress() == 0


@pytest.mark.parametrize("bad", ["", None, 3], ids=repr)
async def test_bad_names_are_rejected_before_anything_runs(store: SimpleStore, bad: Any) -> None:
    factory = Factory()
    with pytest.raises(InvalidKeyError):
        await store.get_or_set(bad, "k", factory)
    with pytest.raises(InvalidKeyError):
        await store.get_or_set("c", bad, factory)
    assert factory.calls == 0


@pytest.mark.parametrize("option", ["ttl", "lease"])
@pytest.mark.parametrize("bad", [float("nan"), True, "5", float("inf")], ids=repr)
async def test_a_bad_ttl_or_lease_is_rejected_even_on_a_hit(
    store: SimpleStore, option: str, bad: Any
) -> None:
    await store.put("c", "k", {"v": 1})
    with pytest.raises(InvalidTTLError):
        await store.get_or_set("c", "k", Factory(), **{option: bad})


@pytest.mark.parametrize("lease", [0, -1, timedelta(0)], ids=repr)
async def test_a_lease_must_be_positive(store: SimpleStore, lease: Any) -> None:
    with pytest.raises(InvalidTTLError, match="lease"):
        await store.get_or_set("c", "k", Factory(), lease=lease)


async def test_a_factory_that_is_not_callable_is_a_type_error(store: SimpleStore) -> None:
    with pytest.raises(TypeError, match="factory must be a callable"):
        await store.get_or_set("c", "k", {"v": 1})  # type: ignore[arg-type]


async def test_a_ttl_of_zero_returns_the_value_and_stores_nothing(store: SimpleStore) -> None:
    assert await store.get_or_set("c", "k", Factory(), ttl=0) == {"v": 1}
    assert await store.get("c", "k") is None


async def test_a_store_that_keeps_nothing_computes_on_every_call() -> None:
    store = NullStore()
    factory = Factory()
    assert await store.get_or_set("c", "k", factory) == {"v": 1}
    assert await store.get_or_set("c", "k", factory) == {"v": 1}
    assert factory.calls == 2


# -- through wrappers: get_or_set is made of the wrapper's own get and put ------------------


async def test_wrappers_see_the_get_and_the_put() -> None:
    store = StatisticsWrapper(SimpleStore())
    await store.get_or_set("c", "k", Factory())
    await store.get_or_set("c", "k", Factory())
    counters = store.statistics.get_collection("c")
    assert (counters.get.count, counters.get.hit, counters.get.miss) == (3, 1, 2)
    assert counters.put.count == 1


async def test_a_renaming_wrapper_stores_the_computed_value_under_its_names() -> None:
    inner = SimpleStore()
    store = PrefixCollectionWrapper(inner, "app")
    await store.get_or_set("c", "k", Factory())
    assert await inner.get("app__c", "k") == {"v": 1}


async def test_a_read_only_wrapper_refuses_to_store_the_computed_value() -> None:
    store: BaseKVStore = ReadOnlyWrapper(SimpleStore())
    with pytest.raises(ReadOnlyError):
        await store.get_or_set("c", "k", Factory())


async def test_a_ttl_clamp_wrapper_clamps_the_stored_ttl() -> None:
    inner = SimpleStore()
    await TTLClampWrapper(inner, 1, 100).get_or_set("c", "k", Factory(), ttl=10_000)
    info = await inner.ttl("c", "k")
    assert info is not None and info.ttl == 100


# -- the lease ------------------------------------------------------------------------------


async def test_a_lease_is_held_while_computing_and_removed_after(store: SimpleStore) -> None:
    factory = Factory(gated=True)
    caller = asyncio.ensure_future(store.get_or_set("c", "k", factory, lease=30))
    await asyncio.wait_for(factory.started.wait(), STEP)
    lease = await store.get(LEASE_COLLECTION, lease_key("c", "k"))
    assert lease is not None and set(lease) == {"holder", "host", "pid"}
    info = await store.ttl(LEASE_COLLECTION, lease_key("c", "k"))
    assert info is not None and info.ttl == 30
    factory.gate.set()
    assert await asyncio.wait_for(caller, STEP) == {"v": 1}
    assert await store.list_collections() == ["c"]


async def test_a_caller_waits_for_another_holder_and_reads_what_it_stored(
    store: SimpleStore,
) -> None:
    assert await store.add(LEASE_COLLECTION, lease_key("c", "k"), {"holder": "x"}, ttl=30)
    factory = Factory()
    caller = asyncio.ensure_future(store.get_or_set("c", "k", factory, lease=30))
    await asyncio.sleep(0.05)
    assert not caller.done()  # waiting for the holder
    await store.put("c", "k", {"from": "the holder"})
    assert await asyncio.wait_for(caller, STEP) == {"from": "the holder"}
    assert factory.calls == 0


async def test_a_dead_holders_lease_expires_and_the_waiter_computes(store: SimpleStore) -> None:
    assert await store.add(LEASE_COLLECTION, lease_key("c", "k"), {"holder": "dead"}, ttl=0.2)
    factory = Factory()
    assert await asyncio.wait_for(store.get_or_set("c", "k", factory, lease=0.2), STEP) == {"v": 1}
    assert factory.calls == 1


async def test_a_holder_whose_lease_expired_leaves_the_next_holders_lease(
    store: SimpleStore,
) -> None:
    factory = Factory(gated=True)
    caller = asyncio.ensure_future(store.get_or_set("c", "k", factory, lease=0.1))
    await asyncio.wait_for(factory.started.wait(), STEP)
    name = lease_key("c", "k")
    await asyncio.sleep(0.15)  # the first holder's lease has expired
    assert await store.add(LEASE_COLLECTION, name, {"holder": "next"}, ttl=60)
    factory.gate.set()
    assert await asyncio.wait_for(caller, STEP) == {"v": 1}
    assert await store.get(LEASE_COLLECTION, name) == {"holder": "next"}


async def test_a_lease_through_a_renaming_wrapper_is_renamed_with_the_entry() -> None:
    inner = SimpleStore()
    store = PrefixCollectionWrapper(inner, "app")
    factory = Factory(gated=True)
    caller = asyncio.ensure_future(store.get_or_set("c", "k", factory, lease=30))
    await asyncio.wait_for(factory.started.wait(), STEP)
    assert await inner.list_collections() == [f"app__{LEASE_COLLECTION}"]
    factory.gate.set()
    await asyncio.wait_for(caller, STEP)
    assert await inner.list_collections() == ["app__c"]


async def test_a_lease_on_a_store_without_add_is_refused_before_anything() -> None:
    class NoAtomics(SimpleStore):
        atomic_operations = frozenset()

    store = NoAtomics()
    factory = Factory()
    with pytest.raises(UnsupportedOperationError, match=r"NoAtomics .*add.*lease"):
        await store.get_or_set("c", "k", factory, lease=5)
    assert factory.calls == 0
    assert await store.get_or_set("c", "k", factory) == {"v": 1}  # without a lease it works


def test_lease_keys_are_injective() -> None:
    pairs = [("a", "b:c"), ("a:b", "c"), ('a"', "b"), ("a", '"b'), ("a,b", "c"), ("a", "b,c")]
    assert len({lease_key(*pair) for pair in pairs}) == len(pairs)
