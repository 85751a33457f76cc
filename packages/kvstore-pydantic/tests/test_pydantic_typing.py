"""A type checker infers model types from PydanticAdapter, and through SyncStore: mypy --strict."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytest.importorskip("mypy", reason="the test dependency group installs mypy")

INFERRED = """
from typing_extensions import assert_type

from pydantic import BaseModel

from kvstore.core import TTLInfo, Versioned
from kvstore.core.stores import SimpleStore
from kvstore.core.wrappers import SingleCollectionWrapper, StatisticsWrapper
from kvstore.pydantic import PydanticAdapter


class User(BaseModel):
    name: str


async def main() -> None:
    users = PydanticAdapter(SimpleStore(), User)
    assert_type(users, PydanticAdapter[User])
    assert_type(await users.get("users", "1"), User | None)
    assert_type(await users.get_many("users", ["1", "2"]), list[User | None])
    assert_type(await users.ttl("users", "1"), TTLInfo | None)
    assert_type(await users.delete("users", "1"), bool)
    assert_type(await users.delete_many("users", ["1"]), int)
    await users.put("users", "1", User(name="Ada"), ttl=1.5)
    await users.put_many("users", {"1": User(name="Ada")})
    assert_type(await users.add("users", "1", User(name="Ada"), ttl=60), bool)
    assert_type(await users.take("users", "1"), User | None)
    assert_type(await users.touch("users", "1", 60), bool)
    found = await users.get_versioned("users", "1")
    assert_type(found, Versioned[User] | None)
    if found is not None:
        assert_type(found.value, User)
        assert_type(found.version, str)
        assert_type(
            await users.put_versioned("users", "1", found.value, version=found.version), bool
        )
    assert_type(await users.increment("hits", "1", 2, ttl=60), int)
    assert_type(users.atomic_operations, frozenset[str])

    chained = PydanticAdapter(StatisticsWrapper(SingleCollectionWrapper(SimpleStore(), "u")), User)
    user = await chained.get("admins", "1")
    assert_type(user, User | None)
    if user is not None:
        assert_type(user.name, str)
"""

REJECTED = """
from pydantic import BaseModel

from kvstore.core.stores import SimpleStore
from kvstore.pydantic import PydanticAdapter


class User(BaseModel):
    name: str


class Address(BaseModel):
    city: str


async def main() -> None:
    users = PydanticAdapter(SimpleStore(), User)
    await users.put("users", "1", {"name": "Ada"})
    await users.put("users", "2", Address(city="Paris"))
    user = await users.get("users", "1")
    print(user.name)
    await users.add("users", "3", {"name": "Ada"})
    found = await users.get_versioned("users", "1")
    print(found.value)
    await users.put_versioned("users", "1", Address(city="Paris"), version=None)
    count: str = await users.increment("hits", "1")
"""

SYNC_INFERRED = """
from collections.abc import Generator
from typing import Any

from typing_extensions import assert_type

from pydantic import BaseModel

from kvstore.core import TTLInfo, Versioned
from kvstore.core.stores import SimpleStore
from kvstore.core.sync import SyncSingleCollectionAdapter, SyncStore, open_sync_store
from kvstore.core.wrappers import StatisticsWrapper
from kvstore.pydantic import PydanticAdapter


class User(BaseModel):
    name: str


def store_versioned() -> Versioned[dict[str, Any]] | None:
    with SyncStore(SimpleStore()) as store:
        return store.get_versioned("c", "k")


def main() -> None:
    with SyncStore(StatisticsWrapper(SimpleStore())) as store:
        assert_type(store, SyncStore[dict[str, Any]])
        assert_type(store.get("c", "k"), dict[str, Any] | None)
        assert_type(store.get_many("c", ["k"]), list[dict[str, Any] | None])
        assert_type(store.ttl("c", "k"), TTLInfo | None)
        assert_type(store.keys("c", limit=3), list[str])
        assert_type(store.iter_keys("c"), Generator[str, None, None])
        assert_type(store.clear_collection("c"), int)
        store.put("c", "k", {"a": 1}, ttl=1.5)

    users = SyncStore(PydanticAdapter(SimpleStore(), User))
    assert_type(users, SyncStore[User])
    assert_type(users.get("users", "1"), User | None)
    assert_type(users.get_many("users", ["1", "2"]), list[User | None])
    users.put("users", "1", User(name="Ada"), ttl=1.5)
    users.put_many("users", {"2": User(name="Grace")})
    admins = SyncSingleCollectionAdapter(users, "admins")
    assert_type(admins.get("1"), User | None)
    admins.put("1", User(name="Ada"))
    assert_type(users.add("users", "1", User(name="Ada"), ttl=60), bool)
    assert_type(users.take("users", "1"), User | None)
    assert_type(users.touch("users", "1", None), bool)
    assert_type(users.get_versioned("users", "1"), Versioned[User] | None)
    assert_type(users.put_versioned("users", "1", User(name="Ada"), version=None), bool)
    assert_type(users.increment("hits", "1"), int)
    assert_type(admins.add("2", User(name="Grace")), bool)
    assert_type(admins.take("2"), User | None)
    assert_type(admins.get_versioned("2"), Versioned[User] | None)
    assert_type(admins.put_versioned("2", User(name="Grace"), version="v"), bool)
    assert_type(admins.increment("hits"), int)
    assert_type(store_versioned(), Versioned[dict[str, Any]] | None)

    plain: SyncStore = open_sync_store("memory://")
    assert_type(plain.get("c", "k"), dict[str, Any] | None)
"""

SYNC_REJECTED = """
from pydantic import BaseModel

from kvstore.core.stores import SimpleStore
from kvstore.core.sync import SyncStore
from kvstore.pydantic import PydanticAdapter


class User(BaseModel):
    name: str


async def main() -> None:
    users = SyncStore(PydanticAdapter(SimpleStore(), User))
    users.put("users", "1", {"name": "Ada"})
    await users.get("users", "1")
    SyncStore(SimpleStore()).get("users")
    users.add("users", "1", {"name": "Ada"})
"""


def _mypy(tmp_path: Path, source: str) -> subprocess.CompletedProcess[str]:
    program = tmp_path / "program.py"
    program.write_text(textwrap.dedent(source))
    # cwd is a temporary directory so no repository config changes the check; the kvstore
    # distributions are found installed in this interpreter's site-packages.
    return subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", str(program)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


@pytest.mark.slow
def test_mypy_infers_the_model_type(tmp_path: Path) -> None:
    result = _mypy(tmp_path, INFERRED)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.slow
def test_mypy_rejects_values_that_are_not_the_model(tmp_path: Path) -> None:
    result = _mypy(tmp_path, REJECTED)
    assert result.returncode == 1, result.stdout + result.stderr
    errors = [line for line in result.stdout.splitlines() if ": error:" in line]
    assert len(errors) == 7, result.stdout
    assert '"put" of "PydanticAdapter" has incompatible type "dict[str, str]"' in errors[0]
    assert 'incompatible type "Address"; expected "User"' in errors[1]
    assert 'Item "None" of "User | None" has no attribute "name"' in errors[2]
    assert '"add" of "PydanticAdapter" has incompatible type "dict[str, str]"' in errors[3]
    assert 'Item "None" of "Versioned[User] | None" has no attribute "value"' in errors[4]
    assert '"put_versioned" of "PydanticAdapter" has incompatible type "Address"' in errors[5]
    assert 'Incompatible types in assignment (expression has type "int"' in errors[6]


@pytest.mark.slow
def test_mypy_sees_the_sync_facade_blocking_and_keeping_model_types(tmp_path: Path) -> None:
    result = _mypy(tmp_path, SYNC_INFERRED)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.slow
def test_mypy_rejects_wrong_values_and_await_on_the_sync_facade(tmp_path: Path) -> None:
    result = _mypy(tmp_path, SYNC_REJECTED)
    assert result.returncode == 1, result.stdout + result.stderr
    errors = [line for line in result.stdout.splitlines() if ": error:" in line]
    assert len(errors) == 4, result.stdout
    assert 'incompatible type "dict[str, str]"; expected "User"' in errors[0]
    assert 'Incompatible types in "await"' in errors[1]
    assert 'Missing positional argument "key"' in errors[2]
    assert '"add" of "SyncStore" has incompatible type "dict[str, str]"' in errors[3]
