"""ElasticsearchStore runs the whole conformance kit against a real server."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any, ClassVar

import pytest
from elasticsearch import AsyncElasticsearch

from kvstore.core import BaseKVStore
from kvstore.elasticsearch import ElasticsearchStore
from kvstore.testing import Capabilities, StoreConformance


class TestElasticsearchStoreConformance(StoreConformance):
    """The default configuration: ``refresh=False``, so searches lag until a refresh."""

    # keys/list_collections search the index, which shows writes after its next refresh
    # (osmem shows them at once; a real Elasticsearch after up to a second): settle()
    # refreshes the index, as an application needing read-your-writes there would.
    # A client handed in belongs to one event loop: other loops are refused.
    capabilities: ClassVar[Capabilities] = Capabilities(
        eventually_consistent=True, slow_writes=True, other_event_loops=False
    )

    @pytest.fixture
    async def store(
        self,
        make_client: Callable[..., AsyncElasticsearch],
        index_name: str,
        es_client: AsyncElasticsearch,
    ) -> AsyncIterator[BaseKVStore]:
        self._raw, self._index = es_client, index_name
        store = ElasticsearchStore(client=make_client(), index=index_name)
        yield store
        await store.close()

    async def settle(self, store: BaseKVStore) -> None:
        await self._raw.indices.refresh(index=self._index, ignore_unavailable=True)


class TestElasticsearchStoreOwnClientsConformance(TestElasticsearchStoreConformance):
    """A store made from the URL: it opens a client for each event loop that uses it."""

    capabilities: ClassVar[Capabilities] = Capabilities(
        eventually_consistent=True, slow_writes=True
    )

    @pytest.fixture
    async def store(
        self, es_server: Any, index_name: str, es_client: AsyncElasticsearch
    ) -> AsyncIterator[BaseKVStore]:
        self._raw, self._index = es_client, index_name
        store = es_server.store(index_name)
        yield store
        await store.close()
