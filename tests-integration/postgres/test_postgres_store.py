"""PostgresStore on a real server: the table, its shape and version, pools, bad input."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable

import asyncpg
import pytest

from kvstore.core import open_store
from kvstore.core.errors import (
    ConfigurationError,
    DeserializationError,
    SerializationError,
    SetupError,
)
from kvstore.postgres import PostgresStore

from .conftest import drop_table, unique_table

MakeStore = Callable[..., PostgresStore]


async def _query(url: str, sql: str, *arguments: object) -> list[asyncpg.Record]:
    connection = await asyncpg.connect(url)
    try:
        return list(await connection.fetch(sql, *arguments))
    finally:
        await connection.close()


async def test_the_table_holds_values_natively(postgres_url: str, make_store: MakeStore) -> None:
    store = make_store()
    value = {"zebra": 1, "apple": [1.5, None, "x"], "mango": {"b": True, "a": "\x00"}}
    await store.put("users", "ada", value, ttl=60)
    rows = await _query(
        postgres_url,
        f"SELECT collection, key, value, ttl, expires_at - created_at AS lifetime, "
        f"obj_description('\"{store._table}\"'::regclass, 'pg_class') AS comment "
        f'FROM "{store._table}"',
    )
    assert len(rows) == 1
    row = rows[0]
    assert (row["collection"], row["key"], row["ttl"]) == ("users", "ada", 60.0)
    assert row["lifetime"].total_seconds() == 60
    assert json.loads(row["value"]) == value
    assert row["comment"] == "kvstore schema 1"
    # Key order is kept: the value column is text, not jsonb (docs/decisions.md).
    assert list(await store.get("users", "ada") or {}) == ["zebra", "apple", "mango"]


async def test_unlogged_creates_an_unlogged_table(postgres_url: str, make_store: MakeStore) -> None:
    logged, unlogged = make_store(), make_store(unlogged=True)
    await logged.put("c", "k", {})
    await unlogged.put("c", "k", {})
    rows = await _query(
        postgres_url,
        "SELECT relname, relpersistence::text FROM pg_class WHERE relname = ANY($1::text[])",
        [logged._table, unlogged._table],
    )
    assert {row["relname"]: row["relpersistence"] for row in rows} == {
        logged._table: "p",
        unlogged._table: "u",
    }


async def test_a_table_of_another_shape_is_a_setup_error_naming_it(
    postgres_url: str, make_store: MakeStore
) -> None:
    table = unique_table()
    await _query(postgres_url, f'CREATE TABLE "{table}" (id int PRIMARY KEY, value jsonb)')
    await _query(postgres_url, f'INSERT INTO "{table}" VALUES (1, \'{{"a": 1}}\')')
    store = make_store(table=table)
    with pytest.raises(SetupError, match=table) as caught:
        await store.get("users", "ada")
    assert "missing columns collection, key" in str(caught.value)
    with pytest.raises(SetupError):
        await store.put("users", "ada", {"v": 1})
    # The foreign table is left as it was.
    assert [tuple(row) for row in await _query(postgres_url, f'SELECT * FROM "{table}"')] == [
        (1, '{"a": 1}')
    ]


async def test_a_table_of_a_newer_schema_version_is_refused(
    postgres_url: str, make_store: MakeStore
) -> None:
    first = make_store()
    await first.put("c", "k", {"v": 1})
    await _query(postgres_url, f"COMMENT ON TABLE \"{first._table}\" IS 'kvstore schema 2'")
    second = make_store(table=first._table)
    with pytest.raises(SetupError, match="kvstore schema 2"):
        await second.get("c", "k")


async def test_concurrent_first_uses_create_the_table_once(
    postgres_url: str, make_store: MakeStore
) -> None:
    table = unique_table()
    stores = [make_store(table=table) for _ in range(8)]
    await asyncio.gather(*(store.put("c", f"k{n}", {"n": n}) for n, store in enumerate(stores)))
    assert sorted(await stores[0].keys("c")) == sorted(f"k{n}" for n in range(8))


async def test_a_table_dropped_under_the_store_is_created_again(
    postgres_url: str, make_store: MakeStore
) -> None:
    store = make_store()
    await store.put("c", "k", {"v": 1})
    await drop_table(postgres_url, store._table)
    with pytest.raises(SetupError, match="missing"):
        await store.get("c", "k")
    await store.put("c", "k", {"v": 2})
    assert await store.get("c", "k") == {"v": 2}


async def test_schema_qualified_table(postgres_url: str, make_store: MakeStore) -> None:
    schema = unique_table()
    await _query(postgres_url, f'CREATE SCHEMA "{schema}"')
    try:
        store = make_store(table=f"{schema}.kv")
        await store.put("c", "k", {"v": 1})
        assert await store.get("c", "k") == {"v": 1}
        await store.close()
    finally:
        await _query(postgres_url, f'DROP SCHEMA "{schema}" CASCADE')


async def test_a_handed_in_pool_is_used_and_left_open(postgres_url: str) -> None:
    table = unique_table()
    pool = await asyncpg.create_pool(postgres_url, min_size=1, max_size=2)
    try:
        async with PostgresStore(pool=pool, table=table) as store:
            await store.put("c", "k", {"v": 1})
            assert await store.get("c", "k") == {"v": 1}
            assert "pool=" in repr(store)
        assert await pool.fetchval("SELECT 1") == 1
    finally:
        await pool.close()
        await drop_table(postgres_url, table)


async def test_a_handed_in_pool_used_from_another_loop_says_what_to_do(postgres_url: str) -> None:
    table = unique_table()
    pool = await asyncpg.create_pool(postgres_url, min_size=1, max_size=2)
    store = PostgresStore(pool=pool, table=table)
    try:
        await store.put("c", "k", {"v": 1})

        async def elsewhere() -> object:
            return await store.get("c", "k")

        with pytest.raises(ConfigurationError, match="event loop"):
            await asyncio.to_thread(asyncio.run, elsewhere())
    finally:
        await pool.close()
        await drop_table(postgres_url, table)


async def test_open_store_by_url(postgres_url: str) -> None:
    table = unique_table()
    store = open_store(f"{postgres_url}?table={table}&max_size=2")
    try:
        await store.put("c", "k", {"v": 1})
        assert await store.get("c", "k") == {"v": 1}
    finally:
        await store.close()
        await drop_table(postgres_url, table)


async def test_bad_values_write_nothing_and_the_store_goes_on(make_store: MakeStore) -> None:
    store = make_store()
    await store.put("c", "k", {"v": 1})
    for bad in ({"n": float("nan")}, {"b": b"x"}, {1: "x"}, {"s": {1, 2}}):
        with pytest.raises(SerializationError):
            await store.put("c", "k", bad)  # type: ignore[arg-type]
        with pytest.raises(SerializationError):
            await store.put_many("c", {"a": {"ok": 1}, "k": bad})  # type: ignore[dict-item]
    assert await store.get("c", "k") == {"v": 1}
    assert await store.get("c", "a") is None


async def test_a_row_that_is_not_json_is_a_deserialization_error(
    postgres_url: str, make_store: MakeStore
) -> None:
    store = make_store()
    await store.put("c", "k", {"v": 1})
    await store.put("c", "list", {"v": 1})
    await _query(postgres_url, f"UPDATE \"{store._table}\" SET value = 'not json' WHERE key = 'k'")
    await _query(postgres_url, f"UPDATE \"{store._table}\" SET value = '[1]' WHERE key = 'list'")
    with pytest.raises(DeserializationError, match="'k'"):
        await store.get("c", "k")
    with pytest.raises(DeserializationError, match="'list'"):
        await store.get_many("c", ["list"])


async def test_cull_removes_more_than_one_batch(postgres_url: str, make_store: MakeStore) -> None:
    store = make_store()
    await store.put_many("c", {f"k{n}": {} for n in range(2_500)}, ttl=0.05)
    await store.put("c", "live", {})
    await asyncio.sleep(0.2)
    await store.cull()
    rows = await _query(postgres_url, f'SELECT key FROM "{store._table}"')
    assert [row["key"] for row in rows] == ["live"]


async def test_keys_pages_through_long_and_escaped_names(make_store: MakeStore) -> None:
    store = make_store()
    names = {
        f"{n:04d}-" + ("é" * 700 if n % 3 == 0 else "\x00" if n % 3 == 1 else "")
        for n in range(2_100)
    }
    await store.put_many("c", {name: {} for name in names})
    assert sorted(await store.keys("c")) == sorted(names)
    assert len(await store.keys("c", limit=1_500)) == 1_500
    seen = [key async for key in store.iter_keys("c")]
    assert len(seen) == len(set(seen)) == len(names)


async def test_many_tasks_share_a_small_pool(make_store: MakeStore) -> None:
    store = make_store(max_size=2)

    async def worker(n: int) -> object:
        await store.put("c", f"k{n}", {"n": n})
        return await store.get("c", f"k{n}")

    assert await asyncio.gather(*(worker(n) for n in range(200))) == [{"n": n} for n in range(200)]


async def test_cancelled_calls_leave_the_pool_usable(
    postgres_url: str, make_store: MakeStore
) -> None:
    store = make_store(max_size=3)
    await store.put("c", "k", {"v": 0})

    async def call(n: int) -> None:
        if n % 3 == 0:
            await store.put("c", f"k{n}", {"v": n})
        elif n % 3 == 1:
            await store.get_many("c", ["k", f"k{n - 1}"])
        else:
            await store.increment("c", "counter")

    for timeout in (0, 0.0005, 0.001, 0.003):
        results = await asyncio.gather(
            *(asyncio.wait_for(call(n), timeout) for n in range(60)), return_exceptions=True
        )
        assert all(r is None or isinstance(r, asyncio.TimeoutError) for r in results), results
    assert await asyncio.gather(*(store.get("c", "k") for _ in range(30))) == [{"v": 0}] * 30
    idle = await _query(
        postgres_url,
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
        "AND state LIKE 'idle in transaction%'",
    )
    assert idle[0][0] == 0
