"""Four processes race the atomic operations on one cache directory.

Each process runs its own event loop and SQLite connection; only SQLite's write lock (one
transaction per call) keeps the operations atomic between them.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from kvstore.disk import DiskStore

pytestmark = pytest.mark.slow

PROCESSES = 4
ROUNDS = 50
INCREMENTS = 200

_RACER = """
import asyncio, json, sys, time
from kvstore.disk import DiskStore

async def main(directory, me, start_at, rounds, increments):
    async with DiskStore(directory) as store:
        while time.time() < start_at:  # start together
            await asyncio.sleep(0.001)
        added, taken, won, lost = [], [], [], []
        for n in range(rounds):
            added.append(await store.add("race", f"lease{n}", {"owner": me}, ttl=60))
            value = await store.take("race", f"token{n}")
            if value is not None:
                taken.append(value["n"])
            # Read-modify-write of one shared document: each version read is written over
            # by exactly one process, and no write is lost.
            seen = await store.get_versioned("race", "doc")
            new = {"writes": seen.value["writes"] + 1}
            if await store.put_versioned("race", "doc", new, version=seen.version):
                won.append(seen.version)
            else:
                lost.append(seen.version)
        for _ in range(increments):
            await store.increment("race", "count", ttl=60)
        print(json.dumps({"added": added, "taken": taken, "won": won, "lost": lost}))

asyncio.run(main(sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]),
                 int(sys.argv[5])))
"""


def _race(directory: Path) -> list[dict[str, list[Any]]]:
    """Run the racers together on ``directory``; return what each one reports."""
    start_at = time.time() + 2
    racers = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                _RACER,
                str(directory),
                *map(str, (me, start_at, ROUNDS, INCREMENTS)),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for me in range(PROCESSES)
    ]
    reports = []
    for racer in racers:
        out, err = racer.communicate(timeout=180)
        assert racer.returncode == 0, err
        reports.append(json.loads(out))
    return reports


async def test_four_processes_race_every_atomic_operation(tmp_path: Path) -> None:
    async with DiskStore(tmp_path) as store:
        await store.put_many("race", {f"token{n}": {"n": n} for n in range(ROUNDS)})
        await store.put("race", "doc", {"writes": 0})
    reports = _race(tmp_path)

    for n in range(ROUNDS):
        # add: exactly one process created each lease.
        assert sum(report["added"][n] for report in reports) == 1, f"lease{n}"
    # put_versioned: one winner per version; a conflict means someone won that version.
    wins = [version for report in reports for version in report["won"]]
    assert len(wins) == len(set(wins))
    assert {version for report in reports for version in report["lost"]} <= set(wins)
    # take: every token went to exactly one process.
    taken = sorted(n for report in reports for n in report["taken"])
    assert taken == list(range(ROUNDS))
    async with DiskStore(tmp_path) as store:
        # increment: not one lost.
        assert await store.get("race", "count") == {"count": PROCESSES * INCREMENTS}
        # Every winning write counted once: none lost.
        assert await store.get("race", "doc") == {"writes": len(wins)}
        owners = await store.get_many("race", [f"lease{n}" for n in range(ROUNDS)])
        assert all(owner is not None for owner in owners)
        assert await store.keys("race") == sorted(
            ["count", "doc", *(f"lease{n}" for n in range(ROUNDS))]
        )
