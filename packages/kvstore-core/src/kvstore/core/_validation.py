"""Argument checks shared by every store and wrapper: names, TTLs and batch arguments."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from datetime import timedelta
from typing import Any

from .errors import InvalidKeyError, InvalidTTLError

_INF = float("inf")
_NEG_INF = -_INF

TTL = float | int | timedelta | None
"""What callers may pass as a TTL: seconds, a ``timedelta``, or None for no expiry."""


def check_name(collection: object, key: object) -> None:
    """Raise InvalidKeyError unless both are non-empty ``str``."""
    if not isinstance(collection, str) or not collection:
        raise InvalidKeyError(
            f"collection must be a non-empty str, got {collection!r} (key {key!r})"
        )
    if not isinstance(key, str) or not key:
        raise InvalidKeyError(
            f"key must be a non-empty str, got {key!r} (collection {collection!r})"
        )


def check_collection(collection: object) -> None:
    """Raise InvalidKeyError unless ``collection`` is a non-empty ``str``."""
    if not isinstance(collection, str) or not collection:
        raise InvalidKeyError(f"collection must be a non-empty str, got {collection!r}")


def check_keys(collection: object, keys: object) -> list[str]:
    """Return ``keys`` as a list after checking it is an iterable of valid keys (not a str)."""
    check_collection(collection)
    if isinstance(keys, (str, bytes, Mapping)) or not isinstance(keys, Iterable):
        raise InvalidKeyError(
            f"keys must be a list of str, got {type(keys).__name__} (collection {collection!r})"
        )
    key_list = list(keys)
    for key in key_list:
        if not isinstance(key, str) or not key:
            raise InvalidKeyError(
                f"key must be a non-empty str, got {key!r} (collection {collection!r})"
            )
    return key_list


def check_items(collection: object, items: object) -> list[tuple[str, Any]]:
    """Return ``items`` as (key, value) pairs after checking it is a mapping of valid keys."""
    check_collection(collection)
    if not isinstance(items, Mapping):
        raise InvalidKeyError(
            f"items must be a mapping of key to value, got {type(items).__name__} "
            f"(collection {collection!r})"
        )
    pairs = list(items.items())
    for key, _ in pairs:
        if not isinstance(key, str) or not key:
            raise InvalidKeyError(
                f"key must be a non-empty str, got {key!r} (collection {collection!r})"
            )
    return pairs


def check_limit(limit: object) -> None:
    """Raise ValueError unless ``limit`` is None or an int >= 0."""
    if limit is not None and (type(limit) is not int or limit < 0):
        raise ValueError(f"limit must be None or an int >= 0, got {limit!r}")


def normalize_ttl(ttl: object) -> float | None:
    """Return the TTL in seconds as a float, or None for no expiry.

    Raises:
        InvalidTTLError: for bools, NaN, infinities, ints beyond a float's range and anything
            not a real number or timedelta.
    """
    if ttl is None:
        return None
    if type(ttl) is float:
        # The common case, without a call: a finite float is already the answer.
        if _NEG_INF < ttl < _INF:
            return ttl
        seconds = ttl
    elif type(ttl) is int or (isinstance(ttl, (int, float)) and type(ttl) is not bool):
        try:
            seconds = float(ttl)
        except OverflowError:
            # An int beyond a float's range (10**400): not a finite number of seconds.
            raise InvalidTTLError(
                f"ttl must be finite, got an int of {int(ttl).bit_length()} bits (beyond a float)"
            ) from None
    elif isinstance(ttl, bool):
        raise InvalidTTLError(f"ttl must be seconds or a timedelta, not a bool ({ttl!r})")
    elif isinstance(ttl, timedelta):
        seconds = ttl.total_seconds()
    else:
        raise InvalidTTLError(
            f"ttl must be None, seconds (int or float) or a timedelta, got {type(ttl).__name__}"
        )
    if not math.isfinite(seconds):
        raise InvalidTTLError(f"ttl must be finite, got {ttl!r}")
    return seconds
