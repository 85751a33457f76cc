"""URL factories of the core stores: ``simple://`` and ``null://``."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlsplit

from ..errors import ConfigurationError
from ._null import NullStore
from ._simple import SimpleStore


def open_simple_store(url: str, **options: Any) -> SimpleStore:
    """``simple://?max_entries=N`` (``max_entries=none`` for no bound)."""
    query = dict(parse_qsl(urlsplit(url).query))
    unknown = set(query) - {"max_entries"}
    if unknown:
        raise ConfigurationError(f"simple:// takes only max_entries, got {sorted(unknown)}")
    if "max_entries" in query:
        raw = query["max_entries"]
        try:
            options.setdefault("max_entries", None if raw.lower() == "none" else int(raw))
        except ValueError as exc:
            raise ConfigurationError(f"simple:// max_entries must be an int, got {raw!r}") from exc
    return SimpleStore(**options)


def open_null_store(url: str, **options: Any) -> NullStore:
    """``null://``: a store that keeps nothing."""
    return NullStore(**options)
