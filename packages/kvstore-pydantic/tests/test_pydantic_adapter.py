"""PydanticAdapter over SimpleStore: round trips, batch calls, errors and wrapper chains."""

from __future__ import annotations

import asyncio
import enum
import math
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ConfigDict, Field, RootModel, ValidationError

import kvstore.pydantic
from kvstore.core import (
    DeserializationError,
    InvalidKeyError,
    InvalidTTLError,
    KVStoreProtocol,
    Payload,
    SerializationError,
    UnsupportedOperationError,
)
from kvstore.core.stores import SimpleStore
from kvstore.core.wrappers import (
    PrefixKeyWrapper,
    SingleCollectionWrapper,
    StatisticsWrapper,
    TTLClampWrapper,
)
from kvstore.pydantic import PydanticAdapter


class Role(str, enum.Enum):
    ADMIN = "admin"
    GUEST = "guest"


class Priority(enum.IntEnum):
    LOW = 1
    HIGH = 2


class Address(BaseModel):
    street: str
    city: str


class User(BaseModel):
    name: str
    age: int
    email: str | None = None


class Rich(BaseModel):
    """One field per type whose JSON form differs from its Python form."""

    id: UUID
    created: datetime
    birthday: date
    session: timedelta
    role: Role
    priority: Priority
    balance: Decimal
    address: Address
    previous: list[Address] = Field(default_factory=list)
    pair: tuple[int, str]
    labels: set[str]
    blob: bytes
    scores: dict[int, float]


class StrictEvent(BaseModel):
    model_config = ConfigDict(strict=True)

    at: datetime
    id: UUID
    amount: Decimal


class Opaque:
    """A type pydantic can hold (arbitrary_types_allowed) but cannot dump to JSON."""


class HoldsOpaque(BaseModel):
    model_config = ConfigDict(arbitrary_types_allowed=True)

    thing: Opaque


class Measure(BaseModel):
    value: float


RICH = Rich(
    id=UUID("12345678-1234-5678-1234-567812345678"),
    created=datetime(2024, 5, 17, 13, 45, 12, 345678, tzinfo=timezone.utc),
    birthday=date(1815, 12, 10),
    session=timedelta(hours=1, milliseconds=250),
    role=Role.ADMIN,
    priority=Priority.HIGH,
    balance=Decimal("12345678901234567890.10"),
    address=Address(street="1 Main St", city="Springfield"),
    previous=[Address(street="2 Side St", city="Shelbyville")],
    pair=(7, "seven"),
    labels={"a", "b"},
    blob=b"\x00\x01binary",
    scores={1: 0.5, 2: 1.25},
)


@pytest.fixture
async def store() -> AsyncIterator[SimpleStore]:
    store = SimpleStore(max_entries=None)
    yield store
    await store.close()


@pytest.fixture
def users(store: SimpleStore) -> PydanticAdapter[User]:
    return PydanticAdapter(store, User)


def test_public_names_are_pinned() -> None:
    assert kvstore.pydantic.__all__ == ["PydanticAdapter"]


def test_rejects_a_model_argument_that_is_not_a_pydantic_model(store: SimpleStore) -> None:
    with pytest.raises(TypeError, match="BaseModel subclass"):
        PydanticAdapter(store, dict)  # type: ignore[type-var]


# -- round trips ---------------------------------------------------------------------------


async def test_put_then_get_returns_an_equal_model(users: PydanticAdapter[User]) -> None:
    await users.put("users", "ada", User(name="Ada", age=36))
    assert await users.get("users", "ada") == User(name="Ada", age=36)


async def test_get_of_a_missing_key_is_none(users: PydanticAdapter[User]) -> None:
    assert await users.get("users", "nobody") is None


async def test_every_rich_field_round_trips(store: SimpleStore) -> None:
    adapter = PydanticAdapter(store, Rich)
    await adapter.put("rich", "one", RICH)
    back = await adapter.get("rich", "one")
    assert back == RICH
    assert back is not None
    assert isinstance(back.role, Role)
    assert isinstance(back.priority, Priority)
    assert isinstance(back.address, Address)
    assert back.created.tzinfo is not None


@pytest.mark.parametrize(
    ("field", "stored"),
    [
        ("id", "12345678-1234-5678-1234-567812345678"),
        ("created", "2024-05-17T13:45:12.345678Z"),
        ("birthday", "1815-12-10"),
        ("role", "admin"),
        ("priority", 2),
        ("balance", "12345678901234567890.10"),
        ("address", {"street": "1 Main St", "city": "Springfield"}),
        ("pair", [7, "seven"]),
    ],
)
async def test_put_stores_the_json_form_of_each_field(
    store: SimpleStore, field: str, stored: Any
) -> None:
    await PydanticAdapter(store, Rich).put("rich", "one", RICH)
    raw = await store.get("rich", "one")
    assert raw is not None
    assert raw[field] == stored


@pytest.mark.parametrize(
    "when",
    [
        datetime(2024, 1, 1, 12, 0, tzinfo=timezone.utc),
        datetime(2024, 1, 1, 12, 0, tzinfo=timezone(timedelta(hours=-5, minutes=-30))),
        datetime(2024, 1, 1, 12, 0, 0, 1),
    ],
    ids=["utc", "offset", "naive"],
)
async def test_datetimes_keep_their_offset_or_naivety(store: SimpleStore, when: datetime) -> None:
    class Stamp(BaseModel):
        at: datetime

    adapter = PydanticAdapter(store, Stamp)
    await adapter.put("stamps", "one", Stamp(at=when))
    back = await adapter.get("stamps", "one")
    assert back is not None
    assert back.at == when
    assert back.at.utcoffset() == when.utcoffset()


@pytest.mark.parametrize("amount", ["0.1", "1.10", "-0.000000000000000000001", "1E+30"])
async def test_decimals_keep_their_exact_value(store: SimpleStore, amount: str) -> None:
    class Money(BaseModel):
        amount: Decimal

    adapter = PydanticAdapter(store, Money)
    await adapter.put("money", "one", Money(amount=Decimal(amount)))
    back = await adapter.get("money", "one")
    assert back is not None
    assert back.amount == Decimal(amount)
    assert str(back.amount) == str(Decimal(amount))


async def test_a_strict_model_round_trips(store: SimpleStore) -> None:
    event = StrictEvent(
        at=datetime(2024, 2, 29, tzinfo=timezone.utc),
        id=UUID(int=42),
        amount=Decimal("9.99"),
    )
    adapter = PydanticAdapter(store, StrictEvent)
    await adapter.put("events", "e1", event)
    assert await adapter.get("events", "e1") == event


@pytest.mark.skipif(
    "val_json_bytes" not in ConfigDict.__annotations__,
    reason="pydantic < 2.9 has no val_json_bytes: its own base64 dumps do not validate back",
)
async def test_a_model_with_base64_bytes_round_trips(store: SimpleStore) -> None:
    class Attachment(BaseModel):
        model_config = ConfigDict(ser_json_bytes="base64", val_json_bytes="base64")

        data: bytes

    adapter = PydanticAdapter(store, Attachment)
    await adapter.put("files", "f", Attachment(data=b"\xff\x00\xfe"))
    assert await adapter.get("files", "f") == Attachment(data=b"\xff\x00\xfe")


async def test_mutating_models_never_changes_what_is_stored(users: PydanticAdapter[User]) -> None:
    user = User(name="Ada", age=36)
    await users.put("users", "ada", user)
    user.age = 99
    first = await users.get("users", "ada")
    assert first is not None
    first.name = "changed"
    assert await users.get("users", "ada") == User(name="Ada", age=36)


@settings(max_examples=60, deadline=None)
@given(
    name=st.text(min_size=1),
    age=st.integers(min_value=-(2**63), max_value=2**63 - 1),
    email=st.none() | st.text(),
    key=st.text(min_size=1),
)
def test_any_user_round_trips_under_any_key(
    name: str, age: int, email: str | None, key: str
) -> None:
    async def scenario() -> User | None:
        adapter = PydanticAdapter(SimpleStore(), User)
        await adapter.put("users", key, User(name=name, age=age, email=email))
        return await adapter.get("users", key)

    assert asyncio.run(scenario()) == User(name=name, age=age, email=email)


# -- the other operations ----------------------------------------------------------------


async def test_put_overwrites(users: PydanticAdapter[User]) -> None:
    await users.put("users", "ada", User(name="Ada", age=36))
    await users.put("users", "ada", User(name="Ada", age=37))
    assert await users.get("users", "ada") == User(name="Ada", age=37)


async def test_collections_keep_equal_keys_apart(users: PydanticAdapter[User]) -> None:
    await users.put("staff", "1", User(name="Ada", age=36))
    await users.put("guests", "1", User(name="Bob", age=20))
    assert await users.get("staff", "1") == User(name="Ada", age=36)
    assert await users.get("guests", "1") == User(name="Bob", age=20)


async def test_delete_and_exists(users: PydanticAdapter[User]) -> None:
    await users.put("users", "ada", User(name="Ada", age=36))
    assert await users.exists("users", "ada") is True
    assert await users.delete("users", "ada") is True
    assert await users.delete("users", "ada") is False
    assert await users.exists("users", "ada") is False
    assert await users.get("users", "ada") is None


async def test_ttl_reports_the_metadata(users: PydanticAdapter[User]) -> None:
    await users.put("users", "ada", User(name="Ada", age=36), ttl=timedelta(minutes=5))
    info = await users.ttl("users", "ada")
    assert info is not None
    assert (info.collection, info.key, info.ttl) == ("users", "ada", 300.0)
    assert await users.ttl("users", "nobody") is None


async def test_an_entry_expires_after_its_ttl(users: PydanticAdapter[User]) -> None:
    await users.put("users", "ada", User(name="Ada", age=36), ttl=0.05)
    assert await users.get("users", "ada") is not None
    await asyncio.sleep(0.08)
    assert await users.get("users", "ada") is None
    assert await users.exists("users", "ada") is False


async def test_batch_calls(users: PydanticAdapter[User]) -> None:
    ada, bob = User(name="Ada", age=36), User(name="Bob", age=20)
    await users.put_many("users", {"ada": ada, "bob": bob}, ttl=60)
    assert await users.get_many("users", ["bob", "nobody", "ada", "bob"]) == [bob, None, ada, bob]
    assert await users.get_many("users", []) == []
    assert await users.get_many("users", (key for key in ["ada", "eve"])) == [ada, None]  # type: ignore[arg-type]
    assert await users.delete_many("users", ["ada", "nobody", "ada"]) == 1
    assert await users.get_many("users", ["ada", "bob"]) == [None, bob]


# -- bad input -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [{"name": "Ada", "age": 36}, Address(street="s", city="c"), None, "Ada"],
    ids=["dict", "other-model", "none", "str"],
)
async def test_putting_something_that_is_not_the_model_raises(
    users: PydanticAdapter[User], store: SimpleStore, value: Any
) -> None:
    with pytest.raises(SerializationError, match=r"expected an instance of User.*'users'.*'k'"):
        await users.put("users", "k", value)
    assert await store.keys("users") == []


async def test_a_model_that_cannot_be_dumped_raises(store: SimpleStore) -> None:
    adapter = PydanticAdapter(store, HoldsOpaque)
    with pytest.raises(SerializationError, match=r"'things'.*'k'") as caught:
        await adapter.put("things", "k", HoldsOpaque(thing=Opaque()))
    assert caught.value.__cause__ is not None
    assert await store.keys("things") == []


async def test_a_model_that_dumps_to_a_non_object_raises(store: SimpleStore) -> None:
    adapter = PydanticAdapter(store, RootModel[list[int]])
    with pytest.raises(SerializationError, match="not a JSON object"):
        await adapter.put("lists", "k", RootModel[list[int]]([1, 2]))
    assert await store.keys("lists") == []


async def test_a_non_finite_float_raises(store: SimpleStore) -> None:
    adapter = PydanticAdapter(store, Measure)
    with pytest.raises(SerializationError):
        await adapter.put("measures", "k", Measure(value=math.nan))
    assert await store.keys("measures") == []


async def test_put_many_writes_nothing_if_one_item_is_bad(
    users: PydanticAdapter[User], store: SimpleStore
) -> None:
    items: dict[str, Any] = {"ada": User(name="Ada", age=36), "bad": {"name": "x", "age": 1}}
    with pytest.raises(SerializationError, match="'bad'"):
        await users.put_many("users", items)
    assert await store.keys("users") == []


async def test_put_many_rejects_a_non_mapping(users: PydanticAdapter[User]) -> None:
    with pytest.raises(InvalidKeyError, match="mapping"):
        await users.put_many("users", [("ada", User(name="Ada", age=36))])  # type: ignore[arg-type]


async def test_invalid_names_and_ttls_raise(users: PydanticAdapter[User]) -> None:
    with pytest.raises(InvalidKeyError):
        await users.get("users", "")
    with pytest.raises(InvalidKeyError):
        await users.put("", "k", User(name="Ada", age=36))
    with pytest.raises(InvalidTTLError):
        await users.put("users", "k", User(name="Ada", age=36), ttl=math.inf)
    with pytest.raises(InvalidKeyError):
        await users.get_many("users", "ab")


# -- stored data that does not validate ------------------------------------------------------


async def test_invalid_stored_data_raises_naming_collection_key_and_fields(
    users: PydanticAdapter[User], store: SimpleStore
) -> None:
    await store.put("users", "ada", {"name": "Ada", "age": "secret-value", "extra": 1})
    await store.put("users", "nameless", {"age": 3})
    with pytest.raises(DeserializationError) as caught:
        await users.get("users", "ada")
    message = str(caught.value)
    assert "'users'" in message
    assert "'ada'" in message
    assert "age:" in message
    assert "secret-value" not in message
    assert isinstance(caught.value.__cause__, ValidationError)
    with pytest.raises(DeserializationError, match=r"'nameless'.*name: Field required"):
        await users.get("users", "nameless")


async def test_nested_failing_fields_are_named_by_path(store: SimpleStore) -> None:
    adapter = PydanticAdapter(store, Rich)
    raw = RICH.model_dump(mode="json")
    raw["previous"][0]["city"] = 5
    await store.put("rich", "one", raw)
    with pytest.raises(DeserializationError, match=r"previous\.0\.city"):
        await adapter.get("rich", "one")


async def test_get_many_raises_naming_the_invalid_key(
    users: PydanticAdapter[User], store: SimpleStore
) -> None:
    await users.put("users", "ada", User(name="Ada", age=36))
    await store.put("users", "broken", {"name": 1})
    with pytest.raises(DeserializationError, match="'broken'"):
        await users.get_many("users", ["ada", "broken"])


async def test_invalid_as_miss_turns_invalid_data_into_none(store: SimpleStore) -> None:
    lenient = PydanticAdapter(store, User, invalid_as_miss=True)
    await store.put("users", "broken", {"name": 1})
    await lenient.put("users", "ada", User(name="Ada", age=36))
    assert await lenient.get("users", "broken") is None
    assert await lenient.get_many("users", ["broken", "ada"]) == [None, User(name="Ada", age=36)]
    # The entry is still there: invalid_as_miss hides it from reads, never deletes it.
    assert await lenient.exists("users", "broken") is True


async def test_invalid_as_miss_is_off_by_default(users: PydanticAdapter[User]) -> None:
    assert users.invalid_as_miss is False


# -- wrapper chains ----------------------------------------------------------------------


async def test_over_a_single_collection_wrapper(store: SimpleStore) -> None:
    adapter = PydanticAdapter(SingleCollectionWrapper(store, "users"), User)
    await adapter.put("admins", "1", User(name="Ada", age=36))
    assert await adapter.get("admins", "1") == User(name="Ada", age=36)
    assert await store.list_collections() == ["users"]
    assert await store.get("users", "admins__1") == {"name": "Ada", "age": 36, "email": None}


async def test_over_a_chain_of_wrappers(store: SimpleStore) -> None:
    stats = StatisticsWrapper(
        TTLClampWrapper(PrefixKeyWrapper(store, "app"), min_ttl=1, max_ttl=60, missing_ttl=30)
    )
    adapter = PydanticAdapter(stats, User)
    await adapter.put_many("users", {"ada": User(name="Ada", age=36)})
    assert await adapter.get_many("users", ["ada", "bob"]) == [User(name="Ada", age=36), None]
    info = await adapter.ttl("users", "ada")
    assert info is not None
    assert info.ttl == 30
    assert stats.statistics.get_collection("users").get_many.hit == 1
    assert stats.statistics.get_collection("users").get_many.miss == 1


def test_repr_names_store_and_model(users: PydanticAdapter[User]) -> None:
    assert repr(users).startswith("PydanticAdapter(")
    assert repr(users).endswith(", User)")


# -- atomic operations ----------------------------------------------------------------------


class Token(BaseModel):
    user: str
    issued: datetime


ISSUED = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)


class InterleavingStore(SimpleStore):
    """A SimpleStore whose compare-and-set steps let other tasks run first, so that tasks
    racing through it interleave between the steps of an operation."""

    async def _read_versioned(self, collection: str, key: str) -> tuple[Payload, str] | None:
        await asyncio.sleep(0)
        return await super()._read_versioned(collection, key)

    async def _write_versioned(
        self, collection: str, key: str, payload: str, ttl: float | None, version: str | None
    ) -> bool:
        await asyncio.sleep(0)
        return await super()._write_versioned(collection, key, payload, ttl, version)

    async def _remove_versioned(self, collection: str, key: str, version: str) -> bool:
        await asyncio.sleep(0)
        return await super()._remove_versioned(collection, key, version)


@pytest.fixture
def interleaving() -> SimpleStore:
    return InterleavingStore(max_entries=None)


async def test_atomic_operations_take_and_return_models() -> None:
    inner = SimpleStore()
    tokens = PydanticAdapter(inner, Token)
    assert tokens.atomic_operations == inner.atomic_operations
    assert await tokens.add("tokens", "t", Token(user="ada", issued=ISSUED), ttl=60) is True
    assert await tokens.add("tokens", "t", Token(user="eve", issued=ISSUED)) is False
    assert await inner.get("tokens", "t") == {"user": "ada", "issued": "2026-01-02T03:04:05Z"}
    found = await tokens.get_versioned("tokens", "t")
    assert found is not None
    assert found.value == Token(user="ada", issued=ISSUED)
    assert found.version == (await inner.get_versioned("tokens", "t")).version  # type: ignore[union-attr]
    bob = Token(user="bob", issued=ISSUED)
    assert await tokens.put_versioned("tokens", "t", bob, version=found.version) is True
    assert await tokens.put_versioned("tokens", "t", bob, version=found.version) is False
    assert await tokens.put_versioned("tokens", "new", bob, version=None, ttl=5) is True
    assert await tokens.touch("tokens", "t", 30) is True
    assert await tokens.touch("tokens", "missing", 30) is False
    assert await tokens.take("tokens", "t") == bob
    assert await tokens.take("tokens", "t") is None
    assert await tokens.get_versioned("tokens", "t") is None
    assert await tokens.increment("hits", "k", 3, ttl=60) == 3
    assert await tokens.increment("hits", "k") == 4
    assert await inner.get("hits", "k") == {"count": 4}


async def test_atomic_writes_refuse_what_is_not_the_model() -> None:
    inner = SimpleStore()
    tokens = PydanticAdapter(inner, Token)
    with pytest.raises(SerializationError, match="expected an instance of Token"):
        await tokens.add("tokens", "t", {"user": "ada"})  # type: ignore[arg-type]
    with pytest.raises(SerializationError, match="expected an instance of Token"):
        await tokens.put_versioned("tokens", "t", User(name="a", age=1), version=None)  # type: ignore[arg-type]
    assert await inner.keys("tokens") == []


async def test_take_validates_before_it_removes() -> None:
    inner = SimpleStore()
    await inner.put("tokens", "bad", {"user": "ada"})
    with pytest.raises(DeserializationError, match="issued: Field required"):
        await PydanticAdapter(inner, Token).take("tokens", "bad")
    assert await PydanticAdapter(inner, Token, invalid_as_miss=True).take("tokens", "bad") is None
    lenient = PydanticAdapter(inner, Token, invalid_as_miss=True)
    assert await lenient.get_versioned("tokens", "bad") is None
    assert await inner.get("tokens", "bad") == {"user": "ada"}, "nothing was removed"
    with pytest.raises(DeserializationError):
        await PydanticAdapter(inner, Token).get_versioned("tokens", "bad")


async def test_racing_takes_give_the_model_to_exactly_one(interleaving: SimpleStore) -> None:
    tokens = PydanticAdapter(interleaving, Token)
    await tokens.put("tokens", "t", Token(user="ada", issued=ISSUED))
    taken = await asyncio.gather(*(tokens.take("tokens", "t") for _ in range(64)))
    assert [model for model in taken if model is not None] == [Token(user="ada", issued=ISSUED)]
    added = await asyncio.gather(
        *(tokens.add("tokens", "once", Token(user=str(n), issued=ISSUED)) for n in range(64))
    )
    assert added.count(True) == 1
    counts = await asyncio.gather(*(tokens.increment("hits", "k") for _ in range(64)))
    assert sorted(counts) == list(range(1, 65))


async def test_atomic_operations_need_a_store_that_has_them() -> None:
    class Counting(SimpleStore):
        atomic_operations = frozenset({"increment", "add"})

    counting = PydanticAdapter(Counting(), Token)
    assert counting.atomic_operations == {"increment", "add"}
    assert await counting.increment("hits", "k") == 1
    with pytest.raises(UnsupportedOperationError, match=r"over Counting does not .*take\(\)"):
        await counting.take("tokens", "t")

    class ProtocolOnly:
        def __init__(self) -> None:
            self._store = SimpleStore()

        def __getattr__(self, name: str) -> Any:
            if name.startswith("_") or not hasattr(KVStoreProtocol, name):
                raise AttributeError(name)
            return getattr(self._store, name)

    plain = PydanticAdapter(ProtocolOnly(), Token)
    assert plain.atomic_operations == frozenset()
    with pytest.raises(UnsupportedOperationError, match="increment"):
        await plain.increment("hits", "k")


async def test_atomic_operations_through_a_wrapper_chain() -> None:
    inner = SimpleStore()
    store = StatisticsWrapper(TTLClampWrapper(SingleCollectionWrapper(inner, "all"), 1, 100))
    tokens = PydanticAdapter(store, Token)
    assert await tokens.add("tokens", "t", Token(user="ada", issued=ISSUED), ttl=10_000) is True
    info = await tokens.ttl("tokens", "t")
    assert info is not None and info.ttl == 100
    assert await tokens.take("tokens", "t") == Token(user="ada", issued=ISSUED)
    assert await inner.keys("all") == []
