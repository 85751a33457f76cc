"""DiskStore's constructor, lifecycle, error wrapping and public surface."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import diskcache
import pytest

import kvstore.disk
from kvstore.core import open_store
from kvstore.core.errors import ConfigurationError, SetupError, StoreConnectionError
from kvstore.disk import DiskStore, NoPickleDisk


def test_public_names() -> None:
    assert kvstore.disk.__all__ == ["DiskStore", "NoPickleDisk"]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({}, "exactly one of path"),
        ({"path": "x", "cache": "set below"}, "exactly one of path"),
        ({"path": "x", "size_limit": 0}, "size_limit"),
        ({"path": "x", "size_limit": True}, "size_limit"),
        ({"path": "x", "size_limit": 1.5}, "size_limit"),
        ({"path": "x", "timeout": 0}, "timeout"),
        ({"path": "x", "timeout": float("nan")}, "timeout"),
        ({"path": "x", "timeout": "1"}, "timeout"),
        ({"path": 42}, "path must be"),
        ({"path": b"/tmp/bytes"}, "path must be"),
        ({"path": ""}, "path must be"),
    ],
)
def test_bad_options_raise_configuration_error(
    tmp_path: Path, arguments: dict[str, object], message: str
) -> None:
    if arguments.get("path") == "x":
        arguments["path"] = tmp_path / "cache"
    if "cache" in arguments:
        arguments["cache"] = diskcache.Cache(tmp_path / "other")
    try:
        with pytest.raises(ConfigurationError, match=message):
            DiskStore(**arguments)  # type: ignore[arg-type]
    finally:
        if "cache" in arguments:
            arguments["cache"].close()  # type: ignore[attr-defined]
    assert not (tmp_path / "cache").exists()


def test_handed_in_cache_must_be_a_diskcache(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match=r"diskcache\.Cache"):
        DiskStore(cache={})  # type: ignore[arg-type]


def test_handed_in_cache_rejects_size_limit(tmp_path: Path) -> None:
    with (
        diskcache.Cache(tmp_path) as cache,
        pytest.raises(ConfigurationError, match="set it on the cache"),
    ):
        DiskStore(cache=cache, size_limit=10_000)


def test_handed_in_cache_with_a_disk_that_changes_storage_is_refused(tmp_path: Path) -> None:
    with (
        diskcache.Cache(tmp_path, disk=diskcache.JSONDisk) as cache,
        pytest.raises(ConfigurationError, match="JSONDisk"),
    ):
        DiskStore(cache=cache)


def test_path_that_cannot_be_created_raises_setup_error_naming_it(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    target = blocker / "cache"
    with pytest.raises(SetupError, match="a-file/cache") as caught:
        DiskStore(target)
    assert isinstance(caught.value.__cause__, OSError | sqlite3.Error)


def test_a_file_in_place_of_the_directory_raises_setup_error(tmp_path: Path) -> None:
    blocker = tmp_path / "cache"
    blocker.write_text("not a directory")
    with pytest.raises(SetupError, match="cache"):
        DiskStore(blocker)


def test_a_corrupt_database_raises_setup_error(tmp_path: Path) -> None:
    (tmp_path / "cache.db").write_bytes(b"this is not an SQLite database" * 100)
    with pytest.raises(SetupError, match=str(tmp_path)) as caught:
        DiskStore(tmp_path)
    assert isinstance(caught.value.__cause__, sqlite3.Error)


async def test_store_creates_missing_parents_and_uses_wal(tmp_path: Path) -> None:
    store = DiskStore(tmp_path / "a" / "b" / "cache")
    try:
        await store.put("c", "k", {"v": 1})
        assert store.directory == str(tmp_path / "a" / "b" / "cache")
        assert store.cache.sqlite_journal_mode == "wal"
        assert isinstance(store.cache.disk, NoPickleDisk)
    finally:
        await store.close()


async def test_repr_shows_path_and_limit(tmp_path: Path) -> None:
    store = DiskStore(tmp_path, size_limit=1_000_000)
    try:
        assert repr(store) == f"DiskStore(path={str(tmp_path)!r}, size_limit=1000000)"
    finally:
        await store.close()


async def test_owned_cache_is_closed_and_the_store_refuses_work_after_close(tmp_path: Path) -> None:
    store = DiskStore(tmp_path)
    await store.put_many("c", {f"k{n}": {"n": n} for n in range(100)})
    await store.close()
    assert getattr(store.cache._local, "con", None) is None
    for operation in (
        store.get("c", "k1"),
        store.put("c", "k", {}),
        store.get_many("c", ["k1"] * 100),
        store.keys("c"),
    ):
        with pytest.raises(StoreConnectionError, match="closed"):
            await operation
    await store.close()


async def test_handed_in_cache_stays_open(tmp_path: Path) -> None:
    with diskcache.Cache(tmp_path) as cache:
        store = DiskStore(cache=cache)
        await store.put_many("c", {f"k{n}": {"n": n} for n in range(100)})
        await store.close()
        assert len(cache) == 100
        assert await DiskStore(cache=cache).get("c", "k5") == {"n": 5}


async def test_reads_go_on_after_the_owner_closes_a_handed_in_cache(tmp_path: Path) -> None:
    # Inline reads keep the loop thread's connection; the owner closing the cache closes it.
    with diskcache.Cache(tmp_path) as cache:
        store = DiskStore(cache=cache)
        await store.put("c", "k", {"v": 1})
        assert await store.get("c", "k") == {"v": 1}
        assert await store.get_versioned("c", "k") is not None
        for _ in range(2):
            cache.close()
            assert await store.get("c", "k") == {"v": 1}
            cache.close()
            found = await store.get_versioned("c", "k")
            assert found is not None and found.value == {"v": 1}
            assert await store.put_versioned("c", "k", {"v": 2}, version=found.version)
            assert await store.get("c", "k") == {"v": 2}
            await store.put("c", "k", {"v": 1})
        await store.close()


async def test_a_locked_database_raises_store_connection_error_and_reads_go_on(
    tmp_path: Path,
) -> None:
    store = DiskStore(tmp_path, timeout=0.2)
    await store.put("c", "before", {"v": 1})
    locker = sqlite3.connect(tmp_path / "cache.db", isolation_level=None)
    locker.execute("BEGIN IMMEDIATE")
    try:
        for write in (
            store.put("c", "k", {"v": 2}),
            store.put_many("c", {f"k{n}": {} for n in range(100)}),
            store.delete("c", "before"),
            store.clear_collection("c"),
        ):
            with pytest.raises(
                StoreConnectionError, match=r"locked for more than 0\.2 s"
            ) as caught:
                await write
            assert str(tmp_path) in str(caught.value)
            assert caught.value.__cause__ is not None
        # WAL: readers are not blocked by a writer holding the lock.
        assert await store.get("c", "before") == {"v": 1}
    finally:
        locker.execute("ROLLBACK")
        locker.close()
    await store.put("c", "k", {"v": 2})
    assert await store.get("c", "k") == {"v": 2}
    await store.close()


async def test_error_messages_name_collection_and_key(tmp_path: Path) -> None:
    store = DiskStore(tmp_path, timeout=0.1)
    locker = sqlite3.connect(tmp_path / "cache.db", isolation_level=None)
    locker.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(StoreConnectionError) as caught:
            await store.put("users", "ada", {"v": 1})
        assert str(caught.value) == (
            f"DiskStore at {str(tmp_path)!r} put failed for collection 'users' key 'ada': "
            "the database stayed locked for more than 0.1 s"
        )
        with pytest.raises(
            StoreConnectionError,
            match=r" put_many failed for collection 'users' keys \['a', 'b', 'c'\] and 1 more: ",
        ):
            await store.put_many("users", {"a": {}, "b": {}, "c": {}, "d": {}})
        with pytest.raises(
            StoreConnectionError, match=r" delete_many failed for collection 'users' keys \['a'\]: "
        ):
            await store.delete_many("users", ["a"])
    finally:
        locker.execute("ROLLBACK")
        locker.close()
        await store.close()


async def test_open_store_by_url(tmp_path: Path) -> None:
    store = open_store(f"disk://{tmp_path}/cache?size_limit=5000000&timeout=2.5")
    assert isinstance(store, DiskStore)
    assert store.directory == f"{tmp_path}/cache"
    assert store.cache.size_limit == 5_000_000
    assert store.cache.timeout == 2.5
    await store.put("c", "k", {"v": 1})
    await store.close()
    spaced = open_store(f"disk://{tmp_path}/with%20space", timeout=1)
    assert isinstance(spaced, DiskStore)
    assert spaced.directory == f"{tmp_path}/with space"
    await spaced.close()


@pytest.mark.parametrize(
    ("url", "options", "message"),
    [
        ("disk://", {}, "needs a directory"),
        ("disk:///x?colour=red", {}, "only size_limit and timeout"),
        ("disk:///x?size_limit=big", {}, "must be a number"),
        ("disk:///x?timeout=1", {"timeout": 2}, "both"),
        ("disk:///x", {"unknown": 1}, "unknown"),
    ],
)
def test_bad_urls_raise_configuration_error(
    url: str, options: dict[str, object], message: str
) -> None:
    with pytest.raises(ConfigurationError, match=message):
        open_store(url, **options)
