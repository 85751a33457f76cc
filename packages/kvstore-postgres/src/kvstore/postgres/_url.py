"""The factory registered for postgresql:// and postgres:// URLs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from kvstore.core import redact
from kvstore.core.errors import ConfigurationError

from ._config import parse_bool
from ._store import PostgresStore

STORE_QUERY_OPTIONS: dict[str, Callable[[str], Any]] = {
    "table": str,
    "unlogged": parse_bool,
    "min_size": int,
    "max_size": int,
    "command_timeout": float,
    "connect_timeout": float,
}
"""URL query parameters that set PostgresStore options; any other parameter goes to asyncpg
(``sslmode``, ``application_name``, server settings)."""


def open_postgres_store(url: str, **options: Any) -> PostgresStore:
    """Return a PostgresStore for a PostgreSQL URL.

    ``?table=cache&unlogged=true&max_size=20`` set the store's options of the same names;
    other query parameters are left in the URL for asyncpg.

    Raises:
        ConfigurationError: an option is given twice or has the wrong type.
    """
    parts = urlsplit(url)
    passed_on = []
    for name, raw in parse_qsl(parts.query, keep_blank_values=True):
        convert = STORE_QUERY_OPTIONS.get(name)
        if convert is None:
            passed_on.append((name, raw))
            continue
        if name in options:
            raise ConfigurationError(f"{name} given both in the URL and as an option")
        try:
            options[name] = convert(raw)
        except ValueError:
            raise ConfigurationError(
                redact(f"{name}={raw!r} in {url} is not a valid {convert.__name__}")
            ) from None
    store_url = urlunsplit(parts._replace(query=urlencode(passed_on)))
    return PostgresStore(url=store_url, **options)
