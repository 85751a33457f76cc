"""What RedisStore does on a real server beyond the kit: key layout, native TTL, batches, ACLs."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
import redis.asyncio

from kvstore.core.errors import StoreConnectionError
from kvstore.redis import RedisStore
from kvstore.redis._store import SCRIPT_BATCH


@pytest.fixture
async def raw(redis_url: str) -> AsyncIterator[redis.asyncio.Redis]:
    client = redis.asyncio.Redis.from_url(redis_url)
    yield client
    await client.aclose()


async def raw_names(raw: redis.asyncio.Redis, prefix: str) -> set[bytes]:
    return {name async for name in raw.scan_iter(match=prefix.replace("*", "\\*") + "*")}


async def test_key_layout_is_length_prefixed(
    make_store: Callable[..., RedisStore], raw: redis.asyncio.Redis
) -> None:
    store = make_store()
    prefix = store._prefix
    await store.put("a:b", "c", {"pair": 1})
    await store.put("a", "b:c", {"pair": 2})
    assert await raw_names(raw, prefix) == {
        f"{prefix}3:a:b:c".encode(),
        f"{prefix}1:a:b:c".encode(),
    }
    envelope = json.loads(await raw.get(f"{prefix}3:a:b:c"))
    assert (envelope["kvstore"], envelope["collection"], envelope["key"]) == (1, "a:b", "c")
    assert envelope["value"] == {"pair": 1}


async def test_expiry_is_native_in_milliseconds(
    make_store: Callable[..., RedisStore], raw: redis.asyncio.Redis
) -> None:
    store = make_store()
    prefix = store._prefix
    await store.put("c", "long", {}, ttl=10.5)
    await store.put("c", "forever", {})
    await store.put("c", "short", {}, ttl=0.05)
    assert 10_000 < await raw.pttl(f"{prefix}1:c:long") <= 10_500
    assert await raw.pttl(f"{prefix}1:c:forever") == -1
    await store.put_many("c", {"m1": {}, "m2": {}}, ttl=2.25)
    assert 2_000 < await raw.pttl(f"{prefix}1:c:m2") <= 2_250
    await asyncio.sleep(0.2)
    # Redis itself reclaimed the expired entry: no cull() needed.
    assert await raw.exists(f"{prefix}1:c:short") == 0
    info = await store.ttl("c", "long")
    assert info is not None and info.ttl == 10.5
    assert info.created_at is not None and info.expires_at is not None
    assert (info.expires_at - info.created_at).total_seconds() == pytest.approx(10.5)


async def test_keys_outside_the_collection_or_prefix_are_never_touched(
    make_store: Callable[..., RedisStore], raw: redis.asyncio.Redis
) -> None:
    store = make_store()
    prefix = store._prefix
    foreign = {
        b"unrelated": b"1",
        f"other-{prefix}1:a:k".encode(): b"2",
        f"{prefix}garbage".encode(): b"3",
        f"{prefix}01:a:k".encode(): b"4",
    }
    await raw.mset(foreign)
    try:
        weird = ["a*", "a?", "[a]", "a\\", "a", "ab", "a]", "*"]
        for collection in weird:
            await store.put_many(collection, {"k": {"c": collection}, "k2": {}})
        assert await store.list_collections() == sorted(weird)
        for collection in weird:
            assert sorted(await store.keys(collection)) == ["k", "k2"]
        assert await store.clear_collection("a*") == 2
        assert await store.clear_collection("*") == 2
        assert await store.list_collections() == sorted(set(weird) - {"a*", "*"})
        assert await store.get("a", "k") == {"c": "a"}
        assert await raw.mget(list(foreign)) == list(foreign.values())
    finally:
        await raw.delete(*foreign)


async def test_clear_collection_pages_through_many_keys(
    make_store: Callable[..., RedisStore],
) -> None:
    store = make_store(scan_count=50)
    await store.put_many("big", {f"k{i}": {"i": i} for i in range(1_500)})
    await store.put("small", "k", {})
    assert len(await store.keys("big")) == 1_500
    assert await store.clear_collection("big") == 1_500
    assert await store.keys("big") == []
    assert await store.list_collections() == ["small"]


async def test_batches_use_one_command(redis_process: Any) -> None:
    client = redis.asyncio.Redis.from_url(redis_process.url)
    store = RedisStore(url=redis_process.url)

    async def calls() -> dict[str, int]:
        stats = await client.info("commandstats")
        return {name[8:]: value["calls"] for name, value in stats.items()}

    keys = [f"k{i}" for i in range(100)]
    await store.get("c", "warm-up")  # the connection handshake is not counted below
    before = await calls()
    await store.put_many("c", {key: {"i": 1} for key in keys})
    await store.get_many("c", keys)
    await store.delete_many("c", keys)
    after = await calls()
    used = {name: after[name] - before.get(name, 0) for name in after if name != "info"}
    used = {name: count for name, count in used.items() if count}
    assert used == {"mset": 1, "mget": 1, "unlink": 1}
    await store.close()
    await client.aclose()


async def test_put_many_with_ttl_is_one_script_call(redis_process: Any) -> None:
    client = redis.asyncio.Redis.from_url(redis_process.url)
    store = RedisStore(url=redis_process.url)

    async def calls() -> dict[str, int]:
        stats = await client.info("commandstats")
        return {name[8:]: value["calls"] for name, value in stats.items() if name != "cmdstat_info"}

    keys = [f"k{i}" for i in range(100)]
    await store.get("c", "warm-up")
    await store.put_many("c", {"first": {}}, ttl=60)  # the script is sent and cached once
    before = await calls()
    await store.put_many("c", {key: {"i": i} for i, key in enumerate(keys)}, ttl=60)
    after = await calls()
    used = {name: after[name] - before.get(name, 0) for name in after}
    assert {name: count for name, count in used.items() if count} == {"evalsha": 1, "set": 100}
    assert await store.get_many("c", keys) == [{"i": i} for i in range(100)]
    for key in keys:
        assert 59_000 < await client.pttl(f"kvstore:1:c:{key}") <= 60_000
    # A server that lost its script cache (restart, SCRIPT FLUSH) gets the script again.
    await client.script_flush()
    await store.put_many("c", {"after-flush": {"v": 1}}, ttl=60)
    assert await store.get("c", "after-flush") == {"v": 1}
    assert 59_000 < await client.pttl("kvstore:1:c:after-flush") <= 60_000
    await store.close()
    await client.aclose()


async def test_put_many_in_several_script_calls(redis_process: Any) -> None:
    store = RedisStore(url=redis_process.url)
    items = {f"k{i}": {"i": i} for i in range(SCRIPT_BATCH * 2 + 7)}
    await store.put_many("c", items, ttl=60)
    assert await store.get_many("c", list(items)) == list(items.values())
    assert sorted(await store.keys("c")) == sorted(items)
    await store.close()


async def test_put_many_without_scripting_permission_pipelines(redis_process: Any) -> None:
    admin = redis.asyncio.Redis.from_url(redis_process.url)
    await admin.acl_setuser(
        "noscript", enabled=True, passwords=["+pw-123"], keys=["kvstore:*"],
        commands=["+@all", "-@scripting"],
    )  # fmt: skip
    store = RedisStore(f"redis://noscript:pw-123@127.0.0.1:{redis_process.port}/0")
    for round_ in range(2):  # refused once, then not asked again: both rounds succeed
        items = {f"k{i}": {"round": round_} for i in range(50)}
        await store.put_many("c", items, ttl=60)
        assert await store.get_many("c", list(items)) == list(items.values())
        assert 59_000 < await admin.pttl("kvstore:1:c:k0") <= 60_000
    denied = [entry for entry in await admin.acl_log() if entry.get("username") == "noscript"]
    assert len(denied) == 1 and denied[0]["object"] == "evalsha"
    await store.close()
    await admin.aclose()


async def test_handed_in_client_stays_open(redis_url: str, fresh_prefix: str) -> None:
    client = redis.asyncio.Redis.from_url(redis_url, decode_responses=True)
    store = RedisStore(client=client, prefix=fresh_prefix)
    await store.put("c", "k", {"v": "é🎉"}, ttl=30)
    assert await store.get("c", "k") == {"v": "é🎉"}
    assert await store.get_many("c", ["k", "nope"]) == [{"v": "é🎉"}, None]
    assert await store.keys("c") == ["k"]
    assert await store.list_collections() == ["c"]
    assert await store.clear_collection("c") == 1
    await store.close()
    assert await client.ping() is True
    await client.aclose()


async def test_host_port_constructor(redis_process: Any) -> None:
    store = RedisStore(host="127.0.0.1", port=redis_process.port, db=1)
    await store.put("c", "k", {"v": 1})
    raw = redis.asyncio.Redis(port=redis_process.port, db=1)
    assert await raw.exists("kvstore:1:c:k") == 1
    await store.close()
    await raw.aclose()


async def test_acl_user_limited_to_the_prefix(redis_process: Any) -> None:
    admin = redis.asyncio.Redis.from_url(redis_process.url)
    await admin.acl_setuser(
        "app", enabled=True, passwords=["+app-pass-123"], keys=["kvstore:*"],
        commands=["+@all"],
    )  # fmt: skip
    store = RedisStore(f"redis://app:app-pass-123@127.0.0.1:{redis_process.port}/0")
    await store.put_many("c", {"a": {}, "b": {}}, ttl=60)
    assert await store.keys("c") in (["a", "b"], ["b", "a"])
    assert await store.clear_collection("c") == 2
    await store.close()
    wrong = RedisStore(f"redis://app:not-the-password@127.0.0.1:{redis_process.port}/0")
    with pytest.raises(StoreConnectionError) as caught:
        await wrong.get("c", "a")
    assert "not-the-password" not in str(caught.value)
    assert "'c'" in str(caught.value) and "'a'" in str(caught.value)
    await wrong.close()
    await admin.aclose()


@pytest.mark.cluster
async def test_cluster_spreads_keys_over_every_primary(
    redis_cluster_store: RedisStore, redis_cluster_url: str
) -> None:
    store = redis_cluster_store
    items = {f"k{i}": {"i": i} for i in range(300)}
    await store.put_many("spread", items, ttl=60)
    await store.put_many("spread2", {"x": {}})
    client = redis.asyncio.RedisCluster.from_url(redis_cluster_url.replace("+cluster", ""))
    await client.initialize()
    per_node = []
    for node in client.get_primaries():
        node_client = redis.asyncio.Redis(host=node.host, port=node.port)
        per_node.append(len([n async for n in node_client.scan_iter(f"{store._prefix}*")]))
        await node_client.aclose()
    assert len(per_node) == 3 and all(count > 0 for count in per_node), per_node
    keys = [*list(items)[::-1], "missing", "k0"]
    assert await store.get_many("spread", keys) == [
        *[items[k] for k in list(items)[::-1]],
        None,
        {"i": 0},
    ]
    assert sorted(await store.keys("spread")) == sorted(items)
    assert await store.delete_many("spread", ["k1", "k2", "nope"]) == 2
    assert await store.clear_collection("spread") == 298
    assert await store.list_collections() == ["spread2"]
    await client.aclose()


async def test_expired_entries_cost_no_cull(make_store: Callable[..., RedisStore]) -> None:
    store = make_store()
    await store.put_many("c", {f"k{i}": {} for i in range(50)}, ttl=0.05)
    await asyncio.sleep(0.15)
    start = time.monotonic()
    await store.cull()
    assert time.monotonic() - start < 0.05
    assert await store.keys("c") == []
    assert await store.delete_many("c", [f"k{i}" for i in range(50)]) == 0
