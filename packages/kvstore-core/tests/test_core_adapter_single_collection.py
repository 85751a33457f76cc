"""SingleCollectionAdapter: the protocol bound to one collection."""

from __future__ import annotations

import pytest

from kvstore.core.adapters import SingleCollectionAdapter
from kvstore.core.errors import InvalidKeyError
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
