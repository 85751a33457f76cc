"""TTLClampWrapper: keeps every TTL inside a range."""

from __future__ import annotations

from collections.abc import Mapping

from .._base import BaseKVStore, Value
from .._validation import TTL, normalize_ttl
from ..errors import ConfigurationError
from ._base import BaseWrapper


class TTLClampWrapper(BaseWrapper):
    """Clamps the TTL of every write into ``[min_ttl, max_ttl]`` seconds.

    A write without a TTL gets ``missing_ttl`` (None keeps it without expiry). A TTL
    of zero or less is not a lifetime but "already expired" (the write hides the key),
    so it passes through unchanged rather than being stretched to ``min_ttl``.

    The atomic operations that take a TTL are clamped the same way: ``add``,
    ``put_versioned``, ``touch`` (whose ``None``, "never expires", gets ``missing_ttl``
    as a write without a TTL does, so no entry outlives ``max_ttl`` through a touch) and
    ``increment`` (its TTL applies only to a counter it creates; a live one keeps its own).

    Args:
        store: the store to wrap.
        min_ttl: the shortest TTL written, in seconds or a timedelta (>= 0; 0 sets no
            lower bound).
        max_ttl: the longest TTL written (> 0 and >= min_ttl).
        missing_ttl: the TTL for writes that give none (> 0, clamped into the range), or
            None to leave them without expiry.

    Raises:
        ConfigurationError: the bounds are not finite, ordered, ``min_ttl`` >= 0 and
            ``max_ttl`` > 0, or ``missing_ttl`` is not None or > 0.
    """

    def __init__(
        self, store: BaseKVStore, min_ttl: TTL, max_ttl: TTL, missing_ttl: TTL = None
    ) -> None:
        super().__init__(store)
        low, high, missing = (
            normalize_ttl(min_ttl),
            normalize_ttl(max_ttl),
            normalize_ttl(missing_ttl),
        )
        if low is None or high is None or low < 0 or high <= 0 or high < low:
            raise ConfigurationError(
                f"TTLClampWrapper needs 0 <= min_ttl <= max_ttl and max_ttl > 0, got "
                f"{min_ttl!r} and {max_ttl!r} (min_ttl=0 sets no lower bound)"
            )
        if missing is not None and missing <= 0:
            # It would store every write without a TTL already expired, i.e. drop it.
            raise ConfigurationError(
                f"missing_ttl must be None or > 0, got {missing_ttl!r}; write missing_ttl=None "
                f"to leave writes without a TTL unexpiring"
            )
        self.min_ttl = low
        self.max_ttl = high
        self.missing_ttl = None if missing is None else min(max(missing, low), high)

    def clamp(self, ttl: TTL) -> float | None:
        """Return the TTL this wrapper writes for a caller's ``ttl``."""
        seconds = normalize_ttl(ttl)
        if seconds is None:
            return self.missing_ttl
        if seconds <= 0:
            return seconds
        return min(max(seconds, self.min_ttl), self.max_ttl)

    async def put(self, collection: str, key: str, value: Value, *, ttl: TTL = None) -> None:
        await self.store.put(collection, key, value, ttl=self.clamp(ttl))

    async def put_many(
        self, collection: str, items: Mapping[str, Value], *, ttl: TTL = None
    ) -> None:
        await self.store.put_many(collection, items, ttl=self.clamp(ttl))

    async def add(self, collection: str, key: str, value: Value, *, ttl: TTL = None) -> bool:
        return await self.store.add(collection, key, value, ttl=self.clamp(ttl))

    async def touch(self, collection: str, key: str, ttl: TTL) -> bool:
        return await self.store.touch(collection, key, self.clamp(ttl))

    async def put_versioned(
        self, collection: str, key: str, value: Value, *, version: str | None, ttl: TTL = None
    ) -> bool:
        return await self.store.put_versioned(
            collection, key, value, version=version, ttl=self.clamp(ttl)
        )

    async def increment(
        self, collection: str, key: str, amount: int = 1, *, ttl: TTL = None
    ) -> int:
        return await self.store.increment(collection, key, amount, ttl=self.clamp(ttl))

    def __repr__(self) -> str:
        return (
            f"TTLClampWrapper({self.store!r}, min_ttl={self.min_ttl!r}, "
            f"max_ttl={self.max_ttl!r}, missing_ttl={self.missing_ttl!r})"
        )
