"""PydanticAdapter called as kv-store-adapter 0.1 called it (docs/migrating.md)."""

from __future__ import annotations

import pytest
from pydantic import BaseModel

from kvstore.core.stores import SimpleStore
from kvstore.pydantic import PydanticAdapter


class User(BaseModel):
    name: str


async def test_store_protocol_is_accepted_with_a_warning_naming_store() -> None:
    store = SimpleStore()
    with pytest.warns(DeprecationWarning, match=r"write PydanticAdapter\(store=\.\.\.\)"):
        users = PydanticAdapter(store_protocol=store, pydantic_model=User)
    await users.put(collection="users", key="ada", value=User(name="Ada"), ttl=60)
    assert await users.get(collection="users", key="ada") == User(name="Ada")
    assert await users.exists(collection="users", key="ada")
    assert await users.delete(collection="users", key="ada")
    assert users.store is store


def test_the_current_names_raise_no_warning() -> None:
    users = PydanticAdapter(store=SimpleStore(), pydantic_model=User)
    assert users.model is User


def test_the_store_given_twice_or_not_at_all_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="not both"):
        PydanticAdapter(SimpleStore(), User, store_protocol=SimpleStore())  # type: ignore[call-overload]
    with pytest.raises(TypeError, match="needs a store"):
        PydanticAdapter(pydantic_model=User)  # type: ignore[call-overload]
