"""Which driver and which value column PostgresStore uses: ``python -m benchmarks.pg_drivers``.

asyncpg (its pool) against psycopg 3 (async, ``psycopg_pool.AsyncConnectionPool``), each
sending PostgresStore's own get and put statements with default settings, sequentially and
from 64 concurrent tasks; then the value column as ``text`` against ``jsonb`` on asyncpg.
Variants run interleaved; the tables show medians and ratios (docs/decisions.md).
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import asyncpg
import psycopg_pool

from kvstore.postgres._schema import statements

from ._harness import VALUE, Case, report, run_cases, sample_keys
from ._postgres import postgres_database

OPS = 2_000
TASKS = 64
KEYS = sample_keys(OPS)
TEXT = json.dumps(VALUE, separators=(",", ":"))
ORDERED = {"zebra": 1, "apple": 2, "mango": {"b": 1, "a": 2}}


def _psycopg_sql(sql: str) -> str:
    """The statement with psycopg's placeholders."""
    for n in range(9, 0, -1):
        sql = sql.replace(f"${n}", "%s")
    return sql


async def main(url: str) -> None:
    if True:
        sql = statements("bench_text", unlogged=False)
        jsonb = statements("bench_jsonb", unlogged=False)
        apg = await asyncpg.create_pool(url)
        async with apg.acquire() as connection:
            for statement in sql.create:
                await connection.execute(statement)
            for statement in jsonb.create:
                await connection.execute(statement.replace("value text", "value jsonb"))
        pg = psycopg_pool.AsyncConnectionPool(url, open=False)
        await pg.open()
        put_p, get_p = _psycopg_sql(sql.put), _psycopg_sql(sql.get)
        put_jsonb = jsonb.put.replace("$3", "$3::jsonb")

        async def asyncpg_put() -> int:
            for key in KEYS:
                await apg.execute(sql.put, "c", key, TEXT, 300.0, 300.0, None, None)
            return OPS

        async def asyncpg_get() -> int:
            for key in KEYS:
                json.loads(await apg.fetchval(sql.get, "c", key))
            return OPS

        async def psycopg_put() -> int:
            for key in KEYS:
                async with pg.connection() as connection:
                    await connection.execute(put_p, ("c", key, TEXT, 300.0, 300.0, None, None))
            return OPS

        async def psycopg_get() -> int:
            for key in KEYS:
                async with pg.connection() as connection:
                    cursor = await connection.execute(get_p, ("c", key))
                    row = await cursor.fetchone()
                    assert row is not None
                    json.loads(row[0])
            return OPS

        async def concurrently(call: Any) -> int:
            async def task(n: int) -> None:
                for key in KEYS[n::TASKS]:
                    await call(key)

            await asyncio.gather(*(task(n) for n in range(TASKS)))
            return OPS

        async def asyncpg_one_get(key: str) -> None:
            json.loads(await apg.fetchval(sql.get, "c", key))

        async def psycopg_one_get(key: str) -> None:
            async with pg.connection() as connection:
                cursor = await connection.execute(get_p, ("c", key))
                row = await cursor.fetchone()
                assert row is not None
                json.loads(row[0])

        async def text_put() -> int:
            for key in KEYS:
                await apg.execute(sql.put, "c", key, TEXT, None, None, None, None)
            return OPS

        async def jsonb_put() -> int:
            for key in KEYS:
                await apg.execute(put_jsonb, "c", key, TEXT, None, None, None, None)
            return OPS

        async def text_get() -> int:
            for key in KEYS:
                json.loads(await apg.fetchval(sql.get, "c", key))
            return OPS

        async def jsonb_get() -> int:
            for key in KEYS:
                json.loads(await apg.fetchval(jsonb.get, "c", key))
            return OPS

        await asyncpg_put()
        await jsonb_put()
        cases = [
            Case("put", "asyncpg", {"asyncpg": asyncpg_put, "psycopg": psycopg_put}),
            Case("get", "asyncpg", {"asyncpg": asyncpg_get, "psycopg": psycopg_get}),
            Case(
                f"get, {TASKS} tasks",
                "asyncpg",
                {
                    "asyncpg": lambda: concurrently(asyncpg_one_get),
                    "psycopg": lambda: concurrently(psycopg_one_get),
                },
            ),
            Case("put (value column)", "text", {"text": text_put, "jsonb": jsonb_put}),
            Case("get (value column)", "text", {"text": text_get, "jsonb": jsonb_get}),
        ]
        await run_cases(cases, repetitions=5)
        print(report("Drivers and value columns (ops/s)", cases).replace("ratio to raw", "ratio"))
        await apg.execute(put_jsonb, "c", "ordered", json.dumps(ORDERED), None, None, None, None)
        back = json.loads(await apg.fetchval(jsonb.get, "c", "ordered"))
        print(f"\njsonb gives back {json.dumps(back)} for {json.dumps(ORDERED)}")
        await pg.close()
        await apg.close()


if __name__ == "__main__":
    with postgres_database() as database:
        asyncio.run(main(database))
