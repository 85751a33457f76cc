"""SingleCollectionAdapter: the protocol bound to one collection."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from kvstore.core import ATOMIC_OPERATIONS, KVStoreProtocol
from kvstore.core.adapters import SingleCollectionAdapter
from kvstore.core.errors import InvalidKeyError, UnsupportedOperationError
from kvstore.core.stores import SimpleStore


async def test_single_collection_adapter() -> None:
    inner = SimpleStore()
    users = SingleCollectionAdapter(inner, "users")
    await users.put("ada", {"name": "Ada"}, ttl=60)
    await users.put_many({"bob": {}, "eve": {}})
    assert await inner.get("users", "ada") == {"name": "Ada"}
    assert await users.get("ada") == {"name": "Ada"}
    assert await users.exists("bob") is True
    info = await users.ttl("ada")
    assert info is not None and info.ttl == 60
    assert await users.get_many(["ada", "zed"]) == [{"name": "Ada"}, None]
    assert await users.delete("bob") is True
    assert await users.delete_many(["eve", "bob"]) == 1
    with pytest.raises(InvalidKeyError):
        SingleCollectionAdapter(inner, "")


async def test_single_collection_adapter_atomic_operations() -> None:
    inner = SimpleStore()
    tokens = SingleCollectionAdapter(inner, "tokens")
    assert tokens.atomic_operations == ATOMIC_OPERATIONS
    assert await tokens.add("t", {"user": "ada"}, ttl=60) is True
    assert await tokens.add("t", {"user": "eve"}) is False
    found = await tokens.get_versioned("t")
    assert found is not None and found.value == {"user": "ada"}
    assert found == await inner.get_versioned("tokens", "t")
    assert await tokens.put_versioned("t", {"user": "bob"}, version=found.version) is True
    assert await tokens.put_versioned("t", {"user": "eve"}, version=found.version) is False
    assert await tokens.touch("t", 5) is True
    info = await inner.ttl("tokens", "t")
    assert info is not None and info.ttl == 5
    assert await tokens.take("t") == {"user": "bob"}
    assert await tokens.take("t") is None
    assert await tokens.increment("hits", 2, ttl=60) == 2
    assert await inner.get("tokens", "hits") == {"count": 2}


async def test_single_collection_adapter_races_are_exact(interleaving_store: SimpleStore) -> None:
    counters = SingleCollectionAdapter(interleaving_store, "c")
    counts = await asyncio.gather(*(counters.increment("k") for _ in range(64)))
    assert sorted(counts) == list(range(1, 65))
    added = await asyncio.gather(*(counters.add("once", {"n": n}) for n in range(64)))
    assert added.count(True) == 1


async def test_single_collection_adapter_over_a_protocol_only_store_refuses_atomic_ops() -> None:
    class ProtocolOnly:
        """Only the protocol's eight operations, over a SimpleStore."""

        def __init__(self) -> None:
            self._store = SimpleStore()

        def __getattr__(self, name: str) -> Any:
            if name.startswith("_") or not hasattr(KVStoreProtocol, name):
                raise AttributeError(name)
            return getattr(self._store, name)

    adapter = SingleCollectionAdapter(ProtocolOnly(), "c")
    await adapter.put("k", {"v": 1})
    assert adapter.atomic_operations == frozenset()
    with pytest.raises(UnsupportedOperationError, match=r"SingleCollectionAdapter does not .*take"):
        await adapter.take("k")
    assert await adapter.get("k") == {"v": 1}


async def test_get_or_set_computes_once_in_the_adapters_collection() -> None:
    inner = SimpleStore()
    users = SingleCollectionAdapter(inner, "users")
    calls = 0

    async def load() -> dict[str, str]:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.01)
        return {"name": "Ada"}

    values = await asyncio.gather(*(users.get_or_set("ada", load, ttl=60) for _ in range(10)))
    assert values == [{"name": "Ada"}] * 10
    assert calls == 1
    assert await inner.get("users", "ada") == {"name": "Ada"}
    assert await users.get_or_set("ada", load) == {"name": "Ada"}
    assert calls == 1
