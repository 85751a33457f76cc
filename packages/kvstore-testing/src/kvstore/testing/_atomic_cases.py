"""AtomicCases: the kit's cases of the atomic operations (SPEC §11), driven by what a store
declares in ``store.atomic_operations``.

A case of a declared operation checks its semantics, its races (64 tasks on one key), its
TTLs and its bad input; an undeclared operation must raise ``UnsupportedOperationError``
naming the store and the operation before anything is written, and its cases skip saying so.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Awaitable, Callable, Coroutine
from datetime import datetime, timedelta, timezone
from typing import Any, TypeVar

import pytest

from kvstore.core import ATOMIC_OPERATIONS, BaseKVStore
from kvstore.core.errors import (
    InvalidKeyError,
    InvalidTTLError,
    InvalidValueError,
    SerializationError,
    UnsupportedOperationError,
)

from ._case_base import KitCases
from ._values import INVALID_NAMES, INVALID_TTLS, INVALID_VALUES

T = TypeVar("T")

RACERS = 64
"""Tasks racing on one key in each race case."""
SHORT_TTL = 0.15
"""Seconds: long enough for one call after the write, short enough to keep the kit fast.
A case checks an entry's TTL metadata with a long TTL, and writes a SHORT_TTL entry at most
one call before it sleeps, so a loaded machine cannot expire it before it is looked at."""
PAST_SHORT_TTL = 0.35
"""Seconds to sleep for an entry written with SHORT_TTL to have expired."""
COUNT_MAX = 2**63 - 1
COUNT_MIN = -(2**63)

BAD_AMOUNTS: dict[str, Any] = {
    "true": True,
    "false": False,
    "float": 1.5,
    "integral_float": 1.0,
    "str": "1",
    "none": None,
    "nan": math.nan,
    "beyond_64_bits": 2**63,
    "below_64_bits": -(2**63) - 1,
}
BAD_VERSIONS: dict[str, Any] = {
    "int": 5,
    "float": 1.5,
    "bytes": b"1",
    "true": True,
    "list": ["1"],
}
NOT_COUNTERS: dict[str, dict[str, Any]] = {
    "empty": {},
    "other_member": {"n": 1},
    "str_count": {"count": "1"},
    "float_count": {"count": 1.5},
    "bool_count": {"count": True},
    "none_count": {"count": None},
    "extra_member": {"count": 1, "extra": 0},
    "nested_count": {"count": {"count": 1}},
}

_Call = Callable[[BaseKVStore], Coroutine[Any, Any, Any]]


def _atomic_calls(collection: Any, key: Any) -> dict[str, _Call]:
    """Each atomic operation called with valid arguments on (collection, key)."""
    return {
        "add": lambda s: s.add(collection, key, {"v": "new"}),
        "take": lambda s: s.take(collection, key),
        "touch": lambda s: s.touch(collection, key, 60),
        "get_versioned": lambda s: s.get_versioned(collection, key),
        "put_versioned": lambda s: s.put_versioned(collection, key, {"v": "new"}, version=None),
        "increment": lambda s: s.increment(collection, key, 5),
    }


def _class_names(store: Any) -> set[str]:
    """The class names of the store and of every store it wraps (``.store``, a facade's)."""
    names: set[str] = set()
    seen: set[int] = set()
    while store is not None and id(store) not in seen:
        seen.add(id(store))
        names.add(type(store).__name__)
        inner = vars(store).get("store") if hasattr(store, "__dict__") else None
        if inner is None and hasattr(store, "facade"):
            inner = store.facade._store  # ThreadedFacade: the SyncStore's store
        store = inner
    return names


async def _race(count: int, start: Callable[[int], Awaitable[T]]) -> list[T]:
    """Run ``start(n)`` for n in range(count) in tasks released together; their results."""
    gate = asyncio.Event()

    async def racer(n: int) -> T:
        await gate.wait()
        return await start(n)

    tasks = [asyncio.ensure_future(racer(n)) for n in range(count)]
    await asyncio.sleep(0)
    gate.set()
    return list(await asyncio.gather(*tasks))


def _writers_of(store: BaseKVStore, round_: int, version: str) -> Callable[[int], Awaitable[bool]]:
    """Task n's compare-and-set of round ``round_`` over ``version``."""
    return lambda n: store.put_versioned(
        "kit", "cas", {"round": round_, "task": n}, version=version
    )


async def _refused(error: type[BaseException], call: Awaitable[Any], what: str) -> BaseException:
    """Await ``call`` and return the ``error`` it raises; fail if it raises nothing."""
    try:
        await call
    except error as exc:
        return exc
    raise AssertionError(f"{what} was accepted: {error.__name__} expected")


def _now_utc() -> datetime:
    return datetime.now(timezone.utc)


class AtomicCases(KitCases):
    """Cases of ``add``, ``take``, ``touch``, ``get_versioned``/``put_versioned`` and
    ``increment``, each run for the operations the store declares."""

    def require_atomic(self, store: BaseKVStore, *operations: str) -> None:
        """Skip unless the store declares every one of ``operations``."""
        missing = sorted(set(operations) - set(store.atomic_operations))
        if missing:
            pytest.skip(
                f"store.atomic_operations does not declare {', '.join(missing)}: "
                f"test_undeclared_atomic_operation_is_refused checks that it raises "
                f"UnsupportedOperationError instead"
            )

    # -- what a store declares --------------------------------------------------------

    async def test_atomic_operations_are_declared_by_name(self, store: BaseKVStore) -> None:
        declared = store.atomic_operations
        assert isinstance(declared, frozenset)
        assert declared <= ATOMIC_OPERATIONS, sorted(declared - ATOMIC_OPERATIONS)

    @pytest.mark.parametrize("operation", sorted(ATOMIC_OPERATIONS))
    async def test_undeclared_atomic_operation_is_refused(
        self, store: BaseKVStore, operation: str
    ) -> None:
        """An operation the store does not declare raises UnsupportedOperationError naming
        the store and the operation, before anything is read or written."""
        if operation in store.atomic_operations:
            pytest.skip(f"store.atomic_operations declares {operation}: its own cases run")
        if self.capabilities.stores_values:
            await store.put("kit", "held", {"v": "old"})
        for key in ("held", "absent"):
            with pytest.raises(UnsupportedOperationError) as raised:
                await _atomic_calls("kit", key)[operation](store)
            message = str(raised.value)
            assert operation in message, message
            assert any(name in message for name in _class_names(store)), message
        assert await store.get("kit", "absent") is None
        if self.capabilities.stores_values:
            assert await store.get("kit", "held") == {"v": "old"}
            info = await store.ttl("kit", "held")
            assert info is not None
            assert info.ttl is None

    async def test_atomic_operations_when_nothing_is_ever_kept(self, store: BaseKVStore) -> None:
        """A store that keeps nothing answers as if nothing were ever present."""
        if self.capabilities.stores_values:
            pytest.skip("capability stores_values=True: the other atomic cases apply")
        declared = store.atomic_operations
        for _ in range(2):
            if "add" in declared:
                assert await store.add("kit", "k", {"v": 1}) is True
            if "take" in declared:
                assert await store.take("kit", "k") is None
            if "touch" in declared:
                assert await store.touch("kit", "k", 60) is False
            if "get_versioned" in declared:
                assert await store.get_versioned("kit", "k") is None
            if "put_versioned" in declared:
                assert await store.put_versioned("kit", "k", {"v": 1}, version=None) is True
                assert await store.put_versioned("kit", "k", {"v": 1}, version="1") is False
            if "increment" in declared:
                assert await store.increment("kit", "n", 5) == 5
        assert await store.get("kit", "k") is None

    # -- add ----------------------------------------------------------------------------

    async def test_add_writes_only_when_absent(self, store: BaseKVStore) -> None:
        self.require_atomic(store, "add")
        self.require_values()
        assert await store.add("kit", "k", {"v": 1}) is True
        assert await store.get("kit", "k") == {"v": 1}
        assert await store.add("kit", "k", {"v": 2}) is False
        assert await store.add("kit", "k", {"v": 3}, ttl=60) is False
        assert await store.get("kit", "k") == {"v": 1}
        info = await store.ttl("kit", "k")
        assert info is not None
        assert info.ttl is None
        await store.delete("kit", "k")
        assert await store.add("kit", "k", {"v": 4}) is True
        assert await store.get("kit", "k") == {"v": 4}

    async def test_racing_add_has_exactly_one_winner(self, store: BaseKVStore) -> None:
        self.require_atomic(store, "add")
        self.require_values()
        results = await _race(RACERS, lambda n: store.add("kit", "race", {"task": n}))
        winners = [n for n, won in enumerate(results) if won is True]
        assert len(winners) == 1, f"{len(winners)} tasks added the same key"
        assert all(won is False for n, won in enumerate(results) if n != winners[0])
        assert await store.get("kit", "race") == {"task": winners[0]}

    async def test_racing_add_over_an_expired_entry_has_exactly_one_winner(
        self, store: BaseKVStore
    ) -> None:
        self.require_atomic(store, "add")
        self.require_values()
        await store.put("kit", "race", {"task": "expired"}, ttl=SHORT_TTL)
        await asyncio.sleep(PAST_SHORT_TTL)
        results = await _race(RACERS, lambda n: store.add("kit", "race", {"task": n}, ttl=60))
        winners = [n for n, won in enumerate(results) if won is True]
        assert len(winners) == 1, f"{len(winners)} tasks added the same key"
        assert await store.get("kit", "race") == {"task": winners[0]}

    async def test_add_with_a_ttl(self, store: BaseKVStore) -> None:
        self.require_atomic(store, "add")
        self.require_values()
        assert await store.add("kit", "k", {"v": 1}, ttl=30) is True
        info = await store.ttl("kit", "k")
        assert info is not None
        assert info.ttl == pytest.approx(self.kept_ttl(30))
        assert await store.add("kit", "k", {"v": 2}, ttl=30) is False
        assert await store.add("kit", "short", {"v": 1}, ttl=SHORT_TTL) is True
        await asyncio.sleep(PAST_SHORT_TTL)
        assert await store.get("kit", "short") is None
        assert await store.add("kit", "short", {"v": 3}, ttl=timedelta(minutes=1)) is True
        assert await store.get("kit", "short") == {"v": 3}
        info = await store.ttl("kit", "short")
        assert info is not None
        assert info.ttl == pytest.approx(self.kept_ttl(60))

    async def test_add_with_a_ttl_of_zero_or_less_stores_nothing(self, store: BaseKVStore) -> None:
        """Written already expired: True when no live entry was there, nothing kept."""
        self.require_atomic(store, "add")
        self.require_values()
        assert await store.add("kit", "absent", {"v": 1}, ttl=0) is True
        assert await store.add("kit", "absent", {"v": 1}, ttl=-5) is True
        assert await store.get("kit", "absent") is None
        await store.put("kit", "live", {"v": "old"})
        assert await store.add("kit", "live", {"v": "new"}, ttl=0) is False
        assert await store.add("kit", "live", {"v": "new"}, ttl=-1.5) is False
        assert await store.get("kit", "live") == {"v": "old"}

    # -- take ---------------------------------------------------------------------------

    async def test_take_returns_the_value_once(self, store: BaseKVStore) -> None:
        self.require_atomic(store, "take")
        assert await store.take("kit", "missing") is None
        self.require_values()
        await store.put("kit", "token", {"user": "ada", "scopes": ["read"]}, ttl=60)
        await store.put("kit", "other", {"v": 1})
        assert await store.take("kit", "token") == {"user": "ada", "scopes": ["read"]}
        assert await store.take("kit", "token") is None
        assert await store.get("kit", "token") is None
        assert await store.exists("kit", "token") is False
        assert await store.get("kit", "other") == {"v": 1}

    async def test_racing_take_gives_the_value_to_exactly_one_task(
        self, store: BaseKVStore
    ) -> None:
        self.require_atomic(store, "take")
        self.require_values()
        await store.put("kit", "token", {"code": "once"})
        results = await _race(RACERS, lambda n: store.take("kit", "token"))
        taken = [value for value in results if value is not None]
        assert taken == [{"code": "once"}], f"{len(taken)} tasks took the value"
        assert await store.get("kit", "token") is None

    async def test_take_of_an_expired_entry_finds_nothing(self, store: BaseKVStore) -> None:
        self.require_atomic(store, "take")
        self.require_values()
        await store.put("kit", "k", {"v": 1}, ttl=SHORT_TTL)
        await asyncio.sleep(PAST_SHORT_TTL)
        assert await store.take("kit", "k") is None
        assert await store.get("kit", "k") is None

    # -- touch --------------------------------------------------------------------------

    async def test_touch_of_a_missing_or_expired_entry_is_false(self, store: BaseKVStore) -> None:
        self.require_atomic(store, "touch")
        assert await store.touch("kit", "missing", 60) is False
        assert await store.touch("kit", "missing", None) is False
        assert await store.get("kit", "missing") is None
        self.require_values()
        await store.put("kit", "k", {"v": 1}, ttl=SHORT_TTL)
        await asyncio.sleep(PAST_SHORT_TTL)
        assert await store.touch("kit", "k", 60) is False
        assert await store.touch("kit", "k", None) is False
        assert await store.get("kit", "k") is None
        assert await store.ttl("kit", "k") is None

    async def test_touch_extends_a_ttl(self, store: BaseKVStore) -> None:
        self.require_atomic(store, "touch")
        self.require_values()
        written_from = _now_utc()
        await store.put("kit", "session", {"user": "ada"}, ttl=SHORT_TTL)
        written_by = _now_utc()
        assert await store.touch("kit", "session", 60) is True
        await asyncio.sleep(PAST_SHORT_TTL)
        assert await store.get("kit", "session") == {"user": "ada"}
        after = await store.ttl("kit", "session")
        assert after is not None
        assert after.ttl == pytest.approx(self.kept_ttl(60))
        assert after.created_at is not None
        # touch keeps created_at (the put's time) and counts the new TTL from now
        slack = timedelta(milliseconds=10)
        assert written_from - slack <= after.created_at <= written_by + slack
        assert after.expires_at is not None
        left = (after.expires_at - _now_utc()).total_seconds()
        assert self.kept_ttl(60) - 5 < left <= self.kept_ttl(60)

    async def test_touch_shortens_a_ttl(self, store: BaseKVStore) -> None:
        self.require_atomic(store, "touch")
        self.require_values()
        await store.put("kit", "k", {"v": 1}, ttl=60)
        await store.put("kit", "forever", {"v": 2})
        assert await store.touch("kit", "k", 30) is True
        info = await store.ttl("kit", "k")
        assert info is not None
        assert info.ttl == pytest.approx(self.kept_ttl(30))
        assert await store.touch("kit", "k", SHORT_TTL) is True
        assert await store.touch("kit", "forever", SHORT_TTL) is True
        await asyncio.sleep(PAST_SHORT_TTL)
        assert await store.get_many("kit", ["k", "forever"]) == [None, None]

    async def test_touch_with_none_removes_the_expiry(self, store: BaseKVStore) -> None:
        self.require_atomic(store, "touch")
        self.require_values()
        await store.put("kit", "k", {"v": 1}, ttl=SHORT_TTL)
        assert await store.touch("kit", "k", None) is True
        await asyncio.sleep(PAST_SHORT_TTL)
        assert await store.get("kit", "k") == {"v": 1}
        info = await store.ttl("kit", "k")
        assert info is not None
        assert (info.ttl, info.expires_at) == (None, None)

    async def test_touch_with_a_ttl_of_zero_or_less_removes_the_entry(
        self, store: BaseKVStore
    ) -> None:
        """As ``delete``: True if a live entry was there."""
        self.require_atomic(store, "touch")
        self.require_values()
        await store.put("kit", "a", {"v": 1})
        await store.put("kit", "b", {"v": 1}, ttl=60)
        assert await store.touch("kit", "a", 0) is True
        assert await store.touch("kit", "b", -3) is True
        assert await store.get_many("kit", ["a", "b"]) == [None, None]
        assert await store.touch("kit", "a", 0) is False

    async def test_racing_touch_leaves_the_value(self, store: BaseKVStore) -> None:
        self.require_atomic(store, "touch")
        self.require_values()
        await store.put("kit", "k", {"v": 1}, ttl=60)
        results = await _race(RACERS, lambda n: store.touch("kit", "k", 30 + n))
        assert results == [True] * RACERS
        assert await store.get("kit", "k") == {"v": 1}
        info = await store.ttl("kit", "k")
        assert info is not None
        assert info.ttl in [pytest.approx(self.kept_ttl(30 + n)) for n in range(RACERS)]

    # -- get_versioned / put_versioned --------------------------------------------------

    async def test_get_versioned_returns_the_value_and_a_token(self, store: BaseKVStore) -> None:
        self.require_atomic(store, "get_versioned")
        assert await store.get_versioned("kit", "missing") is None
        self.require_values()
        await store.put("kit", "k", {"v": [1, 2]})
        found = await store.get_versioned("kit", "k")
        assert found is not None
        assert found.value == {"v": [1, 2]}
        assert type(found.version) is str
        again = await store.get_versioned("kit", "k")
        assert again is not None
        assert again.version == found.version, "reading does not change the version"
        found.value["v"].append(3)
        assert await store.get("kit", "k") == {"v": [1, 2]}

    async def test_put_versioned_writes_only_over_the_version_read(
        self, store: BaseKVStore
    ) -> None:
        self.require_atomic(store, "get_versioned", "put_versioned")
        self.require_values()
        await store.put("kit", "k", {"v": 1})
        first = await store.get_versioned("kit", "k")
        assert first is not None
        assert await store.put_versioned("kit", "k", {"v": 2}, version=first.version) is True
        assert await store.get("kit", "k") == {"v": 2}
        assert await store.put_versioned("kit", "k", {"v": 3}, version=first.version) is False
        assert await store.put_versioned("kit", "k", {"v": 3}, version="not-a-token") is False
        assert await store.put_versioned("kit", "k", {"v": 3}, version=None) is False
        assert await store.get("kit", "k") == {"v": 2}
        second = await store.get_versioned("kit", "k")
        assert second is not None
        assert second.value == {"v": 2}
        await store.put("kit", "k", {"v": "someone else"})
        assert await store.put_versioned("kit", "k", {"v": 4}, version=second.version) is False
        assert await store.get("kit", "k") == {"v": "someone else"}

    async def test_put_versioned_with_no_version_writes_only_when_absent(
        self, store: BaseKVStore
    ) -> None:
        self.require_atomic(store, "put_versioned")
        self.require_values()
        assert await store.put_versioned("kit", "k", {"v": 1}, version=None) is True
        assert await store.put_versioned("kit", "k", {"v": 2}, version=None) is False
        assert await store.get("kit", "k") == {"v": 1}
        await store.delete("kit", "k")
        assert await store.put_versioned("kit", "k", {"v": 3}, version=None, ttl=60) is True
        assert await store.get("kit", "k") == {"v": 3}

    async def test_racing_put_versioned_has_one_winner_per_version(
        self, store: BaseKVStore
    ) -> None:
        self.require_atomic(store, "get_versioned", "put_versioned")
        self.require_values()
        results = await _race(
            RACERS, lambda n: store.put_versioned("kit", "cas", {"task": n}, version=None)
        )
        winners = [n for n, won in enumerate(results) if won is True]
        assert len(winners) == 1, f"{len(winners)} tasks wrote over version None"
        assert await store.get("kit", "cas") == {"task": winners[0]}
        for round_ in range(3):
            current = await store.get_versioned("kit", "cas")
            assert current is not None
            results = await _race(RACERS, _writers_of(store, round_, current.version))
            winners = [n for n, won in enumerate(results) if won is True]
            assert len(winners) == 1, f"round {round_}: {len(winners)} tasks wrote one version"
            assert await store.get("kit", "cas") == {"round": round_, "task": winners[0]}

    async def test_optimistic_updates_from_racing_tasks_lose_nothing(
        self, store: BaseKVStore
    ) -> None:
        """Read, change, write back if unchanged, else retry: every task's change counts."""
        self.require_atomic(store, "get_versioned", "put_versioned")
        self.require_values()
        await store.put("kit", "doc", {"seen": []})

        async def append(n: int) -> None:
            while True:
                current = await store.get_versioned("kit", "doc")
                assert current is not None
                seen = [*current.value["seen"], n]
                if await store.put_versioned("kit", "doc", {"seen": seen}, version=current.version):
                    return

        await _race(16, append)
        final = await store.get("kit", "doc")
        assert final is not None
        assert sorted(final["seen"]) == list(range(16))

    async def test_put_versioned_with_a_ttl(self, store: BaseKVStore) -> None:
        self.require_atomic(store, "get_versioned", "put_versioned")
        self.require_values()
        assert await store.put_versioned("kit", "k", {"v": 1}, version=None, ttl=60) is True
        current = await store.get_versioned("kit", "k")
        assert current is not None
        assert await store.put_versioned("kit", "k", {"v": 2}, version=current.version, ttl=30)
        info = await store.ttl("kit", "k")
        assert info is not None
        assert info.ttl == pytest.approx(self.kept_ttl(30))
        current = await store.get_versioned("kit", "k")
        assert current is not None
        assert await store.put_versioned(
            "kit", "k", {"v": 3}, version=current.version, ttl=SHORT_TTL
        )
        await asyncio.sleep(PAST_SHORT_TTL)
        assert await store.get("kit", "k") is None

    async def test_put_versioned_with_a_ttl_of_zero_or_less_removes_conditionally(
        self, store: BaseKVStore
    ) -> None:
        self.require_atomic(store, "get_versioned", "put_versioned")
        self.require_values()
        assert await store.put_versioned("kit", "absent", {"v": 1}, version=None, ttl=0) is True
        assert await store.get("kit", "absent") is None
        await store.put("kit", "k", {"v": "old"})
        assert await store.put_versioned("kit", "k", {"v": 1}, version=None, ttl=0) is False
        assert await store.put_versioned("kit", "k", {"v": 1}, version="stale", ttl=-1) is False
        assert await store.get("kit", "k") == {"v": "old"}
        current = await store.get_versioned("kit", "k")
        assert current is not None
        assert await store.put_versioned("kit", "k", {"v": 1}, version=current.version, ttl=0)
        assert await store.get("kit", "k") is None

    async def test_get_versioned_and_put_versioned_treat_an_expired_entry_as_absent(
        self, store: BaseKVStore
    ) -> None:
        self.require_atomic(store, "get_versioned", "put_versioned")
        self.require_values()
        await store.put("kit", "b", {"v": 1}, ttl=SHORT_TTL)
        await store.put("kit", "a", {"v": 1}, ttl=SHORT_TTL)
        seen = await store.get_versioned("kit", "a")
        assert seen is not None
        await asyncio.sleep(PAST_SHORT_TTL)
        assert await store.get_versioned("kit", "a") is None
        assert await store.put_versioned("kit", "a", {"v": 2}, version=seen.version) is False
        assert await store.get("kit", "a") is None
        assert await store.put_versioned("kit", "b", {"v": 2}, version=None) is True
        assert await store.get("kit", "b") == {"v": 2}

    async def test_every_write_gives_a_new_version(self, store: BaseKVStore) -> None:
        """put, put_many, add and put_versioned each change the version, even when they
        write the same value again; a version once replaced never comes back."""
        self.require_atomic(store, "get_versioned")
        self.require_values()
        versions: list[str] = []

        async def record() -> str:
            found = await store.get_versioned("kit", "k")
            assert found is not None
            versions.append(found.version)
            return found.version

        await store.put("kit", "k", {"v": 1})
        await record()
        await store.put("kit", "k", {"v": 1})
        await record()
        await store.put("kit", "k", {"v": 1}, ttl=60)
        await record()
        await store.put_many("kit", {"k": {"v": 1}})
        last = await record()
        if "put_versioned" in store.atomic_operations:
            assert await store.put_versioned("kit", "k", {"v": 1}, version=last) is True
            await record()
        if "add" in store.atomic_operations:
            await store.delete("kit", "k")
            assert await store.add("kit", "k", {"v": 1}) is True
            await record()
        assert len(set(versions)) == len(versions), versions

    async def test_every_increment_gives_a_new_version(self, store: BaseKVStore) -> None:
        """Counting up and back down writes the same count again under a new version."""
        self.require_atomic(store, "get_versioned", "increment")
        self.require_values()
        versions: list[str] = []
        for amount in (1, 1, -1, 1, -1):
            await store.increment("kit", "n", amount)
            found = await store.get_versioned("kit", "n")
            assert found is not None
            versions.append(found.version)
        assert await store.get("kit", "n") == {"count": 1}
        assert len(set(versions)) == len(versions), versions

    # -- increment ----------------------------------------------------------------------

    async def test_increment_counts(self, store: BaseKVStore) -> None:
        self.require_atomic(store, "increment")
        self.require_values()
        assert await store.increment("kit", "n") == 1
        assert await store.increment("kit", "n") == 2
        assert await store.increment("kit", "n", 40) == 42
        assert await store.increment("kit", "n", -50) == -8
        assert await store.increment("kit", "n", 0) == -8
        assert await store.get("kit", "n") == {"count": -8}
        assert await store.increment("kit", "m", -3) == -3
        await store.put("kit", "p", {"count": 10})
        assert await store.increment("kit", "p", 5) == 15
        assert await store.get("kit", "p") == {"count": 15}

    async def test_racing_increments_count_every_one(self, store: BaseKVStore) -> None:
        self.require_atomic(store, "increment")
        self.require_values()
        results = await _race(RACERS, lambda n: store.increment("kit", "hits"))
        assert sorted(results) == list(range(1, RACERS + 1)), "each return value is distinct"
        assert await store.get("kit", "hits") == {"count": RACERS}
        amounts = [n - 20 for n in range(RACERS)]
        results = await _race(RACERS, lambda n: store.increment("kit", "hits", amounts[n]))
        assert await store.get("kit", "hits") == {"count": RACERS + sum(amounts)}
        assert RACERS + sum(amounts) in results, "the last increment returns the total"

    async def test_racing_increments_of_a_counter_with_a_ttl_keep_the_ttl(
        self, store: BaseKVStore
    ) -> None:
        self.require_atomic(store, "increment")
        self.require_values()
        results = await _race(RACERS, lambda n: store.increment("kit", "window", ttl=30))
        assert sorted(results) == list(range(1, RACERS + 1))
        info = await store.ttl("kit", "window")
        assert info is not None
        assert info.ttl == pytest.approx(30)

    async def test_increment_of_a_missing_counter_takes_the_ttl(self, store: BaseKVStore) -> None:
        self.require_atomic(store, "increment")
        self.require_values()
        assert await store.increment("kit", "m", 3, ttl=30) == 3
        info = await store.ttl("kit", "m")
        assert info is not None
        assert info.ttl == pytest.approx(self.kept_ttl(30))
        assert await store.increment("kit", "n", 3, ttl=SHORT_TTL) == 3
        await asyncio.sleep(PAST_SHORT_TTL)
        assert await store.get("kit", "n") is None
        assert await store.increment("kit", "n", 2, ttl=60) == 2, "an expired counter is absent"
        info = await store.ttl("kit", "n")
        assert info is not None
        assert info.ttl == pytest.approx(self.kept_ttl(60))

    async def test_increment_keeps_the_ttl_of_a_live_counter(self, store: BaseKVStore) -> None:
        self.require_atomic(store, "increment")
        self.require_values()
        assert await store.increment("kit", "n", ttl=30) == 1
        before = await store.ttl("kit", "n")
        assert await store.increment("kit", "n", ttl=600) == 2
        assert await store.increment("kit", "n", ttl=None) == 3
        after = await store.ttl("kit", "n")
        assert before is not None
        assert after is not None
        assert after.ttl == pytest.approx(30)
        assert before.expires_at is not None
        assert after.expires_at is not None
        assert abs((after.expires_at - before.expires_at).total_seconds()) < 0.01
        assert await store.increment("kit", "forever") == 1
        assert await store.increment("kit", "forever", ttl=60) == 2
        info = await store.ttl("kit", "forever")
        assert info is not None
        assert (info.ttl, info.expires_at) == (None, None)
        await store.put("kit", "short", {"count": 7}, ttl=SHORT_TTL)
        assert await store.increment("kit", "short", ttl=60) == 8
        await asyncio.sleep(PAST_SHORT_TTL)
        assert await store.get("kit", "short") is None

    async def test_increment_with_a_ttl_of_zero_or_less(self, store: BaseKVStore) -> None:
        """A missing counter is created already expired (the count is returned, nothing
        kept); a live one counts and keeps its TTL."""
        self.require_atomic(store, "increment")
        self.require_values()
        assert await store.increment("kit", "missing", 4, ttl=0) == 4
        assert await store.increment("kit", "missing", 4, ttl=-1) == 4
        assert await store.get("kit", "missing") is None
        await store.put("kit", "live", {"count": 1}, ttl=60)
        assert await store.increment("kit", "live", 2, ttl=0) == 3
        assert await store.get("kit", "live") == {"count": 3}
        info = await store.ttl("kit", "live")
        assert info is not None
        assert info.ttl == pytest.approx(self.kept_ttl(60))

    async def test_increment_stays_within_64_bits(self, store: BaseKVStore) -> None:
        self.require_atomic(store, "increment")
        self.require_values()
        assert await store.increment("kit", "top", COUNT_MAX) == COUNT_MAX
        with pytest.raises(InvalidValueError):
            await store.increment("kit", "top")
        assert await store.get("kit", "top") == {"count": COUNT_MAX}
        assert await store.increment("kit", "bottom", COUNT_MIN) == COUNT_MIN
        with pytest.raises(InvalidValueError):
            await store.increment("kit", "bottom", -1)
        assert await store.get("kit", "bottom") == {"count": COUNT_MIN}
        await store.put("kit", "near", {"count": COUNT_MAX - 1})
        assert await store.increment("kit", "near") == COUNT_MAX
        assert await store.increment("kit", "near", COUNT_MIN) == -1

    @pytest.mark.parametrize("name", sorted(NOT_COUNTERS))
    async def test_increment_of_a_value_that_is_not_a_counter_is_refused(
        self, store: BaseKVStore, name: str
    ) -> None:
        self.require_atomic(store, "increment")
        self.require_values()
        value = NOT_COUNTERS[name]
        await store.put("kit", "not-a-counter", value)
        with pytest.raises(InvalidValueError) as raised:
            await store.increment("kit", "not-a-counter")
        assert isinstance(raised.value, ValueError)
        assert "not-a-counter" in str(raised.value)
        assert await store.get("kit", "not-a-counter") == value

    # -- bad input writes nothing -------------------------------------------------------

    @pytest.mark.parametrize("operation", sorted(ATOMIC_OPERATIONS))
    async def test_atomic_operation_rejects_bad_names(
        self, store: BaseKVStore, operation: str
    ) -> None:
        self.require_atomic(store, operation)
        for bad in INVALID_NAMES:
            for collection, key in ((bad, "k"), ("kit", bad)):
                with pytest.raises(InvalidKeyError):
                    await _atomic_calls(collection, key)[operation](store)
        await self.settle(store)
        assert await store.keys("kit") == []
        assert await store.list_collections() == []

    @pytest.mark.parametrize("operation", ["add", "touch", "put_versioned", "increment"])
    async def test_atomic_operation_rejects_bad_ttls(
        self, store: BaseKVStore, operation: str
    ) -> None:
        self.require_atomic(store, operation)
        if self.capabilities.stores_values:
            await store.put("kit", "held", {"count": 1})
        calls: dict[str, Callable[[str, Any], Awaitable[Any]]] = {
            "add": lambda key, ttl: store.add("kit", key, {"v": 1}, ttl=ttl),
            "touch": lambda key, ttl: store.touch("kit", key, ttl),
            "put_versioned": lambda key, ttl: store.put_versioned(
                "kit", key, {"v": 1}, version=None, ttl=ttl
            ),
            "increment": lambda key, ttl: store.increment("kit", key, ttl=ttl),
        }
        for name, bad in INVALID_TTLS.items():
            for key in ("held", "fresh"):
                await _refused(InvalidTTLError, calls[operation](key, bad), f"the TTL {name}")
        assert await store.get("kit", "fresh") is None
        if self.capabilities.stores_values:
            assert await store.get("kit", "held") == {"count": 1}
            info = await store.ttl("kit", "held")
            assert info is not None
            assert info.ttl is None

    @pytest.mark.parametrize("operation", ["add", "put_versioned"])
    async def test_atomic_operation_rejects_bad_values(
        self, store: BaseKVStore, operation: str
    ) -> None:
        self.require_atomic(store, operation)
        write: dict[str, Callable[[Any], Awaitable[Any]]] = {
            "add": lambda value: store.add("kit", "the-key", value),
            "put_versioned": lambda value: store.put_versioned(
                "kit", "the-key", value, version=None
            ),
        }
        for name, bad in INVALID_VALUES.items():
            raised = await _refused(SerializationError, write[operation](bad), f"the value {name}")
            assert "the-key" in str(raised)
        assert await store.get("kit", "the-key") is None

    @pytest.mark.parametrize("name", sorted(BAD_AMOUNTS))
    async def test_increment_rejects_a_bad_amount(self, store: BaseKVStore, name: str) -> None:
        self.require_atomic(store, "increment")
        bad = BAD_AMOUNTS[name]
        if self.capabilities.stores_values:
            await store.put("kit", "held", {"count": 1})
        for key in ("held", "fresh"):
            with pytest.raises(InvalidValueError):
                await store.increment("kit", key, bad)
        assert await store.get("kit", "fresh") is None
        if self.capabilities.stores_values:
            assert await store.get("kit", "held") == {"count": 1}

    @pytest.mark.parametrize("name", sorted(BAD_VERSIONS))
    async def test_put_versioned_rejects_a_version_that_is_not_a_token(
        self, store: BaseKVStore, name: str
    ) -> None:
        self.require_atomic(store, "put_versioned")
        bad = BAD_VERSIONS[name]
        if self.capabilities.stores_values:
            await store.put("kit", "held", {"v": "old"})
        for key in ("held", "fresh"):
            with pytest.raises(InvalidValueError):
                await store.put_versioned("kit", key, {"v": "new"}, version=bad)
        assert await store.get("kit", "fresh") is None
        if self.capabilities.stores_values:
            assert await store.get("kit", "held") == {"v": "old"}
