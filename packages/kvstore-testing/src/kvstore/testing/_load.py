"""run_load: many concurrent tasks of mixed operations, then a check that no write was lost."""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass, field
from typing import Any

from kvstore.core import BaseKVStore


@dataclass
class LoadReport:
    """What a load run did and found."""

    tasks: int
    operations: int
    seconds: float
    acknowledged_writes: int
    keys_checked: int
    lost_writes: int
    errors: list[str] = field(default_factory=list)

    @property
    def operations_per_second(self) -> float:
        return self.operations / self.seconds if self.seconds else 0.0

    def __str__(self) -> str:
        return (
            f"{self.tasks} tasks, {self.operations} operations in {self.seconds:.1f} s "
            f"({self.operations_per_second:,.0f} ops/s): {len(self.errors)} errors, "
            f"{self.acknowledged_writes} acknowledged writes, {self.keys_checked} keys checked, "
            f"{self.lost_writes} lost"
        )


async def run_load(
    store: BaseKVStore,
    *,
    tasks: int = 256,
    operations: int = 50_000,
    collection: str = "load",
    keys_per_task: int = 20,
    seed: int = 0,
) -> LoadReport:
    """Run ``operations`` mixed operations from ``tasks`` concurrent tasks and check the result.

    Each task owns its keys, so the value every key must hold at the end is known exactly:
    after the run every key is read back and compared with the last write the store
    acknowledged (or with None after an acknowledged delete). Errors are collected, not raised.
    """
    base, extra = divmod(operations, tasks)
    expected: dict[str, dict[str, Any] | None] = {}
    errors: list[str] = []
    acknowledged = 0

    async def worker(task: int) -> None:
        nonlocal acknowledged
        rng = random.Random(seed * 1_000_003 + task)
        keys = [f"t{task}-k{n}" for n in range(keys_per_task)]
        for step in range(base + (task < extra)):
            key = rng.choice(keys)
            roll = rng.random()
            try:
                if roll < 0.35:
                    value = {"task": task, "step": step, "pad": "x" * rng.randrange(0, 64)}
                    await store.put(collection, key, value)
                    expected[key] = value
                    acknowledged += 1
                elif roll < 0.65:
                    await store.get(collection, key)
                elif roll < 0.75:
                    await store.get_many(collection, rng.sample(keys, 5))
                elif roll < 0.85:
                    batch = {
                        k: {"task": task, "step": step, "batch": True} for k in rng.sample(keys, 3)
                    }
                    await store.put_many(collection, batch)
                    expected.update(batch)
                    acknowledged += len(batch)
                elif roll < 0.93:
                    await store.delete(collection, key)
                    expected[key] = None
                    acknowledged += 1
                else:
                    await store.exists(collection, key)
            except Exception as exc:  # the report counts every failure
                errors.append(f"task {task} step {step}: {type(exc).__name__}: {exc}")

    start = time.perf_counter()
    await asyncio.gather(*(worker(task) for task in range(tasks)))
    seconds = time.perf_counter() - start

    lost = 0
    names = sorted(expected)
    for start_index in range(0, len(names), 200):
        chunk = names[start_index : start_index + 200]
        for name, value in zip(chunk, await store.get_many(collection, chunk), strict=True):
            if value != expected[name]:
                lost += 1
    return LoadReport(
        tasks=tasks,
        operations=operations,
        seconds=seconds,
        acknowledged_writes=acknowledged,
        keys_checked=len(names),
        lost_writes=lost,
        errors=errors,
    )
