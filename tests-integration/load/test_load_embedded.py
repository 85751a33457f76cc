"""Load on the embedded stores: 256 concurrent tasks, 50,000 mixed operations, nothing lost."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from kvstore.core import BaseKVStore
from kvstore.core.stores import SimpleStore
from kvstore.core.wrappers import PassthroughCacheWrapper, StatisticsWrapper
from kvstore.disk import DiskStore
from kvstore.memory import MemoryStore
from kvstore.testing import run_load

STORES: dict[str, Callable[[Path], BaseKVStore]] = {
    "simple": lambda _: SimpleStore(max_entries=None),
    "memory": lambda _: MemoryStore(max_entries=20_000),
    "disk": lambda path: DiskStore(path=path / "cache"),
    "cached-disk-chain": lambda path: StatisticsWrapper(
        PassthroughCacheWrapper(DiskStore(path=path / "chain"), MemoryStore(max_entries=20_000))
    ),
}


@pytest.fixture(params=sorted(STORES))
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[BaseKVStore]:
    async with STORES[request.param](tmp_path) as opened:
        yield opened


@pytest.mark.slow
async def test_256_tasks_50k_operations_lose_nothing(store: BaseKVStore) -> None:
    report = await run_load(store, tasks=256, operations=50_000)
    print(f"{store!r}: {report}")
    assert report.errors == []
    assert report.lost_writes == 0
    assert report.operations == 50_000
    assert report.acknowledged_writes > 20_000
