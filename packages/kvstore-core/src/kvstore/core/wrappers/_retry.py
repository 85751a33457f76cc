"""RetryWrapper: retries operations that fail to reach the store."""

from __future__ import annotations

import asyncio
import math
import random
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from typing import TypeVar

from .._base import BaseKVStore, Value
from .._ttl_info import TTLInfo
from .._validation import TTL, check_keys
from ..errors import ConfigurationError, StoreConnectionError
from ._base import BaseWrapper

T = TypeVar("T")


async def close_iterator(iterator: AsyncIterator[str]) -> None:
    """Close an async generator left before its end, so it releases what it holds now."""
    aclose = getattr(iterator, "aclose", None)
    if aclose is not None:
        await aclose()


class RetryWrapper(BaseWrapper):
    """Retries an operation that raises StoreConnectionError, with bounded exponential backoff.

    An operation is tried up to ``attempts`` times in all. Before retry ``n`` (1 for
    the first retry) it sleeps a random delay between 0 and
    ``min(max_delay, base_delay * 2 ** (n - 1))`` seconds ("full jitter", so many
    clients failing together do not retry in step). Only StoreConnectionError is
    retried: bad arguments, SerializationError, DeserializationError and the rest are
    raised at once. When every attempt fails, the last StoreConnectionError is raised.

    Every operation is retried as a whole, including writes: ``put`` and ``put_many``
    are idempotent, but a ``delete``, ``delete_many`` or ``clear_collection`` whose
    first attempt removed entries before its connection failed may report a lower
    count on the retry. ``iter_keys`` is retried only until it has yielded its first
    key (restarting later would yield keys twice). ``close`` is not retried.

    Args:
        store: the store to wrap.
        attempts: how many times an operation is tried in all (an int >= 1).
        base_delay: the cap on the first retry's delay, in seconds (>= 0).
        max_delay: the cap on any retry's delay, in seconds (>= base_delay).

    Raises:
        ConfigurationError: the options are out of range.
    """

    def __init__(
        self,
        store: BaseKVStore,
        attempts: int = 3,
        base_delay: float = 0.05,
        max_delay: float = 1.0,
    ) -> None:
        super().__init__(store)
        if type(attempts) is not int or attempts < 1:
            raise ConfigurationError(f"attempts must be an int >= 1, got {attempts!r}")
        for name, delay in (("base_delay", base_delay), ("max_delay", max_delay)):
            if (
                isinstance(delay, bool)
                or not isinstance(delay, (int, float))
                or not math.isfinite(delay)
                or delay < 0
            ):
                raise ConfigurationError(f"{name} must be a finite number >= 0, got {delay!r}")
        if max_delay < base_delay:
            raise ConfigurationError(
                f"max_delay ({max_delay!r}) must be at least base_delay ({base_delay!r})"
            )
        self.attempts = attempts
        self.base_delay = float(base_delay)
        self.max_delay = float(max_delay)

    def delay(self, retry: int) -> float:
        """Return a random delay, in seconds, to sleep before retry number ``retry`` (from 1)."""
        # The exponent is capped because 2.0 ** n overflows for large n.
        cap = min(self.max_delay, self.base_delay * 2.0 ** min(retry - 1, 64))
        return random.uniform(0, cap)

    async def _retry(self, call: Callable[[], Awaitable[T]]) -> T:
        for retry in range(1, self.attempts):
            try:
                return await call()
            except StoreConnectionError:
                await asyncio.sleep(self.delay(retry))
        return await call()

    async def get(self, collection: str, key: str) -> Value | None:
        return await self._retry(lambda: self.store.get(collection, key))

    async def put(self, collection: str, key: str, value: Value, *, ttl: TTL = None) -> None:
        await self._retry(lambda: self.store.put(collection, key, value, ttl=ttl))

    async def delete(self, collection: str, key: str) -> bool:
        return await self._retry(lambda: self.store.delete(collection, key))

    async def exists(self, collection: str, key: str) -> bool:
        return await self._retry(lambda: self.store.exists(collection, key))

    async def ttl(self, collection: str, key: str) -> TTLInfo | None:
        return await self._retry(lambda: self.store.ttl(collection, key))

    async def get_many(self, collection: str, keys: Sequence[str]) -> list[Value | None]:
        key_list = check_keys(collection, keys)
        return await self._retry(lambda: self.store.get_many(collection, key_list))

    async def put_many(
        self, collection: str, items: Mapping[str, Value], *, ttl: TTL = None
    ) -> None:
        await self._retry(lambda: self.store.put_many(collection, items, ttl=ttl))

    async def delete_many(self, collection: str, keys: Sequence[str]) -> int:
        key_list = check_keys(collection, keys)
        return await self._retry(lambda: self.store.delete_many(collection, key_list))

    async def get_with_ttl(self, collection: str, key: str) -> tuple[Value | None, TTLInfo | None]:
        return await self._retry(lambda: self.store.get_with_ttl(collection, key))

    async def get_many_with_ttl(
        self, collection: str, keys: Sequence[str]
    ) -> list[tuple[Value | None, TTLInfo | None]]:
        key_list = check_keys(collection, keys)
        return await self._retry(lambda: self.store.get_many_with_ttl(collection, key_list))

    async def keys(self, collection: str, *, limit: int | None = None) -> list[str]:
        return await self._retry(lambda: self.store.keys(collection, limit=limit))

    async def iter_keys(self, collection: str) -> AsyncIterator[str]:
        retry = 0
        while True:
            keys = self.store.iter_keys(collection)
            yielded = False
            try:
                async for key in keys:
                    yielded = True
                    yield key
                return
            except StoreConnectionError:
                retry += 1
                if yielded or retry >= self.attempts:
                    raise
            finally:
                await close_iterator(keys)
            await asyncio.sleep(self.delay(retry))

    async def list_collections(self) -> list[str]:
        return await self._retry(self.store.list_collections)

    async def clear_collection(self, collection: str) -> int:
        return await self._retry(lambda: self.store.clear_collection(collection))

    async def cull(self) -> None:
        await self._retry(self.store.cull)

    def __repr__(self) -> str:
        return (
            f"RetryWrapper({self.store!r}, attempts={self.attempts!r}, "
            f"base_delay={self.base_delay!r}, max_delay={self.max_delay!r})"
        )
