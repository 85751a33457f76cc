"""The store routes a cluster's single-key commands itself; what its slot table gets wrong
(a moved slot) goes through the cluster client, which follows the redirection."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from kvstore.redis import RedisStore
from kvstore.redis._layout import encode_name

pytestmark = pytest.mark.cluster


@pytest.mark.parametrize("auto_pipelining", [False, True], ids=["plain", "auto-pipelining"])
async def test_a_stale_slot_table_is_corrected_through_the_cluster_client(
    redis_cluster_url: str, auto_pipelining: bool
) -> None:
    store = RedisStore(
        url=redis_cluster_url,
        prefix=f"routing-{uuid.uuid4().hex[:8]}:",
        auto_pipelining=auto_pipelining,
    )
    keys = [f"k{n}" for n in range(32)]
    await asyncio.gather(*(store.put("c", key, {"k": key}) for key in keys))
    cluster = store._loops.get().cluster
    assert cluster is not None
    slots = {key: cluster.keyslot(encode_name(store._prefix, "c", key)) for key in keys}
    right = {key: cluster.nodes_manager.slots_cache[slot][0].name for key, slot in slots.items()}

    def misroute(moved: list[str]) -> None:
        """Point the slot of every key in ``moved`` at a primary that does not serve it."""
        table = cluster.nodes_manager.slots_cache
        primaries = cluster.get_primaries()
        for key in moved:
            table[slots[key]] = [next(node for node in primaries if node.name != right[key])]

    # Each node answers MOVED; the store's call still gets the value, one call at a time...
    misroute(keys[:16])
    for key in keys[:16]:
        assert await store.get("c", key) == {"k": key}
    # ... and concurrently (auto-pipelined: MOVED is one command's error reply in a pipeline).
    # On every 5th MOVED redis-py 7.1+ closes its client to rediscover the cluster, failing the
    # other tasks' commands in flight on it, with or without this store: not under test here.
    cluster.reinitialize_steps = 0
    misroute(keys[16:])
    values = await asyncio.gather(*(store.get("c", key) for key in keys[16:]))
    assert values == [{"k": key} for key in keys[16:]]
    misroute(keys[1:2])
    assert await store.delete("c", keys[1]) is True
    assert await store.add("c", keys[1], {"again": True}) is True
    assert await store.get("c", keys[1]) == {"again": True}
    # The cluster client refreshed its table: the next calls go to the right nodes.
    assert {key: cluster.nodes_manager.get_node_from_slot(slots[key]).name for key in keys} == right
    await store.clear_collection("c")
    await store.close()
