"""DriverBoundary: whatever a driver raises leaves a store as a kvstore error, in one format."""

from __future__ import annotations

import asyncio
import traceback

import pytest

from kvstore.core import DriverBoundary
from kvstore.core.errors import (
    DeserializationError,
    InvalidKeyError,
    KVStoreError,
    StoreConnectionError,
)

SECRET = "hunter2-Secret"


class DriverError(Exception):
    """Stands for a driver's own exception class."""


@pytest.mark.parametrize(
    "raised",
    [
        DriverError("connection reset"),
        OSError(111, "Connection refused"),
        AttributeError("'NoneType' object has no attribute 'writelines'"),
        asyncio.TimeoutError(),
        RuntimeError("Event loop is closed"),
    ],
    ids=repr,
)
def test_any_exception_becomes_a_store_connection_error_chained(raised: Exception) -> None:
    boundary = DriverBoundary("Redis")
    with pytest.raises(StoreConnectionError) as caught, boundary("get", "users", "ada"):
        raise raised
    assert caught.value.__cause__ is raised
    detail = f"{type(raised).__name__}: {raised}" if str(raised) else type(raised).__name__
    assert str(caught.value) == f"Redis get failed for collection 'users' key 'ada': {detail}"


@pytest.mark.parametrize(
    ("collection", "keys", "target"),
    [
        (None, None, "all collections"),
        ("users", None, "collection 'users'"),
        ("users", "ada", "collection 'users' key 'ada'"),
        ("users", ["ada"], "collection 'users' keys ['ada']"),
        ("users", ["a", "b", "c"], "collection 'users' keys ['a', 'b', 'c']"),
        ("users", ["a", "b", "c", "d", "e"], "collection 'users' keys ['a', 'b', 'c'] and 2 more"),
    ],
)
def test_messages_name_collection_and_keys_in_one_format(
    collection: str | None, keys: str | list[str] | None, target: str
) -> None:
    boundary = DriverBoundary("DiskStore at '/tmp/x'")
    with pytest.raises(StoreConnectionError) as caught, boundary("op", collection, keys):
        raise OSError("disk full")
    assert str(caught.value) == f"DiskStore at '/tmp/x' op failed for {target}: OSError: disk full"


def test_kvstore_errors_pass_through_unchanged() -> None:
    boundary = DriverBoundary("Redis")
    own = InvalidKeyError("bad key")
    with pytest.raises(InvalidKeyError) as caught, boundary("get", "users", "ada"):
        raise own
    assert caught.value is own and caught.value.__cause__ is None


async def test_cancellation_passes_through_unchanged() -> None:
    boundary = DriverBoundary("Redis")
    entered = asyncio.Event()

    async def call() -> None:
        with boundary("get", "users", "ada"):
            entered.set()
            await asyncio.sleep(10)

    task = asyncio.create_task(call())
    await entered.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert task.cancelled()


def test_base_exceptions_that_are_not_errors_pass_through() -> None:
    with pytest.raises(KeyboardInterrupt), DriverBoundary("Redis")("get", "users", "ada"):
        raise KeyboardInterrupt


def test_no_exception_no_error() -> None:
    with DriverBoundary("Redis")("get", "users", "ada"):
        value = 1
    assert value == 1


def test_known_secrets_and_url_credentials_are_redacted_in_message_and_repr() -> None:
    boundary = DriverBoundary("Redis", secrets=[SECRET])
    with pytest.raises(StoreConnectionError) as caught, boundary("get", "users", "ada"):
        raise DriverError(f"AUTH {SECRET} refused by redis://app:other-pw@h:1/0?token=tk-123")
    message = str(caught.value)
    assert SECRET not in message and SECRET not in repr(caught.value)
    assert "other-pw" not in message and "tk-123" not in message
    assert message.endswith("DriverError: AUTH *** refused by redis://app:***@h:1/0?token=***")


def test_secrets_learnt_later_are_redacted_too() -> None:
    boundary = DriverBoundary("Redis")
    boundary.add_secrets([SECRET, ""])
    assert boundary.redact(f"wrong password {SECRET}") == "wrong password ***"


def test_classify_chooses_the_error_class_and_description() -> None:
    def classify(exc: Exception, detail: str) -> tuple[type[KVStoreError], str]:
        if "WRONGTYPE" in str(exc):
            return DeserializationError, f"not a string ({detail})"
        return StoreConnectionError, detail

    boundary = DriverBoundary("Redis", classify=classify)
    with pytest.raises(DeserializationError) as caught, boundary("get", "users", "ada"):
        raise DriverError("WRONGTYPE held")
    assert str(caught.value) == (
        "Redis get failed for collection 'users' key 'ada': not a string (DriverError: WRONGTYPE "
        "held)"
    )
    with pytest.raises(StoreConnectionError), boundary("get", "users", "ada"):
        raise DriverError("other")


def test_error_builds_the_same_message_for_failures_the_store_detects() -> None:
    boundary = DriverBoundary("Elasticsearch index 'kv'", secrets=[SECRET])
    error = boundary.error("put_many", "users", ["a", "b"], f"mapper_parsing_exception {SECRET}")
    assert isinstance(error, StoreConnectionError)
    assert str(error) == (
        "Elasticsearch index 'kv' put_many failed for collection 'users' keys ['a', 'b']: "
        "mapper_parsing_exception ***"
    )


def test_the_driver_traceback_stays_chained() -> None:
    boundary = DriverBoundary("Redis")
    with pytest.raises(StoreConnectionError) as caught, boundary("get", "users", "ada"):
        raise DriverError("reset")
    printed = "".join(traceback.format_exception(caught.value))
    assert "DriverError: reset" in printed and "direct cause" in printed


def test_translate_in_an_except_clause_maps_as_the_block_does() -> None:
    boundary = DriverBoundary("DiskStore")

    def read(raised: Exception) -> None:
        try:
            raise raised
        except Exception as exc:
            raise boundary.translate(exc, "get", "users", "ada") from exc

    driver_error = OSError("disk I/O error")
    with pytest.raises(StoreConnectionError, match="get failed for collection 'users' key 'ada'"):
        read(driver_error)
    own = InvalidKeyError("bad key")
    with pytest.raises(InvalidKeyError) as caught:
        read(own)
    assert caught.value is own and caught.value.__cause__ is None
