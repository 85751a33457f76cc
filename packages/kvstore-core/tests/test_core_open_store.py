"""open_store finds backends through the kvstore.stores entry points."""

from __future__ import annotations

import subprocess
import sys

import pytest

from kvstore.core import open_store, registered_schemes
from kvstore.core.errors import ConfigurationError
from kvstore.core.stores import NullStore, SimpleStore


def test_core_registers_its_own_stores() -> None:
    assert {"null", "simple"} <= set(registered_schemes())


async def test_open_simple_store_with_query_options() -> None:
    store = open_store("simple://?max_entries=3")
    assert isinstance(store, SimpleStore)
    assert store.max_entries == 3
    async with store:
        await store.put("c", "k", {"v": 1})
        assert await store.get("c", "k") == {"v": 1}
    assert open_store("simple://?max_entries=none").max_entries is None  # type: ignore[attr-defined]
    assert open_store("SIMPLE://", max_entries=7).max_entries == 7  # type: ignore[attr-defined]
    assert isinstance(open_store("null://"), NullStore)


def test_unknown_scheme_names_the_distribution_to_install() -> None:
    with pytest.raises(ConfigurationError, match=r"kvstore-nosuch"):
        open_store("nosuch://somewhere")


def test_first_party_scheme_without_its_distribution_names_it() -> None:
    if "elasticsearch+https" in registered_schemes():
        pytest.skip("kvstore-elasticsearch is installed in this environment")
    with pytest.raises(ConfigurationError, match=r"pip install kvstore-elasticsearch"):
        open_store("elasticsearch+https://localhost:9200/kv")


@pytest.mark.parametrize("url", ["", "memory", None, 42])
def test_not_a_url(url: object) -> None:
    with pytest.raises(ConfigurationError):
        open_store(url)  # type: ignore[arg-type]


def test_bad_options_raise_configuration_error_without_the_password() -> None:
    with pytest.raises(ConfigurationError) as raised:
        open_store("simple://user:s3cret@host?max_entries=lots")
    assert "s3cret" not in str(raised.value)
    with pytest.raises(ConfigurationError) as raised:
        open_store("simple://user:s3cret@host", colour="blue")
    assert "s3cret" not in str(raised.value)


def test_opening_a_core_store_imports_no_backend_code() -> None:
    code = (
        "import sys; from kvstore.core import open_store; open_store('simple://'); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('redis', 'elasticsearch', 'diskcache', 'cachetools', 'pydantic')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
