"""ExampleStore keeps the kvstore contract: it runs the whole conformance kit."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from kvstore.core import BaseKVStore, open_store
from kvstore.example import ExampleStore
from kvstore.testing import StoreConformance


class TestExampleStore(StoreConformance):
    @pytest.fixture
    async def store(self) -> AsyncIterator[BaseKVStore]:
        store = ExampleStore()
        yield store
        await store.close()


def test_opens_by_url() -> None:
    assert isinstance(open_store("example://"), ExampleStore)
