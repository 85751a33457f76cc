"""How (collection, key) pairs map to diskcache keys, injectively and range-scannably.

A store row's diskcache key is a ``bytes`` value (an SQLite BLOB)::

    b"kv1\\x00" + escaped(collection) + b"\\x00" + key

Both names are encoded as UTF-8 with ``surrogatepass``, so every Python ``str``
(lone surrogates included) has exactly one encoding. In the collection, the bytes
0x00 and 0x01 are escaped (0x00 -> 0x01 0x01, 0x01 -> 0x01 0x02), so the escaped
collection holds no 0x00 and the first 0x00 after the namespace marks where the key
starts: two different pairs never share a diskcache key.

All keys of one collection lie in the half-open BLOB range
``[prefix + b"\\x00", prefix + b"\\x01")``, which SQLite answers from diskcache's
unique index on the key column, and the whole store in ``[NAMESPACE, NAMESPACE_END)``.
SQLite orders BLOBs after TEXT and numbers, so str or int keys that other code keeps
in a shared cache never fall inside these ranges.
"""

from __future__ import annotations

NAMESPACE = b"kv1\x00"
"""Marks the store's rows (layout version 1) in a cache that may hold other keys."""
NAMESPACE_END = b"kv1\x01"
"""The first BLOB after every key that starts with NAMESPACE."""


def collection_prefix(collection: str) -> bytes:
    """Return the bytes every diskcache key of ``collection`` starts with (before 0x00)."""
    encoded = collection.encode("utf-8", "surrogatepass")
    if b"\x00" in encoded or b"\x01" in encoded:
        encoded = encoded.replace(b"\x01", b"\x01\x02").replace(b"\x00", b"\x01\x01")
    return NAMESPACE + encoded


def collection_from_prefix(prefix: bytes) -> str:
    """Return the collection whose ``collection_prefix`` is ``prefix``."""
    encoded = prefix[len(NAMESPACE) :]
    if b"\x01" in encoded:
        # Left to right, every 0x01 starts a two-byte escape, so the first replacement
        # only ever matches whole escapes.
        encoded = encoded.replace(b"\x01\x01", b"\x00").replace(b"\x01\x02", b"\x01")
    return encoded.decode("utf-8", "surrogatepass")


def encode_key(key: str) -> bytes:
    """Return the bytes of ``key`` as they follow the collection prefix and 0x00."""
    return key.encode("utf-8", "surrogatepass")


def decode_key(tail: bytes) -> str:
    """Return the key encoded by :func:`encode_key`."""
    return tail.decode("utf-8", "surrogatepass")
