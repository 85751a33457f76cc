"""The kit's sync mode really goes through SyncStore, from threads other than the test's."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest

from kvstore.core.stores import SimpleStore
from kvstore.core.sync import SyncStore
from kvstore.testing._sync_conformance import ThreadedFacade


class RecordingFacade(SyncStore):
    """A SyncStore that records which thread called get."""

    def __init__(self) -> None:
        super().__init__(SimpleStore())
        self.callers: list[threading.Thread] = []

    def get(self, collection: str, key: str) -> dict[str, Any] | None:
        self.callers.append(threading.current_thread())
        return super().get(collection, key)


async def test_cases_call_the_facade_from_worker_threads() -> None:
    facade = RecordingFacade()
    store = ThreadedFacade(facade)
    await store.put("c", "k", {"v": 1})
    assert await store.get("c", "k") == {"v": 1}
    assert [key async for key in store.iter_keys("c")] == ["k"]
    assert facade.callers and threading.current_thread() not in facade.callers
    async with store as entered:
        assert entered is store
    assert facade._runner is None  # closed through the facade


async def test_an_operation_the_facade_lacks_fails_the_case() -> None:
    facade = SyncStore(SimpleStore())
    store = ThreadedFacade(facade)
    with pytest.raises(AttributeError, match="not_an_operation"):
        await store.not_an_operation("c", "k")
    await asyncio.to_thread(facade.close)


async def test_the_facade_reports_what_its_store_declares() -> None:
    """The kit's atomic cases follow store.atomic_operations, through the facade too."""
    from kvstore.core import ATOMIC_OPERATIONS, BaseKVStore

    class Declares(SimpleStore):
        atomic_operations = frozenset({"add", "take"})

    for inner, declared in [
        (SimpleStore(), ATOMIC_OPERATIONS),
        (Declares(), frozenset({"add", "take"})),
        (BaseKVStore(), frozenset()),
    ]:
        facade = SyncStore(inner)
        assert ThreadedFacade(facade).atomic_operations == declared
        await asyncio.to_thread(facade.close)
