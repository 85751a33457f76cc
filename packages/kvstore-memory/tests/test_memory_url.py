"""Opening a MemoryStore by URL through kvstore.core.open_store."""

from __future__ import annotations

from typing import Any

import pytest

from kvstore.core import open_store
from kvstore.core.errors import ConfigurationError
from kvstore.memory import MemoryStore


async def test_memory_url_opens_a_memory_store() -> None:
    store = open_store("memory://")
    assert isinstance(store, MemoryStore)
    assert store.max_entries == 1000
    await store.put("c", "k", {"v": 1})
    assert await store.get("c", "k") == {"v": 1}


def test_max_entries_from_the_url_or_an_option() -> None:
    from_url = open_store("memory://?max_entries=5")
    from_option = open_store("memory://", max_entries=7)
    assert isinstance(from_url, MemoryStore)
    assert isinstance(from_option, MemoryStore)
    assert (from_url.max_entries, from_option.max_entries) == (5, 7)


@pytest.mark.parametrize(
    ("url", "options"),
    [
        ("memory://host", {}),
        ("memory:///some/path", {}),
        ("memory://?size=3", {}),
        ("memory://?max_entries=many", {}),
        ("memory://?max_entries=0", {}),
        ("memory://?max_entries=3", {"max_entries": 4}),
        ("memory://", {"colour": "blue"}),
    ],
)
def test_bad_memory_urls_are_rejected(url: str, options: dict[str, Any]) -> None:
    with pytest.raises(ConfigurationError):
        open_store(url, **options)
