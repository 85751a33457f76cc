"""Connection settings of a RedisStore: URL schemes and option checks."""

from __future__ import annotations

import math

from kvstore.core import redact
from kvstore.core.errors import ConfigurationError

STANDALONE_SCHEMES = frozenset({"redis", "rediss", "unix"})
CLUSTER_SCHEMES = {"redis+cluster": "redis", "rediss+cluster": "rediss"}
"""Cluster URL scheme -> the scheme redis-py's RedisCluster.from_url understands."""


def url_scheme(url: str) -> str:
    """Return the URL's lower-cased scheme after checking it is one RedisStore opens.

    Raises:
        ConfigurationError: the URL is not a str or its scheme is not a Redis one.
    """
    if not isinstance(url, str):
        raise ConfigurationError(f"url must be a str, got {type(url).__name__}")
    scheme = url.partition("://")[0].lower() if "://" in url else ""
    if scheme not in STANDALONE_SCHEMES and scheme not in CLUSTER_SCHEMES:
        known = ", ".join(sorted([*STANDALONE_SCHEMES, *CLUSTER_SCHEMES]))
        raise ConfigurationError(
            f"RedisStore cannot open {redact(url)!r}: the scheme must be one of {known}"
        )
    return scheme


def cluster_base_url(url: str, scheme: str) -> str:
    """Return a cluster URL rewritten with the scheme redis-py expects (redis or rediss)."""
    return CLUSTER_SCHEMES[scheme] + url[len(scheme) :]


def check_positive_number(name: str, value: object) -> float:
    """Return ``value`` as a float after checking it is a finite number > 0.

    Raises:
        ConfigurationError: it is not.
    """
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
