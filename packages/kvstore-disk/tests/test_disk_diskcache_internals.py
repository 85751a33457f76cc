"""Pins each private diskcache behaviour DiskStore relies on (see _diskcache_internals).

These tests talk to diskcache directly, not through DiskStore: when a diskcache release
changes one of these internals, the test naming it fails.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import diskcache
import pytest

from kvstore.disk import _diskcache_internals as internals
from kvstore.disk._disk import NoPickleDisk


@pytest.fixture
def cache(tmp_path: Path) -> Iterator[diskcache.Cache]:
    opened = diskcache.Cache(tmp_path, eviction_policy="none", disk=NoPickleDisk)
    yield opened
    opened.close()


def _row(key: bytes, value: str, expire_time: float | None = None) -> tuple[object, ...]:
    """An UPSERT row for an inline raw value: key, times, size, mode, filename, value."""
    now = time.time()
    return (key, now, expire_time, now, 0, internals.MODE_RAW, None, value)


def test_query_runs_on_the_connection_of_the_calling_thread(cache: diskcache.Cache) -> None:
    cache.set(b"k", "v")
    sql = internals.query(cache)
    cursor = sql("SELECT value FROM Cache WHERE key = ? AND raw = 1", (b"k",))
    assert isinstance(cursor, sqlite3.Cursor)
    assert cursor.fetchall() == [("v",)]
    assert sql.__self__ is internals.connection(cache)  # type: ignore[attr-defined]
    elsewhere: list[sqlite3.Connection] = []
    thread = threading.Thread(target=lambda: elsewhere.append(internals.connection(cache)))
    thread.start()
    thread.join()
    assert elsewhere[0] is not internals.connection(cache)


def test_the_connection_autocommits_outside_a_transaction(
    cache: diskcache.Cache, tmp_path: Path
) -> None:
    internals.connection(cache).executemany(internals.UPSERT, [_row(b"k", "v")])
    other = sqlite3.connect(tmp_path / "cache.db")
    assert other.execute("SELECT value FROM Cache WHERE key = ?", (b"k",)).fetchall() == [("v",)]
    other.close()


def test_the_table_has_the_columns_and_unique_key_the_upserts_write(
    cache: diskcache.Cache,
) -> None:
    columns = [row[1] for row in internals.query(cache)("PRAGMA table_info(Cache)")]
    assert set(columns) >= {
        "key",
        "raw",
        "store_time",
        "expire_time",
        "access_time",
        "access_count",
        "tag",
        "size",
        "mode",
        "filename",
        "value",
    }
    connection = internals.connection(cache)
    connection.executemany(internals.UPSERT, [_row(b"k", "old"), _row(b"k", "new")])
    assert len(cache) == 1  # ON CONFLICT(key, raw): one row, counted by diskcache's triggers
    assert cache.get(b"k") == "new"


def test_rows_written_by_upsert_read_back_through_the_public_api(
    cache: diskcache.Cache,
) -> None:
    expire = time.time() + 60
    internals.connection(cache).executemany(internals.UPSERT, [_row(b"k", "v", expire)])
    value, expire_time = cache.get(b"k", expire_time=True)
    assert value == "v" and expire_time == pytest.approx(expire)
    internals.connection(cache).executemany(internals.UPSERT, [_row(b"gone", "v", time.time())])
    assert cache.get(b"gone") is None


def test_upsert_unless_file_leaves_a_row_whose_value_is_in_a_file(
    cache: diskcache.Cache,
) -> None:
    large = "x" * (cache.disk.min_file_size + 1)
    cache.set(b"k", large)
    written = internals.connection(cache).executemany(
        internals.UPSERT_UNLESS_FILE, [_row(b"k", "small")]
    )
    assert written.rowcount == 0
    assert cache.get(b"k") == large


def test_transaction_commits_and_then_removes_the_files_handed_to_cleanup(
    cache: diskcache.Cache, tmp_path: Path
) -> None:
    large = "x" * (cache.disk.min_file_size + 1)
    cache.set(b"k", large)
    ((filename,),) = internals.query(cache)("SELECT filename FROM Cache").fetchall()
    path = tmp_path / filename
    with internals.transaction(cache) as (sql, cleanup):
        sql("DELETE FROM Cache WHERE key = ?", (b"k",))
        cleanup(filename)
        cleanup(None)
        assert path.exists()  # not before the commit
    assert not path.exists()
    assert cache.get(b"k") is None


def test_transaction_rolls_back_and_keeps_files_on_an_exception(
    cache: diskcache.Cache, tmp_path: Path
) -> None:
    large = "x" * (cache.disk.min_file_size + 1)
    cache.set(b"k", large)
    ((filename,),) = internals.query(cache)("SELECT filename FROM Cache").fetchall()

    def delete_then_fail() -> None:
        with internals.transaction(cache) as (sql, cleanup):
            sql("DELETE FROM Cache WHERE key = ?", (b"k",))
            cleanup(filename)
            raise ZeroDivisionError

    with pytest.raises(ZeroDivisionError):
        delete_then_fail()
    assert (tmp_path / filename).exists()
    assert cache.get(b"k") == large


def test_transaction_raises_timeout_while_another_connection_holds_the_write_lock(
    tmp_path: Path,
) -> None:
    cache = diskcache.Cache(tmp_path, timeout=0.05)
    locker = sqlite3.connect(tmp_path / "cache.db", isolation_level=None)
    locker.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(diskcache.Timeout), internals.transaction(cache):
            pass
    finally:
        locker.execute("ROLLBACK")
        locker.close()
        cache.close()


def test_cull_removes_expired_rows_up_to_the_limit(cache: diskcache.Cache) -> None:
    past = time.time() - 1
    rows = [_row(f"old{n}".encode(), "v", past) for n in range(5)] + [_row(b"live", "v")]
    internals.connection(cache).executemany(internals.UPSERT, rows)
    with internals.transaction(cache) as (sql, cleanup):
        internals.cull(cache, time.time(), sql, cleanup, 3)
    assert len(cache) == 3
    with internals.transaction(cache) as (sql, cleanup):
        internals.cull(cache, time.time(), sql, cleanup, 10)
    assert len(cache) == 1 and cache.get(b"live") == "v"


def test_cull_evicts_the_least_recently_stored_past_the_size_limit(tmp_path: Path) -> None:
    cache = diskcache.Cache(
        tmp_path, eviction_policy="least-recently-stored", size_limit=1, cull_limit=0
    )
    for n in range(5):
        cache.set(f"k{n}".encode(), "v" * 1000)
    assert len(cache) == 5  # cull_limit=0: set itself never culls
    with internals.transaction(cache) as (sql, cleanup):
        internals.cull(cache, time.time(), sql, cleanup, 2)
    assert cache.get(b"k0") is None and cache.get(b"k1") is None
    assert cache.get(b"k4") == "v" * 1000
    cache.close()


@pytest.mark.parametrize(
    ("policy", "touches"),
    [
        ("none", False),
        ("least-recently-stored", False),
        ("least-recently-used", True),
        ("least-frequently-used", True),
    ],
)
def test_touch_statement_is_the_set_clause_of_policies_that_order_by_reads(
    tmp_path: Path, policy: str, touches: bool
) -> None:
    cache = diskcache.Cache(tmp_path, eviction_policy=policy)
    statement = internals.touch_statement(cache)
    assert (statement is not None) == touches
    if statement is not None:
        cache.set(b"k", "v")
        before = internals.query(cache)("SELECT access_time, access_count FROM Cache").fetchone()
        time.sleep(0.01)
        internals.query(cache)(
            f"UPDATE Cache SET {statement.format(now=time.time())} WHERE key = ?", (b"k",)
        )
        after = internals.query(cache)("SELECT access_time, access_count FROM Cache").fetchone()
        assert after != before
    cache.close()


def test_disk_store_returns_size_mode_filename_value(cache: diskcache.Cache) -> None:
    small = cache.disk.store("small", False, key=b"k")
    assert small == (0, internals.MODE_RAW, None, "small")
    large = "x" * (cache.disk.min_file_size + 1)
    size, mode, filename, value = cache.disk.store(large, False, key=b"k")
    assert (mode, value) == (internals.MODE_TEXT, None) and size > 0
    assert os.path.exists(os.path.join(cache.directory, filename))
    assert isinstance(cache.cull_limit, int)
