"""Event loops: one RedisStore used from successive loops, threads' loops and test loops."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import redis.asyncio

from kvstore.core.errors import ConfigurationError
from kvstore.redis import RedisStore


async def work(store: RedisStore, tag: str) -> list[Any]:
    """One of each kind of call, so every command path runs on the loop."""
    await store.put("loops", tag, {"tag": tag}, ttl=60)
    await store.put_many("loops", {f"{tag}-a": {"n": 1}, f"{tag}-b": {"n": 2}}, ttl=60)
    await store.put_many("loops", {f"{tag}-c": {"n": 3}})
    found = await store.get_many("loops", [tag, f"{tag}-a", f"{tag}-c"])
    keys = sorted(key for key in await store.keys("loops") if key.startswith(tag))
    removed = await store.delete_many("loops", [f"{tag}-b", f"{tag}-c"])
    return [await store.get("loops", tag), found, keys, removed]


async def clean_up(store: RedisStore) -> None:
    """Remove what the tests wrote, through the store itself, and close it."""
    await store.clear_collection("loops")
    await store.close()


def expected(tag: str) -> list[Any]:
    return [
        {"tag": tag},
        [{"tag": tag}, {"n": 1}, {"n": 3}],
        sorted([tag, f"{tag}-a", f"{tag}-b", f"{tag}-c"]),
        2,
    ]


def test_one_store_serves_successive_asyncio_runs(any_url: str, fresh_prefix: str) -> None:
    store = RedisStore(any_url, prefix=fresh_prefix)
    try:
        for run in range(3):
            assert asyncio.run(work(store, f"run{run}")) == expected(f"run{run}")
    finally:
        asyncio.run(clean_up(store))


def test_each_loop_closes_its_connections_when_it_shuts_down(
    redis_url: str, fresh_prefix: str
) -> None:
    store = RedisStore(redis_url, prefix=fresh_prefix)

    async def clients() -> int:
        async with redis.asyncio.Redis.from_url(redis_url) as admin:
            return len(await admin.client_list())

    before = asyncio.run(clients())

    async def busy() -> None:
        await asyncio.gather(*(work(store, f"t{n}") for n in range(20)))

    for _ in range(3):
        asyncio.run(busy())
    # Only the admin connection of the count itself: every store connection is closed.
    assert asyncio.run(clients()) == before
    asyncio.run(clean_up(store))


def test_threads_with_their_own_loops_use_one_store_at_once(
    any_url: str, fresh_prefix: str
) -> None:
    store = RedisStore(any_url, prefix=fresh_prefix)

    async def threads() -> list[list[Any]]:
        return await asyncio.gather(
            *(asyncio.to_thread(asyncio.run, work(store, f"thread{n}")) for n in range(3)),
            work(store, "main"),
        )

    try:
        results = asyncio.run(threads())
        assert results == [*(expected(f"thread{n}") for n in range(3)), expected("main")]
    finally:
        asyncio.run(clean_up(store))


# pytest-asyncio gives every test function its own event loop: one store made outside any
# loop serves the two tests below, the second one on a new loop.


@pytest.fixture(scope="module")
def shared_stores(redis_url: str, redis_cluster_url: str) -> Iterator[dict[str, RedisStore]]:
    prefix = f"kvstore-test-{uuid.uuid4().hex[:12]}:"
    stores = {
        "standalone": RedisStore(redis_url, prefix=prefix),
        "cluster": RedisStore(redis_cluster_url, prefix=prefix),
    }
    yield stores
    for store in stores.values():
        asyncio.run(clean_up(store))


@pytest.mark.cluster
@pytest.mark.parametrize("test_loop", ["first", "second"])
async def test_function_scoped_loops_share_a_store(
    shared_stores: dict[str, RedisStore], test_loop: str
) -> None:
    for name, store in shared_stores.items():
        assert await work(store, test_loop) == expected(test_loop), name


@pytest.mark.parametrize("kind", ["standalone", pytest.param("cluster", marks=pytest.mark.cluster)])
def test_a_handed_in_client_stays_on_its_loop(
    kind: str, redis_url: str, fresh_prefix: str, request: pytest.FixtureRequest
) -> None:
    async def first() -> RedisStore:
        if kind == "standalone":
            client: redis.asyncio.Redis | redis.asyncio.RedisCluster = redis.asyncio.Redis.from_url(
                redis_url
            )
        else:
            cluster_url = request.getfixturevalue("redis_cluster_url")
            client = redis.asyncio.RedisCluster.from_url(cluster_url.replace("+cluster", ""))
        store = RedisStore(client=client, prefix=fresh_prefix)
        assert await work(store, "first") == expected("first")
        assert await store.clear_collection("loops") == 2
        await client.aclose()
        return store

    store = asyncio.run(first())
    with pytest.raises(ConfigurationError, match="event loop") as caught:
        asyncio.run(store.get("loops", "first"))
    assert "url=" in str(caught.value)
