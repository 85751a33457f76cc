"""Wrappers stacked on wrappers run the whole conformance kit."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable

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

    The store of record drops every eleventh plain read; the retries hide that, so the
    fallback (empty) is never consulted. A RetryWrapper right over the store retries the
    reads EncryptionWrapper's increment makes (``ttl``): the outer one never retries an
    atomic write, whose failure does not prove it was not applied.
    """

    @pytest.fixture
    async def store(self, debug_logger: logging.Logger) -> AsyncIterator[BaseKVStore]:
        flaky = RetryWrapper(FlakyStore(fail_every=11), base_delay=0.001, max_delay=0.002)
        sealed = EncryptionWrapper(flaky, keys=[KEY_2, KEY_1])
        limited = LimitSizeWrapper(CompressionWrapper(sealed, min_size=100), 2_000_000)
        retried = RetryWrapper(TimeoutWrapper(limited, 5.0), base_delay=0.001, max_delay=0.002)
        fallback = FallbackWrapper(retried, SimpleStore(max_entries=None))
        async with LoggingWrapper(ReadOnlyWrapper(fallback, read_only=False), debug_logger) as s:
            yield s

    # EncryptionWrapper's increment rewrites a live counter through put_versioned with the
    # TTL it had left: its expiry is kept, but ttl() then reports that remainder as its TTL
    # (and the time of the increment as created_at). Exact TTL metadata needs a core
    # primitive that rewrites a value keeping the entry's timing (docs/wrappers-production.md).
    _KEPT_TTL = pytest.mark.xfail(
        reason="EncryptionWrapper.increment keeps a live counter's expiry but reports the "
        "remaining TTL as its ttl (rewritten through put_versioned)",
        strict=True,
    )

    @_KEPT_TTL
    async def test_increment_keeps_the_ttl_of_a_live_counter(self, store: BaseKVStore) -> None:
        await super().test_increment_keeps_the_ttl_of_a_live_counter(store)

    @_KEPT_TTL
    async def test_racing_increments_of_a_counter_with_a_ttl_keep_the_ttl(
        self, store: BaseKVStore
    ) -> None:
        await super().test_racing_increments_of_a_counter_with_a_ttl_keep_the_ttl(store)

    @_KEPT_TTL
    async def test_increment_with_a_ttl_of_zero_or_less(self, store: BaseKVStore) -> None:
        await super().test_increment_with_a_ttl_of_zero_or_less(store)


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


# -- atomic operations through stacked wrappers ---------------------------------------------

RACERS = 64

CHAINS: dict[str, Callable[[BaseKVStore], BaseKVStore]] = {
    "statistics-clamp-prefix-compression": lambda store: StatisticsWrapper(
        TTLClampWrapper(
            PrefixCollectionWrapper(CompressionWrapper(store, min_size=0), "app"), 1, 3600
        )
    ),
    "logging-retry-timeout-encryption-single": lambda store: LoggingWrapper(
        RetryWrapper(
            TimeoutWrapper(
                EncryptionWrapper(SingleCollectionWrapper(store, "all"), keys=[KEY_1]), 5.0
            ),
            base_delay=0.001,
        )
    ),
    "readonly-off-fallback-limit-prefixkey": lambda store: ReadOnlyWrapper(
        FallbackWrapper(LimitSizeWrapper(PrefixKeyWrapper(store, "tenant"), 10_000), SimpleStore()),
        read_only=False,
    ),
    "statistics-passthrough-encryption": lambda store: StatisticsWrapper(
        PassthroughCacheWrapper(EncryptionWrapper(store, keys=[KEY_2]), SimpleStore())
    ),
}
"""Chains of wrappers over a store whose every step lets the other racers run."""


@pytest.mark.parametrize("chain", sorted(CHAINS))
async def test_racing_atomic_operations_through_a_chain_are_exact(
    chain: str, interleaving_store: SimpleStore
) -> None:
    store = CHAINS[chain](interleaving_store)
    assert store.atomic_operations == interleaving_store.atomic_operations

    added = await asyncio.gather(
        *(store.add("jobs", "nightly", {"by": n}, ttl=60) for n in range(RACERS))
    )
    assert added.count(True) == 1
    winner = added.index(True)
    assert await store.get("jobs", "nightly") == {"by": winner}

    counts = await asyncio.gather(*(store.increment("hits", "k", ttl=60) for _ in range(RACERS)))
    assert sorted(counts) == list(range(1, RACERS + 1))
    assert await store.get("hits", "k") == {"count": RACERS}

    await store.put("tokens", "t", {"token": "once"})
    taken = await asyncio.gather(*(store.take("tokens", "t") for _ in range(RACERS)))
    assert [value for value in taken if value is not None] == [{"token": "once"}]
    assert await store.get("tokens", "t") is None

    async def bump() -> int:
        while True:  # the optimistic update of recipes.md
            found = await store.get_versioned("docs", "d")
            assert found is not None
            value = {"edits": found.value["edits"] + 1}
            if await store.put_versioned("docs", "d", value, version=found.version):
                return int(value["edits"])

    await store.put("docs", "d", {"edits": 0})
    edits = await asyncio.gather(*(bump() for _ in range(RACERS)))
    assert sorted(edits) == list(range(1, RACERS + 1))


@pytest.mark.parametrize("chain", sorted(CHAINS))
async def test_mixed_increments_and_takes_through_a_chain_lose_nothing(
    chain: str, interleaving_store: SimpleStore
) -> None:
    # Takers empty the counter while incrementers add to it: every count is either
    # taken exactly once or left in the store at the end.
    store = CHAINS[chain](interleaving_store)

    async def increment() -> None:
        await store.increment("hits", "k", 1)

    async def take() -> int:
        value = await store.take("hits", "k")
        return 0 if value is None else int(value["count"])

    work = [increment() for _ in range(RACERS)]
    takes = [take() for _ in range(RACERS // 4)]
    results = await asyncio.gather(*work, *takes)
    taken = sum(result for result in results if isinstance(result, int))
    left = await store.get("hits", "k")
    assert taken + (0 if left is None else left["count"]) == RACERS
