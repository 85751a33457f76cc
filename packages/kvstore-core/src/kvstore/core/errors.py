"""The exception tree of kvstore.

Every error a store raises derives from :class:`KVStoreError`::

    KVStoreError
    ├── InvalidKeyError        (also ValueError)  bad collection or key
    ├── InvalidTTLError        (also ValueError)  bad TTL
    ├── SerializationError                        a value that cannot be stored
    ├── DeserializationError                      stored data that cannot be read back
    ├── StoreConnectionError                      backend unreachable or timed out
    ├── SetupError                                backend could not be prepared
    ├── ConfigurationError                        bad options, unknown URL scheme
    ├── ReadOnlyError                             a write through a read-only store
    └── ValueTooLargeError                        a value over a configured size limit

Backends catch driver exceptions at their boundary and raise one of these with
``raise ... from exc``, so the driver's exception stays chained. Messages name the
collection and key involved and never contain a password or API key.
"""

from __future__ import annotations

__all__ = [
    "ConfigurationError",
    "DeserializationError",
    "InvalidKeyError",
    "InvalidTTLError",
    "KVStoreError",
    "ReadOnlyError",
    "SerializationError",
    "SetupError",
    "StoreConnectionError",
    "ValueTooLargeError",
]


class KVStoreError(Exception):
    """Root of every error raised by kvstore."""


class InvalidKeyError(KVStoreError, ValueError):
    """A collection or key is not a non-empty ``str``."""


class InvalidTTLError(KVStoreError, ValueError):
    """A TTL is not None, a finite real number of seconds or a ``timedelta``."""


class SerializationError(KVStoreError):
    """A value cannot be stored: not a JSON object, or holds something JSON cannot encode."""


class DeserializationError(KVStoreError):
    """Stored data cannot be read back (corrupt, tampered or of an unknown format)."""


class StoreConnectionError(KVStoreError):
    """The backend cannot be reached or did not answer in time."""


class SetupError(KVStoreError):
    """The backend could not be prepared (index, schema or directory creation failed)."""


class ConfigurationError(KVStoreError):
    """Invalid store options, or a URL whose scheme no installed backend handles."""


class ReadOnlyError(KVStoreError):
    """A write was attempted through a read-only store."""


class ValueTooLargeError(KVStoreError):
    """A value is larger than a configured limit; nothing was written."""
