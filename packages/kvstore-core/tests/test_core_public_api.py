"""The public surface is small and pinned; nothing is importable by accident."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

import kvstore.core
import kvstore.core.adapters
import kvstore.core.errors
import kvstore.core.stores
import kvstore.core.sync
import kvstore.core.wrappers


def test_core_exports() -> None:
    assert kvstore.core.__all__ == [
        "ATOMIC_OPERATIONS",
        "TTL",
        "BaseKVStore",
        "ConfigurationError",
        "DeserializationError",
        "DriverBoundary",
        "InProcessKVStore",
        "InvalidKeyError",
        "InvalidTTLError",
        "InvalidValueError",
        "KVStoreError",
        "KVStoreProtocol",
        "Payload",
        "PerLoop",
        "ReadOnlyError",
        "Record",
        "SerializationError",
        "SetupError",
        "SnapshotCodec",
        "StoreConnectionError",
        "TTLInfo",
        "UnsupportedOperationError",
        "ValueTooLargeError",
        "Versioned",
        "cached",
        "open_store",
        "redact",
        "registered_schemes",
        "snapshot_codec",
    ]


def test_subpackage_exports() -> None:
    assert kvstore.core.stores.__all__ == ["NullStore", "SimpleStore"]
    assert kvstore.core.adapters.__all__ == ["SingleCollectionAdapter"]
    assert kvstore.core.sync.__all__ == [
        "Operations",
        "SyncSingleCollectionAdapter",
        "SyncStore",
        "open_sync_store",
    ]
    for name in [
        "PassthroughCacheWrapper",
        "PrefixCollectionWrapper",
        "PrefixKeyWrapper",
        "SingleCollectionWrapper",
        "StatisticsWrapper",
        "TTLClampWrapper",
    ]:
        assert name in kvstore.core.wrappers.__all__


@pytest.mark.parametrize(
    "module",
    [
        "kvstore.core",
        "kvstore.core.wrappers",
        "kvstore.core.adapters",
        "kvstore.core.stores",
        "kvstore.core.sync",
    ],
)
def test_every_exported_name_exists_and_all_is_sorted(module: str) -> None:
    loaded = importlib.import_module(module)
    assert all(hasattr(loaded, name) for name in loaded.__all__)
    assert list(loaded.__all__) == sorted(loaded.__all__, key=_isort_order)


def _isort_order(name: str) -> tuple[int, str]:
    """Constants first, then classes, then functions, each group in code-point order."""
    return (0 if name.isupper() else 1 if name[:1].isupper() else 2, name)


def test_error_tree() -> None:
    errors = kvstore.core.errors
    for name in errors.__all__:
        assert issubclass(getattr(errors, name), errors.KVStoreError)
    assert issubclass(errors.InvalidKeyError, ValueError)
    assert issubclass(errors.InvalidTTLError, ValueError)


def test_kvstore_is_a_namespace_package() -> None:
    import kvstore

    assert getattr(kvstore, "__file__", None) is None
    for path in kvstore.__path__:
        assert not (Path(path) / "__init__.py").exists()


def test_stores_satisfy_the_protocol() -> None:
    from kvstore.core import KVStoreProtocol
    from kvstore.core.stores import NullStore, SimpleStore
    from kvstore.core.wrappers import StatisticsWrapper

    for store in (SimpleStore(), NullStore(), StatisticsWrapper(SimpleStore())):
        assert isinstance(store, KVStoreProtocol)
