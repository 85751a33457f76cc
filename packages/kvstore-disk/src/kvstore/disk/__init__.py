"""kvstore-disk: DiskStore, a persistent key-value store on diskcache (SQLite), without pickle."""

from ._disk import NoPickleDisk as NoPickleDisk
from ._store import DiskStore as DiskStore

__all__ = ["DiskStore", "NoPickleDisk"]
