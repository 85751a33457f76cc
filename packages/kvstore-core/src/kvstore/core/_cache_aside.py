"""get_or_set: read an entry, or compute it once and store it (cache-aside without stampedes)."""

from __future__ import annotations

import inspect
import json
from collections.abc import Awaitable, Callable
from functools import partial
from typing import TYPE_CHECKING, Union

from . import _envelope
from ._lease import lease_seconds, leasing, under_lease
from ._protocol import KVStoreProtocol
from ._single_flight import share
from ._validation import TTL, check_name, normalize_ttl
from .errors import SerializationError

if TYPE_CHECKING:
    from ._base import BaseKVStore, Value

Factory = Callable[[], Union[Awaitable["Value"], "Value"]]
"""What computes a missing value: an async callable, or a plain one returning the value."""

_decode = json.JSONDecoder().decode


async def get_or_set(
    store: KVStoreProtocol | BaseKVStore,
    collection: str,
    key: str,
    factory: Factory,
    ttl: TTL,
    lease: TTL,
) -> Value:
    """``store.get_or_set``: see :meth:`kvstore.core.BaseKVStore.get_or_set`."""
    check_name(collection, key)
    if not callable(factory):
        raise TypeError(
            f"factory must be a callable returning the value, got {type(factory).__name__} "
            f"(collection {collection!r}, key {key!r})"
        )
    normalize_ttl(ttl)  # a bad TTL fails on a hit too, not only on the miss that stores it
    seconds = lease_seconds(lease)
    if seconds is not None:
        leasing(store)
    value = await store.get(collection, key)
    if value is not None:
        return value
    text = await share(
        store, collection, key, partial(_fill, store, collection, key, factory, ttl, seconds)
    )
    # Every caller gets a fresh copy: none can change what another one (or the store) holds.
    fresh: Value = _decode(text)
    return fresh


async def _fill(
    store: KVStoreProtocol | BaseKVStore,
    collection: str,
    key: str,
    factory: Factory,
    ttl: TTL,
    lease: float | None,
) -> str:
    """Find or compute the entry, once for all the callers of a flight; return it as JSON."""
    compute = partial(_read_or_compute, store, collection, key, factory, ttl)
    if lease is None:
        return await compute()
    return await under_lease(
        leasing(store), collection, key, lease, compute, partial(_read, store, collection, key)
    )


async def _read(store: KVStoreProtocol | BaseKVStore, collection: str, key: str) -> str | None:
    """The live value as JSON text, or None."""
    value = await store.get(collection, key)
    return None if value is None else _envelope.encode_value(collection, key, value)


async def _read_or_compute(
    store: KVStoreProtocol | BaseKVStore, collection: str, key: str, factory: Factory, ttl: TTL
) -> str:
    """Read the entry again (a flight that ended just before this one may have stored it),
    else compute it, check it, store it and return it as JSON text."""
    found = await _read(store, collection, key)
    if found is not None:
        return found
    value = factory()
    if inspect.isawaitable(value):
        value = await value
    try:
        text = _envelope.encode_value(collection, key, value)
    except SerializationError as exc:
        raise SerializationError(f"get_or_set's factory returned an invalid value: {exc}") from exc
    await store.put(collection, key, value, ttl=ttl)
    return text
