"""DiskStore's atomic operations: expired rows, value files, threads, cancellation, and the
rows they leave (the kit's atomic cases run in test_disk_conformance.py)."""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import threading
from collections.abc import AsyncIterator, Coroutine
from pathlib import Path
from typing import Any

import diskcache
import pytest

from kvstore.core import ATOMIC_OPERATIONS, _envelope
from kvstore.core.errors import DeserializationError, InvalidValueError
from kvstore.disk import DiskStore
from kvstore.disk import _atomic as disk_atomic

BIG = {"blob": "x" * 40_000}
"""A value kept in its own file (DiskStore's threshold is 32 KiB)."""


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[DiskStore]:
    store = DiskStore(tmp_path / "cache")
    yield store
    await store.close()


def _value_files(store: DiskStore) -> list[str]:
    found = []
    for folder, _, names in os.walk(store.directory):
        found += [os.path.join(folder, name) for name in names if name.endswith(".val")]
    return found


def _integrity(store: DiskStore) -> str:
    connection = sqlite3.connect(os.path.join(store.directory, "cache.db"))
    try:
        ((verdict,),) = connection.execute("PRAGMA integrity_check").fetchall()
        return str(verdict)
    finally:
        connection.close()


def test_declares_every_atomic_operation() -> None:
    assert DiskStore.atomic_operations == ATOMIC_OPERATIONS


async def test_expired_rows_are_absent_to_every_operation(store: DiskStore) -> None:
    for key in ("add", "take", "touch", "versioned", "counter"):
        await store.put("c", key, {"count": 7}, ttl=0.05)
    await asyncio.sleep(0.1)
    # The expired rows are still in the table: nothing culled them.
    assert len(store.cache) == 5
    assert await store.add("c", "add", {"new": True}) is True
    assert await store.get("c", "add") == {"new": True}
    assert await store.take("c", "take") is None
    assert await store.touch("c", "touch", 60) is False
    assert await store.get("c", "touch") is None
    assert await store.get_versioned("c", "versioned") is None
    assert await store.put_versioned("c", "versioned", {"v": 1}, version=None) is True
    assert await store.increment("c", "counter", 2) == 2


async def test_an_expired_value_file_is_absent_and_removed_when_replaced(store: DiskStore) -> None:
    await store.put("c", "k", BIG, ttl=0.05)
    (old_file,) = _value_files(store)
    await asyncio.sleep(0.1)
    assert await store.take("c", "k") is None
    assert await store.add("c", "k", {"small": True}) is True
    assert old_file not in _value_files(store)
    assert _value_files(store) == []


async def test_value_files_through_every_operation(store: DiskStore) -> None:
    assert await store.add("c", "k", BIG) is True
    assert await store.add("c", "k", BIG) is False
    assert len(_value_files(store)) == 1  # the refused add's file is gone again
    versioned = await store.get_versioned("c", "k")
    assert versioned is not None
    assert versioned.value == BIG
    assert await store.touch("c", "k", 60) is True
    assert await store.put_versioned("c", "k", BIG, version=versioned.version) is False
    touched = await store.get_versioned("c", "k")
    assert touched is not None
    assert touched.version != versioned.version
    assert await store.put_versioned("c", "k", {"small": 1}, version=touched.version) is True
    assert _value_files(store) == []
    await store.put("c", "k", BIG)
    assert await store.take("c", "k") == BIG
    assert await store.take("c", "k") is None
    assert _value_files(store) == []


async def test_touch_keeps_the_value_and_created_at(store: DiskStore) -> None:
    await store.put("c", "k", {"v": 1}, ttl=0.3)
    before = await store.ttl("c", "k")
    assert await store.touch("c", "k", None) is True
    await asyncio.sleep(0.4)
    assert await store.get("c", "k") == {"v": 1}
    after = await store.ttl("c", "k")
    assert before is not None
    assert after is not None
    assert after.created_at == before.created_at
    assert after.ttl is None
    assert after.expires_at is None


TRICKY = {
    "text": 'é\u2028\ud800 "quoted" \\ ',
    "big": 12345678901234567890123,
    "float": 0.1,
    "nested": [1, {"none": None, "": []}],
}
"""Text SQLite's json_set must carry over as it is: escapes, a lone surrogate, an integer
past 64 bits, a float that is not exact in binary."""


@pytest.mark.parametrize("ttl", [1 / 3, 3600.0, None])
async def test_touch_rewrites_only_the_times(store: DiskStore, ttl: float | None) -> None:
    # The common case is one UPDATE in which SQLite rewrites the envelope's times.
    await store.put("c", "k", TRICKY, ttl=60)
    before = await store.ttl("c", "k")
    assert await store.touch("c", "k", ttl) is True
    assert await store.get("c", "k") == TRICKY
    after = await store.ttl("c", "k")
    assert before is not None
    assert after is not None
    assert after.created_at == before.created_at
    assert after.ttl == ttl
    assert (after.expires_at is None) == (ttl is None)


async def test_touch_of_a_row_that_is_another_entrys_envelope_changes_nothing(
    store: DiskStore,
) -> None:
    await store.put("c", "k", {"v": 1}, ttl=60)
    await store.put("c", "other", {"v": 2}, ttl=60)
    # Corrupt "k": its row now holds the envelope of "other".
    cache = diskcache.Cache(store.directory)
    rows = dict(cache._sql("SELECT key, value FROM Cache").fetchall())
    (k_name,) = [name for name in rows if name.endswith(b"k")]
    (other_name,) = [name for name in rows if name.endswith(b"other")]
    cache._sql("UPDATE Cache SET value = ? WHERE key = ?", (rows[other_name], k_name))
    cache.close()
    with pytest.raises(DeserializationError):
        await store.touch("c", "k", 5)
    cache = diskcache.Cache(store.directory)
    assert cache._sql("SELECT value FROM Cache WHERE key = ?", (k_name,)).fetchall() == [
        (rows[other_name],)
    ]
    cache.close()


async def test_increment_keeps_the_counters_expiry(store: DiskStore) -> None:
    assert await store.increment("c", "n", ttl=0.3) == 1
    first = await store.ttl("c", "n")
    assert await store.increment("c", "n", 5, ttl=3600) == 6
    second = await store.ttl("c", "n")
    assert first is not None
    assert second is not None
    assert second.expires_at == first.expires_at
    await asyncio.sleep(0.4)
    assert await store.get("c", "n") is None
    assert await store.increment("c", "n") == 1


async def test_a_refused_increment_writes_nothing(store: DiskStore) -> None:
    await store.put("c", "text", {"name": "Ada"})
    with pytest.raises(InvalidValueError):
        await store.increment("c", "text")
    await store.put("c", "top", {"count": 2**63 - 1})
    with pytest.raises(InvalidValueError):
        await store.increment("c", "top")
    assert await store.get("c", "text") == {"name": "Ada"}
    assert await store.get("c", "top") == {"count": 2**63 - 1}
    # And the transaction was rolled back: another connection can write at once.
    with diskcache.Cache(store.directory, timeout=0.5) as other:
        other.set("plain", 1)


def _row_text(store: DiskStore, key: str) -> str:
    (text,) = [
        value
        for name, value in store.cache._sql("SELECT key, value FROM Cache").fetchall()
        if name.endswith(key.encode())
    ]
    assert isinstance(text, str)
    return text


@pytest.mark.parametrize("ttl", [None, 60.0])
async def test_increment_writes_the_envelope_the_transaction_would(
    store: DiskStore, ttl: float | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The common case is one UPDATE in which SQLite adds to the count in the stored text: the
    # text must be what the Python path writes (same fields, order and number forms).
    assert await store.increment("c", "n", 7, ttl=ttl) == 7
    before = json.loads(_row_text(store, "n"))
    seen = await store.get_versioned("c", "n")
    assert seen is not None

    def transaction(*args: object) -> None:
        raise AssertionError("a live inline counter took the transaction")

    monkeypatch.setattr(disk_atomic, "increment", transaction)
    count = 7
    for expected in (4, 2**62, 0, -(2**62), -(2**63)):
        count = await store.increment("c", "n", expected - count)
        assert count == expected
        text = _row_text(store, "n")
        document = json.loads(text)
        assert text == _envelope.rewrite(
            "c", "n", {"count": expected}, document["created_at"], ttl, before["expires_at"]
        )
        assert document["created_at"] > before["created_at"]
    monkeypatch.undo()
    # Every increment is a write: a version read before it no longer matches.
    assert not await store.put_versioned("c", "n", {"count": 0}, version=seen.version)
    with pytest.raises(InvalidValueError):
        await store.increment("c", "n", -1)
    assert await store.increment("c", "n", 1) == -(2**63) + 1


@pytest.mark.parametrize(
    "value",
    [{"count": 1, "other": 2}, {"count": 1.0}, {"count": True}, {"count": "1"}, {"count": 2**70}],
)
async def test_increment_of_what_is_not_a_counter_changes_nothing(
    store: DiskStore, value: dict[str, Any]
) -> None:
    await store.put("c", "k", value)
    text = _row_text(store, "k")
    with pytest.raises(InvalidValueError):
        await store.increment("c", "k")
    assert _row_text(store, "k") == text


async def test_increment_of_a_row_that_is_another_entrys_envelope_changes_nothing(
    store: DiskStore,
) -> None:
    await store.increment("c", "k", 1)
    await store.increment("c", "other", 2)
    store.cache._sql(
        "UPDATE Cache SET value = ? WHERE key = ?",
        (_row_text(store, "other"), store._head("c") + b"k"),
    )
    with pytest.raises(DeserializationError):
        await store.increment("c", "k")
    assert _row_text(store, "k") == _row_text(store, "other")


async def test_rows_written_by_atomic_operations_read_through_diskcache(store: DiskStore) -> None:
    await store.add("c", "a", {"v": 1}, ttl=60)
    await store.increment("c", "n", 3)
    await store.put_versioned("c", "p", {"v": 2}, version=None)
    rows = {key: store.cache.get(key, expire_time=True) for key in store.cache.iterkeys()}
    assert len(rows) == 3
    for text, expire_time in rows.values():
        assert isinstance(text, str)
        assert ('"expires_at":null' in text) == (expire_time is None)


async def test_threads_each_with_a_loop_race_add_and_increment(tmp_path: Path) -> None:
    store = DiskStore(tmp_path / "cache")
    results: list[bool] = []
    errors: list[BaseException] = []

    def worker() -> None:
        async def run() -> None:
            results.append(await store.add("race", "lease", {"owner": threading.get_ident()}))
            for _ in range(25):
                await store.increment("race", "count")

        try:
            asyncio.run(run())
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert sorted(results) == [False, False, False, True]
    assert await store.get("race", "count") == {"count": 100}
    await store.close()


async def _cancel_soon(coroutine: Coroutine[Any, Any, object], delay: float) -> object:
    task = asyncio.ensure_future(coroutine)
    await asyncio.sleep(delay)
    task.cancel()
    try:
        return await task
    except asyncio.CancelledError:
        return None


async def test_cancelled_calls_apply_whole_or_not_at_all(store: DiskStore) -> None:
    # A large put_many keeps the worker busy, so the atomic calls queue behind it in the
    # worker thread, where cancelling the caller cannot stop a started transaction.
    async def busy() -> None:
        await store.put_many("bulk", {f"k{n}": {"n": n} for n in range(5_000)})

    done = cancelled = 0
    for round_ in range(10):
        background = asyncio.ensure_future(busy())
        await asyncio.sleep(0)
        calls = [store.increment("c", "n") for _ in range(20)]
        tasks = [asyncio.ensure_future(call) for call in calls]
        await asyncio.sleep(0.0005 * round_)
        for task in tasks[::2]:
            task.cancel()
        outcomes = await asyncio.gather(*tasks, return_exceptions=True)
        done += sum(1 for outcome in outcomes if isinstance(outcome, int))
        cancelled += sum(1 for outcome in outcomes if isinstance(outcome, asyncio.CancelledError))
        await background
    assert cancelled > 0
    final = await store.get("c", "n")
    assert final is not None
    # Every call that returned counted; a cancelled one counted once or not at all.
    assert done <= final["count"] <= 200
    # take: the value is either taken (by the cancelled call, lost with it) or still there.
    await store.put("c", "token", BIG)
    background = asyncio.ensure_future(busy())
    await asyncio.sleep(0)
    await _cancel_soon(store.take("c", "token"), 0)
    await background
    remaining = await store.get("c", "token")
    assert remaining in (None, BIG)
    assert len(_value_files(store)) == (0 if remaining is None else 1)
    # Nothing is left locked, and the database is whole.
    await store.put("c", "after", {"ok": True})
    assert await store.get("c", "after") == {"ok": True}
    assert _integrity(store) == "ok"
