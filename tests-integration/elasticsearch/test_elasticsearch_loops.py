"""Event loops: one ElasticsearchStore used from successive loops, threads' loops and test loops."""

from __future__ import annotations

import asyncio
import gc
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from elasticsearch import AsyncElasticsearch

from kvstore.core.errors import ConfigurationError
from kvstore.elasticsearch import ElasticsearchStore


async def work(store: ElasticsearchStore, tag: str) -> list[Any]:
    """Reads, writes and deletes, single and batched, on the running loop."""
    await store.put("loops", tag, {"tag": tag}, ttl=60)
    await store.put_many("loops", {f"{tag}-a": {"n": 1}, f"{tag}-b": {"n": 2}})
    found = await store.get_many("loops", [tag, f"{tag}-a", f"{tag}-b"])
    removed = await store.delete_many("loops", [f"{tag}-a", f"{tag}-b"])
    return [await store.get("loops", tag), found, removed]


def expected(tag: str) -> list[Any]:
    return [{"tag": tag}, [{"tag": tag}, {"n": 1}, {"n": 2}], 2]


async def drop(store: ElasticsearchStore, server: Any, index: str) -> None:
    """Close the store and delete its index."""
    await store.close()
    client: AsyncElasticsearch = server.client()
    await client.indices.delete(index=index, ignore_unavailable=True)
    await client.close()


def test_one_store_serves_successive_asyncio_runs(es_server: Any, index_name: str) -> None:
    store = es_server.store(index_name)
    try:
        for run in range(3):
            assert asyncio.run(work(store, f"run{run}")) == expected(f"run{run}")
            # A client left open would warn (an error here) when collected.
            gc.collect()
    finally:
        asyncio.run(drop(store, es_server, index_name))


def test_threads_with_their_own_loops_use_one_store_at_once(
    es_server: Any, index_name: str
) -> None:
    store = es_server.store(index_name)

    async def threads() -> list[list[Any]]:
        return await asyncio.gather(
            *(asyncio.to_thread(asyncio.run, work(store, f"thread{n}")) for n in range(3)),
            work(store, "main"),
        )

    try:
        results = asyncio.run(threads())
        assert results == [*(expected(f"thread{n}") for n in range(3)), expected("main")]
        gc.collect()
    finally:
        asyncio.run(drop(store, es_server, index_name))


# pytest-asyncio gives every test function its own event loop: one store made outside any
# loop serves the two tests below, the second one on a new loop.


@pytest.fixture(scope="module")
def shared_store(es_server: Any) -> Iterator[ElasticsearchStore]:
    index = f"kvtest-{uuid.uuid4().hex[:12]}"
    store = es_server.store(index)
    yield store
    asyncio.run(drop(store, es_server, index))


@pytest.mark.parametrize("test_loop", ["first", "second"])
async def test_function_scoped_loops_share_a_store(
    shared_store: ElasticsearchStore, test_loop: str
) -> None:
    assert await work(shared_store, test_loop) == expected(test_loop)


def test_a_handed_in_client_stays_on_its_loop(es_server: Any, index_name: str) -> None:
    async def first() -> ElasticsearchStore:
        client = es_server.client()
        store = ElasticsearchStore(client=client, index=index_name)
        assert await work(store, "first") == expected("first")
        await client.close()
        return store

    store = asyncio.run(first())
    with pytest.raises(ConfigurationError, match="event loop") as caught:
        asyncio.run(store.get("loops", "first"))
    assert "url=" in str(caught.value)
    asyncio.run(drop(store, es_server, index_name))
