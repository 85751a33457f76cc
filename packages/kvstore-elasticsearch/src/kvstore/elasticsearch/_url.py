"""The factory registered for elasticsearch+http:// and elasticsearch+https:// URLs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit, urlunsplit

from kvstore.core.errors import ConfigurationError

from ._store import ElasticsearchStore


def _refresh(raw: str) -> bool | str:
    lowered = raw.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered == "wait_for":
        return "wait_for"
    raise ValueError(raw)


_QUERY_OPTIONS: dict[str, Callable[[str], Any]] = {
    "api_key": str,
    "refresh": _refresh,
    "request_timeout": float,
}


def open_elasticsearch_store(url: str, **options: Any) -> ElasticsearchStore:
    """Return an ElasticsearchStore for ``elasticsearch+https://[user:password@]host:9200/index``.

    The path names the index (default ``kv-store``); ``?api_key=...``, ``?refresh=wait_for``
    and ``?request_timeout=5`` set the options of the same names.

    Raises:
        ConfigurationError: an option is unknown, given twice, or has a wrong value.
    """
    parts = urlsplit(url)
    scheme = parts.scheme.lower().removeprefix("elasticsearch+")
    for name, raw in parse_qsl(parts.query, keep_blank_values=True):
        convert = _QUERY_OPTIONS.get(name)
        if convert is None:
            raise ConfigurationError(
                f"unknown query parameter {name!r} in an elasticsearch URL; "
                f"known: {sorted(_QUERY_OPTIONS)}"
            )
        if name in options:
            raise ConfigurationError(f"{name} given both in the URL and as an option")
        try:
            options[name] = convert(raw)
        except ValueError as exc:
            shown = "***" if name == "api_key" else repr(raw)
            raise ConfigurationError(f"{name}={shown} is not a valid value") from exc
    index = unquote(parts.path.strip("/"))
    if index:
        if "index" in options:
            raise ConfigurationError("index given both in the URL path and as an option")
        options["index"] = index
    server_url = urlunsplit((scheme, parts.netloc, "", "", ""))
    return ElasticsearchStore(url=server_url, **options)
