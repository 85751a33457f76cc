"""Every public method of BaseKVStore reaches the store under every shipped wrapper.

The methods are enumerated from BaseKVStore, not listed here: an operation added to it
later fails these tests until every wrapper base forwards it.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from kvstore.core import BaseKVStore, KVStoreProtocol
from kvstore.core import wrappers as wrappers_module
from kvstore.core.adapters import SingleCollectionAdapter
from kvstore.core.stores import NullStore, SimpleStore
from kvstore.core.wrappers import (
    AroundWrapper,
    BaseWrapper,
    CompressionWrapper,
    EncryptionWrapper,
    FallbackWrapper,
    LimitSizeWrapper,
    LoggingWrapper,
    PassthroughCacheWrapper,
    PrefixCollectionWrapper,
    PrefixKeyWrapper,
    ReadOnlyWrapper,
    RenamingWrapper,
    RetryWrapper,
    SingleCollectionWrapper,
    StatisticsWrapper,
    TimeoutWrapper,
    TTLClampWrapper,
    ValueTransformWrapper,
)

PUBLIC_METHODS = sorted(
    name for name, member in inspect.getmembers(BaseKVStore, callable) if not name.startswith("_")
)
SAMPLES: dict[str, Any] = {
    "collection": "c",
    "key": "k",
    "keys": ["k", "other"],
    "value": {"count": 1},  # a counter, so increment works on what the others wrote
    "items": {"k": {"v": 1}},
    "ttl": 60,
    "limit": 10,
    "version": None,
    "amount": 1,
    "factory": lambda: {"count": 1},
    "lease": 5,
}
"""An argument for each parameter name the methods take."""


class RecordingStore(SimpleStore):
    """A SimpleStore that records each public method called on it, with its collection."""

    def __init__(self) -> None:
        super().__init__(max_entries=None)
        self.calls: list[tuple[str, Any]] = []

    def __getattribute__(self, name: str) -> Any:
        found = object.__getattribute__(self, name)
        if name not in PUBLIC_METHODS:
            return found
        calls = object.__getattribute__(self, "calls")

        def recorded(*args: Any, **kwargs: Any) -> Any:
            calls.append((name, args[0] if args else kwargs.get("collection")))
            return found(*args, **kwargs)

        return recorded

    def names(self) -> set[str]:
        return {name for name, _ in self.calls}


def arguments(method: Callable[..., Any]) -> dict[str, Any]:
    """A sample for each parameter of ``method``; a new parameter name needs a sample."""
    parameters = inspect.signature(method).parameters
    missing = [name for name in parameters if name not in SAMPLES and name != "self"]
    assert not missing, f"add a sample for parameter(s) {missing} of {method.__qualname__}"
    return {name: SAMPLES[name] for name in parameters if name != "self"}


async def call(store: Any, name: str) -> Any:
    """Call ``store.name`` with sample arguments and wait for its result."""
    method = getattr(store, name)
    result = method(**arguments(method))
    if isinstance(result, AsyncIterator):
        return [key async for key in result]
    return await result


KEY = bytes(range(32))
WRAPPERS: dict[type[BaseKVStore], Callable[[BaseKVStore], BaseKVStore]] = {
    BaseWrapper: BaseWrapper,
    AroundWrapper: AroundWrapper,
    RenamingWrapper: RenamingWrapper,
    CompressionWrapper: lambda store: CompressionWrapper(store, min_size=0),
    EncryptionWrapper: lambda store: EncryptionWrapper(store, keys=[KEY]),
    FallbackWrapper: lambda store: FallbackWrapper(store, SimpleStore()),
    LimitSizeWrapper: lambda store: LimitSizeWrapper(store, max_bytes=1_000),
    LoggingWrapper: LoggingWrapper,
    PassthroughCacheWrapper: lambda store: PassthroughCacheWrapper(store, NullStore()),
    PrefixCollectionWrapper: lambda store: PrefixCollectionWrapper(store, "app"),
    PrefixKeyWrapper: lambda store: PrefixKeyWrapper(store, "app"),
    ReadOnlyWrapper: lambda store: ReadOnlyWrapper(store, read_only=False),
    RetryWrapper: RetryWrapper,
    SingleCollectionWrapper: lambda store: SingleCollectionWrapper(store, "all"),
    StatisticsWrapper: StatisticsWrapper,
    TimeoutWrapper: TimeoutWrapper,
    TTLClampWrapper: lambda store: TTLClampWrapper(store, 1, 3600),
}
"""Every store class kvstore.core.wrappers exports, over the store it wraps (the primary,
where there are two; the cache of PassthroughCacheWrapper keeps nothing, so every read
reaches the primary)."""
ABSTRACT = {ValueTransformWrapper}
"""Exported bases whose subclasses are the wrappers (they run above as Compression and
Encryption)."""
REACHES_AS: dict[tuple[type[BaseKVStore], str], set[str]] = {
    (PassthroughCacheWrapper, "get"): {"get_with_ttl"},
    (PassthroughCacheWrapper, "exists"): {"get_with_ttl"},
    (PassthroughCacheWrapper, "get_many"): {"get_many_with_ttl"},
    (PrefixKeyWrapper, "keys"): {"iter_keys"},
    (PrefixKeyWrapper, "clear_collection"): {"iter_keys", "delete_many"},
    (SingleCollectionWrapper, "keys"): {"iter_keys"},
    (SingleCollectionWrapper, "clear_collection"): {"iter_keys", "delete_many"},
    (SingleCollectionWrapper, "list_collections"): {"iter_keys"},
    (CompressionWrapper, "take"): {"get_versioned", "put_versioned"},
    (EncryptionWrapper, "take"): {"get_versioned", "put_versioned"},
    (EncryptionWrapper, "increment"): {"get_versioned", "ttl", "put_versioned"},
}
"""Operations a wrapper serves with other operations of the store it wraps (documented)."""
COMPOSED: dict[str, tuple[str, ...]] = {"get_or_set": ("get",)}
"""Methods BaseKVStore builds from its own public ones (on a hit, as the samples make it), so
a wrapper runs them through those: it needs no forwarding code for them."""


def reaches_as(wrapper: type[BaseKVStore], name: str) -> set[str]:
    """The operations of the wrapped store that ``name`` called on ``wrapper`` reaches."""
    parts = COMPOSED.get(name, (name,))
    return set().union(*(REACHES_AS.get((wrapper, part), {part}) for part in parts))


def test_every_exported_wrapper_is_checked() -> None:
    exported = {
        member
        for member in vars(wrappers_module).values()
        if isinstance(member, type) and issubclass(member, BaseKVStore)
    }
    assert exported - ABSTRACT == set(WRAPPERS)


@pytest.mark.parametrize("name", PUBLIC_METHODS)
@pytest.mark.parametrize("wrapper", list(WRAPPERS), ids=lambda wrapper: wrapper.__name__)
async def test_every_method_reaches_the_wrapped_store(
    wrapper: type[BaseKVStore], name: str
) -> None:
    inner = RecordingStore()
    store = WRAPPERS[wrapper](inner)
    await store.put("c", "k", {"count": 1})
    inner.calls.clear()
    await call(store, name)
    assert reaches_as(wrapper, name) <= inner.names()


@pytest.mark.parametrize("name", PUBLIC_METHODS)
async def test_every_method_goes_through_the_around_hook(name: str) -> None:
    seen: list[tuple[str, Any]] = []

    class Spy(AroundWrapper):
        async def around(self, operation: str, collection: Any, keys: Any, *rest: Any) -> Any:
            seen.append((operation, collection))
            return await super().around(operation, collection, keys, *rest)

    store = Spy(SimpleStore())
    await store.put("c", "k", {"count": 1})
    seen.clear()
    await call(store, name)
    collection = (
        "c" if "collection" in inspect.signature(getattr(BaseKVStore, name)).parameters else None
    )
    assert seen[0] == (COMPOSED.get(name, (name,))[0], collection)


@pytest.mark.parametrize("name", PUBLIC_METHODS)
@pytest.mark.parametrize(
    "wrapper",
    [
        lambda store: PrefixCollectionWrapper(store, "app"),
        lambda store: PrefixKeyWrapper(store, "app"),
        lambda store: SingleCollectionWrapper(store, "all"),
    ],
    ids=["PrefixCollection", "PrefixKey", "SingleCollection"],
)
async def test_a_renaming_wrapper_never_hands_on_the_callers_names(
    wrapper: Callable[[BaseKVStore], RenamingWrapper], name: str
) -> None:
    inner = RecordingStore()
    store = wrapper(inner)
    await store.put("c", "k", {"count": 1})
    inner.calls.clear()
    await call(store, name)
    renamed = {
        PrefixCollectionWrapper: "app__c",
        PrefixKeyWrapper: "c",
        SingleCollectionWrapper: "all",
    }[type(store)]
    assert all(collection in (None, renamed) for _, collection in inner.calls), inner.calls
    if isinstance(store, PrefixKeyWrapper):
        assert "k" not in await inner.keys("c")


@pytest.mark.parametrize(
    "name", sorted(name for name in dir(KVStoreProtocol) if not name.startswith("_"))
)
async def test_the_single_collection_adapter_offers_and_forwards_the_protocol(name: str) -> None:
    inner = RecordingStore()
    adapter = SingleCollectionAdapter(inner, "c")
    await adapter.put("k", {"count": 1})
    inner.calls.clear()
    await call(adapter, name)
    assert inner.calls[0] == (name, "c")
