"""Wrappers over MemoryStore: ``python -m benchmarks.bench_wrappers [--before REV]``.

StatisticsWrapper and PrefixCollectionWrapper over a MemoryStore, ``get`` (hits) and
``put``, against the bare MemoryStore. With ``--before REV`` the same two wrappers as they
were at git revision REV run in the same process, interleaved with today's, so a change to
the wrappers is measured as a same-run ratio (their modules are loaded from ``git show``
into today's package: REV's wrappers must import only what today's core still has).
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

from kvstore.core import BaseKVStore
from kvstore.core.wrappers import PrefixCollectionWrapper, StatisticsWrapper
from kvstore.memory import MemoryStore

from ._harness import VALUE, Case, Runner, report, run_cases, sample_keys

COLLECTION = "bench"
PREFILL = 10_000
WRAPPERS = "packages/kvstore-core/src/kvstore/core/wrappers"


def load_wrapper_module(revision: str, name: str) -> ModuleType:
    """Return ``kvstore.core.wrappers.<name>`` as it was at ``revision``, as a fresh module."""
    root = Path(__file__).resolve().parents[1]
    source = subprocess.run(
        ["git", "show", f"{revision}:{WRAPPERS}/{name}.py"],
        cwd=root,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    module_name = f"kvstore.core.wrappers.{name}_at_{revision.replace('-', '_')}"
    spec = importlib.util.spec_from_loader(module_name, loader=None)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    module.__package__ = "kvstore.core.wrappers"
    sys.modules[module_name] = module
    exec(compile(source, f"{revision}:{name}.py", "exec"), module.__dict__)
    return module


def build_cases(ops: int, before: str | None) -> tuple[list[Case], list[BaseKVStore]]:
    """Return the cases and every store they use (to prefill)."""
    makers: dict[str, Callable[[BaseKVStore], BaseKVStore]] = {
        "StatisticsWrapper": StatisticsWrapper,
        "PrefixCollectionWrapper": lambda store: PrefixCollectionWrapper(store, "app"),
    }
    if before is not None:
        old_statistics = load_wrapper_module(before, "_statistics")
        old_prefix = load_wrapper_module(before, "_prefix")
        makers[f"StatisticsWrapper at {before}"] = old_statistics.StatisticsWrapper
        makers[f"PrefixCollectionWrapper at {before}"] = lambda store: (
            old_prefix.PrefixCollectionWrapper(store, "app")
        )
    hits = sample_keys(PREFILL)[:ops]
    writes = sample_keys(ops, prefix="written")
    stores: dict[str, BaseKVStore] = {"MemoryStore": MemoryStore(max_entries=PREFILL * 4)}
    for name, make in makers.items():
        stores[name] = make(MemoryStore(max_entries=PREFILL * 4))

    def getter(store: BaseKVStore) -> Runner:
        async def run() -> int:
            for key in hits:
                await store.get(COLLECTION, key)
            return len(hits)

        return run

    def putter(store: BaseKVStore) -> Runner:
        async def run() -> int:
            for key in writes:
                await store.put(COLLECTION, key, VALUE, ttl=300.0)
            return len(writes)

        return run

    order = sorted(stores, key=lambda name: (name != "MemoryStore", name))
    cases = [
        Case("get hit", "MemoryStore", {name: getter(stores[name]) for name in order}),
        Case("put", "MemoryStore", {name: putter(stores[name]) for name in order}),
    ]
    return cases, list(stores.values())


async def main(ops: int, repetitions: int, before: str | None) -> None:
    cases, stores = build_cases(ops, before)
    keys = sample_keys(PREFILL)
    for store in stores:
        await store.put_many(COLLECTION, dict.fromkeys(keys, VALUE), ttl=300.0)
    await run_cases(cases, repetitions=repetitions)
    print(report(f"Wrappers over MemoryStore ({ops} ops per sample)", cases))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--ops", type=int, default=5_000)
    parser.add_argument("--repetitions", type=int, default=11)
    parser.add_argument("--before", help="also run the wrappers of this git revision")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.ops, arguments.repetitions, arguments.before))
