"""The atomic operations (SPEC §11) on a real server: semantics, bad input, and races of
four processes on one table."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Callable

import asyncpg
import pytest

from kvstore.core import ATOMIC_OPERATIONS
from kvstore.core.errors import InvalidValueError, SerializationError
from kvstore.postgres import PostgresStore

MakeStore = Callable[..., PostgresStore]
PROCESSES = 4


async def test_every_atomic_operation_is_declared(postgres_store: PostgresStore) -> None:
    assert postgres_store.atomic_operations == ATOMIC_OPERATIONS


async def test_add_writes_only_over_nothing_or_an_expired_entry(
    postgres_store: PostgresStore,
) -> None:
    store = postgres_store
    assert await store.add("c", "k", {"v": 1}, ttl=0.1) is True
    assert await store.add("c", "k", {"v": 2}) is False
    assert await store.get("c", "k") == {"v": 1}
    await asyncio.sleep(0.25)
    assert await store.add("c", "k", {"v": 3}) is True
    assert await store.get("c", "k") == {"v": 3}
    info = await store.ttl("c", "k")
    assert info is not None and info.ttl is None
    assert await store.add("c", "gone", {}, ttl=0) is True
    assert await store.add("c", "k", {}, ttl=-1) is False
    assert await store.exists("c", "gone") is False


async def test_take_returns_the_live_value_once(postgres_store: PostgresStore) -> None:
    store = postgres_store
    await store.put("c", "k", {"v": 1})
    await store.put("c", "old", {"v": 2}, ttl=0.1)
    assert await store.take("c", "k") == {"v": 1}
    assert await store.take("c", "k") is None
    await asyncio.sleep(0.25)
    assert await store.take("c", "old") is None


async def test_touch_sets_a_new_ttl_and_keeps_the_value(postgres_store: PostgresStore) -> None:
    store = postgres_store
    await store.put("c", "k", {"v": 1}, ttl=0.2)
    before = await store.ttl("c", "k")
    assert await store.touch("c", "k", 60) is True
    info = await store.ttl("c", "k")
    assert info is not None and before is not None
    assert info.ttl == 60 and info.created_at == before.created_at
    await asyncio.sleep(0.3)
    assert await store.get("c", "k") == {"v": 1}
    assert await store.touch("c", "k", None) is True
    info = await store.ttl("c", "k")
    assert info is not None and info.expires_at is None
    assert await store.touch("c", "missing", 5) is False
    assert await store.touch("c", "k", 0) is True
    assert await store.get("c", "k") is None


async def test_versions_change_on_every_write(postgres_store: PostgresStore) -> None:
    store = postgres_store
    assert await store.get_versioned("c", "k") is None
    assert await store.put_versioned("c", "k", {"v": 1}, version=None) is True
    assert await store.put_versioned("c", "k", {"v": 9}, version=None) is False
    first = await store.get_versioned("c", "k")
    assert first is not None and first.value == {"v": 1}
    assert await store.put_versioned("c", "k", {"v": 2}, version=first.version) is True
    assert await store.put_versioned("c", "k", {"v": 3}, version=first.version) is False
    second = await store.get_versioned("c", "k")
    assert second is not None and second.value == {"v": 2}
    assert second.version != first.version
    await store.put("c", "k", {"v": 2})
    third = await store.get_versioned("c", "k")
    assert third is not None and third.version != second.version
    for foreign in ["abc", "", "0" + third.version, str(2**70)]:
        assert await store.put_versioned("c", "k", {"v": 4}, version=foreign) is False
    assert await store.put_versioned("c", "k", {}, version=third.version, ttl=0) is True
    assert await store.get("c", "k") is None


async def test_increment_counts_in_one_statement(postgres_store: PostgresStore) -> None:
    store = postgres_store
    assert await store.increment("c", "n") == 1
    assert await store.increment("c", "n", 41) == 42
    assert await store.increment("c", "n", -50) == -8
    assert await store.get("c", "n") == {"count": -8}
    assert await store.increment("c", "fresh", 5, ttl=60) == 5
    info = await store.ttl("c", "fresh")
    assert info is not None and info.ttl == 60
    assert await store.increment("c", "fresh", 1, ttl=1) == 6
    info = await store.ttl("c", "fresh")
    assert info is not None and info.ttl == 60  # an existing counter keeps its TTL
    assert await store.increment("c", "none", 3, ttl=0) == 3
    assert await store.exists("c", "none") is False
    assert await store.increment("c", "n", 2, ttl=0) == -6


async def test_increment_refuses_what_is_not_a_counter(postgres_store: PostgresStore) -> None:
    store = postgres_store
    for value in ({"count": 1.5}, {"count": True}, {"count": 1, "x": 2}, {"n": 1}, {}):
        await store.put("c", "k", value)
        with pytest.raises(InvalidValueError):
            await store.increment("c", "k")
        assert await store.get("c", "k") == value
    await store.put("c", "big", {"count": 2**63 - 1})
    with pytest.raises(InvalidValueError, match="64-bit"):
        await store.increment("c", "big")
    assert await store.get("c", "big") == {"count": 2**63 - 1}
    for amount in (1.0, True, "1", 2**63):
        with pytest.raises(InvalidValueError):
            await store.increment("c", "other", amount)  # type: ignore[arg-type]
    assert await store.exists("c", "other") is False


async def test_bad_values_write_nothing(postgres_store: PostgresStore) -> None:
    store = postgres_store
    with pytest.raises(SerializationError):
        await store.add("c", "k", {"n": float("nan")})
    version = None
    with pytest.raises(SerializationError):
        await store.put_versioned("c", "k", {"b": b"x"}, version=version)
    with pytest.raises(InvalidValueError):
        await store.put_versioned("c", "k", {}, version=7)  # type: ignore[arg-type]
    assert await store.exists("c", "k") is False


# -- races of four processes --------------------------------------------------------------

RACER = """
import asyncio, json, sys
from kvstore.postgres import PostgresStore

url, table, worker, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])


async def work():
    async with PostgresStore(url=url, table=table, max_size=4) as store:
        added = [await store.add("race", f"add{n}", {"worker": worker}) for n in range(rounds)]
        counted = [await store.increment("race", "counter") for _ in range(rounds)]
        taken = [await store.take("race", f"take{n}") for n in range(rounds)]
        swapped = 0
        while swapped < rounds:
            current = await store.get_versioned("race", "cas")
            new = {"count": current.value["count"] + 1}
            if await store.put_versioned("race", "cas", new, version=current.version):
                swapped += 1
        return {"added": added, "counted": counted, "taken": taken}


print(json.dumps(asyncio.run(work())))
"""
"""One racing process: add, increment, take and a compare-and-set loop, each ``rounds`` times,
printing what each call returned."""


async def test_four_processes_race_on_one_table(postgres_url: str, make_store: MakeStore) -> None:
    rounds = 40
    store = make_store()
    await store.put_many("race", {f"take{n}": {"n": n} for n in range(rounds)})
    await store.put("race", "cas", {"count": 0})
    processes = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            RACER,
            postgres_url,
            store._table,
            str(n),
            str(rounds),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        for n in range(PROCESSES)
    ]
    results = []
    for process in processes:
        out, err = await asyncio.wait_for(process.communicate(), 120)
        assert process.returncode == 0, err.decode()
        results.append(json.loads(out))
    for n in range(rounds):
        # add: exactly one process wrote each key; take: exactly one got each value.
        assert sum(result["added"][n] for result in results) == 1
        assert sum(result["taken"][n] is not None for result in results) == 1
    counts = sorted(count for result in results for count in result["counted"])
    assert counts == list(range(1, PROCESSES * rounds + 1))  # no increment lost or repeated
    assert await store.get("race", "counter") == {"count": PROCESSES * rounds}
    assert await store.get("race", "cas") == {"count": PROCESSES * rounds}


async def test_versions_are_table_wide_identity_values(
    postgres_url: str, postgres_store: PostgresStore
) -> None:
    await postgres_store.put("c", "k", {})
    connection = await asyncpg.connect(postgres_url)
    try:
        kind = await connection.fetchval(
            "SELECT attidentity::text FROM pg_attribute WHERE attrelid = $1::regclass "
            "AND attname = 'version'",
            f'"{postgres_store._table}"',
        )
    finally:
        await connection.close()
    assert kind == "d"  # GENERATED BY DEFAULT AS IDENTITY
