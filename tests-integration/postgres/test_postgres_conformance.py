"""PostgresStore passes the whole conformance kit, atomic operations included.

An UNLOGGED table runs the same statements; test_postgres_store.py and
test_postgres_faults.py check what differs (its creation, and its emptying by a crash).
"""

from __future__ import annotations

import pytest

from kvstore.core import BaseKVStore
from kvstore.postgres import PostgresStore
from kvstore.testing import Capabilities, StoreConformance


class TestPostgresConformance(StoreConformance):
    capabilities = Capabilities(slow_writes=True)

    @pytest.fixture
    async def store(self, postgres_store: PostgresStore) -> BaseKVStore:
        return postgres_store
