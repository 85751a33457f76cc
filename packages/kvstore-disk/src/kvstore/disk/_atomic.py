"""DiskStore's atomic operations: each one SQLite transaction on diskcache's Cache table.

Every function here runs on the calling thread inside ``BEGIN IMMEDIATE`` (diskcache's own
transaction, so it holds SQLite's write lock from the first read to the commit): the row is
read, the decision made and the row written or deleted before any other thread or process
can write it. That makes each call atomic across threads and across processes sharing the
directory.

An entry is live while both its row's ``expire_time`` and its envelope's ``expires_at``
are in the future (the row's is set when the row is written, a little after the
envelope's). A version token (:func:`token_of`) is the SHA-1 of the stored envelope text
(:func:`kvstore.core._envelope.version_of`) with the row's ``store_time``: the same token
every process computes, and a new one on every write, since every write sets the row's
``store_time`` (the text alone repeats when a counter counts up and back down).

A function that would have to read a value file while ``files`` is False (the event
loop's inline path) returns :data:`OFFLOAD` before changing anything; the store runs it
again in its worker thread.
"""

from __future__ import annotations

import sqlite3
import struct
import time
import zlib
from collections.abc import Callable
from typing import Any, NamedTuple

import diskcache

from kvstore.core import Payload, _envelope
from kvstore.core._atomic import COUNT_MAX, COUNT_MIN, check_count, count_of

from . import _diskcache_internals as internals
from ._diskcache_internals import MODE_RAW

OFFLOAD: Any = object()
"""Returned (nothing changed) when a value file must be read off the event loop."""

_SELECT = (
    "SELECT rowid, expire_time, mode, filename, value, store_time FROM Cache"
    " WHERE key = ? AND raw = 1"
)
_DELETE = "DELETE FROM Cache WHERE rowid = ?"
_UPDATE = (
    "UPDATE Cache SET store_time = ?, expire_time = ?, access_time = ?, access_count = 0,"
    " tag = NULL, size = ?, mode = ?, filename = ?, value = ? WHERE rowid = ?"
)
"""Rewrites a row read in the same transaction, with the columns ``internals.UPSERT`` sets."""


class Row(NamedTuple):
    """One row of diskcache's Cache table, as the atomic operations read it."""

    rowid: int
    expire_time: float | None
    mode: int
    filename: str | None
    value: object
    store_time: float


Text = str | bytes
"""A payload as DiskStore stores it (never a parsed dict)."""
Load = Callable[[Row], "Text | None"]
"""Returns the payload of a row (its inline value or its value file's text), or None for a
row whose value is in a file when files are not read here (see :func:`loader`)."""
Columns = tuple[int, int, "str | None", object]
"""A value as a row stores it: size, mode, value file name (or None) and inline value."""


_PACK_TOKEN = struct.Struct("<Id").pack


def token_of(payload: Text, row: Row | tuple[Any, ...]) -> str:
    """The version token of a row, in hex: the CRC-32 of its envelope's UTF-8 bytes and the
    exact bits of its ``store_time`` (the last element of ``row``).

    Every write sets ``store_time`` anew, so writing the same text again (a counter counted
    up and back down keeps its envelope's times) gives a new token; the checksum tells two
    writes apart should the clock step back onto the very same ``store_time``. Cheaper than
    a SHA-1 and the float's ``repr`` (0.3 µs against 1.0 µs, on every ``get_versioned``),
    and as exact for what a token is for: noticing any write since the read.
    """
    data = payload.encode("utf-8", "surrogatepass") if type(payload) is str else payload
    return _PACK_TOKEN(zlib.crc32(data), row[-1]).hex()  # type: ignore[arg-type]


def select(sql: internals.Sql, db_key: bytes) -> Row | None:
    """Return the row of ``db_key`` (expired or not), or None."""
    rows = sql(_SELECT, (db_key,)).fetchall()
    return Row(*rows[0]) if rows else None


def columns(cache: diskcache.Cache, db_key: bytes, payload: str) -> Columns:
    """Return how a row stores ``payload``; a large one is written to a new value file."""
    if len(payload) < cache.disk.min_file_size:
        return 0, MODE_RAW, None, payload  # what Disk.store returns, without the call
    stored: Columns = cache.disk.store(payload, False, key=db_key)
    return stored


def discard(cache: diskcache.Cache, stored: Columns) -> None:
    """Remove the value file ``columns`` wrote, if any (the row was not written)."""
    if stored[2] is not None:
        cache.disk.remove(stored[2])


def _put(
    cache: diskcache.Cache,
    sql: internals.Sql,
    cleanup: internals.Cleanup,
    db_key: bytes,
    old: Row | None,
    stored: Columns,
    expire_time: float | None,
    now: float,
    *,
    cull: bool = True,
) -> None:
    """Write the row of ``db_key`` as ``Cache.set`` does (old value file dropped, then cull).

    ``cull`` False for a rewrite of an existing entry in place (touch, increment), which
    diskcache's own ``touch`` and ``incr`` do not cull after either.
    """
    size, mode, filename, value = stored
    if old is None:
        sql(internals.UPSERT, (db_key, now, expire_time, now, size, mode, filename, value))
    else:
        cleanup(old.filename)
        sql(_UPDATE, (now, expire_time, now, size, mode, filename, value, old.rowid))
    if cull:
        internals.cull(cache, now, sql, cleanup, cache.cull_limit)


class _Live(NamedTuple):
    """What a transaction found: the row, and its payload and envelope if it is live."""

    row: Row | None
    payload: Text | None
    document: dict[str, Any] | None


def _live(
    row: Row | None, now: float, load: Load, collection: str, key: str, *, need_payload: bool
) -> _Live | None:
    """Read the row's payload and envelope if it is live; None means OFFLOAD.

    A row that never expires is live without reading its envelope unless ``need_payload``.
    """
    if row is None or (row.expire_time is not None and row.expire_time <= now):
        return _Live(row, None, None)
    if row.expire_time is None and not need_payload:
        return _Live(row, None, {})
    payload = load(row)
    if payload is None:
        return None
    document = _envelope.decode(payload, collection, key)
    if not _envelope.is_live(document, now):
        return _Live(row, None, None)
    return _Live(row, payload, document)


def loader(load: Callable[[Row], Text], files: bool) -> Load:
    """Return ``load``, or (``files`` False) a load that answers None for a value file."""
    if files:
        return load

    def inline(row: Row) -> Text | None:
        return None if row.filename is not None else load(row)

    return inline


def add(
    cache: diskcache.Cache,
    db_key: bytes,
    load: Load,
    stored: Columns,
    collection: str,
    key: str,
    ttl: float | None,
) -> bool:
    """Write the row only if no live entry exists."""
    with internals.transaction(cache) as (sql, cleanup):
        now = time.time()
        found = _live(select(sql, db_key), now, load, collection, key, need_payload=False)
        if found is None:
            return OFFLOAD  # type: ignore[no-any-return]
        if found.document is not None:
            return False
        _put(
            cache, sql, cleanup, db_key, found.row, stored, None if ttl is None else now + ttl, now
        )
        return True


def take(
    cache: diskcache.Cache, db_key: bytes, load: Load, collection: str, key: str
) -> Payload | None:
    """Delete the live row and return its payload."""
    with internals.transaction(cache) as (sql, cleanup):
        found = _live(select(sql, db_key), time.time(), load, collection, key, need_payload=True)
        if found is None:
            return OFFLOAD  # type: ignore[no-any-return]
        if found.row is None or found.payload is None:
            return None
        sql(_DELETE, (found.row.rowid,))
        cleanup(found.row.filename)
        return found.payload


def touch(
    cache: diskcache.Cache, db_key: bytes, load: Load, collection: str, key: str, ttl: float | None
) -> bool:
    """Give the live entry a new TTL from now, its value and ``created_at`` unchanged."""
    with internals.transaction(cache) as (sql, cleanup):
        now = time.time()
        found = _live(select(sql, db_key), now, load, collection, key, need_payload=True)
        if found is None:
            return OFFLOAD  # type: ignore[no-any-return]
        if found.document is None:
            return False
        payload = _envelope.retime(found.document, collection, key, ttl, now)
        expire_time = None if ttl is None else now + ttl
        _write_new(cache, sql, cleanup, db_key, found.row, payload, expire_time, now)
        return True


_LIVE_INLINE_ENVELOPE = (
    " WHERE key = ? AND raw = 1 AND mode = 1 AND filename IS NULL AND typeof(value) = 'text'"
    " AND length(value) < ? AND (expire_time IS NULL OR expire_time > ?)"
    " AND json_extract(value, '$.kvstore') = 1"
    " AND json_extract(value, '$.collection') = ? AND json_extract(value, '$.key') = ?"
    " AND ifnull(json_extract(value, '$.expires_at') > ?, 1)"
)
"""Selects the row of a statement that rewrites an envelope in place (parameters from
:func:`_live_inline_envelope`): a row whose text is this entry's envelope (format,
collection and key checked), still live by both expiries, and far enough below the size at
which a value moves to a file that the rewritten text stays inline."""

_REWRITE_SPACE = 64
"""Characters an envelope rewritten in place may grow by (``null`` times becoming numbers,
a count gaining digits)."""


def _live_inline_envelope(
    cache: diskcache.Cache, db_key: bytes, collection: str, key: str, now: float
) -> tuple[object, ...]:
    """The parameters of :data:`_LIVE_INLINE_ENVELOPE`."""
    return (db_key, cache.disk.min_file_size - _REWRITE_SPACE, now, collection, key, now)


_TOUCH_IN_PLACE = (
    "UPDATE Cache SET value = json_set(value, '$.ttl', json(?), '$.expires_at', json(?)),"
    " store_time = ?, expire_time = ?, access_time = ?, access_count = 0" + _LIVE_INLINE_ENVELOPE
)
"""``touch`` of a live inline envelope in one statement: SQLite rewrites the envelope's
``ttl`` and ``expires_at`` in the stored text (``json_set`` keeps every other field's text,
the value's included) and the row's times."""


def touch_in_place(
    cache: diskcache.Cache, db_key: bytes, collection: str, key: str, ttl: float | None
) -> bool:
    """Give a live inline entry a new TTL in one ``UPDATE`` (its own transaction); True if
    it did. False decides nothing: the entry may be missing, expired, in a value file, not
    an envelope SQLite can read, or named with text SQLite cannot take; :func:`touch` or
    :func:`touch_inline` then decides, and says what is wrong."""
    now = time.time()
    expires_at = None if ttl is None else now + ttl
    try:
        cursor = internals.query(cache)(
            _TOUCH_IN_PLACE,
            (
                "null" if ttl is None else repr(ttl),
                "null" if expires_at is None else repr(expires_at),
                now,
                expires_at,
                now,
                *_live_inline_envelope(cache, db_key, collection, key, now),
            ),
        )
    except (sqlite3.DataError, sqlite3.OperationalError, UnicodeEncodeError):
        return False  # malformed JSON, a name with a lone surrogate: the full path says
    return cursor.rowcount == 1


def touch_inline(
    cache: diskcache.Cache, db_key: bytes, collection: str, key: str, ttl: float | None
) -> bool:
    """:func:`touch` for the event loop's inline path, its common case written out.

    The same transaction, reads and write as :func:`touch` for a row whose payload is text
    inline (not in a value file) and stays inline once retimed, without the calls that
    generalise it to any row; anything else returns :data:`OFFLOAD` with nothing changed.
    """
    with internals.transaction(cache) as (sql, _):
        now = time.time()
        rows = sql(_SELECT, (db_key,)).fetchall()
        if not rows:
            return False
        ((rowid, expire_time, mode, filename, value, _),) = rows
        if expire_time is not None and expire_time <= now:
            return False
        if filename is not None or mode != MODE_RAW or type(value) is not str:
            return OFFLOAD  # type: ignore[no-any-return]
        document = _envelope.decode(value, collection, key)
        expires_at = document["expires_at"]
        if expires_at is not None and expires_at <= now:
            return False
        payload = _envelope.retime(document, collection, key, ttl, now)
        if len(payload) >= cache.disk.min_file_size:
            return OFFLOAD  # type: ignore[no-any-return]
        # What _put writes over an existing row (no value file before or after), no cull.
        sql(
            _UPDATE,
            (now, None if ttl is None else now + ttl, now, 0, MODE_RAW, None, payload, rowid),
        )
        return True


def _write_new(
    cache: diskcache.Cache,
    sql: internals.Sql,
    cleanup: internals.Cleanup,
    db_key: bytes,
    old: Row | None,
    payload: str,
    expire_time: float | None,
    now: float,
) -> None:
    """Write a payload built inside the transaction (its value file removed on failure);
    an existing row is rewritten in place without culling."""
    stored = columns(cache, db_key, payload)
    try:
        _put(cache, sql, cleanup, db_key, old, stored, expire_time, now, cull=old is None)
    except BaseException:
        discard(cache, stored)
        raise


def put_versioned(
    cache: diskcache.Cache,
    db_key: bytes,
    load: Load,
    stored: Columns,
    collection: str,
    key: str,
    ttl: float | None,
    version: str | None,
) -> bool:
    """Write the row only if the live entry has ``version`` (None: no live entry)."""
    with internals.transaction(cache) as (sql, cleanup):
        now = time.time()
        found = _live(select(sql, db_key), now, load, collection, key, need_payload=True)
        if found is None:
            return OFFLOAD  # type: ignore[no-any-return]
        row, payload = found.row, found.payload
        current = None if row is None or payload is None else token_of(payload, row)
        if current != version:
            return False
        _put(
            cache, sql, cleanup, db_key, found.row, stored, None if ttl is None else now + ttl, now
        )
        return True


def increment(
    cache: diskcache.Cache,
    db_key: bytes,
    load: Load,
    collection: str,
    key: str,
    amount: int,
    ttl: float | None,
) -> int:
    """Add ``amount`` to the live counter, or start one at ``amount`` with ``ttl``."""
    with internals.transaction(cache) as (sql, cleanup):
        now = time.time()
        found = _live(select(sql, db_key), now, load, collection, key, need_payload=True)
        if found is None:
            return OFFLOAD  # type: ignore[no-any-return]
        document = found.document
        if document is None:
            count = check_count(collection, key, amount)
            payload = _envelope.encode(collection, key, {"count": count}, ttl, now)
            expire_time = None if ttl is None else now + ttl
            _write_new(cache, sql, cleanup, db_key, found.row, payload, expire_time, now)
            return count
        count = check_count(collection, key, count_of(collection, key, document["value"]) + amount)
        # Written now, TTL and expiry kept, as core's increment does.
        payload = _envelope.rewrite(
            collection, key, {"count": count}, now, document.get("ttl"), document["expires_at"]
        )
        assert found.row is not None
        # The row keeps its expiry, as the envelope keeps its times.
        _write_new(cache, sql, cleanup, db_key, found.row, payload, found.row.expire_time, now)
        return count


_INCREMENT_IN_PLACE = (
    "UPDATE Cache SET value = json_set(value, '$.value.count',"
    " json_extract(value, '$.value.count') + ?, '$.created_at', json(?)),"
    " store_time = ?, access_time = ?, access_count = 0"
    + _LIVE_INLINE_ENVELOPE
    + " AND json_type(value, '$.value.count') = 'integer'"
    " AND (SELECT count(*) FROM json_each(Cache.value, '$.value')) = 1"
    " AND json_extract(value, '$.value.count') BETWEEN ? AND ?"
    " RETURNING json_extract(value, '$.value.count')"
)
"""``increment`` of a live inline counter in one statement: SQLite adds to the count and
writes ``created_at`` in the stored text (the row and the envelope keep their expiry, as
:func:`increment` keeps them) and sets the row's times. Beyond the live inline envelope, it
matches only a value that is exactly ``{"count": n}`` with an integer ``n`` that stays in
the signed 64-bit range once ``amount`` is added."""


def increment_in_place(
    cache: diskcache.Cache, db_key: bytes, collection: str, key: str, amount: int
) -> int | None:
    """Add ``amount`` to a live inline counter in one ``UPDATE`` (its own transaction) and
    return the new count; None decides nothing, as :func:`touch_in_place`'s False: the entry
    may be missing, expired, in a value file, not a counter, out of range or not readable
    by SQLite, and :func:`increment` then decides and says what is wrong."""
    now = time.time()
    try:
        rows = internals.query(cache)(
            _INCREMENT_IN_PLACE,
            (
                amount,
                repr(now),
                now,
                now,
                *_live_inline_envelope(cache, db_key, collection, key, now),
                max(COUNT_MIN, COUNT_MIN - amount),
                min(COUNT_MAX, COUNT_MAX - amount),
            ),
        ).fetchall()
    except (sqlite3.DataError, sqlite3.OperationalError, UnicodeEncodeError):
        return None  # malformed JSON, a name with a lone surrogate, no RETURNING (SQLite < 3.35)
    if not rows:
        return None
    count: int = rows[0][0]
    return count


# -- compare-and-set on the stored payload, expired or not (core's optimistic paths) ----


def write_versioned(
    cache: diskcache.Cache,
    db_key: bytes,
    load: Load,
    stored: Columns,
    ttl: float | None,
    version: str | None,
) -> bool:
    """Write the row only if the stored payload's version is ``version`` (None: no row)."""
    with internals.transaction(cache) as (sql, cleanup):
        now = time.time()
        row = select(sql, db_key)
        current = None
        if row is not None:
            payload = load(row)
            if payload is None:
                return OFFLOAD  # type: ignore[no-any-return]
            current = token_of(payload, row)
        if current != version:
            return False
        _put(cache, sql, cleanup, db_key, row, stored, None if ttl is None else now + ttl, now)
        return True


def remove_versioned(cache: diskcache.Cache, db_key: bytes, load: Load, version: str) -> bool:
    """Delete the row only if the stored payload's version is ``version``."""
    with internals.transaction(cache) as (sql, cleanup):
        row = select(sql, db_key)
        if row is None:
            return False
        payload = load(row)
        if payload is None:
            return OFFLOAD  # type: ignore[no-any-return]
        if token_of(payload, row) != version:
            return False
        sql(_DELETE, (row.rowid,))
        cleanup(row.filename)
        return True


__all__ = [
    "OFFLOAD",
    "Row",
    "add",
    "columns",
    "discard",
    "increment",
    "increment_in_place",
    "loader",
    "put_versioned",
    "remove_versioned",
    "select",
    "take",
    "token_of",
    "touch",
    "touch_in_place",
    "touch_inline",
    "write_versioned",
]
