"""A real PostgreSQL for the PostgresStore integration tests.

``KVSTORE_POSTGRES_URL`` if set (a database the tests may create and drop their own tables
in); else a fresh database, created for the run on the local server at 127.0.0.1:5432 (user
``postgres``, trust authentication) and dropped afterwards; else a private server started
from Debian's binaries (``/usr/lib/postgresql/*/bin``) on a free port; else the tests skip,
except under ``CI=true`` where a missing server is a failure. Each store gets a table of its
own, dropped after its test: the tests never touch tables or databases they did not create.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import uuid
from collections.abc import AsyncIterator, Callable, Iterator

import asyncpg
import pytest
from kvtest_servers import PostgresProcess, postgres_binaries, unavailable

from kvstore.postgres import PostgresStore

LOCAL_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"


def _with_database(url: str, database: str) -> str:
    """``url`` naming another database."""
    base, _, _ = url.rpartition("/")
    return f"{base}/{database}"


async def _admin(url: str, statement: str) -> None:
    connection = await asyncpg.connect(url, timeout=5)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


@contextlib.contextmanager
def fresh_database(server_url: str) -> Iterator[str]:
    """Create a database of the run's own on a server, yield its URL, drop it afterwards."""
    name = f"kvstore_test_{uuid.uuid4().hex[:12]}"
    asyncio.run(
        _admin(server_url, f"CREATE DATABASE \"{name}\" ENCODING 'UTF8' TEMPLATE template0")
    )
    try:
        yield _with_database(server_url, name)
    finally:
        asyncio.run(_admin(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _local_server_answers() -> bool:
    try:
        asyncio.run(_admin(LOCAL_SERVER, "SELECT 1"))
    except Exception:  # refused, wrong password, no such user: start a private server
        return False
    return True


def start_private_server() -> PostgresProcess:
    """A private server from Debian's binaries (skips, or fails under CI, without them)."""
    binaries = postgres_binaries()
    if binaries is None:
        unavailable(
            "no PostgreSQL: set KVSTORE_POSTGRES_URL, run one on 127.0.0.1:5432 (user "
            "postgres, trust authentication) or install Debian's postgresql package"
        )
    assert binaries is not None
    server = PostgresProcess(binaries)
    server.start()
    return server


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """The URL of a database the tests may create tables in."""
    if url := os.environ.get("KVSTORE_POSTGRES_URL"):
        yield url
        return
    if _local_server_answers():
        with fresh_database(LOCAL_SERVER) as url:
            yield url
        return
    server = start_private_server()
    try:
        with fresh_database(server.url) as url:
            yield url
    finally:
        server.remove()


@pytest.fixture(scope="module")
def postgres_process() -> Iterator[PostgresProcess]:
    """A private server the tests may kill and restart (needs Debian's binaries)."""
    server = start_private_server()
    try:
        yield server
    finally:
        server.remove()


def unique_table() -> str:
    """A table name no other test uses."""
    return f"kvtest_{uuid.uuid4().hex[:12]}"


async def drop_table(url: str, table: str) -> None:
    """Drop a table a test created (through a connection of its own)."""
    await _admin(url, f'DROP TABLE IF EXISTS "{table}"')


@pytest.fixture
async def make_store(postgres_url: str) -> AsyncIterator[Callable[..., PostgresStore]]:
    """Build stores on fresh tables; each is closed and its table dropped afterwards."""
    made: list[tuple[PostgresStore, str]] = []

    def make(**options: object) -> PostgresStore:
        table = str(options.setdefault("table", unique_table()))
        options.setdefault("url", postgres_url)
        store = PostgresStore(**options)  # type: ignore[arg-type]
        made.append((store, table))
        return store

    yield make
    for store, table in made:
        await store.close()
        await drop_table(postgres_url, table)


@pytest.fixture
async def postgres_store(make_store: Callable[..., PostgresStore]) -> PostgresStore:
    """An empty store on a fresh table."""
    return make_store()
