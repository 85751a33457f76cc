"""Auto-pipelining: concurrent single calls share round trips, and each caller still gets its
own reply, its own error, or its own cancellation (standalone and cluster)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import redis.asyncio

from kvstore.core.errors import DeserializationError
from kvstore.redis import RedisStore

TASKS = 200


@pytest.fixture(params=["standalone", "cluster"])
async def piped(
    request: pytest.FixtureRequest,
) -> AsyncIterator[tuple[RedisStore, redis.asyncio.Redis | redis.asyncio.RedisCluster]]:
    """An empty auto-pipelining store and a raw client on the same server (or cluster)."""
    if request.param == "cluster":
        url = request.getfixturevalue("redis_cluster_url")
        raw: redis.asyncio.Redis | redis.asyncio.RedisCluster = redis.asyncio.RedisCluster.from_url(
            url.replace("redis+cluster://", "redis://")
        )
    else:
        url = request.getfixturevalue("redis_url")
        raw = redis.asyncio.Redis.from_url(url)
    store = RedisStore(
        url=url, prefix=request.getfixturevalue("fresh_prefix"), auto_pipelining=True
    )
    try:
        yield store, raw
    finally:
        await store.clear_collection("c")
        await store.close()
        await raw.aclose()


async def test_every_concurrent_caller_gets_its_own_reply(
    piped: tuple[RedisStore, redis.asyncio.Redis],
) -> None:
    store, _ = piped

    async def one(n: int) -> None:
        await store.put("c", f"k{n}", {"n": n}, ttl=60)
        assert await store.get("c", f"k{n}") == {"n": n}
        await store.put("c", f"k{n}", {"n": -n})
        assert await store.get("c", f"k{n}") == {"n": -n}
        assert await store.get("c", f"missing{n}") is None
        assert await store.delete("c", f"k{n}") is True
        assert await store.delete("c", f"k{n}") is False

    await asyncio.gather(*(one(n) for n in range(TASKS)))
    assert await store.keys("c") == []


async def test_one_callers_error_is_its_own(
    piped: tuple[RedisStore, redis.asyncio.Redis],
) -> None:
    store, raw = piped
    await store.put_many("c", {f"k{n}": {"n": n} for n in range(TASKS)})
    # A key that is not a Redis string: GET on it is an error reply inside the pipeline.
    await raw.rpush(f"{store._prefix}1:c:list", "x")

    async def read(key: str) -> object:
        try:
            return await store.get("c", key)
        except DeserializationError as error:
            return error

    keys = [f"k{n}" for n in range(TASKS)]
    keys.insert(TASKS // 2, "list")
    results = await asyncio.gather(*(read(key) for key in keys))
    assert isinstance(results.pop(TASKS // 2), DeserializationError)
    assert results == [{"n": n} for n in range(TASKS)]
    await raw.delete(f"{store._prefix}1:c:list")


async def test_cancelled_callers_leave_the_others_their_replies(
    piped: tuple[RedisStore, redis.asyncio.Redis],
) -> None:
    store, _ = piped
    await store.put_many("c", {f"k{n}": {"n": n} for n in range(TASKS)})
    tasks = [asyncio.ensure_future(store.get("c", f"k{n}")) for n in range(TASKS)]
    await asyncio.sleep(0)  # every call has started: one runs alone, the others are queued
    for task in tasks[::7]:
        task.cancel()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    for n, result in enumerate(results):
        if n % 7 == 0 and not isinstance(result, asyncio.CancelledError):
            # Only the call that ran alone can finish despite the cancel: on Python 3.11
            # redis-py's wait_for around a cluster send can swallow it. Its reply is its own.
            assert n == 0 and result == {"n": n}
        elif n % 7:
            assert result == {"n": n}
    # Cancelled mid-flight or not, no reply is left behind for a later call.
    assert await asyncio.gather(*(store.get("c", f"k{n}") for n in range(TASKS))) == [
        {"n": n} for n in range(TASKS)
    ]


async def test_a_lone_caller_and_batches_mix_with_pipelined_calls(
    piped: tuple[RedisStore, redis.asyncio.Redis],
) -> None:
    store, _ = piped
    await store.put("c", "solo", {"v": 0})
    assert await store.get("c", "solo") == {"v": 0}

    async def batch(n: int) -> None:
        await store.put_many("c", {f"b{n}-{i}": {"i": i} for i in range(5)}, ttl=60)
        assert await store.get_many("c", [f"b{n}-{i}" for i in range(5)]) == [
            {"i": i} for i in range(5)
        ]

    async def single(n: int) -> None:
        await store.put("c", f"s{n}", {"n": n})
        assert await store.get("c", f"s{n}") == {"n": n}

    await asyncio.gather(*(batch(n) if n % 4 == 0 else single(n) for n in range(TASKS)))
