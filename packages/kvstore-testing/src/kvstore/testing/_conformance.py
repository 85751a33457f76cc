"""StoreConformance: the test cases every kvstore backend passes."""

from __future__ import annotations

import asyncio
import copy
import time
from collections.abc import Callable, Coroutine
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kvstore.core import BaseKVStore
from kvstore.core.errors import (
    InvalidKeyError,
    InvalidTTLError,
    KVStoreError,
    SerializationError,
)

from ._atomic_cases import AtomicCases
from ._cache_aside import CacheAsideCases
from ._properties import (
    PROPERTY_SETTINGS,
    as_json,
    fresh_collection,
    json_objects,
    long_names,
    names,
    operations,
    run_against_model,
)
from ._values import (
    INJECTIVITY_PAIRS,
    INVALID_NAMES,
    INVALID_TTLS,
    INVALID_VALUES,
    NAMES,
    ROUND_TRIP_VALUES,
    VALID_TTLS,
)

SHORT_TTL = 0.15
"""Seconds: long enough to read an entry back, short enough to keep the kit fast."""
PAST_SHORT_TTL = 0.35
"""Seconds to sleep for an entry written with SHORT_TTL to have expired."""
MANY_KEYS = 1_200
"""More keys than one page of any backend's scan (pages are usually 100 to 1,000)."""


def st_pairs() -> st.SearchStrategy[list[tuple[str, str]]]:
    """Distinct (collection, key) pairs, half of them every split of one separator-heavy
    string (pairs whose plain concatenation is the same), half drawn freely."""
    splits = st.text(alphabet=st.sampled_from(":/_%\\ ab"), min_size=3, max_size=14).map(
        lambda text: [(text[:cut], text[cut:]) for cut in range(1, len(text))]
    )
    free = st.lists(st.tuples(names, names), min_size=2, max_size=12, unique=True)
    return splits | free


def once(*keys: str) -> Any:
    """The keys as a one-shot iterator (a generator), which batch methods accept too."""
    return (key for key in keys)


_Operation = Callable[[BaseKVStore], Coroutine[Any, Any, Any]]


def _operations_on(collection: Any, key: Any) -> dict[str, _Operation]:
    """Every operation that takes a collection and key, called with the given ones."""
    operations: dict[str, _Operation] = {
        "get": lambda s: s.get(collection, key),
        "put": lambda s: s.put(collection, key, {"v": 1}),
        "delete": lambda s: s.delete(collection, key),
        "exists": lambda s: s.exists(collection, key),
        "ttl": lambda s: s.ttl(collection, key),
        "get_many": lambda s: s.get_many(collection, [key]),
        "delete_many": lambda s: s.delete_many(collection, [key]),
    }
    if getattr(key, "__hash__", None) is not None:
        operations["put_many"] = lambda s: s.put_many(collection, {key: {"v": 1}})
    return operations


class StoreConformance(AtomicCases, CacheAsideCases):
    """Subclass this in a backend's tests and provide the ``store`` fixture.

    The fixture yields an empty store and closes it afterwards. Set ``capabilities``
    to describe the backend; a case is only skipped through a declared capability,
    and the skip says which. The atomic operations' cases (:class:`AtomicCases`) follow
    what the store declares in ``store.atomic_operations``.
    """

    # -- round trips ------------------------------------------------------------------

    async def test_get_missing_returns_none(self, store: BaseKVStore) -> None:
        assert await store.get("kit", "missing") is None
        assert await store.exists("kit", "missing") is False
        assert await store.ttl("kit", "missing") is None

    @pytest.mark.parametrize("name", sorted(ROUND_TRIP_VALUES))
    async def test_round_trip(self, store: BaseKVStore, name: str) -> None:
        self.require_values()
        value = ROUND_TRIP_VALUES[name]
        await store.put("kit", name, value)
        assert await store.get("kit", name) == value

    async def test_tuples_come_back_as_lists(self, store: BaseKVStore) -> None:
        self.require_values()
        await store.put("kit", "tuple", {"t": (1, (2, 3)), "d": {"inner": ("x",)}})
        assert await store.get("kit", "tuple") == {"t": [1, [2, 3]], "d": {"inner": ["x"]}}

    async def test_put_overwrites(self, store: BaseKVStore) -> None:
        self.require_values()
        await store.put("kit", "k", {"v": 1})
        await store.put("kit", "k", {"v": 2, "extra": True})
        assert await store.get("kit", "k") == {"v": 2, "extra": True}

    async def test_delete(self, store: BaseKVStore) -> None:
        self.require_values()
        await store.put("kit", "k", {"v": 1})
        assert await store.delete("kit", "k") is True
        assert await store.get("kit", "k") is None
        assert await store.delete("kit", "k") is False

    async def test_exists(self, store: BaseKVStore) -> None:
        self.require_values()
        await store.put("kit", "k", {})
        assert await store.exists("kit", "k") is True
        assert await store.exists("kit", "other") is False

    async def test_collections_are_separate(self, store: BaseKVStore) -> None:
        self.require_values()
        await store.put("one", "k", {"from": "one"})
        await store.put("two", "k", {"from": "two"})
        assert await store.get("one", "k") == {"from": "one"}
        assert await store.get("two", "k") == {"from": "two"}
        await store.delete("one", "k")
        assert await store.get("two", "k") == {"from": "two"}

    @pytest.mark.parametrize("name", sorted(NAMES))
    async def test_any_unicode_names_round_trip(self, store: BaseKVStore, name: str) -> None:
        self.require_values()
        text = NAMES[name]
        await store.put(text, text, {"name": name})
        await store.put("kit", text, {"as": "key"})
        await store.put(text, "plain", {"as": "collection"})
        assert await store.get(text, text) == {"name": name}
        assert await store.get("kit", text) == {"as": "key"}
        assert await store.get(text, "plain") == {"as": "collection"}
        await self.settle(store)
        assert sorted(await store.keys(text)) == sorted([text, "plain"])
        assert text in await store.list_collections()
        assert await store.keys("kit") == [text]

    @pytest.mark.parametrize(
        "pair", INJECTIVITY_PAIRS, ids=[f"{a[0][:8]!r}|{a[1][:8]!r}" for a, _ in INJECTIVITY_PAIRS]
    )
    async def test_distinct_names_never_collide(
        self, store: BaseKVStore, pair: tuple[tuple[str, str], tuple[str, str]]
    ) -> None:
        self.require_values()
        first, second = pair
        await store.put(*first, {"which": "first"})
        await store.put(*second, {"which": "second"})
        assert await store.get(*first) == {"which": "first"}
        assert await store.get(*second) == {"which": "second"}
        await self.settle(store)
        assert first[1] in await store.keys(first[0])
        assert second[1] in await store.keys(second[0])
        assert await store.delete(*first) is True
        assert await store.get(*second) == {"which": "second"}

    # -- aliasing -----------------------------------------------------------------------

    async def test_mutating_the_written_dict_changes_nothing(self, store: BaseKVStore) -> None:
        self.require_values()
        value: dict[str, Any] = {"list": [1, 2], "inner": {"a": 1}}
        await store.put("kit", "k", value)
        value["list"].append(3)
        value["inner"]["a"] = 99
        value["new"] = True
        assert await store.get("kit", "k") == {"list": [1, 2], "inner": {"a": 1}}

    async def test_mutating_a_read_dict_changes_nothing(self, store: BaseKVStore) -> None:
        self.require_values()
        await store.put("kit", "k", {"list": [1], "inner": {"a": 1}})
        first = await store.get("kit", "k")
        assert first is not None
        first["list"].append(2)
        first["inner"]["a"] = 2
        assert await store.get("kit", "k") == {"list": [1], "inner": {"a": 1}}
        many = await store.get_many("kit", ["k", "k"])
        assert many[0] is not None
        assert many[1] is not None
        many[0]["inner"]["a"] = 3
        assert many[1] == {"list": [1], "inner": {"a": 1}}
        assert await store.get("kit", "k") == {"list": [1], "inner": {"a": 1}}

    async def test_put_many_values_are_copied(self, store: BaseKVStore) -> None:
        self.require_values()
        items = {"a": {"n": [1]}, "b": {"n": [2]}}
        expected = copy.deepcopy(items)
        await store.put_many("kit", items)
        items["a"]["n"].append(9)
        assert await store.get_many("kit", ["a", "b"]) == [expected["a"], expected["b"]]

    # -- TTL ------------------------------------------------------------------------------

    async def test_no_ttl_never_expires(self, store: BaseKVStore) -> None:
        self.require_values()
        before = time.time()
        await store.put("kit", "k", {"v": 1})
        info = await store.ttl("kit", "k")
        assert info is not None
        assert (info.collection, info.key, info.ttl, info.expires_at) == ("kit", "k", None, None)
        assert info.created_at is not None
        assert info.created_at.tzinfo is not None
        assert before - 1 <= info.created_at.timestamp() <= time.time() + 1
        assert info.is_expired is False

    async def test_entry_expires_with_millisecond_precision(self, store: BaseKVStore) -> None:
        self.require_values()
        await store.put("kit", "short", {"v": 1}, ttl=SHORT_TTL)
        await store.put("kit", "long", {"v": 2}, ttl=60)
        assert await store.get("kit", "short") == {"v": 1}
        await asyncio.sleep(PAST_SHORT_TTL)
        assert await store.get("kit", "short") is None
        assert await store.exists("kit", "short") is False
        assert await store.ttl("kit", "short") is None
        assert await store.get_many("kit", ["short", "long"]) == [None, {"v": 2}]
        assert await store.delete("kit", "short") is False
        await self.settle(store)
        assert await store.keys("kit") == ["long"]

    async def test_expired_collection_is_not_listed(self, store: BaseKVStore) -> None:
        self.require_values()
        await store.put("fleeting", "k", {"v": 1}, ttl=SHORT_TTL)
        await store.put("lasting", "k", {"v": 1})
        await asyncio.sleep(PAST_SHORT_TTL)
        await self.settle(store)
        collections = await store.list_collections()
        assert "fleeting" not in collections
        assert "lasting" in collections

    @pytest.mark.parametrize("name", sorted(VALID_TTLS))
    async def test_ttl_metadata(self, store: BaseKVStore, name: str) -> None:
        self.require_values()
        ttl = VALID_TTLS[name]
        seconds = ttl.total_seconds() if isinstance(ttl, timedelta) else float(ttl)
        await store.put("kit", "k", {"v": 1}, ttl=ttl)
        info = await store.ttl("kit", "k")
        assert info is not None
        assert (info.collection, info.key) == ("kit", "k")
        assert info.ttl == pytest.approx(seconds)
        assert info.created_at is not None
        assert info.expires_at is not None
        assert info.expires_at.tzinfo is not None
        assert info.expires_at.utcoffset() == timezone.utc.utcoffset(None)
        lifetime = (info.expires_at - info.created_at).total_seconds()
        assert lifetime == pytest.approx(seconds, abs=0.01)
        assert abs(info.created_at.timestamp() - time.time()) < 5
        assert info.is_expired is False

    @pytest.mark.parametrize("ttl", [timedelta.max, 1e300], ids=["timedelta.max", "1e300"])
    async def test_an_expiry_past_year_9999_reads_as_the_latest_datetime(
        self, store: BaseKVStore, ttl: Any
    ) -> None:
        self.require_values()
        seconds = ttl.total_seconds() if isinstance(ttl, timedelta) else float(ttl)
        clamp = self.capabilities.max_ttl
        await store.put("kit", "k", {"v": 1}, ttl=ttl)
        await store.put_many("kit", {"a": {"v": 2}}, ttl=ttl)
        assert await store.get_many("kit", ["k", "a"]) == [{"v": 1}, {"v": 2}]
        for key in ("k", "a"):
            info = await store.ttl("kit", key)
            assert info is not None
            assert info.is_expired is False
            assert info.expires_at is not None
            if clamp is None:
                assert info.ttl == pytest.approx(seconds)
                assert info.expires_at == datetime.max.replace(tzinfo=timezone.utc)
            else:  # the store kept its longest TTL instead
                assert info.ttl == pytest.approx(clamp)
                assert info.created_at is not None
                lifetime = (info.expires_at - info.created_at).total_seconds()
                assert lifetime == pytest.approx(clamp, abs=0.01)

    @pytest.mark.parametrize("ttl", [0, 0.0, -1, -0.5, timedelta(seconds=-3)])
    async def test_ttl_zero_or_less_is_never_returned(self, store: BaseKVStore, ttl: Any) -> None:
        self.require_values()
        await store.put("kit", "k", {"old": True})
        await store.put("kit", "k", {"new": True}, ttl=ttl)
        assert await store.get("kit", "k") is None
        assert await store.exists("kit", "k") is False
        await store.put_many("kit", {"a": {}, "b": {}}, ttl=ttl)
        assert await store.get_many("kit", ["a", "b"]) == [None, None]

    async def test_put_restarts_the_ttl(self, store: BaseKVStore) -> None:
        self.require_values()
        await store.put("kit", "k", {"v": 1}, ttl=SHORT_TTL)
        await store.put("kit", "k", {"v": 2}, ttl=60)
        await asyncio.sleep(PAST_SHORT_TTL)
        assert await store.get("kit", "k") == {"v": 2}
        await store.put("kit", "k", {"v": 3})
        info = await store.ttl("kit", "k")
        assert info is not None
        assert info.ttl is None
        assert info.expires_at is None

    async def test_put_without_ttl_removes_the_old_expiry(self, store: BaseKVStore) -> None:
        self.require_values()
        await store.put("kit", "k", {"v": 1}, ttl=SHORT_TTL)
        await store.put("kit", "k", {"v": 2})
        await asyncio.sleep(PAST_SHORT_TTL)
        assert await store.get("kit", "k") == {"v": 2}

    # -- bad input ----------------------------------------------------------------------

    @pytest.mark.parametrize("bad", INVALID_NAMES, ids=repr)
    async def test_invalid_collection_is_rejected(self, store: BaseKVStore, bad: Any) -> None:
        for operation in _operations_on(bad, "k").values():
            with pytest.raises(InvalidKeyError):
                await operation(store)
        for management in (store.keys, store.clear_collection):
            with pytest.raises(InvalidKeyError):
                await management(bad)
        await self.settle(store)
        assert await store.list_collections() == []

    @pytest.mark.parametrize("bad", INVALID_NAMES, ids=repr)
    async def test_invalid_key_is_rejected(self, store: BaseKVStore, bad: Any) -> None:
        for operation in _operations_on("kit", bad).values():
            with pytest.raises(InvalidKeyError):
                await operation(store)
        await self.settle(store)
        assert await store.keys("kit") == []

    @pytest.mark.parametrize("name", sorted(INVALID_VALUES))
    async def test_invalid_value_is_rejected_and_nothing_written(
        self, store: BaseKVStore, name: str
    ) -> None:
        bad = INVALID_VALUES[name]
        if self.capabilities.stores_values:
            await store.put("kit-values", "the-key", {"old": True})
        with pytest.raises(SerializationError) as raised:
            await store.put("kit-values", "the-key", bad)
        message = str(raised.value)
        assert "kit-values" in message
        assert "the-key" in message
        with pytest.raises(SerializationError):
            await store.put("kit-values", "fresh", bad)
        with pytest.raises(SerializationError):
            await store.put_many("kit-values", {"fresh": {"ok": 1}, "the-key": bad})
        assert await store.get("kit-values", "fresh") is None
        if self.capabilities.stores_values:
            assert await store.get("kit-values", "the-key") == {"old": True}

    @pytest.mark.parametrize("name", sorted(INVALID_TTLS))
    async def test_invalid_ttl_is_rejected_and_nothing_written(
        self, store: BaseKVStore, name: str
    ) -> None:
        bad = INVALID_TTLS[name]
        if self.capabilities.stores_values:
            await store.put("kit", "k", {"old": True})
        with pytest.raises(InvalidTTLError):
            await store.put("kit", "k", {"new": True}, ttl=bad)
        with pytest.raises(InvalidTTLError):
            await store.put_many("kit", {"k": {"new": True}, "other": {}}, ttl=bad)
        assert await store.get("kit", "other") is None
        if self.capabilities.stores_values:
            assert await store.get("kit", "k") == {"old": True}

    @pytest.mark.parametrize("keys", ["abc", b"abc", 5, None, {"a": 1}], ids=repr)
    async def test_batch_keys_must_be_a_list_of_str(self, store: BaseKVStore, keys: Any) -> None:
        with pytest.raises(InvalidKeyError):
            await store.get_many("kit", keys)
        with pytest.raises(InvalidKeyError):
            await store.delete_many("kit", keys)

    @pytest.mark.parametrize("items", [[("a", {})], "ab", None, 3], ids=repr)
    async def test_put_many_items_must_be_a_mapping(self, store: BaseKVStore, items: Any) -> None:
        with pytest.raises(InvalidKeyError):
            await store.put_many("kit", items)
        assert await store.get("kit", "a") is None

    async def test_bad_key_inside_a_batch_writes_nothing(self, store: BaseKVStore) -> None:
        with pytest.raises(InvalidKeyError):
            await store.put_many("kit", {"good": {}, "": {}})
        with pytest.raises(InvalidKeyError):
            await store.put_many("kit", {"good": {}, 5: {}})  # type: ignore[dict-item]
        with pytest.raises(InvalidKeyError):
            await store.get_many("kit", ["good", ""])
        with pytest.raises(InvalidKeyError):
            await store.delete_many("kit", ["good", None])  # type: ignore[list-item]
        assert await store.get("kit", "good") is None

    @pytest.mark.parametrize("limit", [-1, 1.5, "3", True])
    async def test_keys_rejects_a_bad_limit(self, store: BaseKVStore, limit: Any) -> None:
        with pytest.raises(ValueError):
            await store.keys("kit", limit=limit)

    # -- batch operations -----------------------------------------------------------------

    async def test_get_many_is_aligned_and_allows_duplicates(self, store: BaseKVStore) -> None:
        self.require_values()
        await store.put("kit", "a", {"v": "a"})
        await store.put("kit", "b", {"v": "b"})
        result = await store.get_many("kit", ["b", "missing", "a", "b"])
        assert result == [{"v": "b"}, None, {"v": "a"}, {"v": "b"}]
        assert await store.get_many("kit", []) == []
        assert await store.get_many("kit", ("a",)) == [{"v": "a"}]

    async def test_put_many_then_get(self, store: BaseKVStore) -> None:
        self.require_values()
        items = {f"k{i}": {"i": i} for i in range(100)}
        await store.put_many("kit", items)
        assert await store.get_many("kit", list(items)) == list(items.values())
        assert await store.get("kit", "k42") == {"i": 42}
        await store.put_many("kit", {})

    async def test_put_many_with_ttl(self, store: BaseKVStore) -> None:
        self.require_values()
        await store.put_many("kit", {"a": {}, "b": {}}, ttl=SHORT_TTL)
        await store.put("kit", "c", {})
        info = await store.ttl("kit", "a")
        assert info is not None
        assert info.ttl == pytest.approx(SHORT_TTL)
        await asyncio.sleep(PAST_SHORT_TTL)
        assert await store.get_many("kit", ["a", "b", "c"]) == [None, None, {}]

    async def test_put_many_overwrites(self, store: BaseKVStore) -> None:
        self.require_values()
        await store.put("kit", "a", {"v": 1}, ttl=SHORT_TTL)
        await store.put_many("kit", {"a": {"v": 2}})
        await asyncio.sleep(PAST_SHORT_TTL)
        assert await store.get("kit", "a") == {"v": 2}

    async def test_delete_many_counts_live_entries(self, store: BaseKVStore) -> None:
        self.require_values()
        await store.put_many("kit", {"a": {}, "b": {}, "c": {}})
        await store.put("kit", "gone", {}, ttl=SHORT_TTL)
        await asyncio.sleep(PAST_SHORT_TTL)
        assert await store.delete_many("kit", ["a", "b", "a", "missing", "gone"]) == 2
        assert await store.get_many("kit", ["a", "b", "c"]) == [None, None, {}]
        assert await store.delete_many("kit", []) == 0

    async def test_every_batch_method_reads_a_one_shot_iterator_of_keys(
        self, store: BaseKVStore
    ) -> None:
        """A generator of keys works like a list: each batch method reads it exactly once."""
        self.require_values()
        await store.put_many("kit", {"a": {"v": 1}, "b": {"v": 2}})
        assert await store.get_many("kit", once("a", "x", "b")) == [{"v": 1}, None, {"v": 2}]
        results = await store.get_many_with_ttl("kit", once("x", "b"))
        assert [value for value, _ in results] == [None, {"v": 2}]
        info = results[1][1]
        assert info is not None
        assert (info.collection, info.key) == ("kit", "b")
        assert await store.delete_many("kit", once("a", "x")) == 1
        assert await store.get_many("kit", once("a", "b")) == [None, {"v": 2}]
        assert await store.get("kit", "a") is None

    # -- management -----------------------------------------------------------------------

    async def _fill(self, store: BaseKVStore, collection: str, count: int) -> set[str]:
        keys = [f"key-{i:05d}" for i in range(count)]
        for start in range(0, count, 500):
            await store.put_many(collection, {key: {"n": 1} for key in keys[start : start + 500]})
        await self.settle(store)
        return set(keys)

    async def test_keys_returns_everything_beyond_one_page(self, store: BaseKVStore) -> None:
        self.require_values()
        expected = await self._fill(store, "big", MANY_KEYS)
        await store.put("other", "not-mine", {})
        await self.settle(store)
        found = await store.keys("big")
        assert len(found) == len(expected)
        assert set(found) == expected

    async def test_iter_keys_pages_through_everything(self, store: BaseKVStore) -> None:
        self.require_values()
        expected = await self._fill(store, "big", MANY_KEYS)
        seen = [key async for key in store.iter_keys("big")]
        assert sorted(seen) == sorted(expected)

    async def test_keys_limit(self, store: BaseKVStore) -> None:
        self.require_values()
        expected = await self._fill(store, "kit", 30)
        limited = await store.keys("kit", limit=10)
        assert len(limited) == 10
        assert set(limited) <= expected
        assert await store.keys("kit", limit=0) == []
        assert set(await store.keys("kit", limit=1000)) == expected

    async def test_keys_of_an_unknown_collection_is_empty(self, store: BaseKVStore) -> None:
        assert await store.keys("nothing-here") == []
        assert [key async for key in store.iter_keys("nothing-here")] == []

    async def test_list_collections(self, store: BaseKVStore) -> None:
        self.require_values()
        assert await store.list_collections() == []
        await store.put("beta", "k", {})
        await store.put("alpha", "k", {})
        await store.put("alpha", "k2", {})
        await self.settle(store)
        assert await store.list_collections() == ["alpha", "beta"]
        await store.delete("beta", "k")
        await self.settle(store)
        assert await store.list_collections() == ["alpha"]

    async def test_clear_collection_removes_only_that_collection(self, store: BaseKVStore) -> None:
        self.require_values()
        await store.put_many("doomed", {f"k{i}": {} for i in range(25)})
        await store.put_many("doomed-not", {"k1": {}, "k2": {}})
        await store.put("kept", "k1", {"v": 1})
        await self.settle(store)
        assert await store.clear_collection("doomed") == 25
        await self.settle(store)
        assert await store.keys("doomed") == []
        assert await store.get("doomed", "k1") is None
        assert sorted(await store.keys("doomed-not")) == ["k1", "k2"]
        assert await store.get("kept", "k1") == {"v": 1}
        assert await store.list_collections() == ["doomed-not", "kept"]
        assert await store.clear_collection("doomed") == 0

    async def test_cull_removes_expired_and_keeps_live(self, store: BaseKVStore) -> None:
        self.require_values()
        await store.put_many("kit", {f"old{i}": {} for i in range(10)}, ttl=SHORT_TTL)
        await store.put_many("kit", {"live": {"v": 1}, "lasting": {}}, ttl=60)
        await asyncio.sleep(PAST_SHORT_TTL)
        await store.cull()
        await self.settle(store)
        assert await store.get("kit", "live") == {"v": 1}
        assert sorted(await store.keys("kit")) == ["lasting", "live"]

    # -- concurrency and lifecycle --------------------------------------------------------

    async def test_many_concurrent_tasks(self, store: BaseKVStore) -> None:
        self.require_values()

        async def worker(n: int) -> dict[str, Any] | None:
            await store.put("kit", f"k{n}", {"n": n})
            await store.put_many("kit", {f"m{n}": {"n": n}})
            return await store.get("kit", f"k{n}")

        results = await asyncio.gather(*(worker(n) for n in range(100)))
        assert results == [{"n": n} for n in range(100)]
        assert await store.get_many("kit", [f"m{n}" for n in range(100)]) == [
            {"n": n} for n in range(100)
        ]

    async def test_concurrent_writes_to_one_key_leave_one_of_them(self, store: BaseKVStore) -> None:
        self.require_values()
        await asyncio.gather(*(store.put("kit", "hot", {"n": n}) for n in range(50)))
        value = await store.get("kit", "hot")
        assert value is not None
        assert value["n"] in range(50)

    async def test_async_with_and_close_twice(self, store: BaseKVStore) -> None:
        async with store as entered:
            assert entered is store
            assert await store.get("kit", "k") is None
        await store.close()

    async def test_used_from_event_loops_in_other_threads(self, store: BaseKVStore) -> None:
        self.require_values()

        def in_own_loop(worker: int) -> list[dict[str, Any] | None]:
            async def work() -> list[dict[str, Any] | None]:
                await store.put("loops", f"w{worker}", {"worker": worker})
                await store.put_many("loops", {f"w{worker}-{n}": {"n": n} for n in range(5)})
                return await store.get_many("loops", [f"w{worker}", f"w{worker}-4"])

            return asyncio.run(work())

        await store.put("loops", "home", {"loop": "test"})
        if not self.capabilities.other_event_loops:
            with pytest.raises(KVStoreError, match="event loop"):
                await asyncio.to_thread(in_own_loop, 0)
            assert await store.get("loops", "home") == {"loop": "test"}
            return
        results = await asyncio.gather(*(asyncio.to_thread(in_own_loop, n) for n in range(2)))
        assert results == [[{"worker": n}, {"n": 4}] for n in range(2)]
        assert await store.get("loops", "home") == {"loop": "test"}
        assert await store.get_many("loops", ["w0", "w1"]) == [{"worker": 0}, {"worker": 1}]

    async def test_repr_names_the_store(self, store: BaseKVStore) -> None:
        assert type(store).__name__ in repr(store)

    async def test_bounded_store_keeps_at_most_max_entries(self, store: BaseKVStore) -> None:
        if not self.capabilities.bounded or self.capabilities.max_entries is None:
            pytest.skip("capability bounded=False: the store does not evict")
        limit = self.capabilities.max_entries
        for n in range(limit + 20):
            await store.put("kit", f"k{n}", {"n": n})
        await self.settle(store)
        assert len(await store.keys("kit")) <= limit
        assert await store.get("kit", f"k{limit + 19}") == {"n": limit + 19}

    # -- properties (hypothesis) ---------------------------------------------------------

    @PROPERTY_SETTINGS
    @given(value=json_objects)
    async def test_property_any_json_object_round_trips(
        self, store: BaseKVStore, value: dict[str, Any]
    ) -> None:
        self.require_values()
        collection = fresh_collection("prop-values")
        await store.put(collection, "k", value)
        assert await store.get(collection, "k") == as_json(value)
        await store.put_many(collection, {"a": value, "b": {"wrapped": value}})
        assert await store.get_many(collection, ["a", "b"]) == [
            as_json(value),
            {"wrapped": as_json(value)},
        ]
        await store.delete_many(collection, ["k", "a", "b"])

    @PROPERTY_SETTINGS
    @given(collection=names | long_names, key=names | long_names)
    async def test_property_any_names_round_trip(
        self, store: BaseKVStore, collection: str, key: str
    ) -> None:
        self.require_values()
        await store.put(collection, key, {"c": collection, "k": key})
        assert await store.get(collection, key) == {"c": collection, "k": key}
        await self.settle(store)
        assert key in await store.keys(collection)
        assert collection in await store.list_collections()
        assert await store.clear_collection(collection) >= 1
        await self.settle(store)
        assert await store.get(collection, key) is None

    @PROPERTY_SETTINGS
    @given(pairs=st_pairs())
    async def test_property_distinct_pairs_never_collide(
        self, store: BaseKVStore, pairs: list[tuple[str, str]]
    ) -> None:
        self.require_values()
        suffix = fresh_collection("")
        named = [(collection + suffix, key) for collection, key in pairs]
        for index, (collection, key) in enumerate(named):
            await store.put(collection, key, {"i": index})
        for index, (collection, key) in enumerate(named):
            assert await store.get(collection, key) == {"i": index}, (collection, key)
        await store.delete(*named[0])
        for index, pair in enumerate(named[1:], start=1):
            assert await store.get(*pair) == {"i": index}
        for collection in {collection for collection, _ in named}:
            await store.clear_collection(collection)

    @PROPERTY_SETTINGS
    @given(steps=operations)
    async def test_property_operations_match_a_reference_model(
        self, store: BaseKVStore, steps: list[tuple[str, int, int]]
    ) -> None:
        self.require_values()
        await run_against_model(store, fresh_collection("prop-model"), steps, self.settle)
