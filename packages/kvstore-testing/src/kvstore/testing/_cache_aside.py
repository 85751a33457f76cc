"""The kit's get_or_set cases: one computation per cold key, shared errors, cancellation, leases."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest

from kvstore.core import BaseKVStore
from kvstore.core.errors import SerializationError
from kvstore.core.wrappers import BaseWrapper

from ._case_base import KitCases

STEP = 10.0
"""Seconds any one step may take before a case fails instead of hanging."""
LEASE_OPERATIONS = frozenset({"add", "get_versioned", "put_versioned"})
"""What ``get_or_set(lease=...)`` is made of."""


class CountingFactory:
    """An async factory that counts its calls and sleeps; usable from any event loop."""

    def __init__(self, value: dict[str, Any], *, seconds: float = 0.05) -> None:
        self.value = value
        self.seconds = seconds
        self.calls: list[None] = []  # list.append is atomic, whatever thread runs the loop
        self.started = threading.Event()
        self.release = threading.Event()
        self.release.set()

    async def __call__(self) -> dict[str, Any]:
        self.calls.append(None)
        self.started.set()
        await asyncio.sleep(self.seconds)
        # threading.Events: the factory runs on any loop (a SyncStore's, for one).
        await asyncio.to_thread(self.release.wait, STEP)
        return self.value


class CacheAsideCases(KitCases):
    """get_or_set on the store under test (a part of ``StoreConformance``)."""

    def _require_values(self) -> None:
        if not self.capabilities.stores_values:
            pytest.skip("capability stores_values=False: callers after a computation compute")

    @staticmethod
    def _require_lease(store: BaseKVStore) -> None:
        missing = LEASE_OPERATIONS - store.atomic_operations
        if missing:
            pytest.skip(f"store.atomic_operations lacks {', '.join(sorted(missing))}: no lease")

    async def test_get_or_set_returns_a_live_value_without_computing(
        self, store: BaseKVStore
    ) -> None:
        self._require_values()
        await store.put("cache", "k", {"stored": 1})
        factory = CountingFactory({"computed": 1})
        assert await store.get_or_set("cache", "k", factory) == {"stored": 1}
        assert factory.calls == []

    async def test_get_or_set_computes_a_missing_value_and_stores_it_with_the_ttl(
        self, store: BaseKVStore
    ) -> None:
        factory = CountingFactory({"computed": [1, (2, 3)]})
        value = await store.get_or_set("cache", "k", factory, ttl=600)
        assert value == {"computed": [1, [2, 3]]}
        assert len(factory.calls) == 1
        if self.capabilities.stores_values:
            assert await store.get("cache", "k") == {"computed": [1, [2, 3]]}
            info = await store.ttl("cache", "k")
            assert info is not None and info.ttl is not None and 0 < info.ttl <= 600

    async def test_get_or_set_100_concurrent_callers_on_a_cold_key_compute_once(
        self, store: BaseKVStore
    ) -> None:
        self._require_values()
        factory = CountingFactory({"v": "cold"})
        values = await asyncio.wait_for(
            asyncio.gather(*(store.get_or_set("cache", "cold", factory) for _ in range(100))),
            STEP,
        )
        assert len(factory.calls) == 1
        assert values == [{"v": "cold"}] * 100
        values[0]["v"] = "changed"  # each caller holds its own copy
        assert values[1] == {"v": "cold"}
        assert await store.get("cache", "cold") == {"v": "cold"}

    async def test_get_or_set_a_raising_factory_raises_to_every_waiter_and_stores_nothing(
        self, store: BaseKVStore
    ) -> None:
        calls: list[None] = []

        async def failing() -> dict[str, Any]:
            calls.append(None)
            await asyncio.sleep(0.05)
            raise LookupError("the source is down")

        results = await asyncio.wait_for(
            asyncio.gather(
                *(store.get_or_set("cache", "k", failing) for _ in range(20)),
                return_exceptions=True,
            ),
            STEP,
        )
        assert all(
            isinstance(result, LookupError) and str(result) == "the source is down"
            for result in results
        ), results
        assert 1 <= len(calls) <= 20
        assert await store.get("cache", "k") is None
        factory = CountingFactory({"v": "second try"})
        assert await store.get_or_set("cache", "k", factory) == {"v": "second try"}
        assert len(factory.calls) == 1

    async def test_get_or_set_an_invalid_result_raises_serialization_error(
        self, store: BaseKVStore
    ) -> None:
        results = await asyncio.gather(
            *(store.get_or_set("cache", "k", lambda: {"bytes": b"x"}) for _ in range(3)),
            return_exceptions=True,
        )
        assert all(isinstance(result, SerializationError) for result in results), results
        assert await store.get("cache", "k") is None

    async def test_get_or_set_a_cancelled_caller_does_not_cancel_the_computation(
        self, store: BaseKVStore
    ) -> None:
        factory = CountingFactory({"v": "kept"})
        factory.release.clear()
        leaving = asyncio.ensure_future(store.get_or_set("cache", "k", factory))
        staying = asyncio.ensure_future(store.get_or_set("cache", "k", factory))
        try:
            assert await asyncio.to_thread(factory.started.wait, STEP)
            await asyncio.sleep(0.2)  # time for the other caller's read: it waits too by now
            leaving.cancel()
            await asyncio.gather(leaving, return_exceptions=True)
            assert leaving.cancelled()
        finally:
            factory.release.set()
        assert await asyncio.wait_for(staying, STEP) == {"v": "kept"}
        if self.capabilities.stores_values:
            assert await store.get("cache", "k") == {"v": "kept"}

    async def test_get_or_set_leaves_no_task_behind(self, store: BaseKVStore) -> None:
        before = asyncio.all_tasks()
        for index in range(10):
            await store.get_or_set("cache", f"once-{index}", CountingFactory({"n": index}))
        await asyncio.sleep(0)
        assert asyncio.all_tasks() == before

    async def test_get_or_set_with_a_lease_computes_once_across_store_objects(
        self, store: BaseKVStore
    ) -> None:
        self._require_values()
        self._require_lease(store)
        # Two store objects over one storage: each has its own in-process flights, so only
        # the lease (an entry in the store) keeps the second from computing too.
        first, second = (
            (BaseWrapper(store), BaseWrapper(store))
            if isinstance(store, BaseKVStore)
            else (store, store)
        )
        factory = CountingFactory({"v": "leased"}, seconds=0.2)
        values = await asyncio.wait_for(
            asyncio.gather(
                first.get_or_set("cache", "k", factory, lease=5),
                second.get_or_set("cache", "k", factory, lease=5),
            ),
            STEP,
        )
        assert list(values) == [{"v": "leased"}] * 2
        assert len(factory.calls) == 1
        await self.settle(store)
        assert await store.list_collections() == ["cache"]  # the lease was removed

    async def test_get_or_set_a_raising_factory_under_a_lease_frees_the_lease(
        self, store: BaseKVStore
    ) -> None:
        self._require_lease(store)

        async def failing() -> dict[str, Any]:
            raise LookupError("no")

        with pytest.raises(LookupError):
            await store.get_or_set("cache", "k", failing, lease=60)
        # Not waiting for the lease's 60 seconds: it was removed.
        factory = CountingFactory({"v": 2}, seconds=0)
        assert await asyncio.wait_for(store.get_or_set("cache", "k", factory, lease=60), 5) == {
            "v": 2
        }
