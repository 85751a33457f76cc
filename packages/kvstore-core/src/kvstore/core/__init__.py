"""kvstore-core: the protocol, the base store, TTL metadata, errors and the built-in stores."""

from ._base import BaseKVStore as BaseKVStore
from ._protocol import KVStoreProtocol as KVStoreProtocol
from ._ttl_info import TTLInfo as TTLInfo
from ._validation import TTL as TTL
from .errors import (
    ConfigurationError as ConfigurationError,
    DeserializationError as DeserializationError,
    InvalidKeyError as InvalidKeyError,
    InvalidTTLError as InvalidTTLError,
    KVStoreError as KVStoreError,
    ReadOnlyError as ReadOnlyError,
    SerializationError as SerializationError,
    SetupError as SetupError,
    StoreConnectionError as StoreConnectionError,
    ValueTooLargeError as ValueTooLargeError,
)

__all__ = [
    "TTL",
    "BaseKVStore",
    "ConfigurationError",
    "DeserializationError",
    "InvalidKeyError",
    "InvalidTTLError",
    "KVStoreError",
    "KVStoreProtocol",
    "ReadOnlyError",
    "SerializationError",
    "SetupError",
    "StoreConnectionError",
    "TTLInfo",
    "ValueTooLargeError",
]
