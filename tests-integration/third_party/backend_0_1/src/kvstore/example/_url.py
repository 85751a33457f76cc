"""The factory registered for ``example://`` URLs."""

from __future__ import annotations

from typing import Any

from kvstore.core.errors import ConfigurationError

from ._store import ExampleStore


def open_example_store(url: str, **options: Any) -> ExampleStore:
    """``example://``: a new, empty ExampleStore (it takes no options)."""
    if options:
        raise ConfigurationError(f"example:// takes no options, got {sorted(options)}")
    return ExampleStore()
