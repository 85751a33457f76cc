"""TimeoutWrapper: bounds the time every operation may take."""

from __future__ import annotations

import asyncio
import math
import sys
from collections.abc import Collection
from typing import Any, TypeVar

from .._base import BaseKVStore
from ..errors import ConfigurationError, StoreConnectionError
from ._around import Args, AroundWrapper, Call

T = TypeVar("T")
_NAMED_KEYS = 5
"""How many keys of a batch a timeout message names."""


def _where(collection: object, keys: object) -> str:
    """Describe what an operation touched, for its timeout message."""
    if collection is None:
        return ""
    where = f" on collection {collection!r}"
    if isinstance(keys, str):
        where += f" key {keys!r}"
    elif isinstance(keys, Collection) and not isinstance(keys, (str, bytes)):
        names = list(keys)
        shown = ", ".join(repr(name) for name in names[:_NAMED_KEYS])
        more = f", ... {len(names)} keys" if len(names) > _NAMED_KEYS else ""
        where += f" keys [{shown}{more}]"
    return where


class TimeoutWrapper(AroundWrapper):
    """Bounds every operation to ``timeout`` seconds; one that takes longer raises.

    A timed-out operation raises StoreConnectionError naming the operation, collection
    and key(s), chained from the ``asyncio.TimeoutError`` (the built-in TimeoutError
    from Python 3.11 on). The operation is cancelled: a write
    that timed out may or may not have reached the store, so treat it as unknown and
    retry or re-read (RetryWrapper over this wrapper retries it, except the atomic
    writes: a timed-out ``add``, ``take``, ``touch``, ``put_versioned`` or ``increment``
    may have been applied, so it is raised, never repeated). ``iter_keys`` bounds
    the wait for each page of keys (up to 100), so a long iteration is not cut short
    while it makes progress. ``close`` is bounded too.

    Args:
        store: the store to wrap.
        timeout: the longest an operation may take, in seconds (finite and > 0).

    Raises:
        ConfigurationError: ``timeout`` is not a finite number > 0.
    """

    def __init__(self, store: BaseKVStore, timeout: float = 5.0) -> None:
        super().__init__(store)
        if (
            isinstance(timeout, bool)
            or not isinstance(timeout, (int, float))
            or not math.isfinite(timeout)
            or timeout <= 0
        ):
            raise ConfigurationError(f"timeout must be a finite number > 0, got {timeout!r}")
        self.timeout = float(timeout)

    async def around(
        self, operation: str, collection: str | None, keys: Any, call: Call[T], args: Args
    ) -> T:
        try:
            if sys.version_info >= (3, 11):
                # A timeout scope costs far less than wait_for's extra task per call.
                async with asyncio.timeout(self.timeout):
                    return await call(self.store, collection, keys, args)
            return await asyncio.wait_for(call(self.store, collection, keys, args), self.timeout)
        except asyncio.TimeoutError as exc:
            raise StoreConnectionError(
                f"{operation}{_where(collection, keys)} timed out after {self.timeout:g}s"
            ) from exc

    def __repr__(self) -> str:
        return f"TimeoutWrapper({self.store!r}, timeout={self.timeout!r})"
