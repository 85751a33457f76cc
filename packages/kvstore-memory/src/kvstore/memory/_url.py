"""The ``memory://`` URL factory registered for ``kvstore.core.open_store``."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlsplit

from kvstore.core.errors import ConfigurationError

from ._store import MemoryStore


def open_memory_store(url: str, **options: Any) -> MemoryStore:
    """Return a MemoryStore for ``memory://`` or ``memory://?max_entries=N``.

    Raises:
        ConfigurationError: the URL has a host, a path or a query other than ``max_entries``,
            ``max_entries`` is given twice or is not an int >= 1, or an option is unknown.
    """
    parts = urlsplit(url)
    if parts.netloc or parts.path not in ("", "/"):
        raise ConfigurationError(f"memory:// takes no host or path, got {url!r}")
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    unknown = set(query) - {"max_entries"}
    if unknown:
        raise ConfigurationError(f"memory:// takes only max_entries, got {sorted(unknown)}")
    if "max_entries" in query:
        if "max_entries" in options:
            raise ConfigurationError("max_entries given both in the memory:// URL and as option")
        try:
            options["max_entries"] = int(query["max_entries"])
        except ValueError as exc:
            raise ConfigurationError(
                f"memory:// max_entries must be an int, got {query['max_entries']!r}"
            ) from exc
    return MemoryStore(**options)
