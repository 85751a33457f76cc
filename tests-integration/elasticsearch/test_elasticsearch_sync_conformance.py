"""ElasticsearchStore runs the whole conformance kit again through SyncStore."""

from __future__ import annotations

from typing import Any, ClassVar

import pytest
from elasticsearch import AsyncElasticsearch

from kvstore.core import BaseKVStore
from kvstore.core.wrappers import BaseWrapper
from kvstore.elasticsearch import ElasticsearchStore
from kvstore.testing import Capabilities, SyncStoreConformance


class ClosingItsClient(BaseWrapper):
    """A store that also closes the client it was handed, on the loop that used it."""

    def __init__(self, store: BaseKVStore, client: AsyncElasticsearch) -> None:
        super().__init__(store)
        self.client = client

    async def close(self) -> None:
        await self.store.close()
        await self.client.close()


class TestElasticsearchThroughSyncStore(SyncStoreConformance):
    # As the async kit: searches show writes after a refresh, which settle() makes.
    capabilities: ClassVar[Capabilities] = Capabilities(
        eventually_consistent=True, slow_writes=True
    )

    @pytest.fixture
    async def backend_store(
        self, es_server: Any, index_name: str, es_client: AsyncElasticsearch
    ) -> BaseKVStore:
        self._raw, self._index = es_client, index_name
        # The test's client (osmem needs plain JSON media types), closed by the facade on
        # its own loop: aiohttp connections cannot be closed from another.
        client = es_server.client()
        return ClosingItsClient(ElasticsearchStore(client=client, index=index_name), client)

    async def settle(self, store: BaseKVStore) -> None:
        await self._raw.indices.refresh(index=self._index, ignore_unavailable=True)
