"""kvstore-core: the protocol, the base store, TTL metadata, errors, the driver boundary and the
built-in stores."""

from ._atomic import ATOMIC_OPERATIONS as ATOMIC_OPERATIONS
from ._atomic import Versioned as Versioned
from ._base import BaseKVStore as BaseKVStore
from ._base import Payload as Payload
from ._boundary import DriverBoundary as DriverBoundary
from ._cached import cached as cached
from ._in_process import InProcessKVStore as InProcessKVStore
from ._in_process import Record as Record
from ._loops import PerLoop as PerLoop
from ._protocol import KVStoreProtocol as KVStoreProtocol
from ._redaction import redact as redact
from ._registry import open_store as open_store
from ._registry import registered_schemes as registered_schemes
from ._snapshot import SnapshotCodec as SnapshotCodec
from ._snapshot import snapshot_codec as snapshot_codec
from ._ttl_info import TTLInfo as TTLInfo
from ._validation import TTL as TTL
from .errors import (
    ConfigurationError as ConfigurationError,
)
from .errors import (
    DeserializationError as DeserializationError,
)
from .errors import (
    InvalidKeyError as InvalidKeyError,
)
from .errors import (
    InvalidTTLError as InvalidTTLError,
)
from .errors import (
    InvalidValueError as InvalidValueError,
)
from .errors import (
    KVStoreError as KVStoreError,
)
from .errors import (
    ReadOnlyError as ReadOnlyError,
)
from .errors import (
    SerializationError as SerializationError,
)
from .errors import (
    SetupError as SetupError,
)
from .errors import (
    StoreConnectionError as StoreConnectionError,
)
from .errors import (
    UnsupportedOperationError as UnsupportedOperationError,
)
from .errors import (
    ValueTooLargeError as ValueTooLargeError,
)

__all__ = [
    "ATOMIC_OPERATIONS",
    "TTL",
    "BaseKVStore",
    "ConfigurationError",
    "DeserializationError",
    "DriverBoundary",
    "InProcessKVStore",
    "InvalidKeyError",
    "InvalidTTLError",
    "InvalidValueError",
    "KVStoreError",
    "KVStoreProtocol",
    "Payload",
    "PerLoop",
    "ReadOnlyError",
    "Record",
    "SerializationError",
    "SetupError",
    "SnapshotCodec",
    "StoreConnectionError",
    "TTLInfo",
    "UnsupportedOperationError",
    "ValueTooLargeError",
    "Versioned",
    "cached",
    "open_store",
    "redact",
    "registered_schemes",
    "snapshot_codec",
]
