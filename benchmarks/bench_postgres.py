"""PostgresStore against the raw asyncpg pool and py-key-value-aio's PostgreSQL store:
``python -m benchmarks.bench_postgres``.

The database is ``KVSTORE_POSTGRES_URL``, else a fresh one on the local server
(127.0.0.1:5432, user postgres), else a private server started from Debian's binaries; a
fresh database is dropped afterwards. Each contender has its own table.

The reference (``raw``) is a **default** asyncpg pool, as users create it
(``asyncpg.create_pool(url)``), sending PostgresStore's own statements with the value as
``json.dumps`` text and reading it back with ``json.loads``: the store's cost is what it adds
around the same SQL. ``PostgresStore`` is made with ``PostgresStore(url=...)`` and default
settings. py-key-value-aio's ``PostgreSQLStore(url=...)`` runs when installed (``pip install
-r benchmarks/requirements.txt``) in the cases it has a call for (it has no ``add`` or
``increment``).

Every variant runs the same loop over one ``async def`` per operation. Prints a markdown
table of median ops/s (keys/s for batch cases) with ratios to raw, then issue 19's targets
and whether each was met.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.util
import json
import platform
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import asyncpg

from kvstore.postgres import PostgresStore
from kvstore.postgres._schema import statements

from ._harness import VALUE, Case, median, report, run_cases
from ._postgres import postgres_database

COLLECTION = "bench"
TTL = 300.0
BATCH = 100
TASKS = 64
STORE = "PostgresStore"

Get = Callable[[str], Awaitable[Any]]
Put = Callable[[str, dict[str, Any]], Awaitable[None]]
GetMany = Callable[[list[str]], Awaitable[Any]]
PutMany = Callable[[dict[str, dict[str, Any]]], Awaitable[None]]
Add = Callable[[str, dict[str, Any]], Awaitable[bool]]
Increment = Callable[[str], Awaitable[int]]


@dataclass
class Contender:
    name: str
    get: Get
    put: Put
    get_many: GetMany | None = None
    put_many: PutMany | None = None
    add: Add | None = None
    increment: Increment | None = None


async def raw_contender(url: str) -> tuple[Contender, Callable[[], Awaitable[None]]]:
    """asyncpg's default pool sending the store's statements."""
    pool = await asyncpg.create_pool(url)
    sql = statements("bench_raw", unlogged=False)
    async with pool.acquire() as connection:
        for statement in sql.create:
            await connection.execute(statement)

    async def get(key: str) -> Any:
        text = await pool.fetchval(sql.get, COLLECTION, key)
        return None if text is None else json.loads(text)

    async def put(key: str, value: dict[str, Any]) -> None:
        await pool.execute(sql.put, COLLECTION, key, json.dumps(value), TTL, TTL, None, None)

    async def get_many(keys: list[str]) -> Any:
        rows = await pool.fetch(sql.get_many, COLLECTION, keys)
        found = {row[0]: row[1] for row in rows}
        return [None if (text := found.get(key)) is None else json.loads(text) for key in keys]

    async def put_many(items: dict[str, dict[str, Any]]) -> None:
        await pool.execute(
            sql.put_many,
            COLLECTION,
            list(items),
            [json.dumps(value) for value in items.values()],
            TTL,
            TTL,
            None,
            [None] * len(items),
        )

    async def add(key: str, value: dict[str, Any]) -> bool:
        written = await pool.fetchval(
            sql.add, COLLECTION, key, json.dumps(value), TTL, TTL, None, None
        )
        return written is True

    async def increment(key: str) -> int:
        text = await pool.fetchval(sql.increment, COLLECTION, key, 1, None, None, None, None)
        return int(json.loads(text)["count"])

    return Contender("raw", get, put, get_many, put_many, add, increment), pool.close


def store_contender(store: PostgresStore) -> Contender:
    async def get(key: str) -> Any:
        return await store.get(COLLECTION, key)

    async def put(key: str, value: dict[str, Any]) -> None:
        await store.put(COLLECTION, key, value, ttl=TTL)

    async def get_many(keys: list[str]) -> Any:
        return await store.get_many(COLLECTION, keys)

    async def put_many(items: dict[str, dict[str, Any]]) -> None:
        await store.put_many(COLLECTION, items, ttl=TTL)

    async def add(key: str, value: dict[str, Any]) -> bool:
        return await store.add(COLLECTION, key, value, ttl=TTL)

    async def increment(key: str) -> int:
        return await store.increment(COLLECTION, key)

    return Contender(STORE, get, put, get_many, put_many, add, increment)


@contextlib.asynccontextmanager
async def peer_contenders(url: str) -> AsyncIterator[list[Contender]]:
    """py-key-value-aio's PostgreSQL store, when installed."""
    if importlib.util.find_spec("key_value") is None:
        yield []
        return
    try:
        from key_value.aio.stores.postgresql import PostgreSQLStore
    except ImportError:
        yield []
        return
    peer = PostgreSQLStore(url=url, table_name="bench_peer")
    async with peer:

        async def get(key: str) -> Any:
            return await peer.get(key, collection=COLLECTION)

        async def put(key: str, value: dict[str, Any]) -> None:
            await peer.put(key, value, collection=COLLECTION, ttl=TTL)

        async def get_many(keys: list[str]) -> Any:
            return await peer.get_many(keys, collection=COLLECTION)

        async def put_many(items: dict[str, dict[str, Any]]) -> None:
            await peer.put_many(list(items), list(items.values()), collection=COLLECTION, ttl=TTL)

        yield [Contender("py-key-value-aio", get, put, get_many, put_many)]


def build_cases(contenders: list[Contender], ops: int) -> list[Case]:
    """The cases: each variant does ``ops`` operations (or ``ops`` keys for batch cases)."""
    hit_keys = [f"hit{i}" for i in range(BATCH)]
    batches = max(1, ops // BATCH)
    items = {f"m{i}": VALUE for i in range(BATCH)}
    per_task = max(1, ops // TASKS)
    round_of = iter(range(10**9))

    def put_loop(put: Put) -> Callable[[], Awaitable[int]]:
        async def run() -> int:
            for i in range(ops):
                await put(f"p{i % 1000}", VALUE)
            return ops

        return run

    def get_loop(get: Get) -> Callable[[], Awaitable[int]]:
        async def run() -> int:
            for i in range(ops):
                await get(hit_keys[i % BATCH])
            return ops

        return run

    def get_many_loop(get_many: GetMany) -> Callable[[], Awaitable[int]]:
        async def run() -> int:
            for _ in range(batches):
                await get_many(hit_keys)
            return batches * BATCH

        return run

    def put_many_loop(put_many: PutMany) -> Callable[[], Awaitable[int]]:
        async def run() -> int:
            for _ in range(batches):
                await put_many(items)
            return batches * BATCH

        return run

    def mix(get: Get, put: Put) -> Callable[[], Awaitable[int]]:
        async def task(n: int) -> None:
            for i in range(per_task):
                key = f"mix{n}-{i % 10}"
                if i % 4 == 0:
                    await put(key, VALUE)
                else:
                    await get(key)

        async def run() -> int:
            await asyncio.gather(*(task(n) for n in range(TASKS)))
            return per_task * TASKS

        return run

    def add_loop(add: Add) -> Callable[[], Awaitable[int]]:
        async def run() -> int:
            # Half the calls write a new key, half find the one just written.
            prefix = f"add{next(round_of)}-"
            for i in range(ops):
                await add(f"{prefix}{i // 2}", VALUE)
            return ops

        return run

    def increment_loop(increment: Increment) -> Callable[[], Awaitable[int]]:
        async def run() -> int:
            for i in range(ops):
                await increment(f"n{i % 10}")
            return ops

        return run

    return [
        Case("put", "raw", {c.name: put_loop(c.put) for c in contenders}),
        Case("get", "raw", {c.name: get_loop(c.get) for c in contenders}),
        Case(
            f"get_many({BATCH})",
            "raw",
            {c.name: get_many_loop(c.get_many) for c in contenders if c.get_many},
        ),
        Case(
            f"put_many({BATCH})",
            "raw",
            {c.name: put_many_loop(c.put_many) for c in contenders if c.put_many},
        ),
        Case(f"{TASKS}-task mix", "raw", {c.name: mix(c.get, c.put) for c in contenders}),
        Case("add", "raw", {c.name: add_loop(c.add) for c in contenders if c.add}),
        Case(
            "increment",
            "raw",
            {c.name: increment_loop(c.increment) for c in contenders if c.increment},
        ),
    ]


SINGLE = ("put", "get", "add", "increment")


def check_targets(cases: list[Case]) -> list[str]:
    """Issue 19's targets: >= 0.9x raw on single operations, ahead of py-key-value everywhere."""
    lines = []
    for case in cases:
        ratio = median(case, STORE) / median(case, "raw")
        if case.name in SINGLE:
            lines.append(
                f"- {case.name}: {ratio:.2f}x raw (target >= 0.9x): "
                + ("met" if ratio >= 0.9 else "NOT met")
            )
        if "py-key-value-aio" in case.results:
            peer = median(case, STORE) / median(case, "py-key-value-aio")
            lines.append(
                f"- {case.name}: {peer:.2f}x py-key-value-aio (target > 1x): "
                + ("met" if peer > 1 else "NOT met")
            )
    return lines


async def main(url: str, ops: int, repetitions: int, only: list[str]) -> None:
    raw, close_raw = await raw_contender(url)
    store = PostgresStore(url=url, table="bench_store")
    contenders = [raw, store_contender(store)]
    async with peer_contenders(url) as peers:
        contenders += peers
        for contender in contenders:
            for i in range(BATCH):
                await contender.put(f"hit{i}", VALUE)
        cases = [case for case in build_cases(contenders, ops) if not only or case.name in only]
        await run_cases(cases, repetitions=repetitions)
    await store.close()
    await close_raw()
    version = await _server_version(url)
    title = (
        f"PostgresStore vs asyncpg {asyncpg.__version__}, Python {platform.python_version()} "
        f"(loopback PostgreSQL {version})"
    )
    print(report(title, cases), end="\n\n")
    print("\n".join(check_targets(cases)))


async def _server_version(url: str) -> str:
    connection = await asyncpg.connect(url)
    try:
        return str(await connection.fetchval("SHOW server_version"))
    finally:
        await connection.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ops", type=int, default=1_000, help="operations per sample")
    parser.add_argument("--repetitions", type=int, default=7, help="samples per variant")
    parser.add_argument("--case", action="append", default=[], help="run only this case")
    arguments = parser.parse_args()
    with postgres_database() as database:
        asyncio.run(main(database, arguments.ops, arguments.repetitions, arguments.case))
