"""ElasticsearchStore's atomic operations against a real server: the requests they send,
expired documents, version tokens, and tasks racing on one key (the kit's atomic cases run
in test_elasticsearch_conformance.py)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest
from elasticsearch import AsyncElasticsearch

from kvstore.core import ATOMIC_OPERATIONS
from kvstore.elasticsearch import ElasticsearchStore

Sent = list[tuple[str, str]]
MakeClient = Callable[..., AsyncElasticsearch]
TASKS = 64


def test_declares_every_atomic_operation() -> None:
    assert ElasticsearchStore.atomic_operations == ATOMIC_OPERATIONS


async def test_add_is_one_create_request(make_client: MakeClient, index_name: str) -> None:
    sent: Sent = []
    store = ElasticsearchStore(client=make_client(sent), index=index_name)
    await store.put("c", "warm", {"v": 0})  # the index exists
    sent.clear()
    assert await store.add("c", "k", {"v": 1}) is True
    # One request: a single "create" item of a POST to _bulk (a POST, so that nothing
    # sends it again when its connection breaks; see test_elasticsearch_applied_once.py).
    ((method, target),) = sent
    assert (method, target.split("?")[0]) == ("POST", f"/{index_name}/_bulk")
    assert await store.get("c", "k") == {"v": 1}


async def test_add_replaces_an_expired_document_only(
    make_client: MakeClient, es_client: AsyncElasticsearch, index_name: str
) -> None:
    store = ElasticsearchStore(client=make_client(), index=index_name)
    await store.put("c", "old", {"v": 1}, ttl=0.05)
    await store.put("c", "live", {"v": 1}, ttl=60)
    await asyncio.sleep(0.1)
    # The expired document is still in the index: add replaces it, the live one stays.
    assert (await es_client.get(index=index_name, id="c:old"))["found"]
    assert await store.add("c", "old", {"v": 2}) is True
    assert await store.add("c", "live", {"v": 2}) is False
    assert await store.get_many("c", ["old", "live"]) == [{"v": 2}, {"v": 1}]


async def test_put_versioned_is_one_conditional_request(
    make_client: MakeClient, index_name: str
) -> None:
    sent: Sent = []
    store = ElasticsearchStore(client=make_client(sent), index=index_name)
    await store.put("c", "k", {"v": 1}, ttl=60)
    seen = await store.get_versioned("c", "k")
    assert seen is not None
    sent.clear()
    assert await store.put_versioned("c", "k", {"v": 2}, version=seen.version) is True
    # One bulk item carrying if_seq_no/if_primary_term: the server decides, in one request
    # each, that the version matched and then that it no longer does.
    ((method, target),) = sent
    assert (method, target.split("?")[0]) == ("POST", f"/{index_name}/_bulk")
    sent.clear()
    assert await store.put_versioned("c", "k", {"v": 3}, version=seen.version) is False
    assert len(sent) == 1
    assert await store.get("c", "k") == {"v": 2}


async def test_an_expired_version_is_refused(make_client: MakeClient, index_name: str) -> None:
    store = ElasticsearchStore(client=make_client(), index=index_name)
    await store.put("c", "k", {"v": 1}, ttl=0.2)
    seen = await store.get_versioned("c", "k")
    assert seen is not None
    await asyncio.sleep(0.3)
    # The document is still stored at that sequence number, but it has expired.
    assert await store.put_versioned("c", "k", {"v": 2}, version=seen.version) is False
    assert await store.get("c", "k") is None


@pytest.mark.parametrize("token", ["", "x", "1", "1:2:3:4", "a:b", "1:b", "1:1:later"])
async def test_a_token_this_store_never_gave_out_is_a_conflict(
    make_client: MakeClient, index_name: str, token: str
) -> None:
    store = ElasticsearchStore(client=make_client(), index=index_name)
    await store.put("c", "k", {"v": 1})
    assert await store.put_versioned("c", "k", {"v": 2}, version=token) is False
    assert await store.get("c", "k") == {"v": 1}


async def test_versions_change_on_every_write(make_client: MakeClient, index_name: str) -> None:
    store = ElasticsearchStore(client=make_client(), index=index_name)
    seen = set()
    await store.put("c", "k", {"count": 1})
    for step in (
        store.touch("c", "k", 60),
        store.increment("c", "k"),
        store.put("c", "k", {"count": 1}),
        store.touch("c", "k", None),
    ):
        versioned = await store.get_versioned("c", "k")
        assert versioned is not None
        seen.add(versioned.version)
        await step
    assert len(seen) == 4


async def test_tasks_race_every_operation_on_one_key(
    make_client: MakeClient, index_name: str
) -> None:
    store = ElasticsearchStore(client=make_client(connections_per_node=TASKS), index=index_name)
    await store.put("c", "warm", {"v": 0})
    added = await asyncio.gather(*(store.add("c", "lease", {"n": n}) for n in range(TASKS)))
    assert added.count(True) == 1
    await store.put("c", "token", {"secret": 1})
    taken = await asyncio.gather(*(store.take("c", "token") for _ in range(TASKS)))
    assert [value for value in taken if value is not None] == [{"secret": 1}]
    counts = await asyncio.gather(*(store.increment("c", "n") for _ in range(TASKS)))
    assert sorted(counts) == list(range(1, TASKS + 1))
    seen = await store.get_versioned("c", "lease")
    assert seen is not None
    won = await asyncio.gather(
        *(store.put_versioned("c", "lease", {"n": n}, version=seen.version) for n in range(TASKS))
    )
    assert won.count(True) == 1
