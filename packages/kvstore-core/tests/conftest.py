"""Fixtures the wrapper tests share."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Iterator

import pytest

from kvstore.core import Payload
from kvstore.core.stores import SimpleStore


@pytest.fixture
def debug_logger() -> Iterator[logging.Logger]:
    """A logger enabled for DEBUG whose records go to a list at ``logger.records``."""
    logger = logging.getLogger(f"kvstore-test-{os.urandom(4).hex()}")
    records: list[logging.LogRecord] = []

    class ListHandler(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    handler = ListHandler()
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    logger.records = records  # type: ignore[attr-defined]
    yield logger
    logger.removeHandler(handler)


class InterleavingStore(SimpleStore):
    """A SimpleStore whose reads and compare-and-set steps first let other tasks run.

    In one event loop, tasks racing through it interleave between every step of an
    operation (as they would between round trips to a server), so a race that a
    non-atomic implementation would lose is actually run, not serialised by chance.
    """

    def __init__(self) -> None:
        super().__init__(max_entries=None)

    async def _read(self, collection: str, key: str) -> Payload | None:
        await asyncio.sleep(0)
        return await super()._read(collection, key)

    async def _write(self, collection: str, key: str, payload: str, ttl: float | None) -> None:
        await asyncio.sleep(0)
        await super()._write(collection, key, payload, ttl)

    async def _read_versioned(self, collection: str, key: str) -> tuple[Payload, str] | None:
        await asyncio.sleep(0)
        return await super()._read_versioned(collection, key)

    async def _write_versioned(
        self, collection: str, key: str, payload: str, ttl: float | None, version: str | None
    ) -> bool:
        await asyncio.sleep(0)
        return await super()._write_versioned(collection, key, payload, ttl, version)

    async def _remove_versioned(self, collection: str, key: str, version: str) -> bool:
        await asyncio.sleep(0)
        return await super()._remove_versioned(collection, key, version)


@pytest.fixture
def interleaving_store() -> SimpleStore:
    """An empty store whose every step yields to other tasks (see InterleavingStore)."""
    return InterleavingStore()
