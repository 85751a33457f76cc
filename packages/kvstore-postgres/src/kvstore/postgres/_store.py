"""PostgresStore: the kvstore protocol on a PostgreSQL table (asyncpg)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from typing import Any

import asyncpg

from kvstore.core import (
    ATOMIC_OPERATIONS,
    BaseKVStore,
    DriverBoundary,
    PerLoop,
    TTLInfo,
    Versioned,
    redact,
)
from kvstore.core._atomic import check_amount, count_of
from kvstore.core._base import check_version
from kvstore.core._envelope import encode_value, info
from kvstore.core._validation import (
    TTL,
    check_items,
    check_keys,
    check_name,
    normalize_ttl,
)
from kvstore.core.errors import (
    ConfigurationError,
    DeserializationError,
    InvalidValueError,
    KVStoreError,
    SetupError,
    StoreConnectionError,
)

from ._config import check_int, check_seconds, check_table, check_url, url_password
from ._layout import original, store_name, stored
from ._schema import (
    CULL_BATCH,
    LOCK,
    MAX_EXPIRY_SECONDS,
    PRIMARY_KEY,
    SCAN_PAGE,
    SHAPE,
    Statements,
    qualified,
    shape_problems,
    statements,
)

Value = dict[str, Any]

_INF = float("inf")
_decode = json.JSONDecoder().decode
_LOST = (
    asyncpg.exceptions.ConnectionDoesNotExistError,
    asyncpg.exceptions.InterfaceError,
    asyncpg.exceptions.AdminShutdownError,
    asyncpg.exceptions.CannotConnectNowError,
    OSError,
)
"""Failures after which the pool's idle connections are likely dead too (a restart, a
terminated backend): the store then replaces them before its next call."""
_HANDED_IN_FIX = (
    "create the pool in the event loop that uses the store, or give PostgresStore url= so "
    "that it opens a pool for each event loop"
)


class _Loop:
    """One event loop's pool, started (and the table checked) on the loop's first call."""

    __slots__ = ("lock", "pool", "ready", "stale", "started")

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool
        self.started = False
        """The pool has been started (it then needs closing)."""
        self.ready = False
        """The pool is started and the table checked."""
        self.stale = False
        """A call lost its connection: replace the idle ones before the next call."""
        self.lock = asyncio.Lock()


class PostgresStore(BaseKVStore):
    """A store on one PostgreSQL table, with expiry held in an indexed column.

    Give ``url`` or ``pool`` (neither: asyncpg's defaults and the ``PG*`` environment
    variables). The table is created on first use (``CREATE TABLE IF NOT EXISTS`` under an
    advisory lock, so concurrent first uses are safe); an existing table of another shape
    raises ``SetupError`` naming it. Expiry is decided by the database's clock.

    Args:
        url: ``postgresql://user:password@host:port/database`` (or ``postgres://``); query
            parameters go to asyncpg (``sslmode``, ``application_name``, ...).
        pool: an ``asyncpg.Pool`` to use as it is; the store never closes it.
        table: the table's name, ``name`` or ``schema.name``.
        unlogged: create the table ``UNLOGGED`` (faster writes, not replicated, emptied
            after a crash: for caches). An existing table is used as it is.
        min_size, max_size: connections the store's pool keeps open at least and opens at
            most, per event loop.
        command_timeout: seconds one statement may take; past it the call raises
            ``StoreConnectionError``.
        connect_timeout: seconds opening a connection may take.
        pool_options: further keyword arguments for ``asyncpg.create_pool`` (for example
            ``ssl``, ``statement_cache_size=0`` behind pgbouncer in transaction mode).
            The store's pool skips asyncpg's reset query on release (its statements leave
            no session state); ``pool_options={"reset": ...}`` sets another reset.

    Raises:
        ConfigurationError: conflicting or invalid options, or a URL of another scheme.
    """

    atomic_operations = ATOMIC_OPERATIONS

    def __init__(
        self,
        url: str | None = None,
        *,
        pool: asyncpg.Pool | None = None,
        table: str = "kvstore",
        unlogged: bool = False,
        min_size: int = 1,
        max_size: int = 10,
        command_timeout: float | None = 30.0,
        connect_timeout: float = 10.0,
        pool_options: Mapping[str, Any] | None = None,
    ) -> None:
        if url is not None and pool is not None:
            raise ConfigurationError("give PostgresStore url= or pool=, not both")
        self._table = check_table(table)
        self._unlogged = bool(unlogged)
        self._sql: Statements = statements(self._table, unlogged=self._unlogged)
        self._regclass = qualified(self._table)
        self._boundary = DriverBoundary("PostgresStore", classify=self._classify)
        self._checked = False
        """The table exists with the expected shape (checked once per store)."""
        self._new_pool: Callable[[], asyncpg.Pool] | None = None
        """Makes a pool like the loop's (None for a handed-in pool)."""
        if pool is not None:
            if not isinstance(pool, asyncpg.Pool):
                raise ConfigurationError(f"pool must be an asyncpg.Pool, got {type(pool).__name__}")
            self._where = "pool=<asyncpg.Pool>"
            self._boundary.add_secrets(_pool_secrets(pool))
            self._loops: PerLoop[_Loop] = PerLoop(lambda: _Loop(pool), handed_in=_HANDED_IN_FIX)
            return
        if url is not None:
            check_url(url)
            password = url_password(url)
            if password:
                self._boundary.add_secrets([password])
        minimum = check_int("min_size", min_size, 0)
        maximum = check_int("max_size", max_size, 1)
        if minimum > maximum:
            raise ConfigurationError(f"min_size {minimum} is larger than max_size {maximum}")
        options: dict[str, Any] = {
            "min_size": minimum,
            "max_size": maximum,
            "command_timeout": check_seconds("command_timeout", command_timeout, optional=True),
            "timeout": check_seconds("connect_timeout", connect_timeout),
            "reset": _keep_session,
            **(pool_options or {}),
        }
        password = options.get("password")
        if isinstance(password, str) and password:
            self._boundary.add_secrets([password])
        self._where = f"url={redact(url)!r}" if url is not None else "url=None"

        def new_pool() -> asyncpg.Pool:
            return asyncpg.create_pool(url, **options)

        self._new_pool = new_pool
        self._loops = PerLoop(lambda: _Loop(new_pool()), _close_pool)

    # -- connections and the table ------------------------------------------------------

    async def _start(
        self, loop: _Loop, operation: str, collection: str | None, keys: Any
    ) -> asyncpg.Pool:
        """Make the loop's pool ready: started, its dead connections retired after a lost
        one, and the table checked (once per store, again after it went missing)."""
        async with loop.lock:
            if not loop.ready:
                try:
                    if loop.stale:
                        loop.stale = False
                        await loop.pool.expire_connections()
                    if not loop.started:
                        await self._start_pool(loop)
                    if not self._checked:
                        await self._prepare_table(loop.pool)
                        self._checked = True
                except Exception as exc:
                    raise self._failed(exc, loop, operation, collection, keys) from exc
                loop.ready = True
        return loop.pool

    async def _start_pool(self, loop: _Loop) -> None:
        """Start the loop's pool. asyncpg closes a pool whose start failed (the server was
        down): the store's own pool is then replaced, so that the next call tries again."""
        try:
            await loop.pool
        except BaseException:
            if self._new_pool is not None:
                loop.pool = self._new_pool()
            raise
        loop.started = True

    async def _prepare_table(self, pool: asyncpg.Pool) -> None:
        """Create the table if it is missing, then check that it is a kvstore table.

        Raises:
            SetupError: the table exists with another shape, or the database's encoding
                is not UTF8 (which every name needs).
        """
        async with pool.acquire() as connection:
            encoding = await connection.fetchval("SHOW server_encoding")
            if encoding != "UTF8":
                raise SetupError(
                    f"PostgresStore needs a UTF8 database for table {self._table!r}; "
                    f"this database's encoding is {encoding}"
                )
            rows = await connection.fetch(SHAPE, self._regclass)
            if not rows:
                async with connection.transaction():
                    # Concurrent first uses (other processes, other hosts) queue here; the
                    # IF NOT EXISTS clauses make the later ones do nothing.
                    await connection.execute(LOCK, f"kvstore:{self._regclass}")
                    for statement in self._sql.create:
                        await connection.execute(statement)
                rows = await connection.fetch(SHAPE, self._regclass)
            primary_key = await connection.fetchval(PRIMARY_KEY, self._regclass)
        problems = shape_problems({row[0]: row[1] for row in rows}, rows[0][2], primary_key)
        if problems:
            raise SetupError(f"table {self._table!r} is not a kvstore table: {'; '.join(problems)}")

    def _classify(self, exc: Exception, detail: str) -> tuple[type[KVStoreError], str]:
        """A table dropped under the store is a set-up failure; it is created again next call."""
        if isinstance(exc, asyncpg.exceptions.UndefinedTableError):
            self._checked = False
            return SetupError, f"table {self._table!r} is missing ({detail})"
        return StoreConnectionError, detail

    def _failed(
        self, exc: Exception, loop: _Loop, operation: str, collection: str | None, keys: Any
    ) -> KVStoreError:
        """The kvstore error for a driver failure, for the caller to raise ``from exc``.

        A lost connection (server restart, terminated backend) means the pool's idle ones
        are likely dead too: the loop's next call replaces them first.
        """
        if isinstance(exc, _LOST):
            loop.stale = True
            loop.ready = False
        error = self._boundary.translate(exc, operation, collection, keys)
        if isinstance(error, SetupError):
            loop.ready = False
        return error

    # -- the protocol ---------------------------------------------------------------------

    async def get(self, collection: str, key: str) -> Value | None:
        if type(collection) is not str or type(key) is not str or not collection or not key:
            check_name(collection, key)
        loop = self._loops.get()
        pool = loop.pool if loop.ready else await self._start(loop, "get", collection, key)
        try:
            text = await pool.fetchval(self._sql.get, stored(collection), stored(key))
        except Exception as exc:
            raise self._failed(exc, loop, "get", collection, key) from exc
        return None if text is None else _value(text, collection, key)

    async def exists(self, collection: str, key: str) -> bool:
        if type(collection) is not str or type(key) is not str or not collection or not key:
            check_name(collection, key)
        loop = self._loops.get()
        pool = loop.pool if loop.ready else await self._start(loop, "exists", collection, key)
        try:
            found = await pool.fetchval(self._sql.exists, stored(collection), stored(key))
        except Exception as exc:
            raise self._failed(exc, loop, "exists", collection, key) from exc
        return found is not None

    async def put(self, collection: str, key: str, value: Value, *, ttl: TTL = None) -> None:
        if type(collection) is not str or type(key) is not str or not collection or not key:
            check_name(collection, key)
        seconds: float | None
        if ttl is None:
            seconds = None
        elif type(ttl) is float and 0.0 < ttl < _INF:
            seconds = ttl
        else:
            seconds = normalize_ttl(ttl)
        text = encode_value(collection, key, value)
        if seconds is not None and seconds <= 0:
            await self.delete(collection, key)
            return
        loop = self._loops.get()
        pool = loop.pool if loop.ready else await self._start(loop, "put", collection, key)
        names = store_name(collection)
        name = store_name(key)
        try:
            await pool.execute(
                self._sql.put,
                names.stored,
                name.stored,
                text,
                seconds,
                _expiry(seconds),
                names.full,
                name.full,
            )
        except Exception as exc:
            raise self._failed(exc, loop, "put", collection, key) from exc

    async def delete(self, collection: str, key: str) -> bool:
        if type(collection) is not str or type(key) is not str or not collection or not key:
            check_name(collection, key)
        loop = self._loops.get()
        pool = loop.pool if loop.ready else await self._start(loop, "delete", collection, key)
        try:
            live = await pool.fetchval(self._sql.delete, stored(collection), stored(key))
        except Exception as exc:
            raise self._failed(exc, loop, "delete", collection, key) from exc
        return live is True

    async def get_with_ttl(self, collection: str, key: str) -> tuple[Value | None, TTLInfo | None]:
        if type(collection) is not str or type(key) is not str or not collection or not key:
            check_name(collection, key)
        loop = self._loops.get()
        pool = loop.pool if loop.ready else await self._start(loop, "ttl", collection, key)
        try:
            row = await pool.fetchrow(self._sql.get_with_ttl, stored(collection), stored(key))
        except Exception as exc:
            raise self._failed(exc, loop, "ttl", collection, key) from exc
        if row is None:
            return None, None
        return _value(row[0], collection, key), info(collection, key, row[1], row[2], row[3])

    async def get_many(self, collection: str, keys: Sequence[str]) -> list[Value | None]:
        key_list = check_keys(collection, keys)
        if not key_list:
            return []
        names = [stored(key) for key in key_list]
        rows = await self._fetch_many(self._sql.get_many, "get_many", collection, key_list, names)
        found = {row[0]: row[1] for row in rows}
        return [
            None if (text := found.get(name)) is None else _value(text, collection, key)
            for key, name in zip(key_list, names, strict=True)
        ]

    async def get_many_with_ttl(
        self, collection: str, keys: Sequence[str]
    ) -> list[tuple[Value | None, TTLInfo | None]]:
        key_list = check_keys(collection, keys)
        if not key_list:
            return []
        names = [stored(key) for key in key_list]
        rows = await self._fetch_many(
            self._sql.get_many_with_ttl, "get_many", collection, key_list, names
        )
        found = {row[0]: row for row in rows}
        results: list[tuple[Value | None, TTLInfo | None]] = []
        for key, name in zip(key_list, names, strict=True):
            row = found.get(name)
            if row is None:
                results.append((None, None))
            else:
                results.append((_value(row[1], collection, key), info(collection, key, *row[2:5])))
        return results

    async def _fetch_many(
        self, sql: str, operation: str, collection: str, keys: list[str], names: list[str]
    ) -> list[asyncpg.Record]:
        loop = self._loops.get()
        pool = loop.pool if loop.ready else await self._start(loop, operation, collection, keys)
        try:
            rows: list[asyncpg.Record] = await pool.fetch(sql, stored(collection), names)
        except Exception as exc:
            raise self._failed(exc, loop, operation, collection, keys) from exc
        return rows

    async def put_many(
        self, collection: str, items: Mapping[str, Value], *, ttl: TTL = None
    ) -> None:
        pairs = check_items(collection, items)
        seconds = normalize_ttl(ttl)
        texts = [encode_value(collection, key, value) for key, value in pairs]
        if not pairs:
            return
        keys = [key for key, _ in pairs]
        if seconds is not None and seconds <= 0:
            await self.delete_many(collection, keys)
            return
        loop = self._loops.get()
        pool = loop.pool if loop.ready else await self._start(loop, "put_many", collection, keys)
        names = store_name(collection)
        key_names = [store_name(key) for key in keys]
        try:
            await pool.execute(
                self._sql.put_many,
                names.stored,
                [name.stored for name in key_names],
                texts,
                seconds,
                _expiry(seconds),
                names.full,
                [name.full for name in key_names],
            )
        except Exception as exc:
            raise self._failed(exc, loop, "put_many", collection, keys) from exc

    async def delete_many(self, collection: str, keys: Sequence[str]) -> int:
        key_list = list(dict.fromkeys(check_keys(collection, keys)))
        if not key_list:
            return 0
        loop = self._loops.get()
        pool = loop.pool
        if not loop.ready:
            pool = await self._start(loop, "delete_many", collection, key_list)
        try:
            removed: int = await pool.fetchval(
                self._sql.delete_many, stored(collection), [stored(key) for key in key_list]
            )
        except Exception as exc:
            raise self._failed(exc, loop, "delete_many", collection, key_list) from exc
        return removed

    # -- atomic operations: one statement each -----------------------------------------------

    async def add(self, collection: str, key: str, value: Value, *, ttl: TTL = None) -> bool:
        check_name(collection, key)
        seconds = normalize_ttl(ttl)
        text = encode_value(collection, key, value)
        if seconds is not None and seconds <= 0:
            return not await self.exists(collection, key)
        names, name = store_name(collection), store_name(key)
        written = await self._one(
            "fetchval", "add", collection, key, self._sql.add,
            names.stored, name.stored, text, seconds, _expiry(seconds), names.full, name.full,
        )  # fmt: skip
        return written is True

    async def take(self, collection: str, key: str) -> Value | None:
        check_name(collection, key)
        row = await self._one(
            "fetchrow", "take", collection, key, self._sql.take, stored(collection), stored(key)
        )
        if row is None or not row[1]:
            return None
        return _value(row[0], collection, key)

    async def touch(self, collection: str, key: str, ttl: TTL) -> bool:
        check_name(collection, key)
        seconds = normalize_ttl(ttl)
        if seconds is not None and seconds <= 0:
            return await self.delete(collection, key)
        touched = await self._one(
            "fetchval", "touch", collection, key, self._sql.touch,
            stored(collection), stored(key), seconds, _expiry(seconds),
        )  # fmt: skip
        return touched is True

    async def get_versioned(self, collection: str, key: str) -> Versioned[Value] | None:
        check_name(collection, key)
        row = await self._one(
            "fetchrow", "get_versioned", collection, key, self._sql.get_versioned,
            stored(collection), stored(key),
        )  # fmt: skip
        if row is None:
            return None
        return Versioned(_value(row[0], collection, key), str(row[1]))

    async def put_versioned(
        self, collection: str, key: str, value: Value, *, version: str | None, ttl: TTL = None
    ) -> bool:
        check_name(collection, key)
        check_version(collection, key, version)
        if version is None:
            return await self.add(collection, key, value, ttl=ttl)
        seconds = normalize_ttl(ttl)
        text = encode_value(collection, key, value)
        number = _version_number(version)
        if number is None:
            return False  # no row holds a token this store never gives
        if seconds is not None and seconds <= 0:
            removed = await self._one(
                "fetchval", "put_versioned", collection, key, self._sql.remove_versioned,
                stored(collection), stored(key), number,
            )  # fmt: skip
            return removed is True
        written = await self._one(
            "fetchval", "put_versioned", collection, key, self._sql.put_versioned,
            stored(collection), stored(key), text, seconds, _expiry(seconds), number,
        )  # fmt: skip
        return written is True

    async def increment(
        self, collection: str, key: str, amount: int = 1, *, ttl: TTL = None
    ) -> int:
        check_name(collection, key)
        amount = check_amount(collection, key, amount)
        seconds = normalize_ttl(ttl)
        names, name = store_name(collection), store_name(key)
        try:
            if seconds is not None and seconds <= 0:
                # Nothing is stored for a missing entry; a live counter keeps its TTL.
                text = await self._one(
                    "fetchval", "increment", collection, key, self._sql.increment_live,
                    names.stored, name.stored, amount,
                )  # fmt: skip
                if text is None and not await self.exists(collection, key):
                    return amount
            else:
                text = await self._one(
                    "fetchval", "increment", collection, key, self._sql.increment,
                    names.stored, name.stored, amount, seconds, _expiry(seconds),
                    names.full, name.full,
                )  # fmt: skip
        except StoreConnectionError as error:
            if isinstance(error.__cause__, asyncpg.exceptions.NumericValueOutOfRangeError):
                raise InvalidValueError(
                    f"counter for collection {collection!r} key {key!r} would leave the "
                    "signed 64-bit range; nothing was written"
                ) from None
            raise
        if text is None:  # a live entry that is not a counter, left as it was
            current = await self.get(collection, key)
            count_of(collection, key, current)  # raises, naming what is there
            raise InvalidValueError(
                f"value for collection {collection!r} key {key!r} is not a counter"
            )
        return count_of(collection, key, _value(text, collection, key))

    async def _one(
        self,
        method: str,
        operation: str,
        collection: str,
        key: str,
        sql: str,
        *arguments: Any,
    ) -> Any:
        """Run one statement through the loop's pool (``fetchval`` or ``fetchrow``)."""
        loop = self._loops.get()
        pool = loop.pool if loop.ready else await self._start(loop, operation, collection, key)
        try:
            return await getattr(pool, method)(sql, *arguments)
        except Exception as exc:
            raise self._failed(exc, loop, operation, collection, key) from exc

    # -- management primitives ------------------------------------------------------------

    async def _remove(self, collection: str, key: str) -> bool:
        return await self.delete(collection, key)

    async def _remove_many(self, collection: str, keys: list[str]) -> int:
        return await self.delete_many(collection, keys)

    async def _scan(self, collection: str) -> AsyncIterator[list[str]]:
        name = stored(collection)
        after = ""  # every stored key sorts after the empty string
        while True:
            rows = await self._fetch("keys", collection, self._sql.scan, name, after, SCAN_PAGE)
            if rows:
                yield [original(row[0], row[1]) for row in rows]
            if len(rows) < SCAN_PAGE:
                return
            after = rows[-1][0]

    async def _collections(self) -> list[str]:
        rows = await self._fetch("list_collections", None, self._sql.collections)
        return [original(row[0], row[1]) for row in rows]

    async def _clear(self, collection: str) -> int:
        loop = self._loops.get()
        pool = loop.pool
        if not loop.ready:
            pool = await self._start(loop, "clear_collection", collection, None)
        try:
            removed: int = await pool.fetchval(self._sql.clear, stored(collection))
        except Exception as exc:
            raise self._failed(exc, loop, "clear_collection", collection, None) from exc
        return removed

    async def _cull(self) -> None:
        loop = self._loops.get()
        pool = loop.pool if loop.ready else await self._start(loop, "cull", None, None)
        while True:
            try:
                status: str = await pool.execute(self._sql.cull, CULL_BATCH)
            except Exception as exc:
                raise self._failed(exc, loop, "cull", None, None) from exc
            if int(status.rsplit(" ", 1)[-1]) < CULL_BATCH:
                return

    async def _fetch(
        self, operation: str, collection: str | None, sql: str, *arguments: Any
    ) -> list[asyncpg.Record]:
        loop = self._loops.get()
        pool = loop.pool if loop.ready else await self._start(loop, operation, collection, None)
        try:
            rows: list[asyncpg.Record] = await pool.fetch(sql, *arguments)
        except Exception as exc:
            raise self._failed(exc, loop, operation, collection, None) from exc
        return rows

    async def _close(self) -> None:
        await self._loops.close()

    def __repr__(self) -> str:
        kind = ", unlogged=True" if self._unlogged else ""
        return f"PostgresStore({self._where}, table={self._table!r}{kind})"


def _expiry(seconds: float | None) -> float | None:
    """Seconds from now to the expiry written for a TTL (capped: see MAX_EXPIRY_SECONDS)."""
    if seconds is None or seconds < MAX_EXPIRY_SECONDS:
        return seconds
    return MAX_EXPIRY_SECONDS


def _version_number(version: str) -> int | None:
    """The bigint a version token stands for, or None if no row can hold it."""
    try:
        number = int(version)
    except ValueError:
        return None
    if str(number) != version or not -(2**63) <= number < 2**63:
        return None
    return number


def _value(text: str, collection: str, key: str) -> Value:
    """The value a row's JSON text holds.

    Raises:
        DeserializationError: the text is not a JSON object.
    """
    try:
        value = _decode(text)
    except (ValueError, RecursionError) as exc:
        raise DeserializationError(
            f"stored data for collection {collection!r} key {key!r} is not JSON: {exc}"
        ) from exc
    if type(value) is not dict:
        raise DeserializationError(
            f"stored data for collection {collection!r} key {key!r} is not a JSON object"
        )
    return value


async def _keep_session(connection: asyncpg.Connection) -> None:
    """The pool's reset of a released connection: nothing beyond asyncpg's own rollback of
    an open transaction. The store's statements leave no session state (no ``SET``,
    ``LISTEN``, cursors or session advisory locks), so asyncpg's default reset query (a
    second round trip after every call) would clean up nothing."""


async def _close_pool(loop: _Loop) -> None:
    """Close a pool the store opened (nothing to do if it never started)."""
    if loop.started:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(loop.pool.close(), 10)


def _pool_secrets(pool: asyncpg.Pool) -> list[str]:
    """The password a handed-in pool connects with, to mask in messages (if it shows it)."""
    kwargs = getattr(pool, "_connect_kwargs", None)
    password = kwargs.get("password") if isinstance(kwargs, dict) else None
    return [password] if isinstance(password, str) and password else []
