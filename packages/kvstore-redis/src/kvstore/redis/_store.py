"""RedisStore: the kvstore protocol on Redis and Redis Cluster (redis-py asyncio)."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import itertools
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from typing import Any, TypeVar

import redis
from redis.asyncio import ConnectionPool, Redis, RedisCluster
from redis.asyncio.connection import AbstractConnection
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialWithJitterBackoff
from redis.exceptions import (
    NoPermissionError,
    NoScriptError,
    RedisClusterException,
    RedisError,
    ResponseError,
)

from kvstore.core import (
    ATOMIC_OPERATIONS,
    BaseKVStore,
    DriverBoundary,
    Payload,
    PerLoop,
    _envelope,
    redact,
)
from kvstore.core.errors import (
    ConfigurationError,
    DeserializationError,
    InvalidValueError,
    KVStoreError,
    StoreConnectionError,
    UnsupportedOperationError,
)

from ._autopipeline import AutoPipeline, Command
from ._cluster import Router
from ._config import (
    CLUSTER_SCHEMES,
    check_int,
    check_positive_number,
    cluster_base_url,
    url_scheme,
)
from ._connections import Lender
from ._deadline import Watchdog
from ._layout import (
    as_text,
    collection_prefix,
    decode_name,
    encode_name,
    encode_names,
    glob_pattern,
)
from ._scripts import (
    INCREMENT,
    NOT_A_COUNTER,
    OUT_OF_RANGE,
    PUT_IF,
    REMOVE_IF_VERSION,
    TAKE,
    TOUCH,
    UNDECIDED,
    WRITE_IF_VERSION,
    ScriptsRefused,
    envelope_head,
    evaluate,
)

DEFAULT_PREFIX = "kvstore:"


def _version_tuple(version: str) -> tuple[int, ...]:
    """``(8, 1)`` for ``"8.1.0"`` or ``"8.1.0b1"``: the leading numeric parts of a version."""
    parts: list[int] = []
    for part in version.split(".")[:2]:
        digits = "".join(itertools.takewhile(str.isdigit, part))
        if not digits:
            break
        parts.append(int(digits))
    return tuple(parts)


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

_HANDED_IN_FIX = (
    "create the client in the event loop that uses the store (one client and store per "
    "loop), or give RedisStore url= or host= so that it opens connections for each event loop"
)

CLUSTER_FREES_CANCELLED = _version_tuple(redis.__version__) >= (8, 1)
"""From redis-py 8.1 a cluster node hands back (disconnected) a connection whose command was
cancelled mid-way; 8.0 and older keep it out of the pool for good."""

T = TypeVar("T")
Client = Redis | RedisCluster


class _Connections:
    """One event loop's redis-py client, the FIFO queue in front of its connections, and
    how commands reach them.

    ``single`` runs one command and ``batch`` a pipeline (each command's reply or error
    reply, in order): through a :class:`Lender` when given one (the store's own standalone
    client), else through the client. ``send`` runs a single-key command, auto-pipelined if
    asked for; on the store's own cluster client (``node_lender`` given) it goes to a lender
    of the key's node (see ``_cluster.py``).
    """

    def __init__(
        self,
        client: Client,
        limit: int,
        lender: Lender | None,
        auto_pipelining: bool,
        node_lender: Callable[[Callable[[], AbstractConnection]], Lender] | None = None,
    ) -> None:
        self.client = client
        self.cluster = client if isinstance(client, RedisCluster) else None
        self.discovered = False
        """True once the cluster client has discovered the cluster's nodes."""
        # redis-py refuses a command outright once a pool is exhausted, and its blocking
        # pool lets late callers overtake waiting ones (a waiter can starve past its
        # timeout under load); a FIFO semaphore sized to the pool queues callers fairly.
        # A lender queues its callers itself.
        self.gate = asyncio.Semaphore(limit)
        self.lender = lender
        self.single: Callable[[Command], Awaitable[Any]] = self._client_command
        self.batch: Callable[[list[Command]], Awaitable[list[Any]]] = self._client_pipeline
        if lender is not None:
            self.single, self.batch = lender.command, lender.pipeline
        self.router: Router | None = None
        self.send: Callable[[Command], Awaitable[Any]]
        if node_lender is not None and self.cluster is not None:
            self.router = Router(self.cluster, node_lender, auto_pipelining, self._client_command)
            self.send = self.router.command
        elif auto_pipelining:
            watchdog = lender.watchdog if lender is not None else None
            loop = asyncio.get_running_loop()
            self.send = AutoPipeline(loop, self.single, self.batch, watchdog).execute
        else:
            self.send = self.single

    async def _client_command(self, command: Command) -> Any:
        return await self.run(lambda client: client.execute_command(*command))

    async def _client_pipeline(self, commands: list[Command]) -> list[Any]:
        return await self.run(functools.partial(_pipeline, commands=commands))

    async def run(self, command: Callable[[Any], Awaitable[T]]) -> T:
        """Return ``await command(client)`` once a connection is free (first come first served)."""
        cluster = self.cluster
        if cluster is None:
            async with self.gate:
                return await command(self.client)
        if CLUSTER_FREES_CANCELLED:
            async with self.gate:
                if not self.discovered:
                    await self._discover(cluster)
                return await command(cluster)
        await self.gate.acquire()
        task = asyncio.ensure_future(self._on_cluster(cluster, command))
        task.add_done_callback(self._finished)
        # redis-py before 8.1 never frees a cluster connection whose command is cancelled
        # mid-way: shielded, a cancelled caller returns at once while its command runs to
        # the end, hands its connection back and only then frees its place in the queue.
        return await asyncio.shield(task)

    async def _discover(self, cluster: RedisCluster) -> None:
        # From redis-py 7.1 a RedisCluster still discovering its nodes sends commands to a
        # random primary, and every 5th MOVED reply makes it close itself under other
        # tasks' commands: the first calls wait for the discovery (later rediscoveries
        # happen inside redis-py's own command loop, under its lock).
        await cluster.initialize()
        self.discovered = True

    async def _on_cluster(self, cluster: RedisCluster, command: Callable[[Any], Awaitable[T]]) -> T:
        if not self.discovered:
            await self._discover(cluster)
        return await command(cluster)

    def _finished(self, task: asyncio.Task[Any]) -> None:
        self.gate.release()
        if not task.cancelled():
            task.exception()  # a cancelled caller's error is dropped, not logged as lost

    async def aclose(self) -> None:
        """Close the client and its connections."""
        with contextlib.suppress(*_DRIVER_ERRORS):
            if self.lender is not None:
                await self.lender.close()
            if self.router is not None:
                await self.router.close()
            await self.client.aclose()


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
        socket_timeout: seconds a call may take once it has a connection, to its last reply
            (connecting and retries included); a call past it raises StoreConnectionError,
            within an eighth of the bound after it. On a cluster the same for single-key
            calls; batches, scans and calls redirected to another node keep redis-py's
            timeout of each send and each read (a handed-in client keeps its own timeouts).
        socket_connect_timeout: seconds a connection attempt may take.
        retries: how many times a command that failed on a broken connection is retried
            on a new one (a server restart breaks every pooled connection).
        max_connections: connections the store opens at most (per node on a cluster, for
            the single-key calls, and as many again in redis-py's cluster client for batches
            and scans); more concurrent calls wait, first come first served, for a free one.
        scan_count: the ``COUNT`` hint of each ``SCAN`` page.
        client_options: further keyword arguments for the redis-py client the store
            creates (for example ``ssl_ca_certs``, ``ssl_certfile``, ``health_check_interval``).
        auto_pipelining: send the single-key calls (``get``, ``put``, ``delete`` and the
            atomic operations) that concurrent tasks make while others are in flight as one
            pipeline per event-loop turn (per node on a cluster); a lone sequential caller is
            unaffected.

    The atomic operations (``add``, ``take``, ``touch``, ``get_versioned``,
    ``put_versioned``, ``increment``) are each one single-key Lua script call (``EVALSHA``),
    so they work on a cluster too; a server that refuses scripts makes them raise
    UnsupportedOperationError (docs/redis.md, "Atomic operations").

    Raises:
        ConfigurationError: conflicting or invalid options, or an unknown URL scheme.
    """

    atomic_operations = ATOMIC_OPERATIONS

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
        auto_pipelining: bool = False,
    ) -> None:
        if sum(option is not None for option in (url, client, host)) > 1:
            raise ConfigurationError("give RedisStore only one of url=, client= or host=")
        if not isinstance(prefix, str) or not prefix:
            raise ConfigurationError(f"prefix must be a non-empty str, got {prefix!r}")
        timeout = check_positive_number("socket_timeout", socket_timeout)
        connect_timeout = check_positive_number("socket_connect_timeout", socket_connect_timeout)
        self._retries = check_int("retries", retries, 0)
        self._max_connections = check_int("max_connections", max_connections, 1)
        self._scan_count = check_int("scan_count", scan_count, 1)
        self._prefix = prefix
        self._boundary = DriverBoundary("Redis", classify=_classify)
        self._timeout = timeout
        self._auto_pipelining = bool(auto_pipelining)
        self._backoff = ExponentialWithJitterBackoff(
            base=_RETRY_BACKOFF_BASE, cap=_RETRY_BACKOFF_CAP
        )
        # No socket_timeout on a standalone client: the store bounds each whole call itself
        # (see _deadline.py), where redis-py would wrap every send and every read. It is set
        # to None there (not left out): redis-py 8.1 defaults a connection's to 5 s (6.4: none).
        options: dict[str, Any] = {
            "socket_connect_timeout": connect_timeout,
            "retry": Retry(self._backoff, retries),
            "max_connections": max_connections,
            **(client_options or {}),
        }
        if client is not None:
            if not isinstance(client, (Redis, RedisCluster)):
                raise ConfigurationError(
                    "client must be a redis.asyncio.Redis or redis.asyncio.RedisCluster, "
                    f"got {type(client).__name__}"
                )
            self._where = f"client={_describe_client(client)}"
            self._boundary.add_secrets(_client_secrets(client))
            self._cluster = isinstance(client, RedisCluster)
            # The caller's client is used as it is, on the event loop it belongs to.
            limit = _connection_limit(client)
            self._loops = PerLoop(
                lambda: _Connections(client, limit, None, self._auto_pipelining),
                handed_in=_HANDED_IN_FIX,
            )
        else:
            if url is not None:
                scheme = url_scheme(url)
                self._where = f"url={redact(url)!r}"
                self._new_client = self._url_client(url, scheme, options)
            else:
                self._new_client = self._host_client(host, port, db, username, password, options)
            # Built now so that a bad option fails here; the first event loop gets it.
            self._unused: Client | None = self._new_client()
            self._boundary.add_secrets(_client_secrets(self._unused))
            self._cluster = isinstance(self._unused, RedisCluster)
            self._loops = PerLoop(self._open_connections, _Connections.aclose)
        self._scripting = not self._cluster
        """False once the server refused scripts: ``put_many`` with a TTL then pipelines."""

    def _host_client(
        self,
        host: str | None,
        port: int,
        db: int,
        username: str | None,
        password: str | None,
        options: dict[str, Any],
    ) -> Callable[[], Client]:
        """Return what creates a client for a standalone server named by host and port."""
        host = "localhost" if host is None else host
        if not isinstance(host, str) or not host:
            raise ConfigurationError(f"host must be a non-empty str, got {host!r}")
        check_int("port", port, 0)
        check_int("db", db, 0)
        if password is not None:
            self._boundary.add_secrets([password])
        self._where = f"host={host!r}, port={port!r}, db={db!r}"
        return lambda: Redis.from_pool(
            ConnectionPool(
                host=host,
                port=port,
                db=db,
                username=username,
                password=password,
                **{"socket_timeout": None, **options},
            )
        )

    def _url_client(self, url: str, scheme: str, options: dict[str, Any]) -> Callable[[], Client]:
        """Return what creates the client a URL describes, after checking it can."""
        if scheme in CLUSTER_SCHEMES:
            base = cluster_base_url(url, scheme)

            def new_client() -> Client:
                return RedisCluster.from_url(base, **{"socket_timeout": self._timeout, **options})
        else:

            def new_client() -> Client:
                return Redis.from_pool(
                    ConnectionPool.from_url(url, **{"socket_timeout": None, **options})
                )

        try:
            new_client()
        except (ValueError, TypeError, RedisError, RedisClusterException) as exc:
            # Not chained: redis-py's message may quote the URL with its password.
            raise ConfigurationError(
                self._boundary.redact(f"RedisStore cannot open {url!r}: {exc}")
            ) from None
        return new_client

    def _open_connections(self) -> _Connections:
        """A new client for the running event loop (the one built by the constructor, first).

        A standalone client's commands go straight to connections the store lends, each call
        bounded by one deadline; so do a cluster's single-key commands, on connections the
        store lends per node (the cluster client routes the rest, and times out by itself).
        """
        client, self._unused = self._unused or self._new_client(), None
        watchdog = Watchdog(asyncio.get_running_loop(), self._timeout)
        if isinstance(client, RedisCluster) and _reads_from_replicas(client):
            # The store routes to primaries only: leave replica reads to the cluster client.
            return _Connections(client, self._max_connections, None, self._auto_pipelining)
        if isinstance(client, RedisCluster):
            limit, backoff = self._max_connections, self._backoff.compute

            def node_lender(connect: Callable[[], AbstractConnection]) -> Lender:
                # No retries of its own: a failed command goes to the cluster client.
                return Lender(connect, limit, 0, backoff, watchdog)

            return _Connections(client, limit, None, self._auto_pipelining, node_lender)
        lender = Lender(
            client.connection_pool.make_connection,
            self._max_connections,
            self._retries,
            self._backoff.compute,
            watchdog,
        )
        return _Connections(client, self._max_connections, lender, self._auto_pipelining)

    # -- primitives ---------------------------------------------------------------------

    async def _read(self, collection: str, key: str) -> bytes | str | None:
        connections = self._loops.get()
        name = encode_name(self._prefix, collection, key)
        with self._boundary("get", collection, key):
            payload: bytes | str | None = await connections.send(("GET", name))
        return payload

    async def _read_many(self, collection: str, keys: list[str]) -> list[Payload | None]:
        connections = self._loops.get()
        names = encode_names(self._prefix, collection, keys)
        with self._boundary("get_many", collection, keys):
            if not self._cluster:
                payloads: list[Payload | None] = await connections.single(("MGET", *names))
                return payloads
            # A cluster pipeline groups the GETs per node.
            return _raise_first_error(await connections.batch([("GET", name) for name in names]))

    async def _write(self, collection: str, key: str, payload: str, ttl: float | None) -> None:
        connections = self._loops.get()
        name = encode_name(self._prefix, collection, key)
        command = (
            ("SET", name, payload) if ttl is None else ("SET", name, payload, "PX", _millis(ttl))
        )
        with self._boundary("put", collection, key):
            await connections.send(command)

    async def _write_many(
        self, collection: str, entries: list[tuple[str, str]], ttl: float | None
    ) -> None:
        connections = self._loops.get()
        with self._boundary("put_many", collection, [key for key, _ in entries]):
            await self._set_names(connections, collection, entries, ttl)

    async def _remove(self, collection: str, key: str) -> bool:
        connections = self._loops.get()
        name = encode_name(self._prefix, collection, key)
        with self._boundary("delete", collection, key):
            removed = await connections.send(("UNLINK", name))
        return bool(removed)

    async def _remove_many(self, collection: str, keys: list[str]) -> int:
        connections = self._loops.get()
        names = encode_names(self._prefix, collection, keys)
        with self._boundary("delete_many", collection, keys):
            return await _unlink(connections, names)

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
        connections = self._loops.get()
        removed = 0
        pattern = glob_pattern(collection_prefix(self._prefix, collection))
        async for page in self._scan_names(pattern, "clear_collection", collection):
            with self._boundary("clear_collection", collection):
                removed += await _unlink(connections, page)
        return removed

    async def _close(self) -> None:
        await self._loops.close()

    # -- atomic primitives: one single-key script call each (see _scripts.py) ------------

    async def _read_versioned(self, collection: str, key: str) -> tuple[Payload, str] | None:
        connections = self._loops.get()
        name = encode_name(self._prefix, collection, key)
        with self._boundary("get_versioned", collection, key):
            payload: bytes | str | None = await connections.send(("GET", name))
        return None if payload is None else (payload, _envelope.version_of(payload))

    async def _write_versioned(
        self, collection: str, key: str, payload: str, ttl: float | None, version: str | None
    ) -> bool:
        connections = self._loops.get()
        name = encode_name(self._prefix, collection, key)
        px = "" if ttl is None else _millis(ttl)
        with self._boundary("compare-and-set", collection, key):
            if version is None:  # nothing may be stored: SET NX
                command = ("SET", name, payload, "NX") + (() if ttl is None else ("PX", px))
                return await connections.send(command) is not None
            written = await evaluate(connections.send, WRITE_IF_VERSION, name, payload, px, version)
        return bool(written)

    async def _remove_versioned(self, collection: str, key: str, version: str) -> bool:
        connections = self._loops.get()
        name = encode_name(self._prefix, collection, key)
        with self._boundary("compare-and-delete", collection, key):
            removed = await evaluate(connections.send, REMOVE_IF_VERSION, name, version)
        return bool(removed)

    async def _add(self, collection: str, key: str, payload: str, ttl: float | None) -> bool:
        written = await self._put_if("add", collection, key, payload, ttl, "")
        if written == UNDECIDED:
            return await super()._add(collection, key, payload, ttl)
        return bool(written)

    async def _put_versioned(
        self, collection: str, key: str, payload: str, ttl: float | None, version: str | None
    ) -> bool:
        expected = "" if version is None else "=" + version
        written = await self._put_if("put_versioned", collection, key, payload, ttl, expected)
        if written == UNDECIDED:
            return await super()._put_versioned(collection, key, payload, ttl, version)
        return bool(written)

    async def _put_if(
        self,
        operation: str,
        collection: str,
        key: str,
        payload: str,
        ttl: float | None,
        expected: str,
    ) -> Any:
        connections = self._loops.get()
        name = encode_name(self._prefix, collection, key)
        px = "" if ttl is None else _millis(ttl)
        head = envelope_head(collection, key)
        with self._boundary(operation, collection, key):
            return await evaluate(
                connections.send, PUT_IF, name, payload, px, repr(time.time()), head, expected
            )

    async def _take(self, collection: str, key: str) -> Payload | None:
        connections = self._loops.get()
        name = encode_name(self._prefix, collection, key)
        head = envelope_head(collection, key)
        with self._boundary("take", collection, key):
            taken = await evaluate(connections.send, TAKE, name, repr(time.time()), head)
        if taken == UNDECIDED:
            return await super()._take(collection, key)
        payload: Payload | None = taken
        return payload

    async def _touch(self, collection: str, key: str, ttl: float | None) -> bool:
        connections = self._loops.get()
        name = encode_name(self._prefix, collection, key)
        now = time.time()
        if ttl is None:
            arguments: tuple[Any, ...] = ("null", "null", "")
        else:
            arguments = (repr(ttl), repr(now + ttl), _millis(ttl))
        head = envelope_head(collection, key)
        with self._boundary("touch", collection, key):
            touched = await evaluate(connections.send, TOUCH, name, repr(now), head, *arguments)
        if touched == UNDECIDED:
            return await super()._touch(collection, key, ttl)
        return bool(touched)

    async def _increment(self, collection: str, key: str, amount: int, ttl: float | None) -> int:
        connections = self._loops.get()
        name = encode_name(self._prefix, collection, key)
        now = time.time()
        fresh = _envelope.encode(collection, key, {"count": amount}, ttl, now)
        px = "" if ttl is None else _millis(ttl)
        head = envelope_head(collection, key)
        with self._boundary("increment", collection, key):
            count = await evaluate(
                connections.send, INCREMENT, name, repr(now), head, amount, fresh, px
            )
        if count == UNDECIDED:
            return await super()._increment(collection, key, amount, ttl)
        return int(count)

    # -- helpers ------------------------------------------------------------------------

    async def _set_names(
        self,
        connections: _Connections,
        collection: str,
        entries: list[tuple[str, str]],
        ttl: float | None,
    ) -> None:
        """Write entries: one ``MSET``, the script with a TTL, else a pipeline."""
        names = encode_names(self._prefix, collection, [key for key, _ in entries])
        if ttl is None and not self._cluster:
            arguments: list[bytes | str] = ["MSET"]
            for name, (_, payload) in zip(names, entries, strict=True):
                arguments.append(name)
                arguments.append(payload)
            await connections.single(arguments)
            return
        if (
            ttl is not None
            and self._scripting
            and await self._set_many_by_script(connections, names, entries, _millis(ttl))
        ):
            return
        if ttl is None:
            commands: list[Command] = [
                ("SET", name, payload) for name, (_, payload) in zip(names, entries, strict=True)
            ]
        else:
            millis = _millis(ttl)
            commands = [
                ("SET", name, payload, "PX", millis)
                for name, (_, payload) in zip(names, entries, strict=True)
            ]
        _raise_first_error(await connections.batch(commands))

    async def _set_many_by_script(
        self,
        connections: _Connections,
        names: list[bytes],
        entries: list[tuple[str, str]],
        millis: int,
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
                    await connections.single(("EVALSHA", _SET_MANY_SHA, len(batch), *arguments))
                except NoScriptError:
                    # Not cached on this server yet (or flushed): EVAL sends it and caches it.
                    await connections.single(("EVAL", SET_MANY_SCRIPT, len(batch), *arguments))
            except ResponseError as exc:
                if start == 0 and _refuses_scripts(exc):
                    self._scripting = False
                    return False
                raise
        return True

    async def _scan_names(
        self, pattern: bytes, operation: str, collection: str | None
    ) -> AsyncIterator[list[bytes | str]]:
        """Yield pages of the Redis keys matching ``pattern``, each key once, on every primary."""
        connections = self._loops.get()
        seen: set[bytes | str] = set()
        nodes: list[Any] = [None]
        if self._cluster:
            with self._boundary(operation, collection):
                nodes = await connections.run(_primaries)
        for node in nodes:
            cursor: int | bytes | str = 0
            while True:
                with self._boundary(operation, collection):
                    if node is None:
                        reply = await connections.single(
                            ("SCAN", cursor, "MATCH", pattern, "COUNT", self._scan_count)
                        )
                    else:
                        scan = functools.partial(
                            _scan_node, cursor=cursor, pattern=pattern, count=self._scan_count
                        )
                        reply = await connections.run(functools.partial(scan, node=node))
                cursor, names = _scan_reply(reply)
                # SCAN may return a key twice (while Redis rehashes); report it once.
                page = [name for name in names if name not in seen]
                seen.update(page)
                if page:
                    yield page
                if not cursor or cursor in (b"0", "0"):
                    break

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


async def _unlink(connections: _Connections, names: Sequence[bytes | str]) -> int:
    """Remove Redis keys in one round trip; return how many existed (and were live)."""
    if not names:
        return 0
    cluster = connections.cluster
    if cluster is None:
        return int(await connections.single(("UNLINK", *names)))
    # A multi-key command must stay within one hash slot on a cluster.
    by_slot: dict[int, list[bytes | str]] = {}
    for name in names:
        by_slot.setdefault(cluster.keyslot(name), []).append(name)
    replies = await connections.batch([("UNLINK", *group) for group in by_slot.values()])
    return sum(int(count) for count in _raise_first_error(replies))


async def _pipeline(client: Client, commands: list[Command]) -> list[Any]:
    """Run commands as one non-transactional pipeline (grouped per node on a cluster);
    return each one's reply or error reply, in order."""
    if isinstance(client, RedisCluster):
        pipe: Any = client.pipeline()
    else:
        pipe = client.pipeline(transaction=False)
    for command in commands:
        pipe.execute_command(*command)
    replies: list[Any] = await pipe.execute(raise_on_error=False)
    return replies


def _reads_from_replicas(cluster: RedisCluster) -> bool:
    """True if the cluster client was asked to read from replicas (``client_options``)."""
    return bool(
        getattr(cluster, "read_from_replicas", False)
        or getattr(cluster, "load_balancing_strategy", None)
    )


def _raise_first_error(replies: list[Any]) -> list[Any]:
    """Return a pipeline's replies, or raise the first error reply among them."""
    for reply in replies:
        if isinstance(reply, Exception):
            raise reply
    return replies


async def _scan_node(
    cluster: RedisCluster, cursor: int | bytes | str, pattern: bytes, count: int, node: Any
) -> Any:
    """One ``SCAN`` call on one cluster node."""
    return await cluster.execute_command(
        "SCAN", cursor, "MATCH", pattern, "COUNT", count, target_nodes=node
    )


async def _primaries(cluster: RedisCluster) -> list[Any]:
    """The cluster's primaries (known once the client has discovered the cluster)."""
    return list(cluster.get_primaries())


def _classify(exc: Exception, detail: str) -> tuple[type[KVStoreError], str]:
    """The kvstore error for a redis-py failure: a key of another Redis type is unreadable data,
    a server refusing scripts cannot run the atomic operations, and the increment script's
    error replies are bad values."""
    if isinstance(exc, ResponseError):
        message = str(exc)
        if message.startswith("WRONGTYPE"):  # a script's reply ends with where it failed
            return DeserializationError, f"the stored data is not a Redis string ({detail})"
        if message.startswith((NOT_A_COUNTER, OUT_OF_RANGE)):
            return InvalidValueError, message.split(" ", 1)[1]
    if isinstance(exc, ScriptsRefused):
        return UnsupportedOperationError, str(exc)
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
