"""Faults, load, corrupt stored data and secrets: the guarantees of SPEC §3 and §6 on Redis."""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Callable
from typing import Any

import pytest
import redis.asyncio

from kvstore.core.errors import DeserializationError, StoreConnectionError
from kvstore.redis import RedisStore

SOCKET_TIMEOUT = 1.0
OPERATION_BOUND = 2 * SOCKET_TIMEOUT + 1.0
"""Two attempts (retries=1) of at most SOCKET_TIMEOUT each, plus backoff and scheduling slack."""


@pytest.mark.slow
async def test_server_killed_mid_workload_then_restarted(redis_process: Any) -> None:
    store = RedisStore(url=redis_process.url, socket_timeout=SOCKET_TIMEOUT, retries=1)
    outcomes: dict[str, int] = {"ok": 0, "connection_error": 0}
    slowest = 0.0
    stop = asyncio.Event()

    async def one(operation: Callable[[], Any]) -> None:
        nonlocal slowest
        start = time.monotonic()
        try:
            # A hang would fail the test here instead of stalling it.
            await asyncio.wait_for(operation(), timeout=OPERATION_BOUND + 5)
            outcomes["ok"] += 1
        except StoreConnectionError:
            outcomes["connection_error"] += 1
        slowest = max(slowest, time.monotonic() - start)

    async def worker(n: int) -> None:
        i = 0
        while not stop.is_set():
            key = f"w{n}-{i % 20}"
            await one(lambda key=key, i=i: store.put("fault", key, {"n": n, "i": i}, ttl=30))
            await one(lambda key=key: store.get("fault", key))
            await one(lambda key=key: store.get_many("fault", [key, f"w{n}-0"]))
            await one(lambda key=key, i=i: store.put_many("fault", {key: {"i": i}}))
            i += 1
            await asyncio.sleep(0.005)

    workers = [asyncio.create_task(worker(n)) for n in range(16)]
    await asyncio.sleep(1.0)
    ok_before = outcomes["ok"]
    # In a thread: the event loop keeps running the workload meanwhile.
    await asyncio.to_thread(redis_process.kill)
    await asyncio.sleep(1.5)
    errors_while_down = outcomes["connection_error"]
    await asyncio.to_thread(redis_process.start)
    await asyncio.sleep(1.5)
    ok_after_restart = outcomes["ok"]
    stop.set()
    await asyncio.gather(*workers)

    print(f"fault: {outcomes}, slowest operation {slowest:.2f}s")
    assert ok_before > 0, outcomes
    assert errors_while_down > 0, f"the killed server must surface as errors: {outcomes}"
    assert ok_after_restart > ok_before + 100, f"no recovery after the restart: {outcomes}"
    assert slowest < OPERATION_BOUND, f"slowest operation took {slowest:.2f}s"
    # The very same store object, never recreated, reads and writes after the restart.
    await store.put("fault", "after", {"ok": True})
    assert await store.get("fault", "after") == {"ok": True}
    await store.close()


@pytest.mark.slow
async def test_load_standalone(redis_store: RedisStore) -> None:
    await run_load(redis_store, "standalone")


@pytest.mark.slow
@pytest.mark.cluster
async def test_load_cluster(redis_cluster_store: RedisStore) -> None:
    await run_load(redis_cluster_store, "cluster")


async def run_load(store: RedisStore, mode: str, operations: int = 50_000) -> None:
    """256 concurrent tasks, 50,000 mixed operations: zero errors, zero lost writes."""
    tasks = 256
    base, extra = divmod(operations, tasks)
    expected: dict[str, dict[str, Any] | None] = {}
    done = 0

    async def worker(n: int) -> None:
        nonlocal done
        rng = random.Random(n)
        mine = [f"t{n}-{i}" for i in range(16)]
        for step in range(base + (n < extra)):
            roll = rng.random()
            key = rng.choice(mine)
            if roll < 0.35:
                value = {"n": n, "step": step}
                await store.put("load", key, value)
                expected[key] = value
            elif roll < 0.45:
                batch = {k: {"n": n, "step": step, "k": k} for k in rng.sample(mine, 4)}
                await store.put_many("load", batch)
                expected.update(batch)
            elif roll < 0.75:
                assert await store.get("load", key) == expected.get(key)
            elif roll < 0.90:
                keys = rng.sample(mine, 5)
                assert await store.get_many("load", keys) == [expected.get(k) for k in keys]
            else:
                assert await store.delete("load", key) is (expected.get(key) is not None)
                expected[key] = None
            done += 1

    start = time.monotonic()
    await asyncio.wait_for(asyncio.gather(*(worker(n) for n in range(tasks))), timeout=240)
    elapsed = time.monotonic() - start
    assert done == operations
    acknowledged = {key: value for key, value in expected.items() if value is not None}
    keys = sorted(acknowledged)
    stored = await store.get_many("load", keys)
    lost = [key for key, value in zip(keys, stored, strict=True) if value != acknowledged[key]]
    assert lost == [], f"{len(lost)} acknowledged writes lost"
    assert sorted(await store.keys("load")) == keys
    print(f"{mode}: {done} operations by {tasks} tasks in {elapsed:.1f}s, 0 errors, 0 lost")


@pytest.mark.parametrize(
    "payload",
    [
        b"\xff\xfe not utf-8",
        b"not json at all",
        b"[1, 2, 3]",
        b'{"kvstore": 99, "value": {}}',
        b'{"kvstore": 1, "collection": "other", "key": "k", "created_at": 0, "ttl": null, '
        b'"expires_at": null, "value": {}}',
        b'{"kvstore": 1, "collection": "c", "key": "bad", "created_at": 0, "ttl": null, '
        b'"expires_at": "soon", "value": {}}',
        b"",
    ],
    ids=["bytes", "text", "list", "version", "other-entry", "bad-expiry", "empty"],
)
async def test_corrupt_stored_data_raises_deserialization_error(
    redis_store: RedisStore, redis_url: str, payload: bytes
) -> None:
    store = redis_store
    await store.put_many("c", {"good": {"v": 1}, "bad": {"v": 2}, "also-good": {"v": 3}})
    raw = redis.asyncio.Redis.from_url(redis_url)
    await raw.set(f"{store._prefix}1:c:bad", payload)
    with pytest.raises(DeserializationError) as caught:
        await store.get("c", "bad")
    assert "'c'" in str(caught.value) and "'bad'" in str(caught.value)
    with pytest.raises(DeserializationError):
        await store.get_many("c", ["good", "bad"])
    with pytest.raises(DeserializationError):
        await store.ttl("c", "bad")
    assert await store.get("c", "good") == {"v": 1}
    assert await store.get_many("c", ["good", "also-good"]) == [{"v": 1}, {"v": 3}]
    assert await store.delete("c", "bad") is True
    assert await store.get("c", "bad") is None
    await raw.aclose()


async def test_a_non_string_redis_value_raises_deserialization_error(
    redis_store: RedisStore, redis_url: str
) -> None:
    store = redis_store
    await store.put("c", "good", {"v": 1})
    raw = redis.asyncio.Redis.from_url(redis_url)
    await raw.hset(f"{store._prefix}1:c:hash", "field", "value")
    with pytest.raises(DeserializationError):
        await store.get("c", "hash")
    assert await store.get("c", "good") == {"v": 1}
    await raw.delete(f"{store._prefix}1:c:hash")
    await raw.aclose()


@pytest.fixture
async def guarded_server(redis_process: Any) -> tuple[Any, str]:
    """A private server requiring a password; yields (process, password)."""
    password = "Sup3r-s3cret-pw"
    admin = redis.asyncio.Redis.from_url(redis_process.url)
    await admin.config_set("requirepass", password)
    await admin.aclose()
    return redis_process, password


async def test_secrets_never_appear(
    guarded_server: tuple[Any, str], caplog: pytest.LogCaptureFixture
) -> None:
    server, password = guarded_server
    caplog.set_level(logging.DEBUG)
    url = f"redis://default:{password}@127.0.0.1:{server.port}/0"
    store = RedisStore(url, socket_timeout=0.5)
    seen: list[str] = [repr(store), str(store)]
    await store.put("c", "k", {"v": 1}, ttl=10)
    assert await store.get("c", "k") == {"v": 1}
    wrong = RedisStore(url.replace(password, password[::-1]))
    with pytest.raises(StoreConnectionError) as caught:
        await wrong.get("c", "k")
    seen += [str(caught.value), repr(caught.value), repr(wrong)]
    server.kill()
    for operation in (store.get("c", "k"), store.keys("c"), store.put_many("c", {"k": {}})):
        with pytest.raises(StoreConnectionError) as caught:
            await operation
        seen += [str(caught.value), repr(caught.value)]
    seen += [record.getMessage() for record in caplog.records]
    seen += [str(record.exc_info[1]) for record in caplog.records if record.exc_info]
    for text in seen:
        assert password not in text
        assert password[::-1] not in text
    await store.close()
    await wrong.close()


# -- cancellation ---------------------------------------------------------------------------


@pytest.mark.slow
async def test_cancelled_calls_hand_their_connections_back(any_url: str, fresh_prefix: str) -> None:
    """Calls cancelled by tight timeouts never exhaust the pool: later calls all succeed."""
    store = RedisStore(any_url, prefix=fresh_prefix, max_connections=100)
    failures: list[BaseException] = []

    async def worker(n: int) -> None:
        rng = random.Random(n)
        keys = [f"w{n}-{i}" for i in range(8)]
        for step in range(40):
            roll = rng.random()
            if roll < 0.4:
                call = store.get("cancel", rng.choice(keys))
            elif roll < 0.7:
                call = store.get_many("cancel", rng.sample(keys, 4))
            else:
                call = store.put_many(
                    "cancel", {k: {"s": step} for k in rng.sample(keys, 3)}, ttl=30
                )
            try:
                await asyncio.wait_for(call, timeout=rng.uniform(0, 0.003))
            except asyncio.TimeoutError:
                pass
            except StoreConnectionError as exc:
                failures.append(exc)

    try:
        await asyncio.gather(*(worker(n) for n in range(60)))
        assert failures == []
        # Nothing cancelled now: every call gets a connection, queued if need be.
        await asyncio.gather(
            *(store.put_many("after", {f"k{n}": {"n": n}}, ttl=30) for n in range(300))
        )
        assert await store.get_many("after", [f"k{n}" for n in range(300)]) == [
            {"n": n} for n in range(300)
        ]
    finally:
        await store.clear_collection("cancel")
        await store.clear_collection("after")
        await store.close()


# -- a cold cluster -------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.cluster
async def test_load_on_a_fresh_cluster_store(redis_cluster_url: str, fresh_prefix: str) -> None:
    """256 tasks start at once on a store that has not discovered the cluster yet."""
    store = RedisStore(redis_cluster_url, prefix=fresh_prefix)
    try:
        await run_load(store, "fresh cluster", operations=10_000)
    finally:
        await store.clear_collection("load")
        await store.close()
