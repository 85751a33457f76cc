"""PydanticAdapter.get_or_set and @cached through an adapter: models in, models out."""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone
from typing import Any

import pytest
from pydantic import BaseModel

from kvstore.core import DeserializationError, SerializationError, cached
from kvstore.core.stores import SimpleStore
from kvstore.pydantic import PydanticAdapter


class User(BaseModel):
    name: str
    joined: datetime


ADA = User(name="Ada", joined=datetime(2024, 5, 17, 9, 30, tzinfo=timezone.utc))


@pytest.fixture
def inner() -> SimpleStore:
    return SimpleStore()


@pytest.fixture
def users(inner: SimpleStore) -> PydanticAdapter[User]:
    return PydanticAdapter(inner, User)


async def test_a_miss_computes_the_model_stores_its_dump_and_returns_a_model(
    users: PydanticAdapter[User], inner: SimpleStore
) -> None:
    assert await users.get_or_set("users", "ada", lambda: ADA, ttl=60) == ADA
    assert await inner.get("users", "ada") == {"name": "Ada", "joined": "2024-05-17T09:30:00Z"}
    calls = 0

    def never() -> User:
        nonlocal calls
        calls += 1
        return ADA

    hit = await users.get_or_set("users", "ada", never)
    assert hit == ADA and isinstance(hit, User)
    assert calls == 0


async def test_concurrent_callers_share_one_call_and_each_gets_its_own_model(
    users: PydanticAdapter[User],
) -> None:
    calls = 0

    async def slow() -> User:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.01)
        return ADA

    models = await asyncio.gather(*(users.get_or_set("users", "ada", slow) for _ in range(30)))
    assert calls == 1
    assert all(model == ADA for model in models)
    assert models[0] is not models[1]


@pytest.mark.parametrize("wrong", [{"name": "Ada"}, "Ada", None], ids=repr)
async def test_a_result_that_is_not_the_model_raises_to_every_caller(
    users: PydanticAdapter[User], inner: SimpleStore, wrong: Any
) -> None:
    results = await asyncio.gather(
        *(users.get_or_set("users", "ada", lambda: wrong) for _ in range(3)),
        return_exceptions=True,
    )
    assert all(isinstance(result, SerializationError) for result in results), results
    assert await inner.get("users", "ada") is None


async def test_invalid_stored_data_raises(users: PydanticAdapter[User], inner: SimpleStore) -> None:
    await inner.put("users", "ada", {"name": 1})
    with pytest.raises(DeserializationError, match="'ada'"):
        await users.get_or_set("users", "ada", lambda: ADA)


async def test_with_invalid_as_miss_invalid_stored_data_is_computed_again(
    inner: SimpleStore,
) -> None:
    users = PydanticAdapter(inner, User, invalid_as_miss=True)
    await inner.put("users", "ada", {"name": 1})
    assert await users.get_or_set("users", "ada", lambda: ADA) == ADA
    assert await users.get("users", "ada") == ADA


async def test_a_store_without_get_or_set_is_a_type_error() -> None:
    class Bare:
        async def get(self, collection: str, key: str) -> None:
            return None

    users = PydanticAdapter(Bare(), User)  # type: ignore[call-overload]
    with pytest.raises(TypeError, match="has no get_or_set"):
        await users.get_or_set("users", "ada", lambda: ADA)


async def test_cached_through_an_adapter_keeps_models(
    users: PydanticAdapter[User], inner: SimpleStore
) -> None:
    calls = 0

    @cached(users, "users", ttl=60)
    async def load_user(name: str) -> User:
        nonlocal calls
        calls += 1
        return User(name=name, joined=ADA.joined)

    first = await load_user("Ada")
    second = await load_user("Ada")
    assert first == second == ADA and isinstance(second, User)
    assert calls == 1
    # Stored as the model's dump, not wrapped.
    assert await inner.get("users", load_user.cache_key("Ada")) == {
        "name": "Ada",
        "joined": "2024-05-17T09:30:00Z",
    }
