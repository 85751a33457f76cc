"""PydanticAdapter on every embedded store and on chains of wrappers over them."""

from __future__ import annotations

import asyncio
import enum
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from uuid import UUID

import pytest
from pydantic import BaseModel, ConfigDict

from kvstore.core import BaseKVStore, DeserializationError, SerializationError
from kvstore.disk import DiskStore
from kvstore.pydantic import PydanticAdapter


class Plan(str, enum.Enum):
    FREE = "free"
    PRO = "pro"


class Address(BaseModel):
    street: str
    city: str


class Account(BaseModel):
    model_config = ConfigDict(strict=True)

    id: UUID
    owner: str
    opened: datetime
    plan: Plan
    balance: Decimal
    address: Address
    history: list[Address] = []


ACCOUNT = Account(
    id=UUID("0f0e0d0c-0b0a-0908-0706-050403020100"),
    owner="Ada",
    opened=datetime(2024, 5, 17, 13, 45, 12, 345678, tzinfo=timezone(timedelta(hours=2))),
    plan=Plan.PRO,
    balance=Decimal("1234.5600"),
    address=Address(street="1 Main St", city="Springfield"),
    history=[Address(street="2 Side St", city="Shelbyville")],
)


@pytest.fixture
def accounts(store: BaseKVStore) -> PydanticAdapter[Account]:
    return PydanticAdapter(store, Account)


async def test_a_rich_model_round_trips(accounts: PydanticAdapter[Account]) -> None:
    await accounts.put("accounts", "ada", ACCOUNT)
    back = await accounts.get("accounts", "ada")
    assert back == ACCOUNT
    assert back is not None
    assert back.plan is Plan.PRO
    assert back.opened.utcoffset() == timedelta(hours=2)
    assert str(back.balance) == "1234.5600"


async def test_get_put_delete_exists_ttl(accounts: PydanticAdapter[Account]) -> None:
    assert await accounts.get("accounts", "ada") is None
    await accounts.put("accounts", "ada", ACCOUNT, ttl=600)
    assert await accounts.exists("accounts", "ada") is True
    info = await accounts.ttl("accounts", "ada")
    assert info is not None
    assert info.ttl == 600
    assert await accounts.delete("accounts", "ada") is True
    assert await accounts.delete("accounts", "ada") is False
    assert await accounts.get("accounts", "ada") is None


async def test_collections_keep_equal_keys_apart(accounts: PydanticAdapter[Account]) -> None:
    other = ACCOUNT.model_copy(update={"owner": "Bob"})
    await accounts.put("eu", "1", ACCOUNT)
    await accounts.put("us", "1", other)
    assert await accounts.get("eu", "1") == ACCOUNT
    assert await accounts.get("us", "1") == other


async def test_an_entry_expires(accounts: PydanticAdapter[Account]) -> None:
    await accounts.put("accounts", "ada", ACCOUNT, ttl=0.1)
    assert await accounts.get("accounts", "ada") == ACCOUNT
    await asyncio.sleep(0.15)
    assert await accounts.get("accounts", "ada") is None
    assert await accounts.get_many("accounts", ["ada"]) == [None]


async def test_batch_calls(accounts: PydanticAdapter[Account]) -> None:
    bob = ACCOUNT.model_copy(update={"owner": "Bob", "plan": Plan.FREE})
    await accounts.put_many("accounts", {"ada": ACCOUNT, "bob": bob})
    got = await accounts.get_many("accounts", ["bob", "eve", "ada", "bob"])
    assert got == [bob, None, ACCOUNT, bob]
    assert await accounts.delete_many("accounts", ["ada", "eve"]) == 1
    assert await accounts.get_many("accounts", ["ada", "bob"]) == [None, bob]


async def test_a_bad_batch_writes_nothing(
    accounts: PydanticAdapter[Account], store: BaseKVStore
) -> None:
    items = {"ada": ACCOUNT, "bad": Address(street="s", city="c")}
    with pytest.raises(SerializationError, match="'bad'"):
        await accounts.put_many("accounts", items)  # type: ignore[dict-item]
    assert await store.keys("accounts") == []


async def test_invalid_stored_data_raises_naming_key_and_fields(
    accounts: PydanticAdapter[Account], store: BaseKVStore
) -> None:
    broken = ACCOUNT.model_dump(mode="json")
    broken["plan"] = "platinum"
    del broken["owner"]
    await store.put("accounts", "broken", broken)
    with pytest.raises(DeserializationError) as caught:
        await accounts.get("accounts", "broken")
    message = str(caught.value)
    for expected in ("'accounts'", "'broken'", "owner:", "plan:"):
        assert expected in message
    lenient = PydanticAdapter(store, Account, invalid_as_miss=True)
    assert await lenient.get("accounts", "broken") is None


async def test_models_survive_reopening_a_disk_store(tmp_path: Path) -> None:
    async with DiskStore(path=tmp_path) as first:
        await PydanticAdapter(first, Account).put("accounts", "ada", ACCOUNT)
    async with DiskStore(path=tmp_path) as second:
        assert await PydanticAdapter(second, Account).get("accounts", "ada") == ACCOUNT
