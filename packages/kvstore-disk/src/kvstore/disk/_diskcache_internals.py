"""Every private part of diskcache that DiskStore relies on, in one place.

diskcache's public API writes one row per call and has no batch read; DiskStore's batches,
prefix scans and inline reads use the Cache's own SQLite connection, transactions and
culling instead. Each function here names one such internal, and
``tests/test_disk_diskcache_internals.py`` pins the behaviour relied on, so a diskcache
release that changes one fails there, not in users' hands.
"""

from __future__ import annotations

import operator
import sqlite3
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import diskcache
from diskcache.core import EVICTION_POLICY, MODE_BINARY, MODE_RAW, MODE_TEXT

Sql = Callable[..., sqlite3.Cursor]
"""Runs one statement on the Cache's connection for the calling thread."""
Cleanup = Callable[[Any], None]
"""Removes a value file (a name, or None for none) once the transaction has committed."""

UPSERT = (
    "INSERT INTO Cache(key, raw, store_time, expire_time, access_time, access_count, tag,"
    " size, mode, filename, value) VALUES (?, 1, ?, ?, ?, 0, NULL, ?, ?, ?, ?)"
    " ON CONFLICT(key, raw) DO UPDATE SET store_time = excluded.store_time,"
    " expire_time = excluded.expire_time, access_time = excluded.access_time,"
    " access_count = 0, tag = NULL, size = excluded.size, mode = excluded.mode,"
    " filename = excluded.filename, value = excluded.value"
)
"""Writes one row of the Cache table the way ``Cache.set`` does (same columns, same reset);
parameters: key, store time, expire time, access time, size, mode, filename, value."""
UPSERT_UNLESS_FILE = f"{UPSERT} WHERE Cache.filename IS NULL"
"""The same, except over a row whose old value is in a file (its name is needed first)."""


query: Callable[[diskcache.Cache], Sql] = operator.attrgetter("_sql")
"""``Cache._sql``: execute on the calling thread's connection (autocommit outside a
transaction). An attrgetter rather than a function: every inline get calls it."""


def connection(cache: diskcache.Cache) -> sqlite3.Connection:
    """``Cache._con``: the calling thread's connection, the one ``query`` uses."""
    con: sqlite3.Connection = cache._con
    return con


def transaction(cache: diskcache.Cache) -> AbstractContextManager[tuple[Sql, Cleanup]]:
    """``Cache._transact()``: ``BEGIN IMMEDIATE`` (``diskcache.Timeout`` if the write lock
    stays taken), yielding (sql, cleanup); commits and then removes the files handed to
    cleanup, or rolls back on an exception."""
    transact: AbstractContextManager[tuple[Sql, Cleanup]] = cache._transact()
    return transact


def cull(cache: diskcache.Cache, now: float, sql: Sql, cleanup: Cleanup, limit: int) -> None:
    """``Cache._cull``: within a transaction, delete up to ``limit`` expired rows, then evict
    by the cache's policy while it is over its size limit."""
    cache._cull(now, sql, cleanup, limit)


def touch_statement(cache: diskcache.Cache) -> str | None:
    """The ``SET`` clause a read runs under the cache's eviction policy (``{now}`` to fill
    in), or None for policies that ignore reads."""
    statement: str | None = EVICTION_POLICY[cache.eviction_policy]["get"]
    return statement


__all__ = [
    "MODE_BINARY",
    "MODE_RAW",
    "MODE_TEXT",
    "UPSERT",
    "UPSERT_UNLESS_FILE",
    "Cleanup",
    "Sql",
    "connection",
    "cull",
    "query",
    "touch_statement",
    "transaction",
]
