"""Faults on a real server: backends terminated mid-traffic, a server restarted or killed.

Every failure is a kvstore error (never a driver exception), no acknowledged write is lost,
and the store recovers by itself once the server answers again.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable

import asyncpg
import pytest
from kvtest_servers import PostgresProcess

from kvstore.core.errors import KVStoreError, StoreConnectionError
from kvstore.postgres import PostgresStore

from .conftest import unique_table

MakeStore = Callable[..., PostgresStore]
STORM_SECONDS = 1.5


async def _terminate(url: str, application: str) -> int:
    """Terminate every backend serving connections named ``application``; return how many."""
    connection = await asyncpg.connect(url)
    try:
        ended: int = await connection.fetchval(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE application_name = $1",
            application,
        )
    finally:
        await connection.close()
    return ended


async def _eventually(call: Callable[[], object], attempts: int = 5) -> None:
    """Retry a call a few times: the first ones may meet connections the fault broke."""
    for attempt in range(attempts):
        try:
            await call()  # type: ignore[misc]
            return
        except StoreConnectionError:
            if attempt == attempts - 1:
                raise
            await asyncio.sleep(0.2)


async def test_backends_terminated_mid_traffic(postgres_url: str, make_store: MakeStore) -> None:
    application = f"kvtest-{uuid.uuid4().hex[:8]}"
    # A password in the URL (trust authentication ignores it) must never reach a message.
    secret_url = postgres_url.replace("postgres@", "postgres:hunter2hunter2@", 1)
    store = make_store(url=f"{secret_url}?application_name={application}", max_size=4)
    await store.put("warm", "up", {})
    errors: list[BaseException] = []
    acknowledged: dict[str, int] = {}
    attempted: dict[str, int] = {}
    stop = time.monotonic() + STORM_SECONDS

    async def worker(n: int) -> None:
        key = f"w{n}"
        step = 0
        while time.monotonic() < stop:
            step += 1
            attempted[key] = step
            try:
                await store.put("storm", key, {"step": step})
                acknowledged[key] = step
                await store.get("storm", key)
                await store.get_many("storm", [key, "w0"])
            except Exception as exc:
                errors.append(exc)

    async def killer() -> int:
        ended = 0
        while time.monotonic() < stop:
            await asyncio.sleep(0.15)
            ended += await _terminate(postgres_url, application)
        return ended

    *_, ended = await asyncio.gather(*(worker(n) for n in range(16)), killer())
    assert ended > 0
    assert errors, "terminating backends mid-traffic should have failed some calls"
    assert all(isinstance(error, StoreConnectionError) for error in errors), errors[:3]
    assert not any("hunter2hunter2" in str(error) for error in errors)
    # Recovered: once one call got through, every following one does.
    await _eventually(lambda: store.get("storm", "w0"))
    for key, step in acknowledged.items():
        value = await store.get("storm", key)
        assert value is not None
        assert step <= value["step"] <= attempted[key], key


@pytest.fixture
async def private_store(postgres_process: PostgresProcess) -> PostgresStore:
    return PostgresStore(
        url=postgres_process.url, table=unique_table(), connect_timeout=2, command_timeout=5
    )


async def test_a_restarted_server(
    postgres_process: PostgresProcess, private_store: PostgresStore
) -> None:
    store = private_store
    await store.put_many("c", {f"k{n}": {"n": n} for n in range(100)})
    postgres_process.stop()
    with pytest.raises(StoreConnectionError):
        await store.get("c", "k1")
    with pytest.raises(StoreConnectionError):
        await store.put("c", "new", {})
    postgres_process.start()
    await _eventually(lambda: store.get("c", "k1"))
    assert await store.get_many("c", [f"k{n}" for n in range(100)]) == [
        {"n": n} for n in range(100)
    ]
    await store.put("c", "after", {"ok": True})
    assert await store.get("c", "after") == {"ok": True}
    await store.close()


async def test_a_crashed_server_keeps_acknowledged_writes_and_empties_unlogged_tables(
    postgres_process: PostgresProcess,
) -> None:
    logged = PostgresStore(url=postgres_process.url, table=unique_table(), connect_timeout=2)
    unlogged = PostgresStore(
        url=postgres_process.url, table=unique_table(), unlogged=True, connect_timeout=2
    )
    for store in (logged, unlogged):
        await store.put_many("c", {f"k{n}": {"n": n} for n in range(50)})
    postgres_process.kill()
    with pytest.raises(KVStoreError):
        await logged.get("c", "k1")
    postgres_process.start()
    await _eventually(lambda: logged.get("c", "k1"))
    await _eventually(lambda: unlogged.get("c", "k1"))
    assert len(await logged.keys("c")) == 50
    assert await unlogged.keys("c") == []  # UNLOGGED: emptied by crash recovery
    for store in (logged, unlogged):
        await store.close()


async def test_a_store_first_used_while_the_server_is_down(
    postgres_process: PostgresProcess,
) -> None:
    postgres_process.stop()
    store = PostgresStore(url=postgres_process.url, table=unique_table(), connect_timeout=2)
    try:
        for _ in range(2):
            with pytest.raises(StoreConnectionError, match="collection 'c' key 'k'"):
                await store.get("c", "k")
    finally:
        postgres_process.start()
    await store.put("c", "k", {"v": 1})
    assert await store.get("c", "k") == {"v": 1}
    await store.close()


async def test_a_statement_past_command_timeout(postgres_url: str, make_store: MakeStore) -> None:
    store = make_store(command_timeout=0.3)
    await store.put("c", "k", {"v": 1})
    blocker = await asyncpg.connect(postgres_url)
    try:
        transaction = blocker.transaction()
        await transaction.start()
        await blocker.execute(f'SELECT 1 FROM "{store._table}" FOR UPDATE')  # locks the row
        started = time.monotonic()
        with pytest.raises(StoreConnectionError, match="collection 'c' key 'k'"):
            await store.put("c", "k", {"v": 2})
        assert time.monotonic() - started < 5
        assert await store.get("c", "k") == {"v": 1}  # reads are not blocked by the lock
        await transaction.rollback()
    finally:
        await blocker.close()
    await store.put("c", "k", {"v": 3})
    assert await store.get("c", "k") == {"v": 3}
