"""Settings of a PostgresStore: URL schemes, table names and option checks."""

from __future__ import annotations

import math
from urllib.parse import unquote, urlsplit

from kvstore.core import redact
from kvstore.core.errors import ConfigurationError

SCHEMES = frozenset({"postgresql", "postgres"})
_MAX_IDENTIFIER = 63
"""PostgreSQL truncates longer identifiers (in bytes) silently: refuse them instead."""


def check_url(url: object) -> str:
    """Return ``url`` after checking it is a str with a PostgreSQL scheme.

    Raises:
        ConfigurationError: it is not.
    """
    if not isinstance(url, str):
        raise ConfigurationError(f"url must be a str, got {type(url).__name__}")
    scheme = url.partition("://")[0].lower() if "://" in url else ""
    if scheme not in SCHEMES:
        raise ConfigurationError(
            f"PostgresStore cannot open {redact(url)!r}: the scheme must be postgresql:// "
            "or postgres://"
        )
    return url


def url_password(url: str) -> str | None:
    """The password a URL carries, percent-decoded, or None."""
    try:
        password = urlsplit(url).password
    except ValueError:
        return None
    return unquote(password) if password else None


def check_table(table: object) -> str:
    """Return ``table`` (``name`` or ``schema.name``) after checking each part.

    Raises:
        ConfigurationError: not a str, more than two parts, an empty part, a NUL, or a
            part over 63 bytes.
    """
    if not isinstance(table, str):
        raise ConfigurationError(f"table must be a str, got {type(table).__name__}")
    parts = table.split(".")
    for part in parts:
        if len(parts) > 2 or not part or "\x00" in part or len(part.encode()) > _MAX_IDENTIFIER:
            raise ConfigurationError(
                f"table must be 'name' or 'schema.name', each part 1 to {_MAX_IDENTIFIER} "
                f"bytes without NUL, got {table!r}"
            )
    if len((parts[-1] + "_expires_at").encode()) > _MAX_IDENTIFIER:
        raise ConfigurationError(
            f"table name {parts[-1]!r} is too long: its index {parts[-1]}_expires_at must fit "
            f"{_MAX_IDENTIFIER} bytes"
        )
    return table


def check_seconds(name: str, value: object, *, optional: bool = False) -> float | None:
    """Return ``value`` as a float after checking it is a finite number > 0 (or None).

    Raises:
        ConfigurationError: it is not.
    """
    if value is None and optional:
        return None
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not math.isfinite(value)
        or value <= 0
    ):
        raise ConfigurationError(f"{name} must be a finite number of seconds > 0, got {value!r}")
    return float(value)


def check_int(name: str, value: object, minimum: int) -> int:
    """Return ``value`` after checking it is an int >= ``minimum``.

    Raises:
        ConfigurationError: it is not.
    """
    if type(value) is not int or value < minimum:
        raise ConfigurationError(f"{name} must be an int >= {minimum}, got {value!r}")
    return value


def parse_bool(text: str) -> bool:
    """A URL query's boolean (``true``/``false``, ``1``/``0``, ``yes``/``no``, ``on``/``off``)."""
    lowered = text.lower()
    if lowered in ("true", "1", "yes", "on"):
        return True
    if lowered in ("false", "0", "no", "off"):
        return False
    raise ValueError(f"not a boolean: {text!r}")


parse_bool.__name__ = "bool"
