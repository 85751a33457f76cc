"""The kit is only worth something if it fails on broken stores: each one here breaks one rule."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from kvstore.core.stores import SimpleStore
from kvstore.testing import run_load

BROKEN_STORES = '''
import asyncio
from collections.abc import AsyncIterator

from kvstore.core.stores import SimpleStore


class JoinedNames(SimpleStore):
    """Stores (collection, key) under collection + "::" + key: pairs collide."""

    async def _read(self, collection, key):
        return await super()._read("all", collection + "::" + key)

    async def _write(self, collection, key, payload, ttl):
        await super()._write("all", collection + "::" + key, payload, ttl)


class DropsWrites(SimpleStore):
    """Acknowledges every third single write without storing it."""

    count = 0

    async def _write(self, collection, key, payload, ttl):
        self.count += 1
        if self.count % 3:
            await super()._write(collection, key, payload, ttl)


class OnePageOfKeys(SimpleStore):
    """Lists only the first 100 keys of a collection."""

    async def _scan(self, collection) -> AsyncIterator[list[str]]:
        async for page in super()._scan(collection):
            yield page[:100]
            return


class DeleteAlwaysTrue(SimpleStore):
    async def _remove(self, collection, key):
        await super()._remove(collection, key)
        return True


class ClearsEverything(SimpleStore):
    async def _clear(self, collection):
        count = len(await self.keys(collection))
        self.entries.clear()
        return count


class RacyAdd(SimpleStore):
    """add as a get, then a put: another task can write in between."""

    async def add(self, collection, key, value, *, ttl=None):
        if await self.get(collection, key) is not None:
            return False
        await asyncio.sleep(0)
        await self.put(collection, key, value, ttl=ttl)
        return True


class RacyTake(SimpleStore):
    """take as a get, then a delete."""

    async def take(self, collection, key):
        value = await self.get(collection, key)
        await asyncio.sleep(0)
        await self.delete(collection, key)
        return value


class RacyIncrement(SimpleStore):
    """increment as a get, then a put."""

    async def increment(self, collection, key, amount=1, *, ttl=None):
        value = await self.get(collection, key)
        count = (0 if value is None else value["count"]) + amount
        await asyncio.sleep(0)
        await self.put(collection, key, {"count": count}, ttl=ttl)
        return count


class RacyPutVersioned(SimpleStore):
    """put_versioned as a version check, then a put."""

    async def put_versioned(self, collection, key, value, *, version, ttl=None):
        current = await self.get_versioned(collection, key)
        if (None if current is None else current.version) != version:
            return False
        await asyncio.sleep(0)
        await self.put(collection, key, value, ttl=ttl)
        return True


class TakeKeeps(SimpleStore):
    """take returns the value and leaves it stored."""

    async def take(self, collection, key):
        return await self.get(collection, key)


class AddWithoutDeclaring(SimpleStore):
    """Declares no atomic operation, yet writes on add."""

    atomic_operations = frozenset()

    async def add(self, collection, key, value, *, ttl=None):
        await self.put(collection, key, value, ttl=ttl)
        return True
'''

KIT_RUNNER = """
import pytest

from kvstore.testing import StoreConformance
import broken


class TestBroken(StoreConformance):
    @pytest.fixture
    async def store(self):
        store = broken.{name}(max_entries=None)
        yield store
        await store.close()
"""


def _run_kit(tmp_path: Path, name: str, selection: str) -> str:
    (tmp_path / "broken.py").write_text(BROKEN_STORES)
    (tmp_path / "test_broken_kit.py").write_text(textwrap.dedent(KIT_RUNNER.format(name=name)))
    (tmp_path / "pytest.ini").write_text(
        "[pytest]\nasyncio_mode = auto\nasyncio_default_fixture_loop_scope = function\n"
    )
    result = subprocess.run(
        [
            *(sys.executable, "-m", "pytest", "-q", "-rf", "-p", "no:cacheprovider"),
            # The property cases draw their examples from this seed (one that finds the broken
            # take): a catch does not depend on luck. The default profile, also under CI=true
            # (hypothesis's CI profile derandomizes, ignoring the seed, and its examples made
            # the broken take's search and shrinking run for minutes).
            *("--hypothesis-profile", "default", "--hypothesis-seed", "2", "-k", selection),
        ],
        cwd=tmp_path,
        # Bytecode written: each of these runs imports pytest, hypothesis and kvstore, which
        # a fresh virtualenv holds as source only; compiled once, not once per run.
        env={
            name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"
        },
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    return result.stdout


@pytest.mark.parametrize(
    ("name", "caught_by"),
    [
        ("JoinedNames", "test_distinct_names_never_collide"),
        ("DropsWrites", "test_many_concurrent_tasks"),
        ("OnePageOfKeys", "test_keys_returns_everything_beyond_one_page"),
        ("DeleteAlwaysTrue", "test_delete"),
        ("ClearsEverything", "test_clear_collection_removes_only_that_collection"),
        ("RacyAdd", "test_racing_add_has_exactly_one_winner"),
        ("RacyAdd", "test_racing_add_over_an_expired_entry_has_exactly_one_winner"),
        ("RacyTake", "test_racing_take_gives_the_value_to_exactly_one_task"),
        ("RacyIncrement", "test_racing_increments_count_every_one"),
        ("RacyPutVersioned", "test_racing_put_versioned_has_one_winner_per_version"),
        ("RacyPutVersioned", "test_optimistic_updates_from_racing_tasks_lose_nothing"),
        ("TakeKeeps", "test_take_returns_the_value_once"),
        ("TakeKeeps", "test_property_operations_match_a_reference_model"),
        ("AddWithoutDeclaring", "test_undeclared_atomic_operation_is_refused"),
    ],
)
def test_kit_fails_a_store_that_breaks_a_rule(tmp_path: Path, name: str, caught_by: str) -> None:
    report = _run_kit(tmp_path, name, caught_by)
    failed = [line for line in report.splitlines() if line.startswith("FAILED")]
    assert any(f"::{caught_by}" in line for line in failed), report[-3000:]


async def test_run_load_finds_no_loss_on_a_sound_store() -> None:
    report = await run_load(SimpleStore(max_entries=None), tasks=64, operations=5_000)
    assert report.errors == []
    assert report.lost_writes == 0
    assert report.acknowledged_writes > 1_000
    assert 1_000 < report.keys_checked <= 64 * 20


async def test_run_load_counts_lost_writes() -> None:
    class ForgetsHalf(SimpleStore):
        async def _write(self, collection: str, key: str, payload: str, ttl: float | None) -> None:
            if hash(key) % 2:
                await super()._write(collection, key, payload, ttl)

    report = await run_load(ForgetsHalf(max_entries=None), tasks=8, operations=800)
    assert report.lost_writes > 0
