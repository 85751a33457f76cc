"""Wrappers stacked on wrappers run the whole conformance kit."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import pytest

from kvstore.core import BaseKVStore
from kvstore.core.stores import SimpleStore
from kvstore.core.wrappers import (
    CompressionWrapper,
    EncryptionWrapper,
    FallbackWrapper,
    LimitSizeWrapper,
    LoggingWrapper,
    PassthroughCacheWrapper,
    PrefixCollectionWrapper,
    PrefixKeyWrapper,
    ReadOnlyWrapper,
    RetryWrapper,
    SingleCollectionWrapper,
    StatisticsWrapper,
    TimeoutWrapper,
    TTLClampWrapper,
)
from kvstore.testing import Capabilities, FlakyStore, StoreConformance

KEY_1 = bytes(range(32))
KEY_2 = bytes(range(100, 132))


class TestProductionChain(StoreConformance):
    """Logging, read-only switch, fallback, retry, timeout, size limit, compression, encryption.

    The store of record drops every eleventh read; the retries hide that, so the
    fallback (empty) is never consulted.
    """

    @pytest.fixture
    async def store(self, debug_logger: logging.Logger) -> AsyncIterator[BaseKVStore]:
        sealed = EncryptionWrapper(FlakyStore(fail_every=11), keys=[KEY_2, KEY_1])
        limited = LimitSizeWrapper(CompressionWrapper(sealed, min_size=100), 2_000_000)
        retried = RetryWrapper(TimeoutWrapper(limited, 5.0), base_delay=0.001, max_delay=0.002)
        fallback = FallbackWrapper(retried, SimpleStore(max_entries=None))
        async with LoggingWrapper(ReadOnlyWrapper(fallback, read_only=False), debug_logger) as s:
            yield s


class TestWrapperChain(StoreConformance):
    """Statistics over a TTL clamp over a cached, prefixed, single-collection store."""

    capabilities = Capabilities(max_ttl=86_400)

    @pytest.fixture
    async def store(self) -> AsyncIterator[BaseKVStore]:
        primary = SingleCollectionWrapper(
            PrefixCollectionWrapper(SimpleStore(max_entries=None), "app"), "all"
        )
        cached = PassthroughCacheWrapper(primary, PrefixKeyWrapper(SimpleStore(), "c"))
        async with StatisticsWrapper(TTLClampWrapper(cached, 0.01, 86_400)) as store:
            yield store
