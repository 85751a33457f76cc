"""Single-key commands on a Redis Cluster, routed by the store to its own per-node connections.

``RedisCluster.execute_command`` looks up the key's slot, takes a connection from the node,
wraps the round trip in its redirection and retry loops and, with a ``socket_timeout`` (a
default cluster client has one), an ``asyncio.wait_for`` per send. A :class:`Router` reads the
slot's node from the cluster client's own slot table and sends the command on a
:class:`~kvstore.redis._connections.Lender` of that node, bounded by the store's watchdog as on a
standalone server. Whatever the table cannot answer for (a redirection, a cluster that is down
or not yet discovered, a node that cannot be reached) goes through ``execute_command``, which
follows the redirection and refreshes the table: the fast path is never less correct than the
cluster client.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from redis.asyncio import RedisCluster
from redis.asyncio.cluster import ClusterNode
from redis.asyncio.connection import AbstractConnection
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import AskError, ClusterDownError, SlotNotCoveredError, TryAgainError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from ._autopipeline import AutoPipeline, Command
from ._connections import Lender, NotSent, applies_once

Send = Callable[[Command], Awaitable[Any]]

_REDIRECTED = (AskError, TryAgainError, ClusterDownError)
"""Error replies that the cluster client resolves (``MovedError`` is an ``AskError``;
``MasterDownError`` a ``ClusterDownError``)."""

_UNREACHED = (RedisConnectionError, RedisTimeoutError, OSError)
"""A node that could not be reached or whose connection broke (the built-in ``TimeoutError``,
an ``OSError`` too, is the watchdog's bound: it is raised, never retried)."""

_SCRIPT_CALLS = frozenset({"EVALSHA", "EVAL", b"EVALSHA", b"EVAL"})


def key_of(command: Command) -> Any:
    """The key a single-key command acts on: ``GET name ...``, ``EVALSHA sha 1 name ...``."""
    return command[3] if command[0] in _SCRIPT_CALLS else command[1]


def node_connections(node: ClusterNode) -> Callable[[], AbstractConnection]:
    """What makes a connection to ``node`` as the cluster client makes its own, except that
    it has no ``socket_timeout`` (the watchdog bounds each call) and does not retry by itself
    (a failed command goes to the cluster client, which handles the topology)."""
    kwargs: dict[str, Any] = {
        **node.connection_kwargs,
        "socket_timeout": None,
        "retry": Retry(NoBackoff(), 0),
    }
    connection_class = node.connection_class

    def connect() -> AbstractConnection:
        connection: AbstractConnection = connection_class(**kwargs)
        return connection

    return connect


class Router:
    """Sends each single-key command to the node that serves its slot.

    Args:
        cluster: the store's cluster client; its slot table routes the commands.
        lender: makes a node's lender from what makes its connections, the first time a
            command goes to that node (nodes are told apart by name, ``host:port``).
        auto_pipelining: coalesce each node's concurrent commands (see :class:`AutoPipeline`).
        fallback: sends one command through the cluster client (discovering the cluster
            first if it has not been).
    """

    def __init__(
        self,
        cluster: RedisCluster,
        lender: Callable[[Callable[[], AbstractConnection]], Lender],
        auto_pipelining: bool,
        fallback: Send,
    ) -> None:
        self._cluster = cluster
        self._keyslot = cluster.keyslot
        self._new_lender = lender
        self._auto_pipelining = auto_pipelining
        self._fallback = fallback
        self._senders: dict[str, Send] = {}
        self._lenders: list[Lender] = []

    async def command(self, command: Command) -> Any:
        """Send ``command`` to its node and return its reply (an error reply is raised).

        Raises:
            redis.exceptions.RedisError, OSError: as ``RedisCluster.execute_command`` would,
                or ``TimeoutError`` if the node did not answer within the watchdog's bound.
        """
        try:
            node = self._cluster.nodes_manager.get_node_from_slot(self._keyslot(key_of(command)))
        except (SlotNotCoveredError, KeyError):  # not discovered yet, or a slot without a node
            return await self._fallback(command)
        send = self._senders.get(node.name)
        if send is None:
            send = self._senders[node.name] = self._add(node)
        try:
            return await send(command)
        except TimeoutError:
            raise
        except _REDIRECTED:  # refused, so not run: the cluster client sends it where it goes
            return await self._fallback(command)
        except _UNREACHED as exc:
            if applies_once(command) and not isinstance(exc, NotSent):
                raise  # it may have run: sent again, it could apply twice
            return await self._fallback(command)

    def _add(self, node: ClusterNode) -> Send:
        lender = self._new_lender(node_connections(node))
        self._lenders.append(lender)
        if not self._auto_pipelining:
            return lender.command
        loop = asyncio.get_running_loop()
        return AutoPipeline(loop, lender.command, lender.pipeline, lender.watchdog).execute

    async def close(self) -> None:
        """Close every node's connections (a later command opens new ones)."""
        lenders, self._lenders, self._senders = self._lenders, [], {}
        for lender in lenders:
            await lender.close()
