"""Stores that misbehave on demand, for testing wrappers: failing, slow, and held reads."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from typing import Any

from kvstore.core import BaseKVStore, Payload, TTLInfo
from kvstore.core.errors import StoreConnectionError
from kvstore.core.stores import SimpleStore
from kvstore.core.wrappers import BaseWrapper

Value = dict[str, Any]


class FlakyStore(SimpleStore):
    """A SimpleStore whose primitives fail with StoreConnectionError on demand.

    The next ``failures`` primitive calls fail; with ``fail_every=n``, every n-th call
    to a read primitive fails too. A failing call fails before touching anything, as a
    refused connection does. ``down=True`` fails every call until set back. ``calls``
    counts the primitive calls.
    """

    def __init__(self, failures: int = 0, fail_every: int = 0) -> None:
        super().__init__(max_entries=None)
        self.failures = failures
        self.fail_every = fail_every
        self.down = False
        self.calls = 0
        self.reads = 0

    def _trip(self, reading: bool) -> None:
        self.calls += 1
        if self.down:
            raise StoreConnectionError("test store: connection refused")
        if self.failures > 0:
            self.failures -= 1
            raise StoreConnectionError("test store: connection refused")
        if reading and self.fail_every:
            self.reads += 1
            if self.reads % self.fail_every == 0:
                raise StoreConnectionError("test store: connection reset")

    async def _read(self, collection: str, key: str) -> Payload | None:
        self._trip(reading=True)
        return await super()._read(collection, key)

    async def _read_many(self, collection: str, keys: list[str]) -> list[Payload | None]:
        self._trip(reading=True)
        return [await super(FlakyStore, self)._read(collection, key) for key in keys]

    async def _write(self, collection: str, key: str, payload: str, ttl: float | None) -> None:
        self._trip(reading=False)
        await super()._write(collection, key, payload, ttl)

    async def _write_many(
        self, collection: str, entries: list[tuple[str, str]], ttl: float | None
    ) -> None:
        self._trip(reading=False)
        for key, payload in entries:
            await super()._write(collection, key, payload, ttl)

    async def _remove(self, collection: str, key: str) -> bool:
        self._trip(reading=False)
        return await super()._remove(collection, key)

    async def _remove_many(self, collection: str, keys: list[str]) -> int:
        self._trip(reading=False)
        return sum([await super(FlakyStore, self)._remove(collection, key) for key in keys])

    async def _scan(self, collection: str) -> AsyncIterator[list[str]]:
        self._trip(reading=True)
        async for page in super()._scan(collection):
            yield page

    async def _collections(self) -> list[str]:
        self._trip(reading=True)
        return await super()._collections()

    async def _cull(self) -> None:
        self._trip(reading=False)
        await super()._cull()


class SlowStore(SimpleStore):
    """A SimpleStore whose every primitive first sleeps ``delay`` seconds."""

    def __init__(self, delay: float) -> None:
        super().__init__(max_entries=None)
        self.delay = delay

    async def _read(self, collection: str, key: str) -> Payload | None:
        await asyncio.sleep(self.delay)
        return await super()._read(collection, key)

    async def _write(self, collection: str, key: str, payload: str, ttl: float | None) -> None:
        await asyncio.sleep(self.delay)
        await super()._write(collection, key, payload, ttl)

    async def _remove(self, collection: str, key: str) -> bool:
        await asyncio.sleep(self.delay)
        return await super()._remove(collection, key)

    async def _scan(self, collection: str) -> AsyncIterator[list[str]]:
        await asyncio.sleep(self.delay)
        async for page in super()._scan(collection):
            yield page

    async def _collections(self) -> list[str]:
        await asyncio.sleep(self.delay)
        return await super()._collections()


class ReadGate(BaseWrapper):
    """Forwards everything; while closed, a read holds what it read until the gate opens.

    A read that finishes inside the wrapped store while the gate is closed waits
    before returning its (by then perhaps replaced) result: a slow read, on demand,
    over any store. Writes are never held. Use it in one event loop.
    """

    def __init__(self, store: BaseKVStore) -> None:
        super().__init__(store)
        self._open: asyncio.Event | None = None
        self._held: asyncio.Event | None = None

    def close_gate(self) -> None:
        """Hold every read that finishes from now on."""
        self._open, self._held = asyncio.Event(), asyncio.Event()

    async def read_held(self) -> None:
        """Wait until a read is held at the closed gate."""
        assert self._held is not None, "close_gate() first"
        await self._held.wait()

    def open_gate(self) -> None:
        """Let the held reads return, and hold no more."""
        if self._open is not None:
            self._open.set()
        self._open = self._held = None

    async def _hold(self) -> None:
        opened, held = self._open, self._held
        if opened is not None and held is not None:
            held.set()
            await opened.wait()

    async def get(self, collection: str, key: str) -> Value | None:
        value = await self.store.get(collection, key)
        await self._hold()
        return value

    async def get_with_ttl(self, collection: str, key: str) -> tuple[Value | None, TTLInfo | None]:
        result = await self.store.get_with_ttl(collection, key)
        await self._hold()
        return result

    async def get_many(self, collection: str, keys: Sequence[str]) -> list[Value | None]:
        values = await self.store.get_many(collection, keys)
        await self._hold()
        return values

    async def get_many_with_ttl(
        self, collection: str, keys: Sequence[str]
    ) -> list[tuple[Value | None, TTLInfo | None]]:
        results = await self.store.get_many_with_ttl(collection, keys)
        await self._hold()
        return results
