"""Atomic operations through wrappers: ``python -m benchmarks.bench_wrappers_atomic``.

Over a MemoryStore, what a wrapper adds to ``add`` then ``take`` (a single-use token issued
and redeemed) and to ``increment``, against the bare store in the same run:
StatisticsWrapper (one hook per call), CompressionWrapper (``take`` as a read and a
version-conditional removal; ``increment`` forwarded) and EncryptionWrapper (AES-GCM, and
``increment`` as an optimistic loop of ``get_versioned``, ``ttl`` and ``put_versioned``).
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Callable

from kvstore.core import BaseKVStore
from kvstore.core.wrappers import CompressionWrapper, EncryptionWrapper, StatisticsWrapper
from kvstore.memory import MemoryStore

from ._harness import VALUE, Case, Runner, report, run_cases, sample_keys

COLLECTION = "bench"
KEY = bytes(range(32))


def build_cases(ops: int) -> list[Case]:
    makers: dict[str, Callable[[BaseKVStore], BaseKVStore]] = {
        "MemoryStore": lambda store: store,
        "StatisticsWrapper": StatisticsWrapper,
        "CompressionWrapper": CompressionWrapper,
        "EncryptionWrapper": lambda store: EncryptionWrapper(store, keys=[KEY]),
    }
    stores = {name: make(MemoryStore(max_entries=ops * 4)) for name, make in makers.items()}
    tokens = sample_keys(ops, prefix="token")
    counters = sample_keys(16, prefix="counter")

    def add_take(store: BaseKVStore) -> Runner:
        async def run() -> int:
            for key in tokens:
                await store.add(COLLECTION, key, VALUE, ttl=300.0)
            for key in tokens:
                await store.take(COLLECTION, key)
            return 2 * len(tokens)

        return run

    def increment(store: BaseKVStore) -> Runner:
        async def run() -> int:
            for index in range(ops):
                await store.increment(COLLECTION, counters[index % len(counters)], ttl=300.0)
            return ops

        return run

    return [
        Case("add + take", "MemoryStore", {name: add_take(s) for name, s in stores.items()}),
        Case("increment", "MemoryStore", {name: increment(s) for name, s in stores.items()}),
    ]


async def main(ops: int, repetitions: int) -> None:
    cases = build_cases(ops)
    await run_cases(cases, repetitions=repetitions)
    print(report(f"Atomic operations through wrappers over MemoryStore ({ops} ops)", cases))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--ops", type=int, default=2_000)
    parser.add_argument("--repetitions", type=int, default=7)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.ops, arguments.repetitions))
