"""CompressionWrapper: zlib-compresses large values, transparently."""

from __future__ import annotations

import base64
import binascii
import zlib

from .._base import BaseKVStore, Value
from .._validation import TTL
from ..errors import ConfigurationError, DeserializationError, ValueTooLargeError
from ._json_value import dump_value, load_value
from ._transform import ValueTransformWrapper

MARKER = "__kvstore_compressed__"
"""The member that marks a stored value as compressed; its value is the format version."""
FORMAT_VERSION = 1
DEFAULT_MAX_SIZE = 64 * 1024 * 1024
"""The largest JSON, in bytes, that a CompressionWrapper compresses or inflates by default."""


_PIECE = 64 * 1024
"""How much one step of decompression may produce."""


def _inflate(data: bytes, max_size: int) -> bytearray | None:
    """Return the zlib stream ``data`` decompressed, or None if it inflates past ``max_size``.

    Raises:
        zlib.error: ``data`` is not a complete zlib stream.
    """
    # Piece by piece into one growing buffer: a stream that inflates further (a zip bomb)
    # is refused having allocated about max_size, never the whole of what it would become.
    inflater = zlib.decompressobj()
    text = bytearray()
    pending = data
    while not inflater.eof:
        piece = inflater.decompress(pending, _PIECE)
        if not piece and not pending:
            break
        text += piece
        if len(text) > max_size:
            return None
        pending = inflater.unconsumed_tail
    if not inflater.eof:
        raise zlib.error("incomplete or truncated stream")
    return text


class CompressionWrapper(ValueTransformWrapper):
    """Stores values whose JSON is longer than ``min_size`` bytes zlib-compressed.

    A compressed value is stored as the small JSON object
    ``{"__kvstore_compressed__": 1, "zlib": "<base64 of the zlib-compressed JSON>"}``
    and read back as the original value. Smaller values, and values that compression
    would not shrink (base64 costs a third), are stored unchanged, so any stored value
    without the marker reads back as it is: the wrapper can be put in front of a store
    that already holds uncompressed data. A value of the caller's that itself has a
    top-level ``__kvstore_compressed__`` member is always compressed, so it reads back
    unchanged instead of being taken for a marker.

    Reads inflate at most ``max_size`` bytes: a stored value that would inflate further
    (corrupt data or a zip bomb) raises DeserializationError having allocated no more than
    that, and a write whose JSON is over ``max_size`` bytes raises ValueTooLargeError, so
    every value written through the wrapper reads back.

    A counter (``{"count": n}``, at most 31 bytes of JSON) is never compressed: the
    marker alone is longer. So ``increment`` is forwarded to the wrapped store and is as
    atomic as that store's own (one native call where it has one); the other atomic
    operations transform values as :class:`ValueTransformWrapper` says.

    Compression runs synchronously in the calling task, blocking the event loop while
    it works; keep ``level`` low for very large values on a busy loop.

    Args:
        store: the store to wrap.
        min_size: values whose JSON is at most this many bytes are stored as they are.
        level: zlib compression level, 1 (fastest) to 9 (smallest), or -1 for zlib's default.
        max_size: the largest JSON, in bytes, written or read back (64 MiB by default).

    Raises:
        ConfigurationError: ``min_size`` is not an int >= 0, ``level`` not in -1..9, or
            ``max_size`` not an int >= ``min_size`` and >= 1.
    """

    def __init__(
        self,
        store: BaseKVStore,
        min_size: int = 1024,
        level: int = 6,
        *,
        max_size: int = DEFAULT_MAX_SIZE,
    ) -> None:
        super().__init__(store)
        if type(min_size) is not int or min_size < 0:
            raise ConfigurationError(f"min_size must be an int >= 0, got {min_size!r}")
        if type(level) is not int or not -1 <= level <= 9:
            raise ConfigurationError(f"level must be an int from -1 to 9, got {level!r}")
        if type(max_size) is not int or max_size < max(min_size, 1):
            raise ConfigurationError(
                f"max_size must be an int >= 1 and >= min_size ({min_size}), got {max_size!r}"
            )
        self.min_size = min_size
        self.level = level
        self.max_size = max_size
        if "increment" in store.atomic_operations:
            self.atomic_operations = self.atomic_operations | {"increment"}
        else:
            self.atomic_operations = self.atomic_operations - {"increment"}

    def compress(self, collection: str, key: str, value: Value) -> Value:
        """Return what this wrapper stores for ``value``: the value itself or a compressed marker.

        Raises:
            InvalidKeyError, SerializationError: bad names or value.
            ValueTooLargeError: the value's JSON is over ``max_size`` bytes.
        """
        text = dump_value(collection, key, value)
        marked = MARKER in value
        if len(text) <= self.min_size and not marked:
            return value
        if len(text) > self.max_size:
            raise ValueTooLargeError(
                f"value for collection {collection!r} key {key!r} is {len(text)} bytes of JSON, "
                f"over the CompressionWrapper's max_size of {self.max_size}"
            )
        packed = base64.b64encode(zlib.compress(text.encode(), self.level)).decode("ascii")
        # The marker adds about 40 bytes of JSON around the base64 text.
        if len(packed) + 40 >= len(text) and not marked:
            return value
        return {MARKER: FORMAT_VERSION, "zlib": packed}

    def decompress(self, collection: str, key: str, stored: Value) -> Value:
        """Return the value ``stored`` holds: decompressed if it is a marker, else itself.

        Raises:
            DeserializationError: a marker that is malformed, fails to decompress, or
                inflates past ``max_size`` bytes.
        """
        if MARKER not in stored:
            return stored
        version, packed = stored[MARKER], stored.get("zlib")
        if type(version) is not int or version != FORMAT_VERSION or type(packed) is not str:
            raise DeserializationError(
                f"stored value for collection {collection!r} key {key!r} is marked compressed "
                f"but is not a version {FORMAT_VERSION} compressed value"
            )
        try:
            text = _inflate(base64.b64decode(packed, validate=True), self.max_size)
        except (binascii.Error, zlib.error, ValueError) as exc:
            raise DeserializationError(
                f"compressed value for collection {collection!r} key {key!r} cannot be "
                f"decompressed: {exc}"
            ) from exc
        if text is None:
            raise DeserializationError(
                f"compressed value for collection {collection!r} key {key!r} inflates past "
                f"max_size ({self.max_size} bytes); raise max_size if it is genuine"
            )
        return load_value(text, collection, key, "decompressed value")

    def encode_value(self, collection: str, key: str, value: Value) -> Value:
        return self.compress(collection, key, value)

    async def increment(
        self, collection: str, key: str, amount: int = 1, *, ttl: TTL = None
    ) -> int:
        # Counters are stored as they are (see the class docstring): the wrapped store counts.
        return await self.store.increment(collection, key, amount, ttl=ttl)

    def decode_value(self, collection: str, key: str, stored: Value) -> Value:
        return self.decompress(collection, key, stored)

    def __repr__(self) -> str:
        return (
            f"CompressionWrapper({self.store!r}, min_size={self.min_size!r}, "
            f"level={self.level!r}, max_size={self.max_size!r})"
        )
