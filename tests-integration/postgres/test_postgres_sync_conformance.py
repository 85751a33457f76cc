"""PostgresStore runs the whole conformance kit again through SyncStore."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from kvstore.core import BaseKVStore
from kvstore.postgres import PostgresStore
from kvstore.testing import Capabilities, SyncStoreConformance


class TestPostgresThroughSyncStore(SyncStoreConformance):
    capabilities = Capabilities(slow_writes=True)

    @pytest.fixture
    async def backend_store(self, make_store: Callable[..., PostgresStore]) -> BaseKVStore:
        return make_store()
