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
    ├── ValueTooLargeError                        a value over a configured size limit
    ├── InvalidValueError      (also ValueError)  a value an operation cannot work on
    └── UnsupportedOperationError                 an atomic operation the store lacks

Backends catch driver exceptions at their boundary and raise one of these with
``raise ... from exc``, so the driver's exception stays chained. Messages name the
collection and key involved and never contain a password or API key.

Code written for kv-store-adapter 0.1 imports its error names from here too:
``KVStoreAdapterError`` is :class:`KVStoreError`, and ``SetupError``, ``StoreConnectionError``,
``SerializationError``, ``DeserializationError`` and ``ConfigurationError`` keep their names.
Its two names without a counterpart, ``KVStoreAdapterOperationError`` and ``UnknownError``,
raise ImportError saying what to catch instead (see docs/migrating.md).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

__all__ = [
    "ConfigurationError",
    "DeserializationError",
    "InvalidKeyError",
    "InvalidTTLError",
    "InvalidValueError",
    "KVStoreError",
    "ReadOnlyError",
    "SerializationError",
    "SetupError",
    "StoreConnectionError",
    "UnsupportedOperationError",
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


class InvalidValueError(KVStoreError, ValueError):
    """An operation cannot work on a value: ``increment`` of an entry that is not a counter
    (``{"count": <int>}``), an amount that is not an int, or a count beyond 64 bits.
    Nothing was written."""


class UnsupportedOperationError(KVStoreError):
    """The store does not implement an atomic operation (SPEC §11).

    Raised before anything reaches the backend; ``store.atomic_operations`` tells which
    ones a store implements. Core never emulates one with a separate read and write.
    """


KVStoreAdapterError = KVStoreError
"""kv-store-adapter 0.1's name for :class:`KVStoreError`."""

_WITHOUT_COUNTERPART = {
    "KVStoreAdapterOperationError": (
        "it was the base of SerializationError and DeserializationError only; catch "
        "(SerializationError, DeserializationError)"
    ),
    "UnknownError": (
        "kvstore raises no such error (a driver's errors become StoreConnectionError or "
        "another KVStoreError); catch KVStoreError"
    ),
}

if not TYPE_CHECKING:  # type checkers keep reporting unknown names as errors

    def __getattr__(name: str) -> object:
        hint = _WITHOUT_COUNTERPART.get(name)
        if hint is None:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        # ImportError rather than AttributeError: ``from ... import`` replaces the latter
        # with its own message, and this one says what to write instead.
        raise ImportError(
            f"{name} is a kv-store-adapter 0.1 error with no kvstore counterpart: {hint}",
            name=name,
        )
