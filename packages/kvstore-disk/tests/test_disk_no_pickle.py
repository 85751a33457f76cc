"""No pickle, ever: tampered rows holding pickles raise DeserializationError and never run."""

from __future__ import annotations

import os
import pickle
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import diskcache
import pytest
from diskcache.core import MODE_PICKLE

from kvstore.core.errors import DeserializationError, SerializationError
from kvstore.disk import DiskStore, NoPickleDisk
from kvstore.disk._layout import collection_prefix


class _Bomb:
    """Unpickling this creates the file ``marker`` (pickle calls ``open(marker, "w")``)."""

    def __init__(self, marker: Path) -> None:
        self.marker = str(marker)

    def __reduce__(self) -> tuple[object, tuple[str, str]]:
        return (open, (self.marker, "w"))


def _bomb(marker: Path) -> bytes:
    return pickle.dumps(_Bomb(marker))


def test_the_payload_is_live(tmp_path: Path) -> None:
    """Control: the bytes used below really create their file when unpickled."""
    marker = tmp_path / "control"
    handle = pickle.loads(_bomb(marker))
    handle.close()
    assert marker.exists()


def _db_key(collection: str, key: str) -> bytes:
    return collection_prefix(collection) + b"\x00" + key.encode()


def _tamper(directory: str, collection: str, key: str, **columns: object) -> None:
    """Overwrite columns of the row of (collection, key), as someone with file access could."""
    connection = sqlite3.connect(os.path.join(directory, "cache.db"), isolation_level=None)
    try:
        assignments = ", ".join(f"{name} = ?" for name in columns)
        cursor = connection.execute(
            f"UPDATE Cache SET {assignments} WHERE key = ?",
            (*columns.values(), _db_key(collection, key)),
        )
        assert cursor.rowcount == 1
    finally:
        connection.close()


def _pickle_inline(directory: str, marker: Path) -> None:
    _tamper(directory, "c", "evil", mode=MODE_PICKLE, value=_bomb(marker), filename=None)


def _pickle_in_file(directory: str, marker: Path) -> None:
    os.makedirs(os.path.join(directory, "ev", "il"), exist_ok=True)
    with open(os.path.join(directory, "ev", "il", "bomb.val"), "wb") as file:
        file.write(_bomb(marker))
    _tamper(directory, "c", "evil", mode=MODE_PICKLE, value=None, filename="ev/il/bomb.val")


@pytest.fixture(params=["own cache", "handed-in plain diskcache.Cache"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[DiskStore]:
    if request.param == "own cache":
        store = DiskStore(tmp_path / "cache")
        yield store
        await store.close()
    else:
        with diskcache.Cache(tmp_path / "cache") as cache:
            store = DiskStore(cache=cache)
            yield store
            await store.close()


@pytest.mark.parametrize("tamper", [_pickle_inline, _pickle_in_file])
async def test_a_pickled_value_raises_and_never_runs(
    store: DiskStore, tmp_path: Path, tamper: object
) -> None:
    marker = tmp_path / "pwned"
    await store.put("c", "evil", {"v": 1})
    await store.put("c", "good", {"v": 2})
    tamper(store.directory, marker)  # type: ignore[operator]

    with pytest.raises(DeserializationError, match="collection 'c' key 'evil'"):
        await store.get("c", "evil")
    with pytest.raises(DeserializationError, match="pickled values are refused"):
        await store.get_many("c", ["good", "evil"])
    with pytest.raises(DeserializationError):
        await store.get_many("c", [f"k{n}" for n in range(50)] + ["evil"])
    with pytest.raises(DeserializationError):
        await store.ttl("c", "evil")
    assert not marker.exists()
    # Other keys stay readable and the tampered one can be overwritten or deleted.
    assert await store.get("c", "good") == {"v": 2}
    assert sorted(await store.keys("c")) == ["evil", "good"]
    assert await store.delete("c", "evil") is True
    assert await store.get("c", "evil") is None
    assert not marker.exists()


async def test_the_store_s_own_disk_refuses_pickles_for_direct_cache_users(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    store = DiskStore(tmp_path / "cache")
    await store.put("c", "evil", {"v": 1})
    _pickle_inline(store.directory, marker)
    with pytest.raises(DeserializationError, match="mode 4"):
        store.cache.get(_db_key("c", "evil"))
    with pytest.raises(SerializationError, match="only str or bytes values"):
        store.cache.set("key", {"a": "dict would be pickled"})
    with pytest.raises(SerializationError, match="only str or bytes keys"):
        store.cache.set(("tuple", "key"), "value")
    await store.close()
    assert not marker.exists()


def test_no_pickle_disk_refuses_pickled_keys(tmp_path: Path) -> None:
    disk = NoPickleDisk(str(tmp_path))
    with pytest.raises(DeserializationError, match="unpickle"):
        disk.get(_bomb(tmp_path / "pwned"), False)
    assert disk.get(b"raw", True) == b"raw"
    assert not (tmp_path / "pwned").exists()


@pytest.mark.parametrize(
    "columns",
    [
        {"mode": 1, "value": 12345},
        {"mode": 1, "value": 1.5},
        {"mode": 1, "value": None},
        {"mode": 0, "value": "text"},
        {"mode": 9, "value": b"?"},
        {"mode": 1, "value": "{not json"},
        {"mode": 1, "value": b"\xff\xfe not utf-8"},
        {"mode": 1, "value": '{"kvstore": 99, "value": {}}'},
    ],
)
async def test_rows_that_are_not_envelopes_raise_deserialization_error(
    store: DiskStore, columns: dict[str, object]
) -> None:
    await store.put("c", "bad", {"v": 1})
    await store.put("c", "good", {"v": 2})
    _tamper(store.directory, "c", "bad", **columns)
    with pytest.raises(DeserializationError, match="collection 'c' key 'bad'"):
        await store.get("c", "bad")
    assert await store.get("c", "good") == {"v": 2}


async def test_an_envelope_of_another_entry_is_refused(store: DiskStore) -> None:
    await store.put("c", "one", {"v": 1})
    await store.put("c", "two", {"v": 2})
    text = store.cache.get(_db_key("c", "one"))
    _tamper(store.directory, "c", "two", value=text)
    with pytest.raises(DeserializationError, match="belongs to another entry"):
        await store.get("c", "two")


def _replace_value_file(store: DiskStore, key: str, data: bytes | None) -> None:
    """Delete (``data`` None) or overwrite the value file of ("c", key)."""
    ((filename,),) = store.cache._sql(
        "SELECT filename FROM Cache WHERE key = ?", (_db_key("c", key),)
    ).fetchall()
    path = Path(store.directory, filename)
    if data is None:
        path.unlink()
    else:
        path.write_bytes(data)


async def test_a_missing_value_file_raises_instead_of_reading_as_a_miss(store: DiskStore) -> None:
    big = {"blob": "m" * 50_000}
    await store.put_many("c", {"big": big, "other": big})
    _replace_value_file(store, "big", None)
    with pytest.raises(DeserializationError, match="value file that does not exist"):
        await store.get("c", "big")
    with pytest.raises(DeserializationError, match="collection 'c' key 'big'"):
        await store.get_many("c", ["other", "big"])
    assert await store.get("c", "other") == big


async def test_a_value_file_that_is_not_utf8_raises(store: DiskStore) -> None:
    await store.put("c", "big", {"blob": "u" * 50_000})
    _replace_value_file(store, "big", b"\xff\xfe" * 100)
    with pytest.raises(DeserializationError, match="not UTF-8"):
        await store.get("c", "big")
