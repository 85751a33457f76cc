"""Property-based cases (hypothesis) that every backend runs through StoreConformance."""

from __future__ import annotations

import itertools
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from kvstore.core import ATOMIC_OPERATIONS, BaseKVStore
from kvstore.core.errors import InvalidValueError

PROPERTY_SETTINGS = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.differing_executors,
    ],
)
"""Examples reuse the function-scoped store, each working in collections of its own; every
backend subclass runs the same inherited method, hence differing executors."""

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30)
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=10), children, max_size=5)
    ),
    max_leaves=25,
)
json_objects = st.dictionaries(st.text(max_size=10), json_values, max_size=6)
names = st.text(min_size=1, max_size=60) | st.text(
    alphabet=st.sampled_from(":/_%\\ *?[]\x00\n🔑a"), min_size=1, max_size=12
)
long_names = st.text(min_size=200, max_size=1_200)

_unique = itertools.count()


def fresh_collection(prefix: str) -> str:
    """A collection name no other example of this run has used."""
    return f"{prefix}-{next(_unique)}"


def as_json(value: dict[str, Any]) -> Any:
    """What the store must return for ``value``: its JSON round trip."""
    return json.loads(json.dumps(value))


# Operations of the stateful case: (name, key index, value number or TTL flag). Four of
# the six keys are operated on one by one, so steps often meet on one key.
operations = st.lists(
    st.tuples(
        st.sampled_from(
            [
                "put",
                "put_expired",
                "get",
                "delete",
                "put_many",
                "get_many",
                "delete_many",
                "clear",
                "add",
                "take",
                "touch",
                "get_versioned",
                "put_versioned",
                "increment",
            ]
        ),
        st.integers(min_value=0, max_value=3),
        st.integers(min_value=0, max_value=3),
    ),
    min_size=1,
    max_size=25,
)


class _Tokens:
    """The version tokens the model has seen, and whether each is still the entry's.

    A write to a key makes its token stale; ``touch`` may or may not change a version
    (SPEC §11), so after one the model no longer knows, and accepts either answer.
    """

    def __init__(self) -> None:
        self.seen: dict[str, tuple[str, bool | None]] = {}

    def read(self, key: str, version: str) -> None:
        self.seen[key] = (version, True)

    def written(self, key: str) -> None:
        if key in self.seen:
            self.seen[key] = (self.seen[key][0], False)

    def touched(self, key: str) -> None:
        if key in self.seen and self.seen[key][1] is not False:
            self.seen[key] = (self.seen[key][0], None)


async def run_against_model(
    store: BaseKVStore, collection: str, steps: list[tuple[str, int, int]], settle: Any
) -> None:
    """Apply ``steps`` to the store and to a dict, asserting they agree after each step.

    Steps of atomic operations the store does not declare are left out.
    """
    model: dict[str, dict[str, Any]] = {}
    tokens = _Tokens()
    declared = store.atomic_operations
    keys = [f"k{i}" for i in range(6)]
    for name, index, number in steps:
        key = keys[index]
        group = keys[index : index + number + 1]
        if name in ATOMIC_OPERATIONS:
            if name in declared:
                await _atomic_step(store, collection, model, tokens, name, key, number)
        elif name == "put":
            await store.put(collection, key, {"n": number})
            model[key] = {"n": number}
            tokens.written(key)
        elif name == "put_expired":
            await store.put(collection, key, {"n": number}, ttl=0)
            model.pop(key, None)
            tokens.written(key)
        elif name == "get":
            assert await store.get(collection, key) == model.get(key), (name, key)
        elif name == "delete":
            assert await store.delete(collection, key) == (key in model), (name, key)
            model.pop(key, None)
            tokens.written(key)
        elif name == "put_many":
            await store.put_many(collection, {k: {"n": number, "k": k} for k in group})
            model.update({k: {"n": number, "k": k} for k in group})
            for k in group:
                tokens.written(k)
        elif name == "get_many":
            assert await store.get_many(collection, group) == [model.get(k) for k in group]
        elif name == "delete_many":
            expected = sum(k in model for k in group)
            assert await store.delete_many(collection, group) == expected, (name, group)
            for k in group:
                model.pop(k, None)
                tokens.written(k)
        else:
            await settle(store)
            assert await store.clear_collection(collection) == len(model)
            model.clear()
            for k in keys:
                tokens.written(k)
    await settle(store)
    assert sorted(await store.keys(collection)) == sorted(model)
    assert await store.get_many(collection, keys) == [model.get(k) for k in keys]
    await store.clear_collection(collection)


async def _atomic_step(
    store: BaseKVStore,
    collection: str,
    model: dict[str, dict[str, Any]],
    tokens: _Tokens,
    name: str,
    key: str,
    number: int,
) -> None:
    """One atomic operation on the store and on the model (a dict and the tokens seen)."""
    step = (name, key, number)
    current = model.get(key)
    if name == "add":
        added = await store.add(collection, key, {"n": number, "added": True})
        assert added == (current is None), step
        if added:
            model[key] = {"n": number, "added": True}
            tokens.written(key)
    elif name == "take":
        assert await store.take(collection, key) == current, step
        if current is not None:
            del model[key]
            tokens.written(key)
    elif name == "touch":
        # 0: expire at once (as delete); 1: never expire; else a long TTL
        ttl = {0: 0, 1: None}.get(number, 600)
        assert await store.touch(collection, key, ttl) == (current is not None), step
        if current is not None and ttl == 0:
            del model[key]
            tokens.written(key)
        else:
            tokens.touched(key)
    elif name == "get_versioned":
        found = await store.get_versioned(collection, key)
        assert (None if found is None else found.value) == current, step
        if found is not None:
            tokens.read(key, found.version)
    elif name == "put_versioned":
        value = {"n": number, "cas": True}
        seen = tokens.seen.get(key)
        if number % 2 or seen is None:  # only if absent
            written = await store.put_versioned(collection, key, value, version=None)
            assert written == (current is None), step
        else:
            version, fresh = seen
            written = await store.put_versioned(collection, key, value, version=version)
            if fresh is not None:
                assert written == (fresh and current is not None), (*step, version, fresh)
        if written:
            model[key] = value
            tokens.written(key)
    else:  # increment
        if current is not None and set(current) != {"count"}:
            with pytest.raises(InvalidValueError):
                await store.increment(collection, key, number - 1)
            return
        count = (0 if current is None else current["count"]) + number - 1
        assert await store.increment(collection, key, number - 1) == count, step
        model[key] = {"count": count}
        tokens.written(key)
