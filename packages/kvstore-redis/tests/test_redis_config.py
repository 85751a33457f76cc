"""Constructors, URL schemes, option checks and password redaction (no server needed)."""

from __future__ import annotations

import traceback

import pytest
from redis.asyncio import Redis, RedisCluster
from redis.asyncio.connection import SSLConnection, UnixDomainSocketConnection

from kvstore.core import open_store, redact
from kvstore.core.errors import ConfigurationError
from kvstore.redis import RedisStore

SECRET = "s3cr3t-Pa55"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("redis://localhost:6379/0", "redis://localhost:6379/0"),
        (f"redis://:{SECRET}@h:1/2", "redis://:***@h:1/2"),
        (f"redis://app:{SECRET}@h:1/2", "redis://app:***@h:1/2"),
        ("redis://app@h:1", "redis://app@h:1"),
        (
            f"rediss://u:{SECRET}@h:6380/0?ssl_cert_reqs=none",
            "rediss://u:***@h:6380/0?ssl_cert_reqs=none",
        ),
        (f"unix:///tmp/r.sock?db=1&password={SECRET}", "unix:///tmp/r.sock?db=1&password=***"),
        (f"redis+cluster://u:{SECRET}@h:7000", "redis+cluster://u:***@h:7000"),
        (f"redis://u:{SECRET}@h:notaport", "redis://u:***@h:notaport"),
    ],
)
def test_redis_urls_are_redacted(url: str, expected: str) -> None:
    assert redact(url) == expected


async def test_url_with_password() -> None:
    store = RedisStore(f"redis://app:{SECRET}@127.0.0.1:6390/3", prefix="p:")
    assert SECRET not in repr(store) and SECRET not in str(store)
    assert repr(store) == "RedisStore(url='redis://app:***@127.0.0.1:6390/3', prefix='p:')"
    client = store._loops.get().client
    assert isinstance(client, Redis)
    kwargs = client.connection_pool.connection_kwargs
    assert (kwargs["host"], kwargs["port"], kwargs["db"]) == ("127.0.0.1", 6390, 3)
    assert (kwargs["username"], kwargs["password"]) == ("app", SECRET)
    # The store bounds each call itself: redis-py is not asked to time every send and read
    # (None, not left out: redis-py 8.1 defaults a connection's socket_timeout to 5 s).
    assert kwargs["socket_timeout"] is None and kwargs["socket_connect_timeout"] == 5.0
    await store.close()


async def test_tls_and_unix_urls() -> None:
    tls = RedisStore("rediss://h:6380/0")
    assert tls._loops.get().client.connection_pool.connection_class is SSLConnection  # type: ignore[union-attr]
    unix = RedisStore("unix:///run/redis.sock?db=2")
    pool = unix._loops.get().client.connection_pool  # type: ignore[union-attr]
    assert pool.connection_class is UnixDomainSocketConnection
    assert pool.connection_kwargs["path"] == "/run/redis.sock"
    assert pool.connection_kwargs["db"] == 2
    await tls.close()
    await unix.close()


async def test_cluster_url_makes_a_cluster_client() -> None:
    store = RedisStore(f"redis+cluster://:{SECRET}@127.0.0.1:7000")
    assert isinstance(store._loops.get().client, RedisCluster)
    assert (
        repr(store)
        == "RedisStore(cluster, url='redis+cluster://:***@127.0.0.1:7000', prefix='kvstore:')"
    )
    await store.close()


async def test_host_port_password() -> None:
    store = RedisStore(host="10.0.0.5", port=6400, db=4, password=SECRET, socket_timeout=0.5)
    assert repr(store) == "RedisStore(host='10.0.0.5', port=6400, db=4, prefix='kvstore:')"
    kwargs = store._loops.get().client.connection_pool.connection_kwargs  # type: ignore[union-attr]
    assert (kwargs["host"], kwargs["port"], kwargs["db"]) == ("10.0.0.5", 6400, 4)
    assert kwargs["socket_timeout"] is None
    await store.close()


async def test_default_is_localhost() -> None:
    store = RedisStore()
    assert repr(store) == "RedisStore(host='localhost', port=6379, db=0, prefix='kvstore:')"
    await store.close()


async def test_handed_in_client_is_described_without_its_password() -> None:
    client = Redis(host="127.0.0.1", port=6391, password=SECRET)
    store = RedisStore(client=client)
    assert repr(store) == (
        "RedisStore(client=Redis(host='127.0.0.1', port=6391, db=0), prefix='kvstore:')"
    )
    await store.close()
    await client.aclose()


def _options_id(options: dict[str, object]) -> str:
    """A test id without object addresses, so every pytest-xdist worker collects the same."""
    plain = (str, bytes, int, float, type(None))
    return ", ".join(
        f"{name}={value!r}" if isinstance(value, plain) else f"{name}={type(value).__name__}"
        for name, value in options.items()
    )


@pytest.mark.parametrize(
    "options",
    [
        {"url": "redis://h", "host": "h"},
        {"url": "redis://h", "client": Redis()},
        {"url": "http://h"},
        {"url": "h:6379"},
        {"url": b"redis://h"},
        {"prefix": ""},
        {"prefix": None},
        {"socket_timeout": 0},
        {"socket_timeout": None},
        {"socket_connect_timeout": float("inf")},
        {"retries": -1},
        {"max_connections": 0},
        {"scan_count": 1.5},
        {"client": object()},
        {"host": ""},
        {"port": "6379"},
        {"url": "redis://h:notaport/0"},
    ],
    ids=lambda options: _options_id(options),
)
def test_bad_options_raise_configuration_error(options: dict[str, object]) -> None:
    with pytest.raises(ConfigurationError):
        RedisStore(**options)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "url",
    [
        f"http://u:{SECRET}@h:1",
        f"redis:/app:{SECRET}@host:6379/0",
        f"redis//app:{SECRET}@host:6379/0",
        f"app:{SECRET}@host:6379/0",
    ],
)
def test_bad_scheme_message_hides_the_password(url: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        RedisStore(url)
    assert SECRET not in str(caught.value)
    assert "redis+cluster" in str(caught.value)


@pytest.mark.parametrize(
    "url",
    [
        f"redis://h:1/0?password={SECRET}&socket_timeout=soon",
        f"redis://app:{SECRET}@h:1/0?retries=many",
        f"redis:/app:{SECRET}@h:1/0",
    ],
)
def test_open_store_errors_hide_the_password(url: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        open_store(url)
    assert SECRET not in "".join(traceback.format_exception(caught.value))
