"""Every embedded store, and chains of wrappers over them, for the PydanticAdapter tests.

The integration session installs every distribution, so the stores are imported directly:
a missing kvstore-memory or kvstore-disk is an error here, not a skip.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from kvstore.core import BaseKVStore
from kvstore.core.stores import SimpleStore
from kvstore.core.wrappers import (
    PassthroughCacheWrapper,
    PrefixCollectionWrapper,
    SingleCollectionWrapper,
    StatisticsWrapper,
)
from kvstore.disk import DiskStore
from kvstore.memory import MemoryStore

STORES: dict[str, Callable[[Path], BaseKVStore]] = {
    "simple": lambda _: SimpleStore(max_entries=None),
    "memory": lambda _: MemoryStore(max_entries=1000),
    "disk": lambda path: DiskStore(path=path),
    "single-collection-over-memory": lambda _: SingleCollectionWrapper(
        MemoryStore(max_entries=1000), "everything"
    ),
    "statistics-over-cached-disk": lambda path: StatisticsWrapper(
        PassthroughCacheWrapper(
            primary_store=DiskStore(path=path), cache_store=MemoryStore(max_entries=1000)
        )
    ),
    "prefixed-single-collection-over-disk": lambda path: PrefixCollectionWrapper(
        SingleCollectionWrapper(DiskStore(path=path), "users"), "app"
    ),
}


@pytest.fixture(params=sorted(STORES))
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[BaseKVStore]:
    """An empty store of each kind, closed afterwards."""
    store = STORES[request.param](tmp_path / "disk")
    yield store
    await store.close()
