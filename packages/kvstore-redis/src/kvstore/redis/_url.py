"""The factory registered for redis://, rediss://, unix://, redis+cluster:// and rediss+cluster://."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from kvstore.core import redact
from kvstore.core.errors import ConfigurationError

from ._store import RedisStore

STORE_QUERY_OPTIONS: dict[str, Callable[[str], Any]] = {
    "prefix": str,
    "socket_timeout": float,
    "socket_connect_timeout": float,
    "retries": int,
    "max_connections": int,
    "scan_count": int,
}
"""URL query parameters that set RedisStore options; any other parameter goes to redis-py."""


def open_redis_store(url: str, **options: Any) -> RedisStore:
    """Return a RedisStore for a Redis URL.

    ``?prefix=app:&socket_timeout=2`` set the store's options of the same names; other query
    parameters (``ssl_cert_reqs``, ``protocol``, ...) are left in the URL for redis-py.

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
        except ValueError as exc:
            raise ConfigurationError(
                redact(f"{name}={raw!r} in {url} is not a valid {convert.__name__}")
            ) from exc
    store_url = urlunsplit(parts._replace(query=urlencode(passed_on)))
    return RedisStore(url=store_url, **options)
