"""A PostgreSQL database for the benchmarks: ``KVSTORE_POSTGRES_URL``, else a fresh database
on the local server (127.0.0.1:5432, user postgres), else a private server started from
Debian's binaries, as the integration tests do. Fresh databases are dropped afterwards."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import asyncpg

LOCAL_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"


async def _admin(url: str, statement: str) -> None:
    connection = await asyncpg.connect(url, timeout=5)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


@contextlib.contextmanager
def _fresh_database(server_url: str) -> Iterator[str]:
    name = f"kvstore_bench_{uuid.uuid4().hex[:12]}"
    asyncio.run(
        _admin(server_url, f"CREATE DATABASE \"{name}\" TEMPLATE template0 ENCODING 'UTF8'")
    )
    try:
        yield server_url.rpartition("/")[0] + f"/{name}"
    finally:
        asyncio.run(_admin(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@contextlib.contextmanager
def postgres_database() -> Iterator[str]:
    """Yield the URL of a database the benchmark may create tables in."""
    if url := os.environ.get("KVSTORE_POSTGRES_URL"):
        yield url
        return
    try:
        asyncio.run(_admin(LOCAL_SERVER, "SELECT 1"))
    except Exception:
        pass
    else:
        with _fresh_database(LOCAL_SERVER) as url:
            yield url
        return
    sys.path.insert(0, str(Path(__file__).parent.parent / "tests-integration"))
    from kvtest_servers import PostgresProcess, postgres_binaries

    binaries = postgres_binaries()
    if binaries is None:
        sys.exit("no PostgreSQL: set KVSTORE_POSTGRES_URL or install Debian's postgresql")
    server = PostgresProcess(binaries)
    server.start()
    try:
        yield server.url
    finally:
        server.remove()
