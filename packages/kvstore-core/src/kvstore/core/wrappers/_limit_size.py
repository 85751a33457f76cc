"""LimitSizeWrapper: refuses values larger than a byte limit."""

from __future__ import annotations

from collections.abc import Mapping

from .._base import BaseKVStore, Value, check_version
from .._validation import TTL, check_items, normalize_ttl
from ..errors import ConfigurationError, ValueTooLargeError
from ._base import BaseWrapper
from ._json_value import dump_value


class LimitSizeWrapper(BaseWrapper):
    """Refuses, with ValueTooLargeError, a value whose JSON encoding exceeds ``max_bytes``.

    The size is the length of the value's compact JSON text as the TTL envelope holds
    it (non-ASCII characters escaped, so characters and bytes count the same); the
    envelope's own fields (names, timestamps) are not counted. A value of exactly
    ``max_bytes`` is accepted. A refused write writes nothing, and ``put_many``
    measures every value before writing any. ``add`` and ``put_versioned`` are measured
    as ``put`` is; ``increment`` is forwarded unmeasured (a counter, ``{"count": n}``,
    is at most 31 bytes of JSON).

    Args:
        store: the store to wrap.
        max_bytes: the largest accepted value, in bytes (an int >= 2, the size of ``{}``).

    Raises:
        ConfigurationError: ``max_bytes`` is not an int >= 2.
    """

    def __init__(self, store: BaseKVStore, max_bytes: int) -> None:
        super().__init__(store)
        if type(max_bytes) is not int or max_bytes < 2:
            raise ConfigurationError(f"max_bytes must be an int >= 2, got {max_bytes!r}")
        self.max_bytes = max_bytes

    def check(self, collection: str, key: str, value: Value) -> None:
        """Raise ValueTooLargeError if ``value`` is over the limit.

        Raises:
            InvalidKeyError, SerializationError: bad names or value (checked first).
            ValueTooLargeError: the value's JSON is longer than ``max_bytes``.
        """
        size = len(dump_value(collection, key, value))
        if size > self.max_bytes:
            raise ValueTooLargeError(
                f"value for collection {collection!r} key {key!r} is {size} bytes of JSON, "
                f"over the limit of {self.max_bytes}; nothing was written"
            )

    async def put(self, collection: str, key: str, value: Value, *, ttl: TTL = None) -> None:
        normalize_ttl(ttl)
        self.check(collection, key, value)
        await self.store.put(collection, key, value, ttl=ttl)

    async def put_many(
        self, collection: str, items: Mapping[str, Value], *, ttl: TTL = None
    ) -> None:
        normalize_ttl(ttl)
        for key, value in check_items(collection, items):
            self.check(collection, key, value)
        await self.store.put_many(collection, items, ttl=ttl)

    async def add(self, collection: str, key: str, value: Value, *, ttl: TTL = None) -> bool:
        normalize_ttl(ttl)
        self.check(collection, key, value)
        return await self.store.add(collection, key, value, ttl=ttl)

    async def put_versioned(
        self, collection: str, key: str, value: Value, *, version: str | None, ttl: TTL = None
    ) -> bool:
        check_version(collection, key, version)
        normalize_ttl(ttl)
        self.check(collection, key, value)
        return await self.store.put_versioned(collection, key, value, version=version, ttl=ttl)

    def __repr__(self) -> str:
        return f"LimitSizeWrapper({self.store!r}, max_bytes={self.max_bytes!r})"
