"""Key layout, size limit and culling, native batches, and work kept off the event loop."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kvstore.disk import DiskStore
from kvstore.disk import _store as store_module
from kvstore.disk._layout import (
    NAMESPACE,
    NAMESPACE_END,
    collection_from_prefix,
    collection_prefix,
    decode_key,
    encode_key,
)


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[DiskStore]:
    store = DiskStore(tmp_path / "cache")
    yield store
    await store.close()


# -- key layout ------------------------------------------------------------------------

_ANY_TEXT = st.text(st.characters(codec=None, exclude_categories=()), min_size=1)
"""Any code points, lone surrogates and NUL included."""


@given(_ANY_TEXT, _ANY_TEXT)
def test_layout_round_trips_any_unicode(collection: str, key: str) -> None:
    prefix = collection_prefix(collection)
    assert collection_from_prefix(prefix) == collection
    db_key = prefix + b"\x00" + encode_key(key)
    head, _, tail = db_key[len(NAMESPACE) :].partition(b"\x00")
    assert NAMESPACE + head == prefix
    assert decode_key(tail) == key
    # Inside the collection's range and the store's range.
    assert prefix + b"\x00" < db_key < prefix + b"\x01"
    assert NAMESPACE <= db_key < NAMESPACE_END


@given(_ANY_TEXT, _ANY_TEXT, _ANY_TEXT, _ANY_TEXT)
def test_layout_is_injective(c1: str, k1: str, c2: str, k2: str) -> None:
    one = collection_prefix(c1) + b"\x00" + encode_key(k1)
    two = collection_prefix(c2) + b"\x00" + encode_key(k2)
    assert (one == two) == ((c1, k1) == (c2, k2))
    # A key of one collection never falls in another collection's range.
    if c1 != c2:
        assert not collection_prefix(c2) + b"\x00" < one < collection_prefix(c2) + b"\x01"


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (("a\x00", "b"), ("a", "\x00b")),
        (("a\x01", "b"), ("a", "\x01b")),
        (("a\x01\x01", "b"), ("a\x00", "b")),
        (("a\x01\x02", "b"), ("a\x01", "b")),
        (("\ud800", "\udc00"), ("\udc00", "\ud800")),
        (("\ud83d\ude00", "k"), ("😀", "k")),
    ],
)
async def test_tricky_names_stay_apart(
    store: DiskStore, first: tuple[str, str], second: tuple[str, str]
) -> None:
    await store.put(*first, {"which": 1})
    await store.put(*second, {"which": 2})
    assert await store.get(*first) == {"which": 1}
    assert await store.get(*second) == {"which": 2}
    expected = sorted({first[0], second[0]})
    assert await store.list_collections() == expected
    assert await store.keys(first[0]) == (
        [first[1]] if first[0] != second[0] else sorted([first[1], second[1]])
    )


async def test_lone_surrogates_round_trip_through_every_operation(store: DiskStore) -> None:
    collection, key = "c\udcff", "k\ud800"
    await store.put(collection, key, {"v": "\ud800"})
    assert await store.get(collection, key) == {"v": "\ud800"}
    assert await store.keys(collection) == [key]
    assert await store.list_collections() == [collection]
    assert await store.get_many(collection, [key, "other"]) == [{"v": "\ud800"}, None]
    assert await store.delete_many(collection, [key]) == 1
    assert await store.list_collections() == []


async def test_other_keys_in_a_shared_cache_are_invisible_and_kept(store: DiskStore) -> None:
    store.cache.set("app:setting", "on")
    store.cache.set(b"raw-bytes", b"blob")
    store.cache.set(b"kv1\x00no-separator", b"blob")
    await store.put("c", "k", {"v": 1})
    assert await store.list_collections() == ["c"]
    assert await store.clear_collection("c") == 1
    assert store.cache.get("app:setting") == "on"
    assert store.cache.get(b"raw-bytes") == b"blob"
    assert store.cache.get(b"kv1\x00no-separator") == b"blob"


async def test_scans_use_the_key_index(store: DiskStore) -> None:
    await store.put("c", "k", {})
    plan = store.cache._sql(
        "EXPLAIN QUERY PLAN SELECT key FROM Cache WHERE key > ? AND key < ? AND raw = 1"
        " AND (expire_time IS NULL OR expire_time > ?) ORDER BY key LIMIT ?",
        (b"a", b"b", 0.0, 10),
    ).fetchall()
    assert any("Cache_key_raw" in row[-1] for row in plan), plan


# -- expiry, culling and the size limit ---------------------------------------------


async def test_cull_physically_removes_expired_rows(store: DiskStore) -> None:
    await store.put_many("c", {f"new{n}": {"n": n} for n in range(20)})
    # One batch: every row shares one expiry time (diskcache's own expire() skips such rows).
    await store.put_many("c", {f"old{n}": {"n": n} for n in range(300)}, ttl=0.3)
    assert len(store.cache) == 320
    await asyncio.sleep(0.4)
    assert await store.keys("c") != []
    assert await store.list_collections() == ["c"]
    await store.cull()
    assert len(store.cache) == 20
    assert sorted(await store.keys("c")) == sorted(f"new{n}" for n in range(20))


async def test_expired_entries_are_hidden_everywhere_before_cull(store: DiskStore) -> None:
    await store.put_many("gone", {f"k{n}": {} for n in range(5)}, ttl=0.05)
    await store.put("kept", "k", {}, ttl=60)
    await asyncio.sleep(0.1)
    assert await store.keys("gone") == []
    assert await store.list_collections() == ["kept"]
    assert await store.delete_many("gone", [f"k{n}" for n in range(5)]) == 0
    assert await store.clear_collection("kept") == 1


async def test_size_limit_evicts_the_oldest_written_entries(tmp_path: Path) -> None:
    limit = 2_000_000
    store = DiskStore(tmp_path, size_limit=limit)
    blob = "z" * 10_000
    for n in range(600):  # about 6 MB of values, three times the limit
        await store.put("c", f"k{n:04d}", {"blob": blob})
    volume = store.cache.volume()
    assert volume < limit * 1.25, volume
    remaining = sorted(await store.keys("c"))
    assert 0 < len(remaining) < 600
    # Oldest written go first: what is left is the newest run of keys.
    assert remaining == [f"k{n:04d}" for n in range(600 - len(remaining), 600)]
    await store.cull()
    assert store.cache.volume() <= limit
    await store.close()


async def test_no_size_limit_never_evicts(tmp_path: Path) -> None:
    store = DiskStore(tmp_path)
    assert store.cache.eviction_policy == "none"
    await store.put_many("c", {f"k{n}": {"blob": "z" * 5_000} for n in range(400)})
    await store.cull()
    assert len(await store.keys("c")) == 400
    await store.close()


async def test_large_values_live_in_files_and_are_cleaned_up(store: DiskStore) -> None:
    big = {"blob": "q" * 100_000}
    await store.put("c", "big", big)
    await store.put_many("c", {f"b{n}": big for n in range(3)})
    directory = Path(store.directory)

    def files() -> list[Path]:
        return sorted(directory.rglob("*.val"))

    assert len(files()) == 4
    assert await store.get("c", "big") == big
    await store.put("c", "big", {"small": True})  # overwrite: the old file goes
    assert len(files()) == 3
    # A batch overwriting file-backed rows (and others) drops exactly the old files.
    await store.put_many("c", {"b1": {"small": True}, "b2": big, "new": {"n": 1}})
    assert len(files()) == 2  # b0, and b2's new file
    assert await store.get_many("c", ["b1", "b2", "new"]) == [{"small": True}, big, {"n": 1}]
    assert await store.delete_many("c", ["b0"]) == 1
    assert len(files()) == 1
    assert await store.clear_collection("c") == 4
    assert files() == []


# -- native batches --------------------------------------------------------------------


async def _statements(
    store: DiskStore, monkeypatch: pytest.MonkeyPatch, call: Callable[[], Awaitable[Any]]
) -> list[str]:
    """Run ``call`` on the loop thread and return the SQL statements it sent."""
    monkeypatch.setattr(store_module, "INLINE_READS", 10_000)
    monkeypatch.setattr(store_module, "INLINE_WRITES", 10_000)
    statements: list[str] = []
    connection: sqlite3.Connection = store.cache._con
    connection.set_trace_callback(statements.append)
    try:
        await call()
    finally:
        connection.set_trace_callback(None)
    return statements


async def test_put_many_is_one_transaction(
    store: DiskStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    items = {f"k{n}": {"n": n} for n in range(100)}
    statements = await _statements(store, monkeypatch, lambda: store.put_many("c", items))
    assert statements.count("BEGIN IMMEDIATE") == 1
    assert statements.count("COMMIT") == 1
    assert await store.get_many("c", list(items)) == list(items.values())


async def test_get_many_and_delete_many_are_one_query_each(
    store: DiskStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    keys = [f"k{n}" for n in range(100)]
    await store.put_many("c", {key: {} for key in keys})
    reads = await _statements(store, monkeypatch, lambda: store.get_many("c", keys))
    assert len(reads) == 1
    deletes = await _statements(store, monkeypatch, lambda: store.delete_many("c", keys))
    assert deletes.count("BEGIN IMMEDIATE") == 1
    assert deletes.count("COMMIT") == 1


async def test_batches_beyond_one_sql_chunk(store: DiskStore) -> None:
    keys = [f"k{n}" for n in range(1_300)]
    await store.put_many("c", {key: {"k": key} for key in keys})
    assert await store.get_many("c", [*keys, "missing", keys[0]]) == [
        *({"k": key} for key in keys),
        None,
        {"k": keys[0]},
    ]
    assert await store.delete_many("c", keys[:1_250]) == 1_250
    assert sorted(await store.keys("c")) == sorted(keys[1_250:])


# -- the event loop is not blocked by long work ----------------------------------------


async def _loop_ran_during(work: Awaitable[Any]) -> int:
    """Return how many times a ticker task ran while ``work`` was awaited."""
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0)
            ticks += 1

    task = asyncio.create_task(ticker())
    await asyncio.sleep(0)
    before = ticks
    try:
        await work
    finally:
        task.cancel()
    return ticks - before


async def test_long_work_runs_off_the_loop(store: DiskStore) -> None:
    many = {f"k{n}": {"n": n} for n in range(3_000)}
    assert await _loop_ran_during(store.put_many("c", many)) > 0
    assert await _loop_ran_during(store.get_many("c", list(many))) > 0
    assert await _loop_ran_during(store.keys("c")) > 0
    assert await _loop_ran_during(store.list_collections()) > 0
    assert await _loop_ran_during(store.put("c", "big", {"blob": "b" * 1_000_000})) > 0
    assert await _loop_ran_during(store.get("c", "big")) > 0
    assert await _loop_ran_during(store.cull()) > 0
    assert await _loop_ran_during(store.delete_many("c", list(many)[:1_000])) > 0
    assert await _loop_ran_during(store.clear_collection("c")) > 0


async def test_small_single_operations_run_inline(store: DiskStore) -> None:
    """Measured faster than a thread hop (see docs/disk.md): they never yield to the loop."""
    assert await _loop_ran_during(store.put("c", "k", {"v": 1})) == 0
    assert await _loop_ran_during(store.get("c", "k")) == 0
    assert await _loop_ran_during(store.get_many("c", ["k", "x"])) == 0
    assert await _loop_ran_during(store.delete("c", "k")) == 0


async def test_single_writes_queue_behind_a_batch_in_flight(store: DiskStore) -> None:
    """While the worker holds SQLite's write lock, a put waits off the loop, not on it."""
    many = {f"k{n}": {"n": n} for n in range(5_000)}
    batch = asyncio.create_task(store.put_many("c", many))
    await asyncio.sleep(0)
    single = asyncio.create_task(store.put("c", "single", {"v": 1}))
    await asyncio.gather(batch, single)
    assert await store.get("c", "single") == {"v": 1}
    assert len(await store.keys("c")) == 5_001
