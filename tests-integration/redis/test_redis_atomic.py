"""RedisStore's atomic operations on a real server beyond the kit: scripts, expiry by envelope,
cluster slots, error replies, cancellation, 64-bit counters and races between processes."""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import redis.asyncio
from kvtest_process_race import Phase, race

from kvstore.core import _envelope
from kvstore.core.errors import (
    DeserializationError,
    InvalidValueError,
    UnsupportedOperationError,
)
from kvstore.redis import RedisStore
from kvstore.redis._layout import encode_name
from kvstore.redis._scripts import SCRIPTS

COUNT_MAX = 2**63 - 1
COUNT_MIN = -(2**63)


async def purge(url: str, prefix: str) -> None:
    """Remove what a test stored under its prefix."""
    async with RedisStore(url=url, prefix=prefix) as cleaner:
        for collection in await cleaner.list_collections():
            await cleaner.clear_collection(collection)


def raw_client(url: str) -> Any:
    """A plain redis-py client on the same server or cluster."""
    if url.startswith("redis+cluster://"):
        return redis.asyncio.RedisCluster.from_url(url.replace("redis+cluster", "redis"))
    return redis.asyncio.Redis.from_url(url)


@pytest.fixture(params=[False, True], ids=["single", "pipelined"])
async def store(
    any_url: str, fresh_prefix: str, request: pytest.FixtureRequest
) -> AsyncIterator[RedisStore]:
    """A store on a standalone server, then on a cluster; without, then with auto_pipelining."""
    made = RedisStore(url=any_url, prefix=fresh_prefix, auto_pipelining=request.param)
    await made.exists("warm-up", "warm-up")
    try:
        yield made
    finally:
        await made.close()
        await purge(any_url, made._prefix)


@pytest.fixture
async def raw(any_url: str) -> AsyncIterator[Any]:
    client = raw_client(any_url)
    yield client
    await client.aclose()


def name(store: RedisStore, collection: str, key: str) -> bytes:
    return encode_name(store._prefix, collection, key)


async def test_an_entry_expired_by_its_envelope_is_absent(store: RedisStore, raw: Any) -> None:
    """Redis still holds the key (no PX), but the envelope says it expired a second ago."""
    now = time.time()

    async def plant(key: str, value: dict[str, Any]) -> None:
        expired = _envelope.encode("c", key, value, 1.0, now - 2.0)
        await raw.set(name(store, "c", key), expired)

    for key in ("add", "take", "touch", "pv", "n", "gv"):
        await plant(key, {"count": 41})
    assert await store.get("c", "add") is None
    assert await store.add("c", "add", {"fresh": 1}, ttl=30) is True
    assert await store.get("c", "add") == {"fresh": 1}
    assert await store.take("c", "take") is None
    assert await raw.exists(name(store, "c", "take")) == 1  # left for Redis to drop
    assert await store.touch("c", "touch", 30) is False
    assert await store.get_versioned("c", "gv") is None
    assert await store.put_versioned("c", "pv", {"v": 1}, version=None) is True
    assert await store.get("c", "pv") == {"v": 1}
    assert await store.increment("c", "n", 5, ttl=30) == 5  # starts again at 0, with the TTL
    info = await store.ttl("c", "n")
    assert info is not None and info.ttl == 30.0
    assert 29_000 < await raw.pttl(name(store, "c", "n")) <= 30_000


async def test_expired_by_envelope_gives_no_version_match(store: RedisStore, raw: Any) -> None:
    await store.put("c", "k", {"v": 1})
    found = await store.get_versioned("c", "k")
    assert found is not None
    stored = await raw.get(name(store, "c", "k"))
    expired = stored.replace(b'"ttl":null,"expires_at":null', b'"ttl":1.0,"expires_at":1.0')
    await raw.set(name(store, "c", "k"), expired)
    other = await store.get_versioned("c", "k")
    assert other is None
    # The version of the expired document is not the live entry's: a write with it conflicts.
    assert await store.put_versioned("c", "k", {"v": 2}, version=found.version) is False
    assert await store.put_versioned("c", "k", {"v": 3}, version=None) is True
    assert await store.get("c", "k") == {"v": 3}


async def test_touch_rewrites_the_envelope_and_the_redis_expiry(
    store: RedisStore, raw: Any
) -> None:
    await store.put("c", "k", {"name": "Ada", "n": [1, 2.5]}, ttl=5)
    before = json.loads(await raw.get(name(store, "c", "k")))
    assert await store.touch("c", "k", 100) is True
    after = json.loads(await raw.get(name(store, "c", "k")))
    assert after["value"] == before["value"] and after["created_at"] == before["created_at"]
    assert after["ttl"] == 100.0 and after["expires_at"] > before["expires_at"] + 90
    assert 99_000 < await raw.pttl(name(store, "c", "k")) <= 100_000
    assert await store.touch("c", "k", None) is True
    assert await raw.pttl(name(store, "c", "k")) == -1  # persists
    info = await store.ttl("c", "k")
    assert info is not None and info.ttl is None and info.expires_at is None
    assert await store.get("c", "k") == {"name": "Ada", "n": [1, 2.5]}
    assert await store.touch("c", "missing", 10) is False
    assert await raw.exists(name(store, "c", "missing")) == 0


async def test_increment_keeps_the_counter_expiry(store: RedisStore, raw: Any) -> None:
    assert await store.increment("c", "n", ttl=60) == 1
    before = json.loads(await raw.get(name(store, "c", "n")))
    await raw.pexpire(name(store, "c", "n"), 20_000)  # Redis's copy of the TTL, moved
    assert await store.increment("c", "n", 2, ttl=5) == 3
    assert 15_000 < await raw.pttl(name(store, "c", "n")) <= 20_000
    after = json.loads(await raw.get(name(store, "c", "n")))
    assert (after["ttl"], after["expires_at"]) == (before["ttl"], before["expires_at"])
    assert after["created_at"] > before["created_at"]  # the time of the last write


async def test_a_count_back_at_an_earlier_value_has_a_new_version(store: RedisStore) -> None:
    assert await store.increment("c", "n") == 1
    first = await store.get_versioned("c", "n")
    assert await store.increment("c", "n") == 2
    assert await store.increment("c", "n", -1) == 1
    again = await store.get_versioned("c", "n")
    assert first is not None and again is not None and first.value == again.value
    assert again.version != first.version
    assert await store.put_versioned("c", "n", {"count": 9}, version=first.version) is False


async def test_scripts_run_again_after_script_flush(store: RedisStore, raw: Any) -> None:
    async def every_operation(round_: int) -> None:
        assert await store.add("f", f"a{round_}", {"v": 1}) is True
        assert await store.take("f", f"a{round_}") == {"v": 1}
        assert await store.increment("f", "n") == round_ + 1
        assert await store.touch("f", "n", 60) is True
        found = await store.get_versioned("f", "n")
        assert found is not None
        assert await store.put_versioned("f", "n", {"count": 0}, version=found.version)
        assert await store.put("f", "n", {"count": round_ + 1}) is None

    await every_operation(0)
    await raw.script_flush()  # on every primary of a cluster
    assert not any(await raw.script_exists(*(script.sha for script in SCRIPTS)))
    await every_operation(1)
    await raw.script_flush()
    # concurrent first calls after a flush, each falling back to EVAL
    counts = await asyncio.gather(*(store.increment("f", "many") for _ in range(32)))
    assert sorted(counts) == list(range(1, 33))


@pytest.mark.cluster
async def test_cluster_keys_in_different_slots(redis_cluster_url: str, fresh_prefix: str) -> None:
    store = RedisStore(url=redis_cluster_url, prefix=fresh_prefix)
    client = raw_client(redis_cluster_url)
    try:
        keys = [f"k{i}" for i in range(60)]
        await client.initialize()
        nodes = {client.get_node_from_key(name(store, "s", key)).name for key in keys}
        slots = {client.keyslot(name(store, "s", key)) for key in keys}
        assert len(nodes) == 3 and len(slots) == len(keys)
        assert all(await asyncio.gather(*(store.add("s", key, {"k": key}) for key in keys)))
        assert not any(await asyncio.gather(*(store.add("s", key, {}) for key in keys)))
        assert await asyncio.gather(*(store.increment("n", key, 3) for key in keys)) == [3] * 60
        assert all(await asyncio.gather(*(store.touch("s", key, 60) for key in keys)))
        versions = await asyncio.gather(*(store.get_versioned("s", key) for key in keys))
        written = await asyncio.gather(
            *(
                store.put_versioned("s", key, {"k2": key}, version=found.version)
                for key, found in zip(keys, versions, strict=True)
                if found is not None
            )
        )
        assert all(written) and len(written) == 60
        taken = await asyncio.gather(*(store.take("s", key) for key in keys))
        assert taken == [{"k2": key} for key in keys]
        assert await store.keys("s") == []
    finally:
        await client.aclose()
        await store.close()
        await purge(redis_cluster_url, store._prefix)


async def test_script_error_replies_are_kvstore_errors(store: RedisStore, raw: Any) -> None:
    await store.put("c", "text", {"count": "7"})
    with pytest.raises(InvalidValueError, match=r"'c' key 'text'.*not a counter") as caught:
        await store.increment("c", "text")
    assert isinstance(caught.value, ValueError) and caught.value.__cause__ is not None
    assert await store.get("c", "text") == {"count": "7"}
    await store.put("c", "top", {"count": COUNT_MAX})
    with pytest.raises(InvalidValueError, match=r"signed 64-bit range.*nothing was written"):
        await store.increment("c", "top")
    assert await store.get("c", "top") == {"count": COUNT_MAX}
    await raw.rpush(name(store, "c", "list"), "x")
    for call in (
        store.add("c", "list", {}),
        store.take("c", "list"),
        store.touch("c", "list", 5),
        store.get_versioned("c", "list"),
        store.put_versioned("c", "list", {}, version=None),
        store.increment("c", "list"),
    ):
        with pytest.raises(DeserializationError, match="not a Redis string"):
            await call
    assert await raw.lrange(name(store, "c", "list"), 0, -1) == [b"x"]


async def test_data_that_is_not_an_envelope_is_never_lost(store: RedisStore, raw: Any) -> None:
    await raw.set(name(store, "c", "junk"), b"not json")
    for call in (
        store.add("c", "junk", {}),
        store.take("c", "junk"),
        store.touch("c", "junk", 5),
        store.put_versioned("c", "junk", {}, version=None),
        store.increment("c", "junk"),
    ):
        with pytest.raises(DeserializationError, match="'c' key 'junk'"):
            await call
    assert await raw.get(name(store, "c", "junk")) == b"not json"
    # another entry's envelope under this name: refused, kept
    other = _envelope.encode("c", "other", {"count": 1}, None, time.time())
    await raw.set(name(store, "c", "moved"), other)
    for call in (store.take("c", "moved"), store.increment("c", "moved")):
        with pytest.raises(DeserializationError, match="belongs to another entry"):
            await call
    assert await raw.get(name(store, "c", "moved")) == other.encode()


async def test_envelopes_of_another_layout_take_the_compare_and_set_path(
    store: RedisStore, raw: Any
) -> None:
    """Valid version-1 envelopes the scripts do not read (spaces, other member order) still
    behave: the script changes nothing and core's compare-and-set loop decides."""

    def spaced(key: str, value: dict[str, Any], ttl: float | None = None) -> str:
        now = time.time()
        document = {
            "value": value,
            "kvstore": 1,
            "key": key,
            "collection": "c",
            "expires_at": None if ttl is None else now + ttl,
            "ttl": ttl,
            "created_at": now,
        }
        return json.dumps(document, indent=1)

    await raw.set(name(store, "c", "a"), spaced("a", {"v": 1}))
    assert await store.add("c", "a", {"v": 2}) is False
    await raw.set(name(store, "c", "n"), spaced("n", {"count": 2**62}, ttl=60))
    assert await store.increment("c", "n", 2**62 - 1) == COUNT_MAX
    assert 0 < await raw.pttl(name(store, "c", "n")) <= 60_000
    await raw.set(name(store, "c", "t"), spaced("t", {"v": 3}))
    assert await store.touch("c", "t", 50) is True
    info = await store.ttl("c", "t")
    assert info is not None and info.ttl == 50.0
    await raw.set(name(store, "c", "p"), spaced("p", {"v": 4}))
    found = await store.get_versioned("c", "p")
    assert found is not None and found.value == {"v": 4}
    assert await store.put_versioned("c", "p", {"v": 5}, version=found.version) is True
    await raw.set(name(store, "c", "x"), spaced("x", {"v": 6}))
    assert await store.take("c", "x") == {"v": 6}
    assert await raw.exists(name(store, "c", "x")) == 0


async def test_counters_are_exact_across_the_64_bit_range(store: RedisStore) -> None:
    """Lua numbers are doubles (exact to 2**53): the script adds in two exact parts."""
    rng = random.Random(16)
    edges = [0, 1, -1, 2**53, -(2**53), 2**53 + 1, 10**9, -(10**9), COUNT_MAX, COUNT_MIN]
    cases = [(rng.choice(edges), rng.choice(edges)) for _ in range(40)]
    cases += [(rng.randint(COUNT_MIN, COUNT_MAX), rng.randint(COUNT_MIN, COUNT_MAX))]
    cases += [(rng.randint(-(10**19), 10**19), rng.randint(-(10**18), 10**18)) for _ in range(80)]
    cases += [(10**19, -(10**18)), (-(10**19) - 5, 10**18), (10**25, -COUNT_MAX)]
    for number, (count, amount) in enumerate(cases):
        key = f"k{number}"
        await store.put("c", key, {"count": count})
        expected = count + amount
        if COUNT_MIN <= expected <= COUNT_MAX and COUNT_MIN <= amount <= COUNT_MAX:
            assert await store.increment("c", key, amount) == expected, (count, amount)
            assert await store.get("c", key) == {"count": expected}
        else:
            with pytest.raises(InvalidValueError):
                await store.increment("c", key, amount)
            assert await store.get("c", key) == {"count": count}


async def test_cancellation_mid_call_leaves_no_half_state(store: RedisStore) -> None:
    """Calls cancelled at random points (before, during or after their script ran): each
    either applied whole or not at all, and the store serves correctly afterwards."""
    rng = random.Random(7)
    done: list[str] = []

    async def one(number: int) -> None:
        operation = ("increment", "add", "put_versioned", "touch")[number % 4]
        if operation == "increment":
            await store.increment("x", "n")
        elif operation == "add":
            await store.add("x", f"a{number}", {"n": number}, ttl=60)
        elif operation == "put_versioned":
            found = await store.get_versioned("x", "pv")
            await store.put_versioned(
                "x", "pv", {"n": number}, version=None if found is None else found.version
            )
        else:
            await store.touch("x", "n", 60)
        done.append(operation)

    async def bounded(number: int) -> bool:
        try:
            # most cancelled within a few milliseconds, some left to finish
            bound = rng.choice((rng.uniform(0, 0.004), rng.uniform(0, 0.04), 10.0))
            await asyncio.wait_for(one(number), bound)
        except asyncio.TimeoutError:
            return False
        return True

    outcomes = await asyncio.gather(*(bounded(n) for n in range(256)))
    assert outcomes.count(True) > 0 and outcomes.count(False) > 0
    await asyncio.sleep(0.2)  # cluster commands of cancelled callers finish on their own
    count = await store.get("x", "n")
    increments = done.count("increment")
    # every increment whose caller saw the reply applied, and no other beyond those sent
    assert count is None or increments <= count["count"] <= 64
    assert count is not None or increments == 0
    added = [n for n in range(256) if n % 4 == 1 and await store.get("x", f"a{n}") is not None]
    assert done.count("add") <= len(added)
    for n in added:
        assert await store.get("x", f"a{n}") == {"n": n}
    found = await store.get_versioned("x", "pv")
    assert found is None or set(found.value) == {"n"}
    # the store is sound afterwards: every operation answers right
    before = 0 if count is None else count["count"]
    assert await store.increment("x", "n", 10) == before + 10
    assert await store.add("x", "after", {}) is True and await store.take("x", "after") == {}


async def test_scripts_refused_raise_a_clear_error(redis_process: Any) -> None:
    admin = redis.asyncio.Redis.from_url(redis_process.url)
    await admin.acl_setuser(
        "noscript", enabled=True, passwords=["+pw-123"], keys=["kvstore:*"],
        commands=["+@all", "-@scripting"],
    )  # fmt: skip
    store = RedisStore(f"redis://noscript:pw-123@127.0.0.1:{redis_process.port}/0")
    await store.put("c", "k", {"count": 1})
    for call in (
        store.add("c", "new", {}),
        store.take("c", "k"),
        store.touch("c", "k", 5),
        store.increment("c", "k"),
        store.put_versioned("c", "k", {}, version="0" * 40),
    ):
        with pytest.raises(UnsupportedOperationError, match=r"refuses Lua scripts.*scripting"):
            await call
    assert await store.get("c", "k") == {"count": 1}  # nothing changed
    assert await store.get("c", "new") is None
    found = await store.get_versioned("c", "k")  # a plain GET: allowed
    assert found is not None and found.value == {"count": 1}
    assert "pw-123" not in repr(store)
    await store.close()
    await admin.aclose()


# -- four processes, each with its own store on the same server ------------------------

ROUNDS = 25
"""Increments per task in the process race (64 tasks over 4 processes)."""


@pytest.fixture(
    scope="module", params=["standalone", pytest.param("cluster", marks=pytest.mark.cluster)]
)
def raced(request: pytest.FixtureRequest) -> Iterator[list[list[Any]]]:
    """What 4 processes x 16 tasks got racing add, then increment, then take on one server."""
    url = str(
        request.getfixturevalue(
            "redis_url" if request.param == "standalone" else "redis_cluster_url"
        )
    )
    prefix = f"kvstore-test-race-{request.param}-{time.time_ns()}:"

    async def seed() -> None:
        async with RedisStore(url=url, prefix=prefix) as seeder:
            await seeder.put("race", "token", {"secret": 42}, ttl=60)

    asyncio.run(seed())
    phases = [
        Phase("add", "race", "lease"),
        Phase("increment", "race", "n", ROUNDS),
        Phase("take", "race", "token", 3),
    ]
    try:
        yield race(url, {"prefix": prefix}, phases)
    finally:
        asyncio.run(purge(url, prefix))


def test_processes_racing_add_one_wins(raced: list[list[Any]]) -> None:
    assert len(raced[0]) == 64 and raced[0].count(True) == 1


def test_processes_racing_increment_count_exactly(raced: list[list[Any]]) -> None:
    # every count from 1 to the total handed out exactly once
    assert sorted(raced[1]) == list(range(1, 64 * ROUNDS + 1))


def test_processes_racing_take_one_gets_the_value(raced: list[list[Any]]) -> None:
    assert len(raced[2]) == 64 * 3
    assert [result for result in raced[2] if result is not None] == [{"secret": 42}]


async def test_a_handed_in_client_decoding_replies(any_url: str, fresh_prefix: str) -> None:
    """Replies come back as str from a client made with decode_responses=True."""
    if any_url.startswith("redis+cluster://"):
        url = any_url.replace("redis+cluster", "redis")
        client: Any = redis.asyncio.RedisCluster.from_url(url, decode_responses=True)
    else:
        client = redis.asyncio.Redis.from_url(any_url, decode_responses=True)
    store = RedisStore(client=client, prefix=fresh_prefix)
    try:
        assert await store.add("c", "k", {"v": "é"}, ttl=60) is True
        found = await store.get_versioned("c", "k")
        assert found is not None and found.value == {"v": "é"}
        assert await store.put_versioned("c", "k", {"v": 2}, version=found.version) is True
        assert await store.touch("c", "k", 30) is True
        assert await store.take("c", "k") == {"v": 2}
        assert await store.increment("c", "n", 2**62) == 2**62
        assert await store.increment("c", "n", 2**62 - 1) == COUNT_MAX
    finally:
        await store.close()
        await purge(any_url, fresh_prefix)
        await client.aclose()
