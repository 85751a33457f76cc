"""SyncStore over PydanticAdapter: blocking calls that take and return models."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from pydantic import BaseModel

from kvstore.core import DeserializationError, SerializationError
from kvstore.core.stores import SimpleStore
from kvstore.core.sync import SyncStore
from kvstore.pydantic import PydanticAdapter


class Event(BaseModel):
    name: str
    at: datetime


AT = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)


def test_models_go_in_and_come_out() -> None:
    store = SimpleStore()
    with SyncStore(PydanticAdapter(store, Event)) as events:
        events.put("events", "1", Event(name="launch", at=AT), ttl=60)
        events.put_many("events", {"2": Event(name="landing", at=AT)})
        assert events.get("events", "1") == Event(name="launch", at=AT)
        assert events.get_many("events", ["2", "missing"]) == [Event(name="landing", at=AT), None]
        assert events.exists("events", "1") is True
        info = events.ttl("events", "1")
        assert info is not None and info.ttl == 60
        assert events.delete_many("events", ["1", "2"]) == 2


def test_the_adapter_errors_come_through() -> None:
    store = SimpleStore()
    with SyncStore(PydanticAdapter(store, Event)) as events:
        with pytest.raises(SerializationError, match="expected an instance of Event"):
            events.put("events", "1", {"name": "launch"})  # type: ignore[arg-type]
        with SyncStore(store) as raw:
            raw.put("events", "bad", {"name": "launch"})
        with pytest.raises(DeserializationError, match="at: Field required"):
            events.get("events", "bad")


def test_operations_the_adapter_lacks_are_missing_through_the_facade_too() -> None:
    with (
        SyncStore(PydanticAdapter(SimpleStore(), Event)) as events,
        pytest.raises(AttributeError, match="keys"),
    ):
        events.keys("events")


def test_closing_the_facade_closes_the_store_the_adapter_adapts() -> None:
    closed: list[bool] = []

    class Recording(SimpleStore):
        async def _close(self) -> None:
            closed.append(True)

    with SyncStore(PydanticAdapter(Recording(), Event)) as events:
        assert events.get("events", "1") is None
    assert closed == [True]


def test_atomic_operations_take_and_return_models() -> None:
    store = SimpleStore()
    with SyncStore(PydanticAdapter(store, Event)) as events:
        launch = Event(name="launch", at=AT)
        assert events.add("events", "1", launch, ttl=60) is True
        assert events.add("events", "1", launch) is False
        found = events.get_versioned("events", "1")
        assert found is not None and found.value == launch
        landing = Event(name="landing", at=AT)
        assert events.put_versioned("events", "1", landing, version=found.version) is True
        assert events.put_versioned("events", "1", launch, version=found.version) is False
        assert events.touch("events", "1", 30) is True
        assert events.take("events", "1") == landing
        assert events.take("events", "1") is None
        assert events.increment("counts", "launches", 2) == 2
        with SyncStore(store) as raw:
            assert raw.get("counts", "launches") == {"count": 2}
