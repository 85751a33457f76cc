"""open_store: a store from a URL, through backends registered as entry points."""

from __future__ import annotations

from collections.abc import Callable
from importlib.metadata import EntryPoint, entry_points
from typing import Any

from ._base import BaseKVStore
from ._redaction import redact, secrets_in
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
    "postgresql": "kvstore-postgres",
    "postgres": "kvstore-postgres",
}
"""Which distribution to install for each scheme this repository's backends register."""


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
        shown = redact(url) if isinstance(url, str) else repr(url)
        raise ConfigurationError(f"expected a store URL such as 'memory://', got {shown!r}")
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
            redact(
                f"no installed kvstore backend handles {scheme}:// URLs; {hint}. "
                f"Installed schemes: {', '.join(registered_schemes()) or 'none'}"
            )
        )
    factory: StoreFactory = entry_point.load()
    try:
        return factory(url, **options)
    except (ConfigurationError, TypeError, ValueError) as exc:
        detail = str(exc)
        secrets = secrets_in(url)
        leaks = redact(detail, secrets) != detail
        if isinstance(exc, ConfigurationError) and not leaks:
            raise
        message = (
            detail
            if isinstance(exc, ConfigurationError)
            else f"cannot open {url} with options {sorted(options)}: {detail}"
        )
        # An original whose message holds a secret is not chained: a traceback would print it.
        raise ConfigurationError(redact(message, secrets)) from (None if leaks else exc)
