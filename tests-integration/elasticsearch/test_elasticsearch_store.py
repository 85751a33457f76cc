"""ElasticsearchStore against a real server: mapping, ids, requests sent, paging, failures."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from elasticsearch import AsyncElasticsearch

from kvstore.core.errors import DeserializationError, StoreConnectionError
from kvstore.elasticsearch import ElasticsearchStore

Sent = list[tuple[str, str]]
MakeClient = Callable[..., AsyncElasticsearch]


def _paths(sent: Sent) -> list[str]:
    """The request paths (query strings dropped) of recorded requests."""
    return [f"{method} {target.split('?', 1)[0]}" for method, target in sent]


def _params(sent: Sent, path_end: str) -> list[str]:
    """The query strings of the recorded requests whose path ends with ``path_end``."""
    return [
        target.partition("?")[2] for _, target in sent if target.split("?", 1)[0].endswith(path_end)
    ]


async def test_first_write_creates_the_index_with_the_explicit_mapping(
    make_client: MakeClient, es_client: AsyncElasticsearch, index_name: str
) -> None:
    store = ElasticsearchStore(client=make_client(), index=index_name)
    assert await store.get("c", "k") is None
    assert not (await es_client.indices.exists(index=index_name))
    await store.put("c", "k", {"nested": {"deep": [1, {"x": "y"}]}, "other": 1.5})
    mapping = (await es_client.indices.get_mapping(index=index_name))[index_name]["mappings"]
    properties = mapping["properties"]
    assert str(mapping["dynamic"]).lower() == "false"
    assert properties["collection"]["type"] == properties["key"]["type"] == "keyword"
    assert properties["created_at"]["type"] == properties["expires_at"]["type"] == "date"
    assert properties["value"] == {"type": "object", "enabled": False}
    assert set(properties) == {
        "kvstore", "collection", "key", "created_at", "expires_at", "ttl", "value",
        "kv_scope", "kv_id",
    }  # fmt: skip


async def test_a_document_is_the_envelope_under_a_readable_id(
    make_client: MakeClient, es_client: AsyncElasticsearch, index_name: str
) -> None:
    store = ElasticsearchStore(client=make_client(), index=index_name)
    await store.put("users", "42", {"name": "Ada"}, ttl=60)
    source = (await es_client.get(index=index_name, id="users:42"))["_source"]
    assert source["kvstore"] == 1
    assert (source["collection"], source["key"], source["value"]) == (
        "users",
        "42",
        {"name": "Ada"},
    )
    assert source["expires_at"] == pytest.approx(source["created_at"] + 60)
    assert (source["kv_scope"], source["kv_id"]) == ("users", "users:42")
    await store.put("a/b", "c:d", {})
    assert (await es_client.get(index=index_name, id="a%2Fb:c%3Ad"))["found"]


async def test_concurrent_first_writes_from_several_stores_create_the_index_once(
    make_client: MakeClient, index_name: str
) -> None:
    stores = [ElasticsearchStore(client=make_client(), index=index_name) for _ in range(5)]
    await asyncio.gather(*(store.put("c", f"k{n}", {"n": n}) for n, store in enumerate(stores)))
    assert sorted(await stores[0].keys("c")) == [f"k{n}" for n in range(5)]


@pytest.mark.parametrize(
    ("refresh", "sent_value"), [(False, "false"), (True, "true"), ("wait_for", "wait_for")]
)
async def test_every_write_sends_the_refresh_option(
    make_client: MakeClient, index_name: str, refresh: Any, sent_value: str
) -> None:
    sent: Sent = []
    store = ElasticsearchStore(client=make_client(sent), index=index_name, refresh=refresh)
    await store.put("c", "k", {})
    await store.put_many("c", {"a": {}, "b": {}})
    await store.delete("c", "k")
    await store.delete_many("c", ["a", "b"])
    writes = [
        params
        for method, target in sent
        if (method in ("PUT", "DELETE", "POST") and "/_doc/" in target) or "/_bulk" in target
        for params in [target.partition("?")[2]]
    ]
    assert len(writes) == 4
    assert all(f"refresh={sent_value}" in params.split("&") for params in writes), writes


async def test_default_refresh_false_keeps_gets_consistent_and_settles_searches(
    make_client: MakeClient, es_client: AsyncElasticsearch, index_name: str
) -> None:
    store = ElasticsearchStore(client=make_client(), index=index_name)
    await store.put("c", "k", {"v": 1})
    assert await store.get("c", "k") == {"v": 1}  # realtime get, whatever the refresh
    await es_client.indices.refresh(index=index_name)
    assert await store.keys("c") == ["k"]


async def test_batches_are_one_request_each(make_client: MakeClient, index_name: str) -> None:
    sent: Sent = []
    store = ElasticsearchStore(client=make_client(sent), index=index_name)
    await store.put("c", "warm", {})  # creates the index
    sent.clear()
    await store.put_many("c", {f"k{i}": {"i": i} for i in range(100)})
    assert _paths(sent) == [f"PUT /{index_name}/_bulk"] or _paths(sent) == [
        f"POST /{index_name}/_bulk"
    ]
    sent.clear()
    values = await store.get_many("c", [f"k{i}" for i in range(100)] + ["missing", "k0"])
    assert values == [{"i": i} for i in range(100)] + [None, {"i": 0}]
    assert [path.split()[1] for path in _paths(sent)] == [f"/{index_name}/_mget"]
    sent.clear()
    assert await store.delete_many("c", [f"k{i}" for i in range(100)] + ["missing"]) == 100
    # one mget for the entries' expiry (only live ones count), one bulk delete
    assert [path.split()[1] for path in _paths(sent)] == [
        f"/{index_name}/_mget",
        f"/{index_name}/_bulk",
    ]


async def test_cull_and_clear_collection_are_one_delete_by_query_each(
    make_client: MakeClient, es_client: AsyncElasticsearch, index_name: str
) -> None:
    sent: Sent = []
    store = ElasticsearchStore(client=make_client(sent), index=index_name)
    await store.put_many("c", {f"old{i}": {} for i in range(5)}, ttl=0.1)
    await store.put_many("c", {"live": {}})
    await asyncio.sleep(0.3)
    sent.clear()
    await store.cull()
    assert [path.split()[1] for path in _paths(sent)] == [f"/{index_name}/_delete_by_query"]
    await es_client.indices.refresh(index=index_name)
    assert (await es_client.count(index=index_name))["count"] == 1
    sent.clear()
    assert await store.clear_collection("c") == 1
    # the refresh makes unrefreshed writes visible to the delete-by-query
    assert [path.split()[1] for path in _paths(sent)] == [
        f"/{index_name}/_refresh",
        f"/{index_name}/_delete_by_query",
    ]
    assert await store.keys("c") == []


@pytest.mark.slow
async def test_keys_and_collections_page_past_ten_thousand(
    make_client: MakeClient, index_name: str
) -> None:
    store = ElasticsearchStore(client=make_client(), index=index_name, refresh="wait_for")
    total = 10_050
    keys = [f"key-{i:06d}" for i in range(total)]
    for start in range(0, total, 2_000):
        await store.put_many("big", {key: {} for key in keys[start : start + 2_000]})
    found = await store.keys("big")
    assert len(found) == total and set(found) == set(keys)
    assert len([key async for key in store.iter_keys("big")]) == total
    store.page_size = 7
    collections = [f"coll-{i:03d}" for i in range(30)]
    for name in collections:
        await store.put(name, "k", {})
    assert await store.list_collections() == sorted([*collections, "big"])


async def test_names_longer_than_keyword_and_id_limits_work_everywhere(
    make_client: MakeClient, index_name: str
) -> None:
    store = ElasticsearchStore(client=make_client(), index=index_name, refresh="wait_for")
    collection = "c" * 9_000 + "🎉"
    keys = ["k" * 40_000, "k" * 40_001, "é" * 300]
    for n, key in enumerate(keys):
        await store.put(collection, key, {"n": n})
    for n, key in enumerate(keys):
        assert await store.get(collection, key) == {"n": n}
    assert sorted(await store.keys(collection)) == sorted(keys)
    assert await store.list_collections() == [collection]
    assert await store.clear_collection(collection) == 3


@pytest.mark.parametrize(
    "collection", ["lone\udc80", "c" * 300 + "\ud800"], ids=["spelled-out", "hashed"]
)
async def test_names_holding_lone_surrogates_list_back_exactly(
    make_client: MakeClient, index_name: str, collection: str
) -> None:
    store = ElasticsearchStore(client=make_client(), index=index_name, refresh="wait_for")
    # The last key is too long to be spelled out in its document id: it is hashed there.
    keys = ["\ud800", "a\udfffb", "plain", "\ud83d" + "k" * 600]
    await store.put_many(collection, {key: {"n": n} for n, key in enumerate(keys)})
    assert await store.get_many(collection, keys) == [{"n": n} for n in range(len(keys))]
    assert sorted(await store.keys(collection)) == sorted(keys)
    assert sorted([key async for key in store.iter_keys(collection)]) == sorted(keys)
    assert await store.list_collections() == [collection]
    assert await store.clear_collection(collection) == len(keys)


async def test_a_failed_bulk_item_raises_naming_only_the_failed_keys(
    make_client: MakeClient, es_client: AsyncElasticsearch, index_name: str
) -> None:
    # An index whose "key" field only takes numbers: the item keyed "abc" cannot be indexed.
    await es_client.indices.create(
        index=index_name, mappings={"properties": {"key": {"type": "long"}}}
    )
    store = ElasticsearchStore(client=make_client(), index=index_name)
    with pytest.raises(StoreConnectionError) as caught:
        await store.put_many("c", {"1": {}, "abc": {}, "2": {}})
    message = str(caught.value)
    assert "'abc'" in message and "'1'" not in message and "'2'" not in message
    assert index_name in message
    assert await store.get_many("c", ["1", "2"]) == [{}, {}]


@pytest.mark.parametrize(
    "source",
    [
        {"garbage": True},
        {"kvstore": 1, "collection": "c", "key": "bad", "value": "not an object"},
        {"kvstore": 99, "collection": "c", "key": "bad", "value": {}},
        {"kvstore": 1, "collection": "c", "key": "other", "value": {}, "expires_at": None},
        {"kvstore": 1, "collection": "c", "key": "bad", "value": {}, "expires_at": "soon"},
    ],
    ids=["not-an-envelope", "value-not-object", "unknown-version", "other-entry", "bad-expiry"],
)
async def test_corrupt_stored_data_raises_deserialization_error(
    make_client: MakeClient, es_client: AsyncElasticsearch, index_name: str, source: Any
) -> None:
    store = ElasticsearchStore(client=make_client(), index=index_name)
    await store.put("c", "good", {"v": 1})
    await es_client.index(index=index_name, id="c:bad", document=source, refresh=True)
    with pytest.raises(DeserializationError) as caught:
        await store.get("c", "bad")
    assert "'c'" in str(caught.value) and "'bad'" in str(caught.value)
    with pytest.raises(DeserializationError):
        await store.get_many("c", ["good", "bad"])
    assert await store.get("c", "good") == {"v": 1}
    assert await store.get_many("c", ["good"]) == [{"v": 1}]


async def test_a_deleted_index_is_recreated_with_its_mapping(
    make_client: MakeClient, es_client: AsyncElasticsearch, index_name: str
) -> None:
    store = ElasticsearchStore(client=make_client(), index=index_name)
    await store.put("c", "k", {})
    await es_client.indices.delete(index=index_name)
    assert await store.get("c", "k") is None
    assert await store.keys("c") == []
    assert await store.list_collections() == []
    assert await store.delete("c", "k") is False
    assert await store.clear_collection("c") == 0
    await store.cull()
    await store.put("c", "k2", {"v": 2})
    mapping = (await es_client.indices.get_mapping(index=index_name))[index_name]["mappings"]
    assert mapping["properties"]["value"] == {"type": "object", "enabled": False}
    assert await store.get("c", "k2") == {"v": 2}
