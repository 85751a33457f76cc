"""The backends built as kv-store-adapter 0.1 built them, by its argument names (docs/migrating.md).

Constructing a store opens no connection, so no server is needed here.
"""

from __future__ import annotations

from pathlib import Path

import diskcache
import redis.asyncio
from elasticsearch import AsyncElasticsearch

from kvstore.disk import DiskStore
from kvstore.elasticsearch import ElasticsearchStore
from kvstore.memory import MemoryStore
from kvstore.redis import RedisStore


async def test_memory_store_keeps_the_default_bound_of_1000() -> None:
    store = MemoryStore()
    await store.put_many("c", {str(i): {"i": i} for i in range(1001)})
    assert len(await store.keys("c")) == 1000
    store = MemoryStore(max_entries=5)
    await store.put_many("c", {str(i): {"i": i} for i in range(6)})
    assert len(await store.keys("c")) == 5


async def test_disk_store_takes_path_size_limit_or_cache(tmp_path: Path) -> None:
    async with DiskStore(path=tmp_path / "a", size_limit=10 * 1024 * 1024) as store:
        await store.put("c", "k", {"v": 1})
        assert await store.get("c", "k") == {"v": 1}
    async with DiskStore(path=str(tmp_path / "b")) as store:
        await store.put("c", "k", {"v": 2})
    cache = diskcache.Cache(str(tmp_path / "c"))
    try:
        async with DiskStore(cache=cache) as store:
            await store.put("c", "k", {"v": 3})
            assert await store.get("c", "k") == {"v": 3}
    finally:
        cache.close()


async def test_redis_store_takes_url_client_or_host_port_db_password() -> None:
    client = redis.asyncio.Redis(host="localhost", port=6379)
    for store in (
        RedisStore(url="redis://localhost:6379/0"),
        RedisStore(client=client),
        RedisStore(host="localhost", port=6379, db=0, password=None),
        RedisStore(),
    ):
        await store.close()
    await client.aclose()


async def test_elasticsearch_store_takes_url_api_key_index_or_client() -> None:
    client = AsyncElasticsearch(hosts=["http://localhost:9200"])
    for store in (
        ElasticsearchStore(url="http://localhost:9200", api_key="an-api-key", index="kv-store"),
        ElasticsearchStore(client=client, index="kv-store"),
    ):
        await store.close()
    await client.close()
