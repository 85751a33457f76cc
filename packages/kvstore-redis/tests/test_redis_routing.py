"""Which single-key calls the store routes itself on a cluster, and which commands it never
sends twice (no server: nothing is sent)."""

from __future__ import annotations

import pytest

from kvstore.redis import RedisStore
from kvstore.redis._cluster import key_of
from kvstore.redis._connections import applies_once

URL = "redis+cluster://127.0.0.1:7000"


async def test_a_cluster_store_routes_its_single_key_calls() -> None:
    store = RedisStore(url=URL)
    connections = store._loops.get()
    assert connections.router is not None
    assert connections.send == connections.router.command
    await store.close()


async def test_replica_reads_are_left_to_the_cluster_client() -> None:
    from redis.cluster import LoadBalancingStrategy

    options = {"load_balancing_strategy": LoadBalancingStrategy.ROUND_ROBIN}
    store = RedisStore(url=URL, client_options=options)
    assert store._loops.get().router is None
    await store.close()


async def test_a_handed_in_cluster_client_is_not_routed_by_the_store() -> None:
    from redis.asyncio import RedisCluster

    client = RedisCluster(host="127.0.0.1", port=7000)
    store = RedisStore(client=client)
    assert store._loops.get().router is None
    await store.close()


@pytest.mark.parametrize(
    ("command", "key"),
    [
        (("GET", b"k"), b"k"),
        (("SET", b"k", "v", "PX", 5), b"k"),
        (("UNLINK", b"k"), b"k"),
        (("EVALSHA", "0" * 40, 1, b"k", "a"), b"k"),
        (("EVAL", "return 1", 1, b"k"), b"k"),
    ],
)
def test_the_key_of_a_single_key_command(command: tuple[object, ...], key: bytes) -> None:
    assert key_of(command) == key


@pytest.mark.parametrize(
    ("command", "once"),
    [
        (("GET", b"k"), False),
        (("SET", b"k", "NX"), False),  # a payload that reads NX is still a plain SET
        (("SET", b"k", "{}", "PX", 1000), False),
        (("SET", b"k", "{}", "NX"), True),
        (("SET", b"k", "{}", "NX", "PX", 1000), True),
        (("EVALSHA", "0" * 40, 1, b"k"), True),
        (("EVAL", "return 1", 1, b"k"), True),
        (("UNLINK", b"k"), False),
    ],
)
def test_atomic_commands_are_the_ones_never_sent_twice(
    command: tuple[object, ...], once: bool
) -> None:
    assert applies_once(command) is once
