"""Four processes race the atomic operations on one index, each with its own client.

The racers build their stores as the fixtures do (``conftest.EsServer``), so they reach the
same server, osmem-server included.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.slow

PROCESSES = 4
ROUNDS = 30
INCREMENTS = 100

_RACER = """
import asyncio, json, sys, time
sys.path[:0] = sys.argv[1].split(":")
from conftest import EsServer

async def main(url, kind, api_key, index, me, start_at, rounds, increments):
    server = EsServer(url=url, kind=kind, api_key=api_key or None)
    store = server.store(index)
    try:
        while time.time() < start_at:  # start together
            await asyncio.sleep(0.001)
        added, taken, won, lost = [], [], [], []
        for n in range(rounds):
            added.append(await store.add("race", f"lease{n}", {"owner": me}, ttl=600))
            value = await store.take("race", f"token{n}")
            if value is not None:
                taken.append(value["n"])
            seen = await store.get_versioned("race", "doc")
            new = {"writes": seen.value["writes"] + 1}
            if await store.put_versioned("race", "doc", new, version=seen.version):
                won.append(seen.version)
            else:
                lost.append(seen.version)
        for _ in range(increments):
            await store.increment("race", "count", ttl=600)
        print(json.dumps({"added": added, "taken": taken, "won": won, "lost": lost}))
    finally:
        await store.close()

args = sys.argv[2:]
asyncio.run(main(args[0], args[1], args[2], args[3], int(args[4]), float(args[5]),
                 int(args[6]), int(args[7])))
"""


def _race(server: Any, index: str) -> list[dict[str, list[Any]]]:
    """Run the racers together against ``index``; return what each one reports."""
    here = Path(__file__).parent
    paths = os.pathsep.join([str(here), str(here.parent)])
    start_at = time.time() + 3
    racers = [
        subprocess.Popen(
            [
                *(sys.executable, "-c", _RACER, paths, server.url, server.kind),
                *(server.api_key or "", index),
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
        out, err = racer.communicate(timeout=300)
        assert racer.returncode == 0, err
        reports.append(json.loads(out))
    return reports


async def test_four_processes_race_every_atomic_operation(
    es_server: Any, index_name: str, es_client: object
) -> None:
    store = es_server.store(index_name)
    await store.put_many("race", {f"token{n}": {"n": n} for n in range(ROUNDS)})
    await store.put("race", "doc", {"writes": 0})

    reports = _race(es_server, index_name)

    for n in range(ROUNDS):
        # add: exactly one process created each lease.
        assert sum(report["added"][n] for report in reports) == 1, f"lease{n}"
    # take: every token went to exactly one process.
    assert sorted(n for report in reports for n in report["taken"]) == list(range(ROUNDS))
    # put_versioned: one winner per version; a conflict means someone won that version.
    wins = [version for report in reports for version in report["won"]]
    assert len(wins) == len(set(wins))
    assert {version for report in reports for version in report["lost"]} <= set(wins)
    # No write lost: every win counted once, every increment once.
    assert await store.get("race", "doc") == {"writes": len(wins)}
    assert await store.get("race", "count") == {"count": PROCESSES * INCREMENTS}
    assert all(await store.get_many("race", [f"lease{n}" for n in range(ROUNDS)]))
    await store.close()
