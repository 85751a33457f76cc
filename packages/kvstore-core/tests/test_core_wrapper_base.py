"""BaseWrapper: every operation forwarded, and closing closes what it wraps."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from kvstore.core import BaseKVStore
from kvstore.core.stores import SimpleStore
from kvstore.core.wrappers import (
    BaseWrapper,
    PassthroughCacheWrapper,
    StatisticsWrapper,
)
from kvstore.testing import StoreConformance


async def test_closing_a_wrapper_closes_what_it_wraps() -> None:
    closed: list[str] = []

    class Tracking(SimpleStore):
        def __init__(self, name: str) -> None:
            super().__init__()
            self.name = name

        async def _close(self) -> None:
            closed.append(self.name)

    async with StatisticsWrapper(PassthroughCacheWrapper(Tracking("primary"), Tracking("cache"))):
        pass
    assert closed == ["primary", "cache"]


class TestBaseWrapper(StoreConformance):
    @pytest.fixture
    async def store(self) -> AsyncIterator[BaseKVStore]:
        async with BaseWrapper(SimpleStore(max_entries=None)) as store:
            yield store
