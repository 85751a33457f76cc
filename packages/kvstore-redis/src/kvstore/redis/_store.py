"""RedisStore: the kvstore protocol on Redis and Redis Cluster (redis-py asyncio)."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any

from redis.asyncio import ConnectionPool, Redis, RedisCluster
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialWithJitterBackoff
from redis.exceptions import (
    NoPermissionError,
    NoScriptError,
    RedisClusterException,
    RedisError,
    ResponseError,
)

from kvstore.core import BaseKVStore, DriverBoundary, Payload, redact
from kvstore.core.errors import (
    ConfigurationError,
    DeserializationError,
    KVStoreError,
    StoreConnectionError,
)

from ._config import (
    CLUSTER_SCHEMES,
    check_int,
    check_positive_number,
    cluster_base_url,
    url_scheme,
)
from ._layout import as_text, collection_prefix, decode_name, encode_name, glob_pattern

DEFAULT_PREFIX = "kvstore:"

_DRIVER_ERRORS = (RedisError, RedisClusterException, OSError, asyncio.TimeoutError)
"""What redis-py raises when a server cannot be reached, refuses a command or times out
(closing the store ignores them; any other call maps every exception at its boundary)."""

SET_MANY_SCRIPT = """\
local px = ARGV[1]
for i = 1, #KEYS do
  redis.call('SET', KEYS[i], ARGV[i + 1], 'PX', px)
end
return #KEYS
"""
"""The Lua script behind ``put_many`` with a TTL on a standalone server: ``SET ... PX`` for
every key in one command. KEYS are the names; ARGV[1] the milliseconds, then the payloads."""
_SET_MANY_SHA = hashlib.sha1(SET_MANY_SCRIPT.encode()).hexdigest()
SCRIPT_BATCH = 1_000
"""Keys per script call, so one call never holds the server for long."""

_RETRY_BACKOFF_BASE = 0.01
_RETRY_BACKOFF_CAP = 0.25
"""Seconds between retries of a failed connection: long enough for a restarted server."""


class RedisStore(BaseKVStore):
    """A store on Redis (standalone, or Redis Cluster), with native millisecond expiry.

    Give exactly one of ``url``, ``client`` or ``host`` (with ``port``, ``db``,
    ``username``, ``password``); with none, the store connects to ``localhost:6379``, db 0.

    Args:
        url: ``redis://[user:password@]host:port/db``, ``rediss://...`` (TLS),
            ``unix:///path/to/redis.sock?db=0``, or a cluster URL
            ``redis+cluster://host:port`` / ``rediss+cluster://host:port`` naming any node.
        client: a ``redis.asyncio.Redis`` or ``redis.asyncio.RedisCluster`` to use as is;
            the store never closes it, and its own timeouts and retries apply.
        host, port, db, username, password: a standalone server, without a URL.
        prefix: every Redis key the store reads, writes or scans starts with it.
        socket_timeout: seconds a command may wait for a reply.
        socket_connect_timeout: seconds a connection attempt may take.
        retries: how many times a command that failed on a broken connection is retried
            on a new one (a server restart breaks every pooled connection).
        max_connections: connections the store opens at most (per node on a cluster);
            more concurrent calls wait, first come first served, for a free one.
        scan_count: the ``COUNT`` hint of each ``SCAN`` page.
        client_options: further keyword arguments for the redis-py client the store
            creates (for example ``ssl_ca_certs``, ``ssl_certfile``, ``health_check_interval``).

    Raises:
        ConfigurationError: conflicting or invalid options, or an unknown URL scheme.
    """

    def __init__(
        self,
        url: str | None = None,
        *,
        client: Redis | RedisCluster | None = None,
        host: str | None = None,
        port: int = 6379,
        db: int = 0,
        username: str | None = None,
        password: str | None = None,
        prefix: str = DEFAULT_PREFIX,
        socket_timeout: float = 5.0,
        socket_connect_timeout: float = 5.0,
        retries: int = 1,
        max_connections: int = 100,
        scan_count: int = 1000,
        client_options: Mapping[str, Any] | None = None,
    ) -> None:
        if sum(option is not None for option in (url, client, host)) > 1:
            raise ConfigurationError("give RedisStore only one of url=, client= or host=")
        if not isinstance(prefix, str) or not prefix:
            raise ConfigurationError(f"prefix must be a non-empty str, got {prefix!r}")
        timeout = check_positive_number("socket_timeout", socket_timeout)
        connect_timeout = check_positive_number("socket_connect_timeout", socket_connect_timeout)
        check_int("retries", retries, 0)
        check_int("max_connections", max_connections, 1)
        self._scan_count = check_int("scan_count", scan_count, 1)
        self._prefix = prefix
        self._boundary = DriverBoundary("Redis", classify=_classify)
        options: dict[str, Any] = {
            "socket_timeout": timeout,
            "socket_connect_timeout": connect_timeout,
            "retry": Retry(
                ExponentialWithJitterBackoff(base=_RETRY_BACKOFF_BASE, cap=_RETRY_BACKOFF_CAP),
                retries,
            ),
            "max_connections": max_connections,
            **(client_options or {}),
        }
        self._client: Redis | RedisCluster
        if client is not None:
            if not isinstance(client, (Redis, RedisCluster)):
                raise ConfigurationError(
                    "client must be a redis.asyncio.Redis or redis.asyncio.RedisCluster, "
                    f"got {type(client).__name__}"
                )
            self._client = client
            self._owns_client = False
            self._where = f"client={_describe_client(client)}"
        elif url is not None:
            scheme = url_scheme(url)
            self._where = f"url={redact(url)!r}"
            self._client = self._open_url(url, scheme, options)
            self._owns_client = True
        else:
            host = "localhost" if host is None else host
            if not isinstance(host, str) or not host:
                raise ConfigurationError(f"host must be a non-empty str, got {host!r}")
            check_int("port", port, 0)
            check_int("db", db, 0)
            if password is not None:
                self._boundary.add_secrets([password])
            pool = ConnectionPool(
                host=host, port=port, db=db, username=username, password=password, **options
            )
            self._client = Redis.from_pool(pool)
            self._owns_client = True
            self._where = f"host={host!r}, port={port!r}, db={db!r}"
        self._cluster_client = self._client if isinstance(self._client, RedisCluster) else None
        self._cluster = self._cluster_client is not None
        self._boundary.add_secrets(_client_secrets(self._client))
        # redis-py refuses a command outright once a pool is exhausted, and its blocking
        # pool lets late callers overtake waiting ones (a waiter can starve past its
        # timeout under load); a FIFO semaphore sized to the pool queues callers fairly.
        limit = _connection_limit(self._client) if client is not None else max_connections
        self._gate_size = limit
        self._gate = asyncio.Semaphore(limit)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._scripting = not self._cluster
        """False once the server refused scripts: ``put_many`` with a TTL then pipelines."""

    def _open_url(self, url: str, scheme: str, options: dict[str, Any]) -> Redis | RedisCluster:
        """Create the client a URL describes."""
        try:
            if scheme in CLUSTER_SCHEMES:
                return RedisCluster.from_url(cluster_base_url(url, scheme), **options)
            pool = ConnectionPool.from_url(url, **options)
        except (ValueError, TypeError, RedisError, RedisClusterException) as exc:
            # Not chained: redis-py's message may quote the URL with its password.
            raise ConfigurationError(
                self._boundary.redact(f"RedisStore cannot open {url!r}: {exc}")
            ) from None
        return Redis.from_pool(pool)

    # -- primitives ---------------------------------------------------------------------

    async def _read(self, collection: str, key: str) -> bytes | str | None:
        if asyncio.get_running_loop() is not self._loop:
            self._bind_loop()
        with self._boundary("get", collection, key):
            async with self._gate:
                payload: bytes | str | None = await self._client.execute_command(
                    "GET", encode_name(self._prefix, collection, key)
                )
        return payload

    async def _read_many(self, collection: str, keys: list[str]) -> list[Payload | None]:
        if asyncio.get_running_loop() is not self._loop:
            self._bind_loop()
        prefix = self._prefix
        names = [encode_name(prefix, collection, key) for key in keys]
        with self._boundary("get_many", collection, keys):
            async with self._gate:
                if not self._cluster:
                    payloads: list[Payload | None] = await self._client.execute_command(
                        "MGET", *names
                    )
                    return payloads
                pipe = self._client.pipeline()
                for name in names:
                    pipe.execute_command("GET", name)
                return await pipe.execute()

    async def _write(self, collection: str, key: str, payload: str, ttl: float | None) -> None:
        if asyncio.get_running_loop() is not self._loop:
            self._bind_loop()
        name = encode_name(self._prefix, collection, key)
        with self._boundary("put", collection, key):
            async with self._gate:
                if ttl is None:
                    await self._client.execute_command("SET", name, payload)
                else:
                    await self._client.execute_command("SET", name, payload, "PX", _millis(ttl))

    async def _write_many(
        self, collection: str, entries: list[tuple[str, str]], ttl: float | None
    ) -> None:
        if asyncio.get_running_loop() is not self._loop:
            self._bind_loop()
        prefix = self._prefix
        with self._boundary("put_many", collection, [key for key, _ in entries]):
            async with self._gate:
                if ttl is None and not self._cluster:
                    arguments: list[bytes | str] = []
                    for key, payload in entries:
                        arguments.append(encode_name(prefix, collection, key))
                        arguments.append(payload)
                    await self._client.execute_command("MSET", *arguments)
                    return
                if ttl is not None and self._scripting:
                    names = [encode_name(prefix, collection, key) for key, _ in entries]
                    if await self._set_many_by_script(names, entries, _millis(ttl)):
                        return
                pipe = self._pipeline()
                if ttl is None:
                    for key, payload in entries:
                        pipe.execute_command("SET", encode_name(prefix, collection, key), payload)
                else:
                    millis = _millis(ttl)
                    for key, payload in entries:
                        pipe.execute_command(
                            "SET", encode_name(prefix, collection, key), payload, "PX", millis
                        )
                await pipe.execute()

    async def _remove(self, collection: str, key: str) -> bool:
        if asyncio.get_running_loop() is not self._loop:
            self._bind_loop()
        with self._boundary("delete", collection, key):
            async with self._gate:
                removed = await self._client.execute_command(
                    "UNLINK", encode_name(self._prefix, collection, key)
                )
        return bool(removed)

    async def _remove_many(self, collection: str, keys: list[str]) -> int:
        if asyncio.get_running_loop() is not self._loop:
            self._bind_loop()
        prefix = self._prefix
        with self._boundary("delete_many", collection, keys):
            return await self._unlink([encode_name(prefix, collection, key) for key in keys])

    async def _scan(self, collection: str) -> AsyncIterator[list[str]]:
        literal = collection_prefix(self._prefix, collection)
        start = len(literal)
        async for page in self._scan_names(glob_pattern(literal), "keys", collection):
            keys = [as_text(name)[start:] for name in page]
            yield [key for key in keys if key]

    async def _collections(self) -> list[str]:
        found: set[str] = set()
        prefix = self._prefix
        async for page in self._scan_names(glob_pattern(prefix), "list_collections", None):
            for name in page:
                decoded = decode_name(prefix, name)
                if decoded is not None:
                    found.add(decoded[0])
        return list(found)

    async def _clear(self, collection: str) -> int:
        removed = 0
        pattern = glob_pattern(collection_prefix(self._prefix, collection))
        async for page in self._scan_names(pattern, "clear_collection", collection):
            with self._boundary("clear_collection", collection):
                removed += await self._unlink(page)
        return removed

    async def _close(self) -> None:
        if self._owns_client:
            with contextlib.suppress(*_DRIVER_ERRORS):
                await self._client.aclose()

    # -- helpers ------------------------------------------------------------------------

    async def _set_many_by_script(
        self, names: list[bytes], entries: list[tuple[str, str]], millis: int
    ) -> bool:
        """Write every entry with ``SET ... PX`` through the Lua script, a batch per call.

        Returns False, having written nothing, if the server refuses scripts (an ACL
        without ``EVAL``/``EVALSHA``, or scripting disabled); the store then stops trying.
        """
        for start in range(0, len(names), SCRIPT_BATCH):
            batch = names[start : start + SCRIPT_BATCH]
            arguments: list[bytes | str | int] = [
                *batch,
                millis,
                *(payload for _, payload in entries[start : start + SCRIPT_BATCH]),
            ]
            try:
                try:
                    await self._client.execute_command(
                        "EVALSHA", _SET_MANY_SHA, len(batch), *arguments
                    )
                except NoScriptError:
                    # Not cached on this server yet (or flushed): EVAL sends it and caches it.
                    await self._client.execute_command(
                        "EVAL", SET_MANY_SCRIPT, len(batch), *arguments
                    )
            except ResponseError as exc:
                if start == 0 and _refuses_scripts(exc):
                    self._scripting = False
                    return False
                raise
        return True

    def _pipeline(self) -> Any:
        """A non-transactional pipeline (grouped per node on a cluster)."""
        if self._cluster:
            return self._client.pipeline()
        return self._client.pipeline(transaction=False)

    async def _unlink(self, names: Sequence[bytes | str]) -> int:
        """Remove Redis keys in one round trip; return how many existed (and were live)."""
        if not names:
            return 0
        async with self._gate:
            cluster = self._cluster_client
            if cluster is None:
                return int(await self._client.execute_command("UNLINK", *names))
            # A multi-key command must stay within one hash slot on a cluster.
            by_slot: dict[int, list[bytes | str]] = {}
            for name in names:
                by_slot.setdefault(cluster.keyslot(name), []).append(name)
            pipe = cluster.pipeline()
            for group in by_slot.values():
                pipe.execute_command("UNLINK", *group)
            return sum(int(count) for count in await pipe.execute())

    async def _scan_names(
        self, pattern: bytes, operation: str, collection: str | None
    ) -> AsyncIterator[list[bytes | str]]:
        """Yield pages of the Redis keys matching ``pattern``, each key once, on every primary."""
        if asyncio.get_running_loop() is not self._loop:
            self._bind_loop()
        seen: set[bytes | str] = set()
        nodes: list[Any] = [None]
        cluster = self._cluster_client
        if cluster is not None:
            with self._boundary(operation, collection):
                # The node list is known only once the client has discovered the cluster.
                await cluster.initialize()
            nodes = list(cluster.get_primaries())
        for node in nodes:
            cursor: int | bytes | str = 0
            while True:
                with self._boundary(operation, collection):
                    async with self._gate:
                        if node is None:
                            reply = await self._client.execute_command(
                                "SCAN", cursor, "MATCH", pattern, "COUNT", self._scan_count
                            )
                        else:
                            reply = await self._client.execute_command(
                                "SCAN",
                                cursor,
                                "MATCH",
                                pattern,
                                "COUNT",
                                self._scan_count,
                                target_nodes=node,
                            )
                cursor, names = _scan_reply(reply)
                # SCAN may return a key twice (while Redis rehashes); report it once.
                page = [name for name in names if name not in seen]
                seen.update(page)
                if page:
                    yield page
                if not cursor or cursor in (b"0", "0"):
                    break

    def _bind_loop(self) -> None:
        """Bind the store to the running event loop, or refuse a second live one.

        redis-py connections belong to the loop that opened them: sharing them with
        another loop corrupts replies, so each loop (thread) needs its own store.

        Raises:
            ConfigurationError: the store is in use by another event loop that still runs.
        """
        loop = asyncio.get_running_loop()
        if self._loop is not None and not self._loop.is_closed():
            raise ConfigurationError(
                f"{self!r} is bound to the event loop it was first used in and cannot be "
                "used from another event loop (thread): create one RedisStore per event loop"
            )
        if self._loop is not None and self._owns_client and not self._cluster:
            # The old loop is gone; its pooled connections are unusable, not in use.
            self._client.connection_pool.reset()  # type: ignore[union-attr]
        self._loop = loop
        self._gate = asyncio.Semaphore(self._gate_size)

    def __repr__(self) -> str:
        kind = "cluster, " if self._cluster else ""
        return f"RedisStore({kind}{self._where}, prefix={self._prefix!r})"


_MAX_MILLIS = 10**15
"""The longest server-side expiry set (about 31,700 years): Redis refuses expiry times that
overflow its 64-bit millisecond clock, and longer TTLs are kept in the envelope as given."""


def _millis(ttl: float) -> int:
    """A positive TTL in whole milliseconds (at least 1: PX 0 is an error in Redis), capped."""
    if ttl >= _MAX_MILLIS / 1000:
        return _MAX_MILLIS
    return max(1, int(ttl * 1000))


def _classify(exc: Exception, detail: str) -> tuple[type[KVStoreError], str]:
    """The kvstore error for a redis-py failure: a key of another Redis type is unreadable data."""
    if isinstance(exc, ResponseError) and str(exc).startswith("WRONGTYPE"):
        return DeserializationError, f"the stored data is not a Redis string ({detail})"
    return StoreConnectionError, detail


def _refuses_scripts(exc: ResponseError) -> bool:
    """True if a script call failed because the server does not allow scripts at all."""
    message = str(exc).lower()
    return isinstance(exc, NoPermissionError) or (
        "unknown command" in message or "disabled command" in message
    )


def _scan_reply(reply: Any) -> tuple[int | bytes | str, list[bytes | str]]:
    """The (cursor, keys) of a SCAN reply (a cluster client wraps it per node)."""
    if isinstance(reply, dict):
        reply = next(iter(reply.values()))
    cursor, names = reply
    if isinstance(cursor, dict):
        cursor = next(iter(cursor.values()))
    return cursor, list(names)


def _describe_client(client: object) -> str:
    """Name a handed-in client by its address only (never its credentials)."""
    kwargs = _connection_kwargs(client)
    if "path" in kwargs:
        return f"{type(client).__name__}(path={kwargs['path']!r})"
    return f"{type(client).__name__}(host={kwargs.get('host')!r}, port={kwargs.get('port')!r}" + (
        f", db={kwargs['db']!r})" if "db" in kwargs else ")"
    )


def _connection_kwargs(client: object) -> dict[str, Any]:
    if isinstance(client, RedisCluster):
        kwargs = dict(client.get_connection_kwargs())
        default = client.get_default_node()
        if default is not None:
            kwargs.setdefault("host", default.host)
            kwargs.setdefault("port", default.port)
        return kwargs
    pool = getattr(client, "connection_pool", None)
    return dict(getattr(pool, "connection_kwargs", {}))


def _client_secrets(client: object) -> list[str]:
    """The passwords a client holds, to scrub from error messages."""
    password = _connection_kwargs(client).get("password")
    return [password] if isinstance(password, str) and password else []


def _connection_limit(client: object) -> int:
    """How many commands may run at once on a handed-in client without exhausting its pool."""
    if isinstance(client, RedisCluster):
        limit = _connection_kwargs(client).get("max_connections")
    else:
        limit = getattr(getattr(client, "connection_pool", None), "max_connections", None)
    return limit if isinstance(limit, int) and limit > 0 else 100
