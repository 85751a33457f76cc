"""Atomic operations raced from several processes, each with its own store on the same backend.

``race(url, options, phases)`` starts ``processes`` fresh interpreters (``spawn``: no state
inherited from the test's event loop or connections); each opens its own store with
``kvstore.core.open_store(url, **options)``. For each phase ``Phase(operation, collection, key,
rounds)`` in turn, all processes wait at a barrier so they start together, then each runs
``tasks`` concurrent tasks calling ``operation`` ``rounds`` times on the phase's key. It
returns, per phase, what every call returned (starting interpreters is the slow part, so one
set of processes runs every phase). Importable by the backends' integration tests (the
``pythonpath`` pytest setting puts this directory on ``sys.path``, which ``spawn`` hands to the
children).
"""

from __future__ import annotations

import asyncio
import multiprocessing
import queue
from typing import Any, NamedTuple

from kvstore.core import open_store

START_TIMEOUT = 120.0
"""Seconds the processes may take to start (importing the backend) and meet at the barrier."""

OPERATIONS = ("add", "take", "increment")


class Phase(NamedTuple):
    """One race: every task of every process calls ``operation`` on one key ``rounds`` times."""

    operation: str
    collection: str
    key: str
    rounds: int = 1


async def _calls(
    url: str, options: dict[str, Any], phases: list[Phase], tasks: int, barrier: Any
) -> list[list[Any]]:
    store = open_store(url, **options)
    try:
        await store.exists("warm-up", "warm-up")  # connect (and discover a cluster) first

        async def task(phase: Phase, number: int) -> list[Any]:
            collection, key = phase.collection, phase.key
            results = []
            for _ in range(phase.rounds):
                if phase.operation == "add":
                    results.append(await store.add(collection, key, {"by": number}, ttl=60))
                elif phase.operation == "take":
                    results.append(await store.take(collection, key))
                else:
                    results.append(await store.increment(collection, key, ttl=60))
            return results

        found = []
        for phase in phases:
            await asyncio.to_thread(barrier.wait, START_TIMEOUT)
            per_task = await asyncio.gather(*(task(phase, n) for n in range(tasks)))
            found.append([result for results in per_task for result in results])
        return found
    finally:
        await store.close()


def _worker(
    url: str,
    options: dict[str, Any],
    phases: list[Phase],
    tasks: int,
    barrier: Any,
    results: Any,
) -> None:
    try:
        found = asyncio.run(_calls(url, options, phases, tasks, barrier))
        results.put(("ok", found))
    except BaseException as exc:  # reported to the test, which fails with it
        barrier.abort()
        results.put(("error", repr(exc)))


def race(
    url: str,
    options: dict[str, Any],
    phases: list[Phase],
    *,
    processes: int = 4,
    tasks: int = 16,
) -> list[list[Any]]:
    """Run the phases; return, per phase, every call's result from every process.

    Raises:
        AssertionError: a process failed (its error is in the message) or did not report.
    """
    for phase in phases:
        if phase.operation not in OPERATIONS:
            raise ValueError(f"operation must be one of {OPERATIONS}, got {phase.operation!r}")
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(processes)
    results = context.Queue()
    workers = [
        context.Process(target=_worker, args=(url, options, phases, tasks, barrier, results))
        for _ in range(processes)
    ]
    for worker in workers:
        worker.start()
    found: list[list[Any]] = [[] for _ in phases]
    errors: list[str] = []
    try:
        for _ in workers:
            try:
                status, payload = results.get(timeout=START_TIMEOUT)
            except queue.Empty:
                errors.append("a process reported nothing in time")
                break
            if status == "ok":
                for calls, reported in zip(found, payload, strict=True):
                    calls.extend(reported)
            else:
                errors.append(payload)
    finally:
        for worker in workers:
            worker.join(timeout=10)
            if worker.is_alive():
                worker.kill()
                worker.join()
    assert not errors, f"race processes failed: {errors}"
    return found
