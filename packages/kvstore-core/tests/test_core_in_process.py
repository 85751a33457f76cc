"""In-process stores hold records (no envelope) with the envelope's guarantees; both codecs."""

from __future__ import annotations

import inspect
import json
import marshal
import math
import subprocess
import sys
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from enum import Enum, IntEnum
from typing import Any, TypeVar

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from kvstore.core import (
    ATOMIC_OPERATIONS,
    BaseKVStore,
    InProcessKVStore,
    Record,
    SnapshotCodec,
    _envelope,
    snapshot_codec,
)
from kvstore.core.errors import ConfigurationError, SerializationError
from kvstore.testing import StoreConformance


class RecordStore(InProcessKVStore):
    """The smallest in-process backend: only the required primitives."""

    def __init__(self) -> None:
        super().__init__()
        self.records: dict[tuple[str, str], Record] = {}

    def _live(self, name: tuple[str, str]) -> Record | None:
        record = self.records.get(name)
        if (
            record is not None
            and record.deadline is not None
            and record.deadline <= time.monotonic()
        ):
            del self.records[name]
            return None
        return record

    def _read_record(self, collection: str, key: str) -> Record | None:
        return self._live((collection, key))

    def _write_record(self, collection: str, key: str, record: Record) -> None:
        self.records[(collection, key)] = record

    async def _remove(self, collection: str, key: str) -> bool:
        live = self._live((collection, key)) is not None
        self.records.pop((collection, key), None)
        return live

    async def _scan(self, collection: str) -> AsyncIterator[list[str]]:
        yield [
            key
            for name, key in list(self.records)
            if name == collection and self._live((name, key))
        ]

    async def _collections(self) -> list[str]:
        return list({name for name, key in list(self.records) if self._live((name, key))})


class TestRecordStore(StoreConformance):
    @pytest.fixture
    async def store(self) -> AsyncIterator[BaseKVStore]:
        store = RecordStore()
        yield store
        await store.close()


T = TypeVar("T")


class UpdateRecordStore(RecordStore):
    """An in-process backend whose atomic operations all run on ``_update_record``: core's
    defaults (``_write_record_if`` among them), which MemoryStore replaces by its own."""

    atomic_operations = ATOMIC_OPERATIONS

    def __init__(self) -> None:
        super().__init__()
        self.lock = threading.Lock()

    def _update_record(
        self,
        collection: str,
        key: str,
        update: Callable[[Record | None], tuple[Record | None, T]],
    ) -> T:
        name = (collection, key)
        with self.lock:
            current = self.records.get(name)
            new, result = update(current)
            if new is None:
                self.records.pop(name, None)
            elif new is not InProcessKVStore.KEEP:
                self.records[name] = new
        return result


class TestUpdateRecordStore(StoreConformance):
    @pytest.fixture
    async def store(self) -> AsyncIterator[BaseKVStore]:
        store = UpdateRecordStore()
        yield store
        await store.close()


class Small(IntEnum):
    ONE = 1


class Colour(Enum):
    RED = "red"


@dataclass
class Point:
    x: int
    y: int


class Text(str):
    pass


class Number(float):
    pass


json_leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(),
    st.sampled_from(
        [Small.ONE, Text("t"), Number(2.5), 10**30, 2**64 - 1, -(2**63), -0.0, "\ud800"]
    ),
)
json_values = st.recursive(
    json_leaves,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.lists(children, max_size=3).map(tuple),
        st.dictionaries(st.text(max_size=5), children, max_size=4),
        st.dictionaries(st.text(max_size=5), children, max_size=3).map(OrderedDict),
    ),
    max_leaves=20,
)


MARSHAL = snapshot_codec("marshal")
ORJSON = snapshot_codec("orjson")
CODECS = [pytest.param(MARSHAL, id="marshal"), pytest.param(ORJSON, id="orjson")]
"""Both codecs, whichever one this environment uses by default."""


@pytest.mark.parametrize("codec", CODECS)
@given(value=st.dictionaries(st.text(max_size=5), json_values, max_size=5))
def test_a_snapshot_reads_back_what_json_would(codec: SnapshotCodec, value: dict[str, Any]) -> None:
    expected = json.loads(json.dumps(value))
    thawed = codec.thaw(codec.snapshot("c", "k", value))
    assert thawed == expected
    assert json.dumps(thawed) == json.dumps(expected)  # same types: bool stays bool, no tuples
    assert codec.thaw(codec.snapshot("c", "k", value)) is not thawed  # a fresh copy every time


@pytest.mark.parametrize("codec", CODECS)
def test_values_orjson_cannot_hold_read_back_exactly(codec: SnapshotCodec) -> None:
    deep: Any = "bottom"
    for _ in range(400):
        deep = [deep]
    for value in ({"s": "\ud800 lone"}, {"big": 10**40, "neg": -(10**40)}, {"deep": deep}):
        assert codec.thaw(codec.snapshot("c", "k", value)) == json.loads(json.dumps(value))


def test_the_default_codec_is_orjson_when_the_extra_is_installed() -> None:
    assert snapshot_codec() is ORJSON
    assert InProcessKVStore.codec is ORJSON
    assert (ORJSON.name, MARSHAL.name) == ("orjson", "marshal")
    assert repr(MARSHAL) == "snapshot_codec('marshal')"


def test_without_the_orjson_extra_the_default_codec_is_marshal() -> None:
    script = (
        "import sys\n"
        "sys.modules['orjson'] = None  # as if the extra were not installed\n"
        "from kvstore.core import ConfigurationError, InProcessKVStore, snapshot_codec\n"
        "assert snapshot_codec() is snapshot_codec('marshal') is InProcessKVStore.codec\n"
        "try:\n"
        "    snapshot_codec('orjson')\n"
        "except ConfigurationError as exc:\n"
        "    print(exc)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    assert 'pip install "kvstore-core[orjson]"' in done.stdout


def test_an_unknown_codec_is_refused_by_name() -> None:
    with pytest.raises(ConfigurationError, match=r"'json'.*'orjson' or 'marshal'"):
        snapshot_codec("json")


class MarshalRecordStore(RecordStore):
    codec = MARSHAL


async def test_a_store_copies_values_with_the_codec_its_class_names() -> None:
    orjson_store, marshal_store = RecordStore(), MarshalRecordStore()
    for store in (orjson_store, marshal_store):
        await store.put("c", "k", {"v": [1, 2.5]})
        await store.put_many("c", {"m": {"v": True}})
    assert orjson.loads(orjson_store.records[("c", "k")].snapshot) == {"v": [1, 2.5]}
    assert marshal.loads(marshal_store.records[("c", "k")].snapshot) == {"v": [1, 2.5]}
    assert marshal.loads(marshal_store.records[("c", "m")].snapshot) == {"v": True}
    assert await marshal_store.get_many("c", ["k", "m"]) == [{"v": [1, 2.5]}, {"v": True}]


class TestMarshalRecordStore(StoreConformance):
    @pytest.fixture
    async def store(self) -> AsyncIterator[BaseKVStore]:
        store = MarshalRecordStore()
        yield store
        await store.close()


@given(st.dictionaries(st.text(max_size=5), json_values, max_size=5), st.text(min_size=1))
def test_the_envelope_written_directly_equals_the_encoded_document(
    value: dict[str, Any], name: str
) -> None:
    now = time.time()
    for ttl in (None, 0.001, 60.5):
        document = {
            "kvstore": 1,
            "collection": name,
            "key": name,
            "created_at": now,
            "ttl": ttl,
            "expires_at": None if ttl is None else now + ttl,
            "value": value,
        }
        expected = json.dumps(document, separators=(",", ":"), allow_nan=False)
        assert _envelope.encode(name, name, value, ttl, now) == expected


@pytest.mark.parametrize("codec", CODECS)
def test_a_list_shared_inside_a_value_is_read_back_as_separate_lists(
    codec: SnapshotCodec,
) -> None:
    shared = [1]
    thawed = codec.thaw(codec.snapshot("c", "k", {"a": shared, "b": shared}))
    thawed["a"].append(2)
    assert thawed == {"a": [1, 2], "b": [1]}


def _cyclic() -> dict[str, Any]:
    value: dict[str, Any] = {"list": []}
    value["list"].append(value)
    return value


@pytest.mark.parametrize(
    "bad",
    [
        {"x": math.nan},
        {"x": math.inf},
        {1: "x"},
        {"x": {"y": {None: 1}}},
        {"x": b"bytes"},
        {"x": {1, 2}},
        {"x": object()},
        {"x": 10**5000},
        ["not", "a", "dict"],
        _cyclic(),
        # Types orjson would write by itself, which JSON (so every other store) refuses.
        {"x": uuid.UUID(int=7)},
        {"x": Colour.RED},
        {"x": datetime(2026, 1, 1, tzinfo=timezone.utc)},
        {"x": Point(1, 2)},
        {"x": orjson.Fragment(b'{"raw": 1}')},
        {"x": [1.0, math.nan]},
        {"x": ({"y": uuid.UUID(int=7)},)},
        {"x": {"y": (1.0, -math.inf)}},
    ],
    ids=[
        "nan",
        "inf",
        "int-key",
        "nested-none-key",
        "bytes",
        "set",
        "object",
        "huge-int",
        "list",
        "cyclic",
        "uuid",
        "enum",
        "datetime",
        "dataclass",
        "orjson-fragment",
        "nested-nan",
        "uuid-in-tuple",
        "infinity-in-tuple",
    ],
)
def test_what_json_refuses_is_refused_by_every_path(bad: Any) -> None:
    for codec in (MARSHAL, ORJSON):
        with pytest.raises(SerializationError, match=r"'c'.*'k'"):
            codec.snapshot("c", "k", bad)
    with pytest.raises(SerializationError, match=r"'c'.*'k'"):
        _envelope.encode("c", "k", bad, None, time.time())


async def test_a_record_store_reports_ttl_metadata() -> None:
    store = RecordStore()
    before = time.time()
    await store.put("c", "k", {"v": (1, 2)}, ttl=60)
    value, info = await store.get_with_ttl("c", "k")
    assert value == {"v": [1, 2]}
    assert info is not None
    assert info.ttl == 60.0
    assert info.created_at is not None
    assert info.expires_at is not None
    assert before <= info.created_at.timestamp() <= time.time()
    assert info.expires_at.timestamp() == pytest.approx(info.created_at.timestamp() + 60)
    await store.put("c", "k", {"v": 1}, ttl=0)
    assert await store.get_many_with_ttl("c", ["k"]) == [(None, None)]


def test_a_value_nested_past_the_recursion_limit_never_escapes_as_recursion_error() -> None:
    # orjson writes 200 levels; the walk behind it cannot with only 50 frames to spare.
    nested: Any = "bottom"
    for _ in range(200):
        nested = [nested]
    value = {"deep": nested}
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(len(inspect.stack(0)) + 50)
    outcome: Any
    try:
        outcome = ORJSON.snapshot("c", "k", value)
    except SerializationError as exc:
        outcome = exc
    finally:
        sys.setrecursionlimit(limit)
    if isinstance(outcome, SerializationError):  # a clear refusal (CPython 3.10, 3.11)
        assert "'c'" in str(outcome) and "'k'" in str(outcome)
    else:  # the checked path's C encoder has its own limit on later versions
        assert ORJSON.thaw(outcome) == value
    assert ORJSON.thaw(ORJSON.snapshot("c", "k", value)) == value
