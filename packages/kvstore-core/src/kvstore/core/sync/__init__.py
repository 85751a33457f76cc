"""Synchronous use: any store's operations as blocking methods, for code that is not async."""

from ._single_collection import SyncSingleCollectionAdapter as SyncSingleCollectionAdapter
from ._store import Operations as Operations
from ._store import SyncStore as SyncStore
from ._store import open_sync_store as open_sync_store

__all__ = ["Operations", "SyncSingleCollectionAdapter", "SyncStore", "open_sync_store"]
