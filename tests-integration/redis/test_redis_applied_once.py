"""A lost reply: the store re-sends what is safe to re-send, never an atomic operation.

A proxy between the store and a real redis-server passes every command on and, when told
to, drops the next reply and closes the client's connection: the server has run the
command, the store sees a broken connection. A plain ``put`` is sent again on a new
connection (writing the same entry twice changes nothing); ``add``, ``take``,
``put_versioned`` and ``increment`` must not be, or an applied operation would run twice.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from urllib.parse import urlsplit

import pytest
from kvtest_proxy import ReplyDropper

from kvstore.core.errors import StoreConnectionError
from kvstore.redis import RedisStore


@pytest.fixture
async def dropper(redis_url: str) -> AsyncIterator[tuple[ReplyDropper, str]]:
    address = urlsplit(redis_url)
    proxy = ReplyDropper(address.hostname or "127.0.0.1", address.port or 6379)
    url = f"redis://127.0.0.1:{await proxy.start()}/0"
    yield proxy, url
    await proxy.close()


@pytest.fixture
async def store_behind(
    dropper: tuple[ReplyDropper, str], fresh_prefix: str
) -> AsyncIterator[tuple[ReplyDropper, RedisStore]]:
    proxy, url = dropper
    # retries=3: a plain command would be sent again up to three times.
    store = RedisStore(url=url, prefix=fresh_prefix, retries=3, socket_timeout=5)
    yield proxy, store
    await store.close()


async def test_a_put_whose_reply_is_lost_is_sent_again(
    store_behind: tuple[ReplyDropper, RedisStore],
) -> None:
    proxy, store = store_behind
    await store.put("c", "k", {"v": 1})
    proxy.lose_reply()
    await store.put("c", "k", {"v": 2})  # retried on a new connection
    assert proxy.dropped == 1
    assert await store.get("c", "k") == {"v": 2}


async def test_an_increment_whose_reply_is_lost_is_not_sent_again(
    store_behind: tuple[ReplyDropper, RedisStore],
) -> None:
    proxy, store = store_behind
    assert await store.increment("c", "n") == 1
    proxy.lose_reply()
    with pytest.raises(StoreConnectionError):
        await store.increment("c", "n")
    assert proxy.dropped == 1
    # The server counted once; sent again, it would say 3 here.
    assert await store.get("c", "n") == {"count": 2}


async def test_an_add_whose_reply_is_lost_is_not_sent_again(
    store_behind: tuple[ReplyDropper, RedisStore],
) -> None:
    proxy, store = store_behind
    # The server has the script cached and the connection is open: the reply dropped is the
    # one of the add that ran.
    assert await store.add("c", "warm-up", {"v": 0}) is True
    proxy.lose_reply()
    with pytest.raises(StoreConnectionError):
        await store.add("c", "k", {"v": "mine"})
    # Written once; sent again it would have answered False to the caller who wrote it.
    assert await store.get("c", "k") == {"v": "mine"}
    assert await store.add("c", "k", {"v": "other"}) is False


async def test_a_take_whose_reply_is_lost_is_not_sent_again(
    store_behind: tuple[ReplyDropper, RedisStore],
) -> None:
    proxy, store = store_behind
    await store.put("c", "k", {"v": 1})
    await store.put("c", "other", {"v": 2})
    assert await store.take("c", "warm-up") is None  # the script is cached
    proxy.lose_reply()
    with pytest.raises(StoreConnectionError):
        await store.take("c", "k")
    assert await store.get("c", "k") is None
    assert await store.get("c", "other") == {"v": 2}


async def test_a_put_versioned_whose_reply_is_lost_is_not_sent_again(
    store_behind: tuple[ReplyDropper, RedisStore],
) -> None:
    proxy, store = store_behind
    await store.put("c", "k", {"v": 1})
    assert await store.put_versioned("c", "warm-up", {"v": 0}, version="stale") is False
    current = await store.get_versioned("c", "k")
    assert current is not None
    proxy.lose_reply()
    with pytest.raises(StoreConnectionError):
        await store.put_versioned("c", "k", {"v": 2}, version=current.version)
    assert proxy.dropped == 1
    assert await store.get("c", "k") == {"v": 2}


async def test_an_atomic_operation_is_retried_while_its_connection_cannot_open(
    redis_url: str, fresh_prefix: str
) -> None:
    # Nothing was sent while the server cannot be reached, so trying again is safe: the
    # store keeps trying until its retries run out, then says so.
    proxy = ReplyDropper("127.0.0.1", urlsplit(redis_url).port or 6379)
    url = f"redis://127.0.0.1:{await proxy.start()}/0"
    await proxy.close()  # the proxy's port now refuses connections
    store = RedisStore(url=url, prefix=fresh_prefix, retries=2, socket_timeout=5)
    try:
        with pytest.raises(StoreConnectionError):
            await store.increment("c", "n")
    finally:
        await store.close()
