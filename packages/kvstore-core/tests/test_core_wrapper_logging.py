"""LoggingWrapper: one structured record per operation."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

import pytest

from kvstore.core import BaseKVStore
from kvstore.core.errors import (
    SerializationError,
    StoreConnectionError,
)
from kvstore.core.stores import SimpleStore
from kvstore.core.wrappers import LoggingWrapper
from kvstore.testing import FlakyStore, StoreConformance


class TestLoggingWrapper(StoreConformance):
    """Logging enabled, values included: the path with the most work in it."""

    @pytest.fixture
    async def store(self, debug_logger: logging.Logger) -> AsyncIterator[BaseKVStore]:
        inner = SimpleStore(max_entries=None)
        async with LoggingWrapper(inner, logger=debug_logger, log_values=True) as store:
            yield store


def kvstore_fields(record: logging.LogRecord) -> dict[str, Any]:
    return {name: value for name, value in vars(record).items() if name.startswith("kvstore_")}


async def test_logging_records_each_operation(debug_logger: logging.Logger) -> None:
    store = LoggingWrapper(SimpleStore(), logger=debug_logger)
    records: list[logging.LogRecord] = debug_logger.records  # type: ignore[attr-defined]
    await store.put("users", "42", {"name": "Ada"}, ttl=60)
    await store.get("users", "42")
    await store.get("users", "missing")
    await store.get_many("users", ["42", "missing"])
    await store.delete("users", "nope")
    await store.delete_many("users", ["42", "x"])
    assert [kvstore_fields(r)["kvstore_operation"] for r in records] == [
        "put",
        "get",
        "get",
        "get_many",
        "delete",
        "delete_many",
    ]
    put, hit, miss, many, delete, delete_many = (kvstore_fields(r) for r in records)
    assert put["kvstore_collection"] == "users"
    assert put["kvstore_key"] == "42"
    assert put["kvstore_ttl"] == 60
    assert put["kvstore_outcome"] == "ok"
    assert hit["kvstore_outcome"] == "hit"
    assert miss["kvstore_outcome"] == "miss"
    assert many["kvstore_keys"] == ["42", "missing"]
    assert many["kvstore_hits"] == 1
    assert delete["kvstore_outcome"] == "absent"
    assert delete_many["kvstore_count"] == 1
    for record in records:
        assert record.levelno == logging.DEBUG
        assert 0 <= record.kvstore_duration_ms < 1000  # type: ignore[attr-defined]
    assert records[1].getMessage().startswith("kvstore get collection='users' key='42': hit (")


async def test_logging_redacts_values_by_default(debug_logger: logging.Logger) -> None:
    store = LoggingWrapper(SimpleStore(), logger=debug_logger)
    records: list[logging.LogRecord] = debug_logger.records  # type: ignore[attr-defined]
    await store.put("users", "42", {"password": "hunter2"})
    await store.put_many("users", {"43": {"password": "hunter2"}})
    await store.get("users", "42")
    await store.get_many("users", ["42"])
    await store.get_with_ttl("users", "42")
    with pytest.raises(SerializationError):
        await store.put("users", "44", {"hunter2": {"x": {1: "y"}}, "k": {"hunter2": 1}})
    assert len(records) == 6
    for record in records:
        assert "hunter2" not in repr(vars(record))
        assert "hunter2" not in record.getMessage()
    assert records[-1].kvstore_error == "SerializationError"  # type: ignore[attr-defined]


async def test_logging_values_when_asked(debug_logger: logging.Logger) -> None:
    store = LoggingWrapper(SimpleStore(), logger=debug_logger, log_values=True)
    records: list[logging.LogRecord] = debug_logger.records  # type: ignore[attr-defined]
    await store.put("c", "k", {"v": 1})
    await store.get("c", "k")
    await store.get_many("c", ["k", "x"])
    assert records[0].kvstore_value == {"v": 1}  # type: ignore[attr-defined]
    assert records[1].kvstore_value == {"v": 1}  # type: ignore[attr-defined]
    assert records[2].kvstore_values == [{"v": 1}, None]  # type: ignore[attr-defined]


async def test_logging_errors_at_warning(debug_logger: logging.Logger) -> None:
    inner = FlakyStore()
    inner.down = True
    store = LoggingWrapper(inner, logger=debug_logger)
    records: list[logging.LogRecord] = debug_logger.records  # type: ignore[attr-defined]
    with pytest.raises(StoreConnectionError):
        await store.get("c", "k")
    (record,) = records
    assert record.levelno == logging.WARNING
    assert record.kvstore_outcome == "error"  # type: ignore[attr-defined]
    assert record.kvstore_error.startswith("StoreConnectionError: ")  # type: ignore[attr-defined]


async def test_logging_iter_keys_and_management(debug_logger: logging.Logger) -> None:
    store = LoggingWrapper(SimpleStore(), logger=debug_logger)
    records: list[logging.LogRecord] = debug_logger.records  # type: ignore[attr-defined]
    await store.put_many("c", {"a": {}, "b": {}, "c": {}})
    assert sorted([key async for key in store.iter_keys("c")]) == ["a", "b", "c"]
    assert records[-1].kvstore_operation == "iter_keys"  # type: ignore[attr-defined]
    assert records[-1].kvstore_count == 3  # type: ignore[attr-defined]
    assert await store.clear_collection("c") == 3
    assert records[-1].kvstore_count == 3  # type: ignore[attr-defined]
    await store.list_collections()
    await store.cull()
    await store.close()
    operations = [r.kvstore_operation for r in records[-3:]]  # type: ignore[attr-defined]
    assert operations == ["list_collections", "cull", "close"]


async def test_logging_is_silent_when_the_level_is_off(debug_logger: logging.Logger) -> None:
    debug_logger.setLevel(logging.INFO)
    store = LoggingWrapper(SimpleStore(), logger=debug_logger)
    await store.put("c", "k", {})
    assert await store.get("c", "k") == {}
    assert [key async for key in store.iter_keys("c")] == ["k"]
    assert debug_logger.records == []  # type: ignore[attr-defined]
    loud = LoggingWrapper(SimpleStore(), logger=debug_logger, level=logging.INFO)
    await loud.get("c", "k")
    assert len(debug_logger.records) == 1  # type: ignore[attr-defined]


def test_logging_uses_the_kvstore_logger_by_default() -> None:
    assert LoggingWrapper(SimpleStore()).logger is logging.getLogger("kvstore")


async def test_logging_records_the_atomic_operations(debug_logger: logging.Logger) -> None:
    store = LoggingWrapper(SimpleStore(), logger=debug_logger)
    records: list[logging.LogRecord] = debug_logger.records  # type: ignore[attr-defined]
    await store.add("tokens", "t", {"secret": "hunter2"}, ttl=60)
    await store.add("tokens", "t", {"secret": "hunter2"})
    found = await store.get_versioned("tokens", "t")
    assert found is not None
    await store.put_versioned("tokens", "t", {"secret": "hunter2"}, version=found.version, ttl=5)
    await store.put_versioned("tokens", "t", {"secret": "hunter2"}, version=found.version)
    await store.touch("tokens", "t", 30)
    await store.take("tokens", "t")
    await store.take("tokens", "t")
    await store.increment("hits", "k", 3, ttl=10)
    fields = [kvstore_fields(record) for record in records]
    assert [(f["kvstore_operation"], f["kvstore_outcome"]) for f in fields] == [
        ("add", "written"),
        ("add", "present"),
        ("get_versioned", "hit"),
        ("put_versioned", "written"),
        ("put_versioned", "conflict"),
        ("touch", "hit"),
        ("take", "hit"),
        ("take", "miss"),
        ("increment", "ok"),
    ]
    assert [f.get("kvstore_ttl") for f in fields] == [60, None, None, 5, None, 30, None, None, 10]
    assert fields[-1]["kvstore_count"] == 3
    assert fields[-1]["kvstore_key"] == "k"
    for record in records:
        assert "hunter2" not in repr(vars(record))
        assert found.version not in kvstore_fields(record).values()


async def test_logging_atomic_values_when_asked(debug_logger: logging.Logger) -> None:
    store = LoggingWrapper(SimpleStore(), logger=debug_logger, log_values=True)
    records: list[logging.LogRecord] = debug_logger.records  # type: ignore[attr-defined]
    await store.add("c", "k", {"v": 1})
    await store.get_versioned("c", "k")
    await store.take("c", "k")
    await store.get_versioned("c", "k")
    assert [record.kvstore_value for record in records] == [  # type: ignore[attr-defined]
        {"v": 1},
        {"v": 1},
        {"v": 1},
        None,
    ]
