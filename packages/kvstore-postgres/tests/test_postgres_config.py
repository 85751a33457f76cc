"""Constructing a PostgresStore and opening one by URL (no server needed)."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import pytest

from kvstore.core import open_store, registered_schemes
from kvstore.core.errors import ConfigurationError, StoreConnectionError
from kvstore.postgres import PostgresStore


def test_both_schemes_are_registered() -> None:
    assert {"postgresql", "postgres"} <= set(registered_schemes())


@pytest.mark.parametrize("scheme", ["postgresql", "postgres"])
def test_query_options_set_store_options(scheme: str) -> None:
    store = open_store(f"{scheme}://app:s3cret@db:5432/app?table=cache&unlogged=true&max_size=3")
    assert isinstance(store, PostgresStore)
    shown = repr(store)
    assert "table='cache'" in shown
    assert "unlogged=True" in shown
    assert "max_size" not in shown
    assert "s3cret" not in shown


def test_other_query_parameters_stay_in_the_url_for_asyncpg() -> None:
    store = open_store("postgresql://db/app?application_name=web&table=t")
    assert "postgresql://db/app?application_name=web'" in repr(store)


@pytest.mark.parametrize(
    ("url", "options"),
    [
        ("postgresql://db/app?max_size=many", {}),
        ("postgresql://db/app?unlogged=perhaps", {}),
        ("postgresql://db/app?table=a", {"table": "b"}),
        ("postgresql://db/app", {"colour": "blue"}),
        ("postgresql://db/app?min_size=5&max_size=2", {}),
    ],
)
def test_bad_options_raise_configuration_error(url: str, options: dict[str, Any]) -> None:
    with pytest.raises(ConfigurationError):
        open_store(url, **options)


@pytest.mark.parametrize(
    "options",
    [
        {"table": ""},
        {"table": "a.b.c."},
        {"table": "x" * 64},
        {"table": "x" * 60},  # its index name would not fit
        {"table": 7},
        {"max_size": 0},
        {"min_size": -1},
        {"command_timeout": 0},
        {"connect_timeout": float("nan")},
        {"url": "redis://localhost"},
        {"url": b"postgresql://db"},
    ],
)
def test_invalid_arguments_are_refused(options: dict[str, Any]) -> None:
    with pytest.raises(ConfigurationError):
        PostgresStore(**options)


def test_url_and_pool_together_are_refused() -> None:
    with pytest.raises(ConfigurationError, match="not both"):
        PostgresStore(url="postgresql://db/app", pool=object())


def test_a_pool_of_another_kind_is_refused() -> None:
    with pytest.raises(ConfigurationError, match=r"asyncpg\.Pool"):
        PostgresStore(pool=object())


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_an_unreachable_server_is_a_store_error_without_the_password() -> None:
    port = _closed_port()
    store = PostgresStore(
        url=f"postgresql://app:pa%24%24word@127.0.0.1:{port}/app", connect_timeout=2
    )

    async def use() -> None:
        try:
            await store.get("users", "ada")
        finally:
            await store.close()

    with pytest.raises(StoreConnectionError) as caught:
        asyncio.run(use())
    message = str(caught.value)
    assert message.startswith("PostgresStore get failed")
    assert "pa$$word" not in message
    assert "pa%24%24word" not in message
    assert "pa$$word" not in repr(store)
