"""get_or_set(lease=...) from four processes on one DiskStore directory: one computation."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from kvtest_cache_aside import calls, first_call, start_workers

from kvstore.core._lease import LEASE_COLLECTION
from kvstore.disk import DiskStore

pytestmark = pytest.mark.slow


def _dirs(tmp_path: Path) -> tuple[Path, Path]:
    store_dir, calls_dir = tmp_path / "store", tmp_path / "calls"
    store_dir.mkdir()
    calls_dir.mkdir()
    return store_dir, calls_dir


async def test_four_processes_on_a_cold_key_compute_once(tmp_path: Path) -> None:
    store_dir, calls_dir = _dirs(tmp_path)
    workers = start_workers(
        f"disk://{store_dir}", calls_dir, processes=4, callers=25, seconds=0.5, lease=30
    )
    results = await asyncio.gather(*(asyncio.to_thread(worker.values, 60) for worker in workers))
    values = [value for result in results for value in result]
    assert len(values) == 100
    assert len(calls(calls_dir)) == 1
    (computed,) = {value["by"] for value in values}
    async with DiskStore(store_dir) as store:
        assert await store.get("cache", "shared") == {"by": computed}
        assert LEASE_COLLECTION not in await store.list_collections()


async def test_a_killed_holder_frees_its_lease_when_it_expires(tmp_path: Path) -> None:
    store_dir, calls_dir = _dirs(tmp_path)
    url = f"disk://{store_dir}"
    (holder,) = start_workers(url, calls_dir, processes=1, callers=1, lease=1, hang=True)
    await asyncio.to_thread(first_call, calls_dir, 30)  # the holder has the lease
    (waiter,) = start_workers(url, calls_dir, processes=1, callers=1, lease=1, delay=0)
    await asyncio.sleep(0.2)
    holder.kill()
    assert await asyncio.to_thread(waiter.values, 60) == [{"by": waiter.process.pid}]
    assert len(calls(calls_dir)) == 2  # the dead holder's, then the waiter's
