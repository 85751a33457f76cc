"""DiskStore: a persistent, multi-process key-value store on diskcache (SQLite)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
import threading
import time
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from os import getpid
from threading import get_ident
from typing import Any, TypeVar, cast

import diskcache

from kvstore.core import ATOMIC_OPERATIONS, BaseKVStore, DriverBoundary, Payload
from kvstore.core.errors import (
    ConfigurationError,
    DeserializationError,
    KVStoreError,
    SetupError,
    StoreConnectionError,
)

from . import _atomic
from . import _diskcache_internals as internals
from ._disk import NoPickleDisk
from ._diskcache_internals import MODE_BINARY, MODE_RAW, MODE_TEXT
from ._layout import (
    NAMESPACE,
    NAMESPACE_END,
    collection_from_prefix,
    collection_prefix,
    decode_key,
    encode_key,
)

_T = TypeVar("_T")
_Row = tuple[int, "str | None", object]
"""A row's diskcache mode, value file name (or None) and inline value."""

_DRIVER_ERRORS = (sqlite3.Error, OSError, diskcache.Timeout)
"""What diskcache and sqlite3 raise when a cache cannot be opened or closed."""

INLINE_READS = 128
"""get_many of at most this many distinct keys runs on the event loop; larger ones in a thread.

One indexed query reads them in about 2-3 us a key, while core decodes each envelope on the
loop anyway (about 4 us a key), so offloading a small read would add a thread hop (60 us on
an idle machine, milliseconds on a busy one) to save little loop time.
"""
INLINE_WRITES = 128
"""put_many and delete_many of at most this many keys run on the loop; larger ones in a thread.

A write costs about 8-11 us a key plus the commit, so 128 keys hold the loop for about 1.5 ms
at most, while the hop to the worker thread and back measured about 1 ms on the development
machine: a 100-key put_many took 2.7 ms through the worker and 1.6 ms inline (5.4-6.0x the
keys/s of single puts inline, 4.3-4.7x through the worker).
"""
SCAN_PAGE = 1_000
"""Keys fetched per query when listing a collection."""
_SQL_CHUNK = 500
"""Keys per ``IN (...)`` list: below SQLite's smallest bound-parameter limit (999)."""
_READ_ATTEMPTS = 3
"""Reads of a row whose value file vanished (a concurrent overwrite) before giving up."""
_PREFIX_CACHE = 1_024
"""Encoded collection prefixes remembered; the cache is emptied when it grows past this."""
_LIVE = "(expire_time IS NULL OR expire_time > ?)"
_SELECT_FOR_DELETE = "SELECT rowid, expire_time, filename FROM Cache WHERE key = ? AND raw = 1"
_SELECT_VERSIONED = "SELECT mode, filename, value, store_time FROM Cache WHERE key = ? AND raw = 1"
_SELECT_ONE = (
    f"SELECT rowid, mode, filename, value FROM Cache WHERE key = ? AND raw = 1 AND {_LIVE}"
)


class DiskStore(BaseKVStore):
    """A key-value store persisted in a directory by diskcache (SQLite in WAL mode).

    Entries survive process restarts, and several processes may use one directory at
    once. Values are stored as the envelope's JSON text; nothing is ever pickled or
    unpickled, whatever the cache file holds. Small single operations run on the event
    loop (faster than a thread hop); batches over many keys, large values, listing,
    clearing and culling run in a worker thread.

    Args:
        path: the cache directory, created if missing.
        size_limit: the most bytes the cache holds (SQLite pages plus value files);
            when a write takes it over, the least recently *written* entries are
            evicted. None (the default) never evicts a live entry.
        cache: an open ``diskcache.Cache`` to use instead of ``path``; the store
            leaves it open on close. Its Disk must be ``diskcache.Disk`` or
            ``NoPickleDisk`` (a Disk that changes how keys or values are stored would
            not read back the store's rows).
        timeout: seconds to wait for SQLite's write lock (held by another thread or
            process) before an operation fails with StoreConnectionError.

    Raises:
        ConfigurationError: neither or both of ``path`` and ``cache``, or a bad option.
        SetupError: the directory or its database cannot be created or opened.
    """

    atomic_operations = ATOMIC_OPERATIONS
    """All six (SPEC §11), each one SQLite transaction: atomic across threads and processes."""

    def __init__(
        self,
        path: str | os.PathLike[str] | None = None,
        *,
        size_limit: int | None = None,
        cache: diskcache.Cache | None = None,
        timeout: float = 60.0,
    ) -> None:
        if (path is None) == (cache is None):
            raise ConfigurationError("DiskStore needs exactly one of path=... or cache=...")
        if size_limit is not None and (type(size_limit) is not int or size_limit < 1):
            raise ConfigurationError(f"size_limit must be None or an int >= 1, got {size_limit!r}")
        if type(timeout) not in (int, float) or not 0 < timeout < float("inf"):
            raise ConfigurationError(
                f"timeout must be a positive number of seconds, got {timeout!r}"
            )
        if path is not None:
            directory = os.fspath(path) if isinstance(path, (str, os.PathLike)) else None
            if not isinstance(directory, str) or not directory:
                raise ConfigurationError(
                    f"path must be a non-empty str or os.PathLike[str], got {path!r}"
                )
            self._cache = _open_cache(directory, size_limit, timeout)
            self._owns_cache = True
        else:
            if not isinstance(cache, diskcache.Cache):
                raise ConfigurationError(
                    f"cache must be a diskcache.Cache, got {type(cache).__name__}"
                )
            if size_limit is not None:
                raise ConfigurationError(
                    "size_limit applies to a cache the store opens; set it on the cache instead"
                )
            _check_disk(cache.disk)
            self._cache = cache
            self._owns_cache = False
        self._size_limit = size_limit
        self._directory: str = self._cache.directory
        self._file_threshold: int = self._cache.disk.min_file_size
        self._touches = internals.touch_statement(self._cache) is not None
        self._boundary = DriverBoundary(
            f"DiskStore at {self._directory!r}", classify=self._classify
        )
        self._prefixes: dict[str, bytes] = {}
        self._executor: ThreadPoolExecutor | None = None
        self._offloaded = 0
        self._lock = threading.Lock()
        self._home = get_ident()
        self._pid = os.getpid()
        self._closed = False
        self._home_sql: internals.Sql | None = None
        self._home_sql_pid = 0

    @property
    def cache(self) -> diskcache.Cache:
        """The diskcache.Cache the store reads and writes."""
        return self._cache

    @property
    def directory(self) -> str:
        """The cache directory."""
        return self._directory

    # -- helpers ----------------------------------------------------------------------

    def _head(self, collection: str) -> bytes:
        """Return the bytes every diskcache key of ``collection`` starts with."""
        head = self._prefixes.get(collection)
        if head is None:
            if len(self._prefixes) >= _PREFIX_CACHE:
                self._prefixes.clear()
            head = self._prefixes[collection] = collection_prefix(collection) + b"\x00"
        return head

    def _home_query(self) -> internals.Sql:
        """``internals.query`` for the home thread, kept for the inline single reads.

        ``Cache._sql`` looks up the calling thread's connection and checks the process id on
        every call, a third of a microsecond of each inline ``get``. The inline reads keep
        the home thread's ``execute`` instead and take it again after a fork (the process id
        differs) or once it fails as closed (a handed-in cache closed by its owner; see
        :meth:`_stale_home_query`).
        """
        sql = self._home_sql
        if sql is None or self._home_sql_pid != getpid():
            sql = self._home_sql = internals.query(self._cache)
            self._home_sql_pid = getpid()
        return sql

    def _stale_home_query(self, exc: Exception, sql: internals.Sql) -> bool:
        """True if ``exc`` came from a kept ``execute`` whose connection was closed since (it
        is dropped, and the caller reads in the worker thread; the next inline read takes the
        home thread's connection anew, which diskcache reopens)."""
        if type(exc) is sqlite3.ProgrammingError and sql is self._home_sql:
            self._home_sql = None
            return True
        return False

    def _check_open(self) -> None:
        """Raise StoreConnectionError once the store is closed."""
        if self._closed:
            raise StoreConnectionError(f"{self!r} is closed")

    def _classify(self, exc: Exception, detail: str) -> tuple[type[KVStoreError], str]:
        """Describe a diskcache or SQLite failure (see DriverBoundary)."""
        if isinstance(exc, diskcache.Timeout):
            detail = f"the database stayed locked for more than {self._cache.timeout} s"
        return StoreConnectionError, detail

    def _write_inline(self) -> bool:
        """True if a write may run on the calling thread, now.

        Only the thread that opened the store runs operations inline: any other thread
        would open an SQLite connection of its own that the store cannot close. And while
        the worker runs a batch it holds SQLite's write lock, so a write queues behind it
        rather than wait for the lock on the event loop.
        """
        return not self._offloaded and get_ident() == self._home

    async def _offload(self, function: Callable[..., _T], *args: Any) -> _T:
        """Run ``function(*args)`` in the store's worker thread."""
        with self._lock:
            if self._closed:
                raise StoreConnectionError(f"{self!r} is closed")
            executor = self._executor
            if executor is None or self._pid != os.getpid():
                # One worker: SQLite serialises writers anyway, and one thread is one
                # connection the store can close again. In a forked child the parent's
                # worker thread does not exist: work sent to it would wait forever.
                executor = ThreadPoolExecutor(1, thread_name_prefix="kvstore-disk")
                self._executor = executor
                if self._pid != os.getpid():
                    self._pid = os.getpid()
                    self._offloaded = 0
            self._offloaded += 1
        try:
            return await asyncio.get_running_loop().run_in_executor(executor, function, *args)
        finally:
            with self._lock:
                self._offloaded -= 1

    def _payload(
        self, mode: int, filename: str | None, value: object, collection: str, key: str
    ) -> Payload | None:
        """Return the payload of a row; refuse any mode but raw, text and binary."""
        if filename is None:
            if mode == MODE_RAW and (type(value) is str or type(value) is bytes):
                return value
        elif mode in (MODE_TEXT, MODE_BINARY):
            path = os.path.join(self._directory, filename)
            with self._boundary("get", collection, key):
                try:
                    if mode == MODE_TEXT:
                        with open(path, encoding="utf-8") as reader:
                            return reader.read()
                    with open(path, "rb") as reader:
                        return reader.read()
                except FileNotFoundError:
                    # Overwritten or deleted by another writer since the row was read.
                    return None
                except UnicodeDecodeError as exc:
                    raise DeserializationError(
                        f"stored data for collection {collection!r} key {key!r} in "
                        f"{self._directory!r} is not UTF-8 text"
                    ) from exc
        raise DeserializationError(
            f"stored data for collection {collection!r} key {key!r} in {self._directory!r} "
            f"is not a kvstore payload (diskcache mode {mode}); pickled values are refused"
        )

    def _record_reads(self, rowids: list[int]) -> None:
        """Record a read for eviction policies that order by access (handed-in caches)."""
        update = internals.touch_statement(self._cache) or ""
        placeholders = ",".join("?" * len(rowids))
        internals.query(self._cache)(
            f"UPDATE Cache SET {update.format(now=time.time())} WHERE rowid IN ({placeholders})",
            rowids,
        )

    # -- reads ------------------------------------------------------------------------

    def _select_one(self, collection: str, key: str) -> _Row | None:
        """Return the live row of (collection, key), or None."""
        if self._closed:
            raise StoreConnectionError(f"{self!r} is closed")
        with self._boundary("get", collection, key):
            rows = internals.query(self._cache)(
                _SELECT_ONE, (self._head(collection) + encode_key(key), time.time())
            ).fetchall()
            if not rows:
                return None
            ((rowid, mode, filename, value),) = rows
            if self._touches:
                self._record_reads([rowid])
        return mode, filename, value

    def _read_one(self, collection: str, key: str) -> Payload | None:
        """Return the payload of (collection, key), or None (in the worker thread)."""
        for _ in range(_READ_ATTEMPTS):
            row = self._select_one(collection, key)
            if row is None:
                return None
            payload = self._payload(*row, collection, key)
            if payload is not None:
                return payload
        raise self._missing_file(collection, key)

    def _missing_file(self, collection: str, key: str) -> DeserializationError:
        """Return the error for a row whose value file stays missing on every attempt."""
        return DeserializationError(
            f"stored data for collection {collection!r} key {key!r} in {self._directory!r} "
            "points to a value file that does not exist"
        )

    async def _read(self, collection: str, key: str) -> Payload | None:
        # The hot path: _select_one and the common case of _payload, written out in place.
        # Reads run inline even while the worker writes: in WAL mode they never wait for
        # the write lock.
        if self._closed or get_ident() != self._home:
            return await self._offload(self._read_one, collection, key)
        head = self._prefixes.get(collection) or self._head(collection)
        sql = self._home_query()
        # The boundary's translate, not its with block: free until something fails (the
        # block costs about a tenth of an inline read).
        try:
            rows = sql(
                _SELECT_ONE, (head + key.encode("utf-8", "surrogatepass"), time.time())
            ).fetchall()
            if not rows:
                return None
            ((rowid, mode, filename, value),) = rows
            if self._touches:
                self._record_reads([rowid])
        except Exception as exc:
            if self._stale_home_query(exc, sql):
                return await self._offload(self._read_one, collection, key)
            raise self._boundary.translate(exc, "get", collection, key) from exc
        if filename is None:
            if mode == MODE_RAW and type(value) is str:
                return value
            return self._payload(mode, filename, value, collection, key)
        # A value kept in its own file: read it off the loop.
        return await self._offload(self._read_one, collection, key)

    def _select(self, collection: str, keys: list[str]) -> dict[str, _Row]:
        """Return the live rows of distinct ``keys``, in a few queries."""
        if self._closed:
            raise StoreConnectionError(f"{self!r} is closed")
        head = self._head(collection)
        found: dict[str, _Row] = {}
        with self._boundary("get_many", collection, keys):
            sql = internals.query(self._cache)
            for start in range(0, len(keys), _SQL_CHUNK):
                chunk = keys[start : start + _SQL_CHUNK]
                db_keys = [head + encode_key(key) for key in chunk]
                by_db_key = dict(zip(db_keys, chunk, strict=True))
                rows = sql(
                    "SELECT rowid, key, mode, filename, value FROM Cache"
                    f" WHERE key IN ({','.join('?' * len(chunk))}) AND raw = 1 AND {_LIVE}",
                    (*db_keys, time.time()),
                ).fetchall()
                for _, db_key, mode, filename, value in rows:
                    found[by_db_key[db_key]] = (mode, filename, value)
                if rows and self._touches:
                    self._record_reads([row[0] for row in rows])
        return found

    def _resolve(self, collection: str, rows: dict[str, _Row]) -> dict[str, Payload | None]:
        """Return the payload of each row (reading value files)."""
        return {
            key: self._payload(mode, filename, value, collection, key)
            for key, (mode, filename, value) in rows.items()
        }

    def _read_rows(self, collection: str, keys: list[str]) -> dict[str, Payload | None]:
        """Return the payloads of distinct ``keys`` that have a live row."""
        return self._resolve(collection, self._select(collection, keys))

    async def _read_many(self, collection: str, keys: list[str]) -> list[Payload | None]:
        unique = list(dict.fromkeys(keys))
        found: dict[str, Payload | None] = {}
        for _ in range(_READ_ATTEMPTS):
            if len(unique) <= INLINE_READS and get_ident() == self._home:
                rows = self._select(collection, unique)
                if any(filename is not None for _, filename, _ in rows.values()):
                    found.update(await self._offload(self._resolve, collection, rows))
                else:
                    found.update(self._resolve(collection, rows))
            else:
                found.update(await self._offload(self._read_rows, collection, unique))
            # None: a value file was removed by a concurrent overwrite; read those again.
            unique = [key for key in unique if key in found and found[key] is None]
            if not unique:
                return [found.get(key) for key in keys]
            for key in unique:
                del found[key]
        raise self._missing_file(collection, unique[0])

    # -- writes -----------------------------------------------------------------------

    def _set(self, collection: str, key: str, payload: str, ttl: float | None) -> None:
        """Write one row in its own transaction."""
        self._check_open()
        with self._boundary("put", collection, key):
            self._cache.set(self._head(collection) + encode_key(key), payload, expire=ttl)

    async def _write(self, collection: str, key: str, payload: str, ttl: float | None) -> None:
        if (
            self._closed
            or self._offloaded
            or len(payload) >= self._file_threshold
            or get_ident() != self._home
        ):
            # Closed (the worker path raises), a batch in the worker holds SQLite's write
            # lock (waiting for it here would block the loop), the value goes to its own
            # file, or another thread (see _write_inline).
            await self._offload(self._set, collection, key, payload, ttl)
            return
        head = self._prefixes.get(collection) or self._head(collection)
        try:  # as in _read
            self._cache.set(head + key.encode("utf-8", "surrogatepass"), payload, expire=ttl)
        except Exception as exc:
            raise self._boundary.translate(exc, "put", collection, key) from exc

    def _set_many(self, collection: str, entries: list[tuple[str, str]], ttl: float | None) -> None:
        """Write every (key, payload) pair in one transaction, as ``Cache.set`` would one."""
        self._check_open()
        head = self._head(collection)
        cache = self._cache
        now = time.time()
        expire_time = None if ttl is None else now + ttl
        rows: list[tuple[Any, ...]] = []
        new_files: list[str] = []
        threshold = self._file_threshold
        try:
            with self._boundary("put_many", collection, [key for key, _ in entries]):
                for name, payload in entries:
                    db_key = head + name.encode("utf-8", "surrogatepass")
                    if len(payload) < threshold:
                        # What Disk.store returns for such a str, without the call.
                        rows.append((db_key, now, expire_time, now, 0, MODE_RAW, None, payload))
                        continue
                    size, mode, filename, value = cache.disk.store(payload, False, key=db_key)
                    if filename is not None:
                        new_files.append(filename)
                    rows.append((db_key, now, expire_time, now, size, mode, filename, value))
                with internals.transaction(cache) as (sql, cleanup):
                    # Rows whose old value lives in a file are left alone here (the upsert's
                    # WHERE), so the common batch needs no query for old file names.
                    written = internals.connection(cache).executemany(
                        internals.UPSERT_UNLESS_FILE, rows
                    )
                    if written.rowcount != len(rows):
                        self._replace_file_rows(sql, cleanup, rows)
                    # What diskcache's set does after each row: drop expired rows, then evict
                    # by policy past the size limit, up to cull_limit rows per row written.
                    internals.cull(cache, now, sql, cleanup, cache.cull_limit * len(rows))
            new_files.clear()
        finally:
            for filename in new_files:
                cache.disk.remove(filename)

    def _replace_file_rows(
        self, sql: internals.Sql, cleanup: internals.Cleanup, rows: list[Any]
    ) -> None:
        """Overwrite the rows of a batch whose old value is in a file, and drop those files."""
        by_key = {row[0]: row for row in rows}
        keys = list(by_key)
        for start in range(0, len(keys), _SQL_CHUNK):
            chunk = keys[start : start + _SQL_CHUNK]
            old = sql(
                f"SELECT key, filename FROM Cache WHERE key IN ({','.join('?' * len(chunk))})"
                " AND raw = 1 AND filename IS NOT NULL",
                chunk,
            ).fetchall()
            for _, filename in old:
                cleanup(filename)
            internals.connection(self._cache).executemany(
                internals.UPSERT, [by_key[db_key] for db_key, _ in old]
            )

    async def _write_many(
        self, collection: str, entries: list[tuple[str, str]], ttl: float | None
    ) -> None:
        if len(entries) > INLINE_WRITES or not self._write_inline():
            await self._offload(self._set_many, collection, entries, ttl)
        else:
            self._set_many(collection, entries, ttl)

    def _delete(self, operation: str, collection: str, keys: list[str]) -> int:
        """Delete distinct keys (expired rows too) in one transaction; return how many were live.

        ``operation`` is ``"delete"`` (one key) or ``"delete_many"``, for error messages.
        """
        self._check_open()
        head = self._head(collection)
        removed = 0
        named = keys[0] if operation == "delete" else keys
        with (
            self._boundary(operation, collection, named),
            internals.transaction(self._cache) as (sql, cleanup),
        ):
            now = time.time()
            for start in range(0, len(keys), _SQL_CHUNK):
                db_keys = [head + encode_key(name) for name in keys[start : start + _SQL_CHUNK]]
                if len(db_keys) == 1:
                    # One key (delete): plain statements, as Cache.delete runs them.
                    rows = sql(_SELECT_FOR_DELETE, db_keys).fetchall()
                    if rows:
                        sql("DELETE FROM Cache WHERE rowid = ?", (rows[0][0],))
                else:
                    rows = sql(
                        "SELECT rowid, expire_time, filename FROM Cache"
                        f" WHERE key IN ({','.join('?' * len(db_keys))}) AND raw = 1",
                        db_keys,
                    ).fetchall()
                    internals.connection(self._cache).executemany(
                        "DELETE FROM Cache WHERE rowid = ?", [(row[0],) for row in rows]
                    )
                for _, expire_time, filename in rows:
                    removed += expire_time is None or expire_time > now
                    cleanup(filename)
        return removed

    async def _remove(self, collection: str, key: str) -> bool:
        if not self._write_inline():
            return await self._offload(self._delete, "delete", collection, [key]) > 0
        return self._delete("delete", collection, [key]) > 0

    async def _remove_many(self, collection: str, keys: list[str]) -> int:
        if len(keys) > INLINE_WRITES or not self._write_inline():
            return await self._offload(self._delete, "delete_many", collection, keys)
        return self._delete("delete_many", collection, keys)

    # -- atomic operations: one SQLite transaction each (see _atomic) ----------------------

    def _load(self, collection: str, key: str) -> Callable[[_atomic.Row], _atomic.Text]:
        """Return the function reading a row's payload (a missing value file is an error)."""

        def load(row: _atomic.Row) -> _atomic.Text:
            payload = self._payload(row.mode, row.filename, row.value, collection, key)
            if payload is None:
                raise self._missing_file(collection, key)
            return cast("_atomic.Text", payload)

        return load

    def _transact(
        self,
        operation: str,
        collection: str,
        key: str,
        files: bool,
        payload: str | None,
        work: Callable[..., _T],
        *args: Any,
    ) -> _T:
        """Run one atomic operation's transaction: ``work(cache, db_key, load, *args)``.

        ``files`` False is the event loop's inline path, where ``work`` returns OFFLOAD
        rather than read a value file. With a ``payload`` to write, its stored columns come
        first in ``args`` (a value file is written before the transaction, as diskcache
        does, and removed again unless ``work`` returns True).
        """
        self._check_open()
        cache = self._cache
        db_key = self._head(collection) + encode_key(key)
        load = _atomic.loader(self._load(collection, key), files)
        with self._boundary(operation, collection, key):
            if payload is None:
                return work(cache, db_key, load, *args)
            stored = _atomic.columns(cache, db_key, payload)
            result: Any = None
            try:
                result = work(cache, db_key, load, stored, *args)
            finally:
                if result is not True:
                    _atomic.discard(cache, stored)
            return result  # type: ignore[no-any-return]

    async def _atomically(
        self,
        operation: str,
        collection: str,
        key: str,
        payload: str | None,
        work: Callable[..., _T],
        *args: Any,
    ) -> _T:
        """Run a transaction inline when the loop may write (see _write), else, or when a
        value file is involved, in the worker thread."""
        if (
            not self._closed
            and self._write_inline()
            and (payload is None or len(payload) < self._file_threshold)
        ):
            result = self._transact(operation, collection, key, False, payload, work, *args)
            if result is not _atomic.OFFLOAD:
                return result
        return await self._offload(
            self._transact, operation, collection, key, True, payload, work, *args
        )

    async def _add(self, collection: str, key: str, payload: str, ttl: float | None) -> bool:
        return await self._atomically(
            "add", collection, key, payload, _atomic.add, collection, key, ttl
        )

    async def _take(self, collection: str, key: str) -> Payload | None:
        return await self._atomically("take", collection, key, None, _atomic.take, collection, key)

    async def _touch(self, collection: str, key: str, ttl: float | None) -> bool:
        # The common case (inline text row, the loop free to write) without _atomically's
        # layers, the boundary's translate instead of its with block, as in _read.
        if not self._closed and self._write_inline():
            head = self._prefixes.get(collection) or self._head(collection)
            db_key = head + key.encode("utf-8", "surrogatepass")
            try:
                if _atomic.touch_in_place(self._cache, db_key, collection, key, ttl):
                    return True
                touched = _atomic.touch_inline(self._cache, db_key, collection, key, ttl)
            except Exception as exc:
                raise self._boundary.translate(exc, "touch", collection, key) from exc
            if touched is not _atomic.OFFLOAD:
                return touched
        return await self._atomically(
            "touch", collection, key, None, _atomic.touch, collection, key, ttl
        )

    async def _put_versioned(
        self, collection: str, key: str, payload: str, ttl: float | None, version: str | None
    ) -> bool:
        return await self._atomically(
            "put_versioned",
            collection,
            key,
            payload,
            _atomic.put_versioned,
            collection,
            key,
            ttl,
            version,
        )

    async def _increment(self, collection: str, key: str, amount: int, ttl: float | None) -> int:
        # A live inline counter in one UPDATE, as in _touch; anything else in the transaction.
        if not self._closed and self._write_inline():
            head = self._prefixes.get(collection) or self._head(collection)
            db_key = head + key.encode("utf-8", "surrogatepass")
            try:
                count = _atomic.increment_in_place(self._cache, db_key, collection, key, amount)
            except Exception as exc:
                raise self._boundary.translate(exc, "increment", collection, key) from exc
            if count is not None:
                return count
        return await self._atomically(
            "increment", collection, key, None, _atomic.increment, collection, key, amount, ttl
        )

    def _select_versioned(self, collection: str, key: str) -> tuple[Payload, str] | None:
        """Return the stored payload (expired or not) and its version (in the worker thread)."""
        self._check_open()
        db_key = self._head(collection) + encode_key(key)
        for _ in range(_READ_ATTEMPTS):
            with self._boundary("get_versioned", collection, key):
                row = _atomic.select(internals.query(self._cache), db_key)
            if row is None:
                return None
            payload = self._payload(row.mode, row.filename, row.value, collection, key)
            if payload is not None:
                return payload, _atomic.token_of(cast("_atomic.Text", payload), row)
        raise self._missing_file(collection, key)

    async def _read_versioned(self, collection: str, key: str) -> tuple[Payload, str] | None:
        # A single SELECT, inline as in _read (reads never wait for the write lock); the
        # common case written out, the boundary's translate instead of its with block.
        if self._closed or get_ident() != self._home:
            return await self._offload(self._select_versioned, collection, key)
        head = self._prefixes.get(collection) or self._head(collection)
        sql = self._home_query()
        try:
            rows = sql(_SELECT_VERSIONED, (head + key.encode("utf-8", "surrogatepass"),)).fetchall()
        except Exception as exc:
            if self._stale_home_query(exc, sql):
                return await self._offload(self._select_versioned, collection, key)
            raise self._boundary.translate(exc, "get_versioned", collection, key) from exc
        if not rows:
            return None
        ((mode, filename, value, store_time),) = rows
        if filename is None and mode == MODE_RAW and type(value) is str:
            return value, _atomic.token_of(value, (store_time,))
        return await self._offload(self._select_versioned, collection, key)

    async def _write_versioned(
        self, collection: str, key: str, payload: str, ttl: float | None, version: str | None
    ) -> bool:
        return await self._atomically(
            "atomic write", collection, key, payload, _atomic.write_versioned, ttl, version
        )

    async def _remove_versioned(self, collection: str, key: str, version: str) -> bool:
        return await self._atomically(
            "atomic delete", collection, key, None, _atomic.remove_versioned, version
        )

    # -- management -------------------------------------------------------------------

    def _scan_page(self, collection: str, after: bytes, end: bytes) -> list[bytes]:
        """Return up to SCAN_PAGE live diskcache keys in (after, end), in key order."""
        self._check_open()
        with self._boundary("keys", collection):
            rows = internals.query(self._cache)(
                f"SELECT key FROM Cache WHERE key > ? AND key < ? AND raw = 1 AND {_LIVE}"
                " ORDER BY key LIMIT ?",
                (after, end, time.time(), SCAN_PAGE),
            ).fetchall()
        return [row[0] for row in rows]

    async def _scan(self, collection: str) -> AsyncIterator[list[str]]:
        head = self._head(collection)
        end = head[:-1] + b"\x01"
        after = head
        skip = len(head)
        while True:
            page = await self._offload(self._scan_page, collection, after, end)
            if page:
                yield [decode_key(db_key[skip:]) for db_key in page]
            if len(page) < SCAN_PAGE:
                return
            after = page[-1]

    def _list_collections(self) -> list[str]:
        """Return every collection with a live row, one index seek per collection."""
        names: list[str] = []
        start = NAMESPACE
        self._check_open()
        with self._boundary("list_collections"):
            sql = internals.query(self._cache)
            while True:
                row = sql(
                    "SELECT key FROM Cache WHERE key >= ? AND key < ? AND raw = 1"
                    " ORDER BY key LIMIT 1",
                    (start, NAMESPACE_END),
                ).fetchone()
                if row is None:
                    return names
                (db_key,) = row
                separator = db_key.find(b"\x00", len(NAMESPACE))
                if separator < 0:
                    # Not a row of this layout (someone else's bytes key): step over it.
                    start = db_key + b"\x00"
                    continue
                prefix = db_key[:separator]
                live = sql(
                    f"SELECT 1 FROM Cache WHERE key > ? AND key < ? AND raw = 1 AND {_LIVE}"
                    " LIMIT 1",
                    (prefix + b"\x00", prefix + b"\x01", time.time()),
                ).fetchone()
                if live is not None:
                    names.append(collection_from_prefix(prefix))
                start = prefix + b"\x01"

    async def _collections(self) -> list[str]:
        return await self._offload(self._list_collections)

    def _clear_rows(self, collection: str) -> int:
        """Delete every row of one collection in one transaction; return how many were live."""
        self._check_open()
        head = self._head(collection)
        bounds = (head, head[:-1] + b"\x01")
        where = "key > ? AND key < ? AND raw = 1"
        with (
            self._boundary("clear_collection", collection),
            internals.transaction(self._cache) as (sql, cleanup),
        ):
            (live,) = sql(
                f"SELECT COUNT(*) FROM Cache WHERE {where} AND {_LIVE}", (*bounds, time.time())
            ).fetchone()
            for (filename,) in sql(
                f"SELECT filename FROM Cache WHERE {where} AND filename IS NOT NULL", bounds
            ).fetchall():
                cleanup(filename)
            sql(f"DELETE FROM Cache WHERE {where}", bounds)
        return int(live)

    async def _clear(self, collection: str) -> int:
        return await self._offload(self._clear_rows, collection)

    def _cull_rows(self) -> None:
        """Remove expired rows, then evict down to the size limit."""
        self._check_open()
        cache = self._cache
        now = time.time()
        with self._boundary("cull"):
            # Not Cache.expire(): it pages on expire_time and skips rows sharing one, as
            # every row of a batch written with a TTL does.
            while True:
                with internals.transaction(cache) as (sql, cleanup):
                    rows = sql(
                        "SELECT rowid, filename FROM Cache"
                        " WHERE expire_time IS NOT NULL AND expire_time <= ?"
                        " ORDER BY expire_time LIMIT ?",
                        (now, SCAN_PAGE),
                    ).fetchall()
                    internals.connection(cache).executemany(
                        "DELETE FROM Cache WHERE rowid = ?", [(row[0],) for row in rows]
                    )
                    for _, filename in rows:
                        cleanup(filename)
                if len(rows) < SCAN_PAGE:
                    break
            cache.cull()

    async def _cull(self) -> None:
        await self._offload(self._cull_rows)

    # -- lifecycle --------------------------------------------------------------------

    async def _close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            executor, self._executor = self._executor, None
        if executor is not None:
            # The worker's SQLite connection is the store's own, even in a handed-in cache.
            await asyncio.get_running_loop().run_in_executor(executor, self._cache.close)
            executor.shutdown(wait=True)
        if self._owns_cache:
            # This thread's connection; SQLite lets no other thread close it.
            self._cache.close()

    def __repr__(self) -> str:
        return f"DiskStore(path={self._directory!r}, size_limit={self._size_limit!r})"


def _open_cache(path: str, size_limit: int | None, timeout: float) -> diskcache.Cache:
    """Open (creating if needed) the cache directory at ``path``."""
    settings: dict[str, Any] = (
        {"eviction_policy": "none"}
        if size_limit is None
        else {"eviction_policy": "least-recently-stored", "size_limit": size_limit}
    )
    cache = diskcache.Cache.__new__(diskcache.Cache)
    try:
        cache.__init__(path, timeout=timeout, disk=NoPickleDisk, **settings)
    except Exception as exc:
        # __init__ may have opened a connection before failing: close it, not leak it.
        with contextlib.suppress(*_DRIVER_ERRORS, AttributeError):
            cache.close()
        raise SetupError(
            f"DiskStore cannot open a cache directory at {path!r}: {type(exc).__name__}: {exc}"
        ) from exc
    return cache


def _check_disk(disk: diskcache.Disk) -> None:
    """Raise ConfigurationError unless ``disk`` stores str and bytes as diskcache.Disk does."""
    kind = type(disk)
    if isinstance(disk, NoPickleDisk) or (
        kind.put is diskcache.Disk.put and kind.store is diskcache.Disk.store
    ):
        return
    raise ConfigurationError(
        f"DiskStore needs a cache whose Disk is diskcache.Disk or NoPickleDisk, got {kind.__name__}"
    )


__all__ = ["DiskStore"]
