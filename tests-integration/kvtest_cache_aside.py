"""Processes calling get_or_set(lease=...) on one shared store, for the integration tests.

Each process is a fresh ``sys.executable`` that opens the store with :func:`open_store`'s
URL (``disk:///dir``, ``redis://...``), waits for a common start time, runs ``callers``
concurrent ``get_or_set`` calls of one key and prints what they returned as JSON. The
factory records each call as a file in ``calls_dir`` (one file per call, named by pid and
a counter), so the test counts calls across processes without asking the store.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

WORKER = r"""
import asyncio, itertools, json, os, sys, time
from pathlib import Path
from kvstore.core import open_store

url, prefix, calls_dir, start_at, callers, seconds, lease, hang = sys.argv[1:]
counter = itertools.count()

async def factory():
    Path(calls_dir, f"{os.getpid()}-{next(counter)}").touch()
    if hang == "1":
        await asyncio.sleep(3600)  # killed while holding the lease
    await asyncio.sleep(float(seconds))
    return {"by": os.getpid()}

async def main():
    options = {"prefix": prefix} if prefix else {}
    async with open_store(url, **options) as store:
        await store.exists("warm-up", "warm-up")  # connections opened before the start
        while time.time() < float(start_at):
            await asyncio.sleep(0.001)
        values = await asyncio.gather(
            *(store.get_or_set("cache", "shared", factory, lease=float(lease))
              for _ in range(int(callers)))
        )
        print(json.dumps(values))

asyncio.run(main())
"""


@dataclass
class Worker:
    """One process running get_or_set calls."""

    process: subprocess.Popen[str]

    def values(self, timeout: float) -> list[dict[str, int]]:
        """Wait for the process; return the values its callers got."""
        out, err = self.process.communicate(timeout=timeout)
        assert self.process.returncode == 0, err
        values: list[dict[str, int]] = json.loads(out)
        return values

    def kill(self) -> None:
        """SIGKILL the process, as a crash would."""
        self.process.kill()
        self.process.communicate(timeout=10)


def start_workers(
    url: str,
    calls_dir: Path,
    *,
    processes: int,
    callers: int,
    lease: float,
    seconds: float = 0.0,
    prefix: str = "",
    hang: bool = False,
    delay: float = 1.5,
) -> list[Worker]:
    """Start ``processes`` workers that begin their calls together ``delay`` seconds from now."""
    start_at = time.time() + delay
    return [
        Worker(
            subprocess.Popen(
                [
                    sys.executable, "-c", WORKER, url, prefix, str(calls_dir), str(start_at),
                    str(callers), str(seconds), str(lease), "1" if hang else "0",
                ],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
        for _ in range(processes)
    ]  # fmt: skip


def first_call(calls_dir: Path, timeout: float) -> None:
    """Wait until some worker's factory has been called."""
    deadline = time.monotonic() + timeout
    while not calls(calls_dir):
        if time.monotonic() > deadline:
            raise AssertionError(f"no factory was called within {timeout} seconds")
        time.sleep(0.01)


def calls(calls_dir: Path) -> list[str]:
    """The factory calls recorded so far, as ``pid-n`` names."""
    return sorted(path.name for path in calls_dir.iterdir())
