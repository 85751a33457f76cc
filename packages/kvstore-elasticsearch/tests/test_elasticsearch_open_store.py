"""ElasticsearchStore opens by URL through kvstore.core.open_store (no server needed)."""

from __future__ import annotations

import pytest

from kvstore.core import open_store, registered_schemes
from kvstore.core.errors import ConfigurationError
from kvstore.elasticsearch import ElasticsearchStore


def test_schemes_are_registered() -> None:
    assert {"elasticsearch+http", "elasticsearch+https"} <= set(registered_schemes())


def test_path_names_the_index_and_query_sets_options() -> None:
    store = open_store(
        "elasticsearch+https://elastic:s3cret@localhost:9200/my-index?refresh=wait_for"
    )
    assert isinstance(store, ElasticsearchStore)
    shown = repr(store)
    assert "url='https://localhost:9200'" in shown
    assert "index='my-index'" in shown
    assert "refresh='wait_for'" in shown
    assert "s3cret" not in shown


def test_default_index_and_plain_http() -> None:
    shown = repr(open_store("elasticsearch+http://localhost:9200"))
    assert "url='http://localhost:9200'" in shown
    assert "index='kv-store'" in shown


@pytest.mark.parametrize(
    ("url", "options"),
    [
        ("elasticsearch+http://localhost:9200?colour=blue", {}),
        ("elasticsearch+http://localhost:9200?refresh=sometimes", {}),
        ("elasticsearch+http://localhost:9200/a", {"index": "b"}),
        ("elasticsearch+http://localhost:9200?request_timeout=soon", {}),
    ],
)
def test_bad_options_raise_configuration_error(url: str, options: dict[str, object]) -> None:
    with pytest.raises(ConfigurationError):
        open_store(url, **options)


def test_api_key_in_the_query_never_shows() -> None:
    with pytest.raises(ConfigurationError) as raised:
        open_store("elasticsearch+https://localhost:9200?api_key=topsecret&refresh=maybe")
    assert "topsecret" not in str(raised.value)
    store = open_store("elasticsearch+https://localhost:9200?api_key=topsecret")
    assert "topsecret" not in repr(store)
