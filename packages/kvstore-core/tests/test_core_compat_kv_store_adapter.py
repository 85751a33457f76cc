"""Code written for kv-store-adapter 0.1.x: each name and default it had works the same way here,
or fails with an error that says what to write instead (docs/migrating.md)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from kvstore.core.adapters import SingleCollectionAdapter
from kvstore.core.errors import ConfigurationError
from kvstore.core.stores import SimpleStore
from kvstore.core.wrappers import (
    PassthroughCacheWrapper,
    PrefixCollectionWrapper,
    PrefixKeyWrapper,
    SingleCollectionWrapper,
    StatisticsWrapper,
    TTLClampWrapper,
)

# -- TTLClampWrapper ----------------------------------------------------------------------


async def test_ttl_clamp_with_min_ttl_zero_has_no_lower_bound() -> None:
    inner = SimpleStore()
    store = TTLClampWrapper(inner, min_ttl=0, max_ttl=100)
    await store.put("c", "short", {}, ttl=0.5)
    await store.put("c", "long", {}, ttl=1000)
    await store.put("c", "none", {})
    ttls = {key: (await inner.ttl("c", key)).ttl for key in ("short", "long", "none")}  # type: ignore[union-attr]
    assert ttls == {"short": 0.5, "long": 100, "none": None}


async def test_ttl_clamp_with_min_ttl_zero_keeps_expired_writes_expired() -> None:
    store = TTLClampWrapper(SimpleStore(), min_ttl=0, max_ttl=timedelta(seconds=100))
    await store.put("c", "k", {"v": 1})
    await store.put("c", "k", {"v": 2}, ttl=0)
    assert await store.get("c", "k") is None


@pytest.mark.parametrize(
    ("bounds", "hint"),
    [
        ({"min_ttl": 0, "max_ttl": 0}, "max_ttl > 0"),
        ({"min_ttl": -1, "max_ttl": 10}, "min_ttl=0 sets no lower bound"),
        ({"min_ttl": 0, "max_ttl": 10, "missing_ttl": 0}, "write missing_ttl=None"),
    ],
    ids=["max-zero", "min-negative", "missing-zero"],
)
def test_ttl_clamp_bounds_that_cannot_work_say_what_to_write(
    bounds: dict[str, float], hint: str
) -> None:
    with pytest.raises(ConfigurationError, match=hint):
        TTLClampWrapper(SimpleStore(), **bounds)


# -- SimpleStore ---------------------------------------------------------------------------


async def test_simple_store_keeps_kv_store_adapters_default_bound_of_1000() -> None:
    store = SimpleStore()
    assert store.max_entries == 1000
    await store.put_many("c", {str(i): {"i": i} for i in range(1001)})
    assert len(await store.keys("c")) == 1000
    assert await store.get("c", "0") is None  # the oldest written entry went first
    assert await store.get("c", "1000") == {"i": 1000}


# -- errors --------------------------------------------------------------------------------


def test_kv_store_adapter_error_names_import_from_the_errors_module() -> None:
    from kvstore.core import errors
    from kvstore.core.errors import (
        ConfigurationError,
        DeserializationError,
        KVStoreAdapterError,
        SerializationError,
        SetupError,
        StoreConnectionError,
    )

    assert KVStoreAdapterError is errors.KVStoreError
    for error in (
        ConfigurationError,
        DeserializationError,
        SerializationError,
        SetupError,
        StoreConnectionError,
    ):
        assert issubclass(error, KVStoreAdapterError)


@pytest.mark.parametrize(
    ("name", "hint"),
    [
        ("KVStoreAdapterOperationError", r"catch \(SerializationError, DeserializationError\)"),
        ("UnknownError", "catch KVStoreError"),
    ],
)
def test_kv_store_adapter_error_names_without_counterpart_say_what_to_catch(
    name: str, hint: str
) -> None:
    with pytest.raises(ImportError, match=hint):
        exec(f"from kvstore.core.errors import {name}", {})


def test_other_missing_error_names_are_plain_attribute_errors() -> None:
    from kvstore.core import errors

    assert not hasattr(errors, "NoSuchError")


# -- the protocol and the wrappers, called by kv-store-adapter's keyword names --------------


async def test_store_methods_take_kv_store_adapters_keyword_names() -> None:
    store = SimpleStore()
    await store.put(collection="c", key="k", value={"v": 1}, ttl=60)
    assert await store.get(collection="c", key="k") == {"v": 1}
    assert await store.exists(collection="c", key="k")
    info = await store.ttl(collection="c", key="k")
    assert info is not None
    assert (info.collection, info.key, info.ttl) == ("c", "k", 60)
    assert await store.keys(collection="c") == ["k"]
    assert await store.list_collections() == ["c"]
    await store.cull()
    assert await store.delete(collection="c", key="k")
    await store.put(collection="c", key="k", value={"v": 2})
    assert await store.clear_collection(collection="c") == 1


async def test_wrappers_and_adapter_take_kv_store_adapters_constructor_names() -> None:
    inner = SimpleStore(max_entries=None)
    chain = StatisticsWrapper(
        store=TTLClampWrapper(
            store=PassthroughCacheWrapper(
                primary_store=PrefixCollectionWrapper(store=inner, prefix="app", separator="__"),
                cache_store=SimpleStore(max_entries=100),
            ),
            min_ttl=0,
            max_ttl=3600,
            missing_ttl=None,
        )
    )
    keyed = PrefixKeyWrapper(store=chain, prefix="tenant", separator="__")
    single = SingleCollectionWrapper(store=keyed, collection="all", prefix_separator="__")
    adapter = SingleCollectionAdapter(store=single, collection="users")
    await adapter.put(key="ada", value={"name": "Ada"}, ttl=60)
    assert await adapter.get(key="ada") == {"name": "Ada"}
    assert await adapter.exists(key="ada")
    assert chain.statistics.get_collection("all").put.count == 1
    assert len(inner.entries) == 1
    assert await adapter.delete(key="ada")


# -- what kvstore does not need: said, not a bare TypeError or AttributeError ---------------


@pytest.mark.parametrize("flag", [True, False])
def test_statistics_wrapper_track_statistics_says_to_drop_it(flag: bool) -> None:
    with pytest.raises(TypeError, match=r"always keeps statistics: drop track_statistics="):
        StatisticsWrapper(SimpleStore(), track_statistics=flag)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "name", ["setup", "setup_once", "setup_collection", "setup_collection_once"]
)
def test_setup_methods_say_stores_prepare_themselves(name: str) -> None:
    for store in (SimpleStore(), StatisticsWrapper(SimpleStore())):
        with pytest.raises(AttributeError, match=r"prepare themselves on first use") as caught:
            getattr(store, name)
        assert caught.value.name == name


def test_other_missing_store_attributes_are_plain_attribute_errors() -> None:
    store = SimpleStore()
    assert not hasattr(store, "no_such_method")
    with pytest.raises(AttributeError, match=r"'SimpleStore' object has no attribute 'nope'"):
        store.nope  # noqa: B018
