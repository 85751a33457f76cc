"""The Redis key layout: an injective encoding of (collection, key) under a prefix.

A name is ``<prefix><n>:<collection>:<key>``, where ``<n>`` is the collection's length in
code points, written in decimal. The length fixes where the collection ends, so no
separator inside a collection or key can make two pairs share a name, and the text
``<prefix><n>:<collection>:`` starts the names of exactly one collection, which is what a
``SCAN MATCH`` pattern selects (with Redis glob metacharacters escaped). Names are UTF-8
bytes; lone surrogates pass through (``surrogatepass``) so any Python ``str`` round-trips.
"""

from __future__ import annotations

from collections.abc import Iterable

_GLOB_ESCAPES = {ord(char): "\\" + char for char in "*?[]\\"}
"""Redis glob metacharacters; a backslash makes each one match itself."""


def collection_prefix(prefix: str, collection: str) -> str:
    """Return the text every name of ``collection`` starts with."""
    return f"{prefix}{len(collection)}:{collection}:"


def encode_name(prefix: str, collection: str, key: str) -> bytes:
    """Return the Redis key that holds (collection, key)."""
    return f"{prefix}{len(collection)}:{collection}:{key}".encode("utf-8", "surrogatepass")


def encode_names(prefix: str, collection: str, keys: Iterable[str]) -> list[bytes]:
    """Return the Redis keys of ``keys`` in ``collection`` (as :func:`encode_name`, with the
    collection's part built once: batches call this for up to thousands of keys)."""
    head = collection_prefix(prefix, collection)
    return [(head + key).encode("utf-8", "surrogatepass") for key in keys]


def glob_pattern(literal: str) -> bytes:
    """Return a SCAN MATCH pattern selecting exactly the names that start with ``literal``."""
    return (literal.translate(_GLOB_ESCAPES) + "*").encode("utf-8", "surrogatepass")


def as_text(name: bytes | str) -> str:
    """Return a Redis key as text (clients with ``decode_responses=True`` hand back str)."""
    return name if isinstance(name, str) else name.decode("utf-8", "surrogatepass")


def decode_name(prefix: str, name: bytes | str) -> tuple[str, str] | None:
    """Return the (collection, key) a Redis key holds, or None if it is not one of ours."""
    text = as_text(name)
    if not text.startswith(prefix):
        return None
    start = len(prefix)
    colon = text.find(":", start)
    digits = text[start:colon]
    # Only the canonical spelling (no sign, no leading zero) was ever written by encode_name.
    if colon < 0 or not digits.isascii() or not digits.isdigit() or digits[0] == "0":
        return None
    begin = colon + 1
    end = begin + int(digits)
    if end == begin or len(text) <= end + 1 or text[end] != ":":
        return None
    return text[begin:end], text[end + 1 :]
