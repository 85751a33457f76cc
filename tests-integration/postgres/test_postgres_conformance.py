"""PostgresStore passes the whole conformance kit, on a logged and on an UNLOGGED table."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from kvstore.core import BaseKVStore
from kvstore.postgres import PostgresStore
from kvstore.testing import Capabilities, StoreConformance


class TestPostgresConformance(StoreConformance):
    capabilities = Capabilities(slow_writes=True)

    @pytest.fixture
    async def store(self, postgres_store: PostgresStore) -> BaseKVStore:
        return postgres_store


class TestUnloggedPostgresConformance(StoreConformance):
    capabilities = Capabilities(slow_writes=True)

    @pytest.fixture
    async def store(self, make_store: Callable[..., PostgresStore]) -> BaseKVStore:
        return make_store(unlogged=True)
