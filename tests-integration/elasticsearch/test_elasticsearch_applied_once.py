"""A lost response: the store's atomic writes are not sent again by the client's retries.

A proxy between the store and the server passes every request on and, when told to, drops
the next response and closes the connection: the server has applied the write, the client
sees its connection break. elasticsearch-py retries a broken connection by default; sent
again, an applied ``op_type=create`` would meet its own document (``add`` answering False to
its writer) and an applied ``if_seq_no`` write would conflict with itself (``increment``
counting twice through core's compare-and-set loop).
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from kvtest_proxy import ReplyDropper

from kvstore.core.errors import StoreConnectionError
from kvstore.elasticsearch import ElasticsearchStore


@pytest.fixture
async def store_behind(
    es_server: Any, index_name: str
) -> AsyncIterator[tuple[ReplyDropper, ElasticsearchStore]]:
    address = urlsplit(es_server.url)
    if address.scheme != "http":
        pytest.skip("the proxy passes plain http only: this server speaks TLS")
    proxy = ReplyDropper(address.hostname or "127.0.0.1", address.port or 9200)
    port = await proxy.start()
    server = dataclasses.replace(es_server, url=f"http://127.0.0.1:{port}", process=None)
    store = server.store(index_name)
    yield proxy, store
    await store.close()
    await proxy.close()


async def test_an_add_whose_response_is_lost_is_not_sent_again(
    store_behind: tuple[ReplyDropper, ElasticsearchStore],
) -> None:
    proxy, store = store_behind
    assert await store.add("c", "warm-up", {"v": 0}) is True  # index made, connection open
    proxy.lose_reply()
    with pytest.raises(StoreConnectionError):
        await store.add("c", "k", {"v": "mine"})
    assert proxy.dropped == 1
    assert await store.get("c", "k") == {"v": "mine"}


async def test_an_increment_whose_response_is_lost_is_not_sent_again(
    store_behind: tuple[ReplyDropper, ElasticsearchStore],
) -> None:
    proxy, store = store_behind
    assert await store.increment("c", "n") == 1
    proxy.lose_reply(after=1)  # the increment's read passes, its conditional write is lost
    with pytest.raises(StoreConnectionError):
        await store.increment("c", "n", 5)
    assert proxy.dropped == 1
    assert await store.get("c", "n") == {"count": 6}  # sent again, it would count 11
