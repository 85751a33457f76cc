"""RedisStore opens by URL through kvstore.core.open_store (no server needed to construct)."""

from __future__ import annotations

import pytest

from kvstore.core import open_store, registered_schemes
from kvstore.core.errors import ConfigurationError
from kvstore.redis import RedisStore


def test_every_redis_scheme_is_registered() -> None:
    assert {"redis", "rediss", "unix", "redis+cluster", "rediss+cluster"} <= set(
        registered_schemes()
    )


def test_query_options_set_store_options_and_the_rest_reach_redis_py() -> None:
    store = open_store("redis://:s3cret@localhost:6390/2?prefix=app:&socket_timeout=2&protocol=3")
    assert isinstance(store, RedisStore)
    shown = repr(store)
    assert "prefix='app:'" in shown
    assert "protocol=3" in shown
    assert "socket_timeout" not in shown
    assert "s3cret" not in shown


def test_cluster_url_opens_a_cluster_store() -> None:
    store = open_store("redis+cluster://localhost:7000", prefix="c:")
    assert "cluster" in repr(store)


@pytest.mark.parametrize(
    ("url", "options"),
    [
        ("redis://localhost?retries=many", {}),
        ("redis://localhost?prefix=a:", {"prefix": "b:"}),
        ("redis://localhost", {"colour": "blue"}),
    ],
)
def test_bad_options_raise_configuration_error(url: str, options: dict[str, object]) -> None:
    with pytest.raises(ConfigurationError):
        open_store(url, **options)
