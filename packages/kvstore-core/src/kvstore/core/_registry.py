"""open_store: a store from a URL, through backends registered as entry points."""

from __future__ import annotations

from collections.abc import Callable
from importlib.metadata import EntryPoint, entry_points
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from ._base import BaseKVStore
from .errors import ConfigurationError

ENTRY_POINT_GROUP = "kvstore.stores"
"""Backends register ``scheme = "package.module:factory"`` here; factory(url, **options)."""

StoreFactory = Callable[..., BaseKVStore]

FIRST_PARTY_SCHEMES = {
    "memory": "kvstore-memory",
    "disk": "kvstore-disk",
    "redis": "kvstore-redis",
    "rediss": "kvstore-redis",
    "unix": "kvstore-redis",
    "redis+cluster": "kvstore-redis",
    "rediss+cluster": "kvstore-redis",
    "elasticsearch+http": "kvstore-elasticsearch",
    "elasticsearch+https": "kvstore-elasticsearch",
}
"""Which distribution to install for each scheme this repository's backends register."""


def redact_url(url: str) -> str:
    """Return ``url`` with any password replaced by ``***``, for messages and reprs."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparsable URL>"
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    port = f":{parts.port}" if parts.port is not None else ""
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}{port}"))


def _entry_point(scheme: str) -> EntryPoint | None:
    for entry_point in entry_points(group=ENTRY_POINT_GROUP):
        if entry_point.name == scheme:
            return entry_point
    return None


def registered_schemes() -> list[str]:
    """The sorted URL schemes that installed backends register."""
    return sorted({entry_point.name for entry_point in entry_points(group=ENTRY_POINT_GROUP)})


def open_store(url: str, **options: Any) -> BaseKVStore:
    """Return a store for ``url``, e.g. ``memory://``, ``disk:///var/cache/app``, ``redis://host``.

    The backend is found through the ``kvstore.stores`` entry-point group and imported only
    now, so opening a ``memory://`` store imports no Redis code. Keyword options and URL
    query parameters are passed to the backend's constructor as documented by the backend.

    Raises:
        ConfigurationError: the URL has no scheme, or no installed backend handles it (the
            message names the distribution to install), or the backend rejects the options.
    """
    if not isinstance(url, str) or "://" not in url:
        raise ConfigurationError(f"expected a store URL such as 'memory://', got {url!r}")
    scheme = url.split("://", 1)[0].lower()
    entry_point = _entry_point(scheme)
    if entry_point is None:
        distribution = FIRST_PARTY_SCHEMES.get(scheme)
        hint = (
            f"install {distribution}: pip install {distribution}"
            if distribution
            else f"install the distribution that provides it (by convention kvstore-{scheme})"
        )
        raise ConfigurationError(
            f"no installed kvstore backend handles {scheme}:// URLs; {hint}. "
            f"Installed schemes: {', '.join(registered_schemes()) or 'none'}"
        )
    factory: StoreFactory = entry_point.load()
    try:
        return factory(url, **options)
    except ConfigurationError:
        raise
    except (TypeError, ValueError) as exc:
        raise ConfigurationError(
            f"cannot open {redact_url(url)} with options {sorted(options)}: {exc}"
        ) from exc
