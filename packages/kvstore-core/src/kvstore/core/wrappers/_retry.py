"""RetryWrapper: retries operations that fail to reach the store."""

from __future__ import annotations

import asyncio
import math
import random
from typing import Any, TypeVar

from .._base import BaseKVStore
from ..errors import ConfigurationError, StoreConnectionError
from ._around import ITER_KEYS_CONTINUED, Args, AroundWrapper, Call

T = TypeVar("T")


_NOT_REPEATED = frozenset(
    {"close", ITER_KEYS_CONTINUED, "add", "take", "touch", "put_versioned", "increment"}
)
"""Run once: closing twice helps nothing, a later iter_keys page cannot be read again, and
an atomic write whose connection failed may have been applied (see RetryWrapper)."""


class RetryWrapper(AroundWrapper):
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
    count on the retry. ``iter_keys`` is retried only while it reads its first page of
    keys, before any key has reached the caller (restarting later would yield keys
    twice). ``close`` is not retried.

    The atomic operations are not idempotent, so of them only the read,
    ``get_versioned``, is retried. ``add``, ``take``, ``touch``, ``put_versioned`` and
    ``increment`` are tried once, and their StoreConnectionError is raised: it never
    proves that nothing was applied (a timeout, a reset after the command was sent, or
    a driver that retried internally before its reconnection was refused all look
    alike), and applied twice they would answer wrongly or act twice (an ``add`` that
    reports False for the caller's own write, a ``take`` whose value is lost, a count
    added twice). Recover at the application's level, where the meaning is known: read
    again with ``get_versioned``, or make the write its own idempotency key with ``add``.

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

    async def around(
        self, operation: str, collection: str | None, keys: Any, call: Call[T], args: Args
    ) -> T:
        store = self.store
        if operation not in _NOT_REPEATED:
            for retry in range(1, self.attempts):
                try:
                    return await call(store, collection, keys, args)
                except StoreConnectionError:
                    await asyncio.sleep(self.delay(retry))
        return await call(store, collection, keys, args)

    def __repr__(self) -> str:
        return (
            f"RetryWrapper({self.store!r}, attempts={self.attempts!r}, "
            f"base_delay={self.base_delay!r}, max_delay={self.max_delay!r})"
        )
