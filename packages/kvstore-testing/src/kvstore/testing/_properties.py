"""Property-based cases (hypothesis) that every backend runs through StoreConformance."""

from __future__ import annotations

import itertools
import json
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from kvstore.core import BaseKVStore

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


# Operations of the stateful case: (name, key index, value number or TTL flag).
operations = st.lists(
    st.tuples(
        st.sampled_from(
            ["put", "put_expired", "get", "delete", "put_many", "get_many", "delete_many", "clear"]
        ),
        st.integers(min_value=0, max_value=5),
        st.integers(min_value=0, max_value=3),
    ),
    min_size=1,
    max_size=25,
)


async def run_against_model(
    store: BaseKVStore, collection: str, steps: list[tuple[str, int, int]], settle: Any
) -> None:
    """Apply ``steps`` to the store and to a dict, asserting they agree after each step."""
    model: dict[str, dict[str, Any]] = {}
    keys = [f"k{i}" for i in range(6)]
    for name, index, number in steps:
        key = keys[index]
        group = keys[index : index + number + 1]
        if name == "put":
            await store.put(collection, key, {"n": number})
            model[key] = {"n": number}
        elif name == "put_expired":
            await store.put(collection, key, {"n": number}, ttl=0)
            model.pop(key, None)
        elif name == "get":
            assert await store.get(collection, key) == model.get(key), (name, key)
        elif name == "delete":
            assert await store.delete(collection, key) == (key in model), (name, key)
            model.pop(key, None)
        elif name == "put_many":
            await store.put_many(collection, {k: {"n": number, "k": k} for k in group})
            model.update({k: {"n": number, "k": k} for k in group})
        elif name == "get_many":
            assert await store.get_many(collection, group) == [model.get(k) for k in group]
        elif name == "delete_many":
            expected = sum(k in model for k in group)
            assert await store.delete_many(collection, group) == expected, (name, group)
            for k in group:
                model.pop(k, None)
        else:
            await settle(store)
            assert await store.clear_collection(collection) == len(model)
            model.clear()
    await settle(store)
    assert sorted(await store.keys(collection)) == sorted(model)
    assert await store.get_many(collection, keys) == [model.get(k) for k in keys]
    await store.clear_collection(collection)
