"""get_or_set(lease=...) from four processes on one Redis server: one computation."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest
from kvtest_cache_aside import calls, first_call, start_workers

from kvstore.core._lease import LEASE_COLLECTION
from kvstore.redis import RedisStore

pytestmark = pytest.mark.slow


async def test_four_processes_on_a_cold_key_compute_once(
    redis_url: str, make_store: Callable[..., RedisStore], tmp_path: Path
) -> None:
    store = make_store()  # its prefix is emptied afterwards
    workers = start_workers(
        redis_url, tmp_path, processes=4, callers=25, seconds=0.5, lease=30, prefix=store._prefix
    )
    results = await asyncio.gather(*(asyncio.to_thread(worker.values, 60) for worker in workers))
    values = [value for result in results for value in result]
    assert len(values) == 100
    assert len(calls(tmp_path)) == 1
    (computed,) = {value["by"] for value in values}
    assert await store.get("cache", "shared") == {"by": computed}
    assert LEASE_COLLECTION not in await store.list_collections()


async def test_a_killed_holder_frees_its_lease_when_it_expires(
    redis_url: str, make_store: Callable[..., RedisStore], tmp_path: Path
) -> None:
    prefix = make_store()._prefix
    (holder,) = start_workers(
        redis_url, tmp_path, processes=1, callers=1, lease=1, hang=True, prefix=prefix
    )
    await asyncio.to_thread(first_call, tmp_path, 30)  # the holder has the lease
    (waiter,) = start_workers(
        redis_url, tmp_path, processes=1, callers=1, lease=1, delay=0, prefix=prefix
    )
    await asyncio.sleep(0.2)
    holder.kill()
    assert await asyncio.to_thread(waiter.values, 60) == [{"by": waiter.process.pid}]
    assert len(calls(tmp_path)) == 2  # the dead holder's, then the waiter's
