"""The ``disk://`` URL factory registered for ``kvstore.core.open_store``."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, unquote

from kvstore.core.errors import ConfigurationError

from ._store import DiskStore

_NUMBERS = {"size_limit": int, "timeout": float}


def open_disk_store(url: str, **options: Any) -> DiskStore:
    """Return a DiskStore for ``disk:///absolute/dir`` or ``disk://relative/dir``.

    Everything between ``disk://`` and ``?`` is the directory (percent-decoded), so three
    slashes give an absolute path. The query may set ``size_limit`` (bytes) and ``timeout``
    (seconds), unless the same option is also passed as a keyword.

    Raises:
        ConfigurationError: no path, an unknown query parameter, a malformed number, or an
            option given both ways.
    """
    rest = url.split("://", 1)[1]
    raw_path, _, query = rest.partition("?")
    path = unquote(raw_path)
    if not path:
        raise ConfigurationError(
            f"disk:// needs a directory, e.g. disk:///var/cache/app; got {url!r}"
        )
    for name, raw in parse_qsl(query, keep_blank_values=True):
        if name not in _NUMBERS:
            raise ConfigurationError(
                f"disk:// takes only size_limit and timeout in its query, got {name!r}"
            )
        if name in options:
            raise ConfigurationError(f"{name} given both in the disk:// URL and as an option")
        try:
            options[name] = _NUMBERS[name](raw)
        except ValueError as exc:
            raise ConfigurationError(f"disk:// {name} must be a number, got {raw!r}") from exc
    return DiskStore(path, **options)
