"""Persistence across processes, several processes on one directory, and SIGKILL mid-write.

Every test here runs real Python processes (``sys.executable``) on one cache directory.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from kvstore.disk import DiskStore
from kvstore.disk import _diskcache_internals as internals

pytestmark = pytest.mark.slow


def _run(code: str, *args: str, timeout: float = 60) -> str:
    """Run ``code`` in a new interpreter and return its stdout (fail on a non-zero exit)."""
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def _integrity(directory: Path) -> str:
    connection = sqlite3.connect(directory / "cache.db")
    try:
        ((verdict,),) = connection.execute("PRAGMA integrity_check").fetchall()
        return str(verdict)
    finally:
        connection.close()


async def test_values_and_ttls_survive_a_new_process(tmp_path: Path) -> None:
    written_at = time.time()
    _run(
        """
        import asyncio, sys
        from kvstore.disk import DiskStore

        async def main():
            async with DiskStore(sys.argv[1]) as store:
                await store.put("users", "ada", {"name": "Ada", "tags": ["math"]})
                await store.put("users", "short", {"v": 1}, ttl=0.3)
                await store.put("users", "long", {"v": 2}, ttl=3600)
                await store.put_many("big", {f"k{n}": {"blob": "x" * 40_000} for n in range(3)})

        asyncio.run(main())
        """,
        str(tmp_path),
    )
    async with DiskStore(tmp_path) as store:
        assert await store.get("users", "ada") == {"name": "Ada", "tags": ["math"]}
        info = await store.ttl("users", "long")
        assert info is not None
        assert info.ttl == 3600
        assert info.expires_at is not None
        assert abs(info.expires_at.timestamp() - (written_at + 3600)) < 30
        assert await store.get_many("big", ["k0", "k2"]) == [{"blob": "x" * 40_000}] * 2
        await asyncio.sleep(0.35)
        assert await store.get("users", "short") is None
        assert await store.list_collections() == ["big", "users"]
    # And back the other way: what this process wrote, a new one reads.
    async with DiskStore(tmp_path) as store:
        await store.put("users", "grace", {"name": "Grace"})
    out = _run(
        """
        import asyncio, json, sys
        from kvstore.disk import DiskStore

        async def main():
            async with DiskStore(sys.argv[1]) as store:
                print(json.dumps(await store.get("users", "grace")))

        asyncio.run(main())
        """,
        str(tmp_path),
    )
    assert json.loads(out) == {"name": "Grace"}


_WORKER = """
import asyncio, sys
from kvstore.disk import DiskStore

async def main(directory, me, count):
    async with DiskStore(directory) as store:
        for n in range(count):
            await store.put("shared", f"p{me}-k{n}", {"p": me, "n": n})
            if n % 10 == 0:
                await store.put_many(
                    "shared", {f"p{me}-b{n}-{i}": {"p": me, "n": n, "i": i} for i in range(30)}
                )
            # Everyone also writes the same hot keys, and reads what the others wrote.
            await store.put("hot", f"h{n % 5}", {"p": me, "n": n})
            await store.get("shared", f"p{(me + 1) % 3}-k{n}")
            if n % 25 == 0:
                await store.delete_many("scratch", [f"s{i}" for i in range(20)])
                await store.put_many("scratch", {f"s{i}": {"p": me} for i in range(20)})

asyncio.run(main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3])))
"""


def _run_workers(directory: Path, processes: int, count: int) -> None:
    """Run ``processes`` workers at once on ``directory`` and wait for all of them."""
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", _WORKER, str(directory), str(me), str(count)],
            stderr=subprocess.PIPE,
            text=True,
        )
        for me in range(processes)
    ]
    for worker in workers:
        _, stderr = worker.communicate(timeout=120)
        assert worker.returncode == 0, stderr


async def test_several_processes_on_one_directory_lose_nothing(tmp_path: Path) -> None:
    count = 200
    _run_workers(tmp_path, 3, count)

    async with DiskStore(tmp_path) as store:
        for me in range(3):
            singles = [f"p{me}-k{n}" for n in range(count)]
            assert await store.get_many("shared", singles) == [
                {"p": me, "n": n} for n in range(count)
            ]
            batched = [f"p{me}-b{n}-{i}" for n in range(0, count, 10) for i in range(30)]
            assert await store.get_many("shared", batched) == [
                {"p": me, "n": n, "i": i} for n in range(0, count, 10) for i in range(30)
            ]
        assert len(await store.keys("shared")) == 3 * (count + count // 10 * 30)
        for value in await store.get_many("hot", [f"h{n}" for n in range(5)]):
            assert value is not None
            assert value["p"] in range(3)
            assert value["n"] >= count - 5
        assert len(await store.keys("scratch")) == 20
    assert _integrity(tmp_path) == "ok"


_WRITER = """
import asyncio, sys
from kvstore.disk import DiskStore

async def main(directory, run):
    store = DiskStore(directory)
    n = 0
    while True:
        value = {"run": run, "n": n}
        if n % 10 == 3:
            value["blob"] = "y" * 40_000  # kept in its own file, not in the row
        await store.put("crash", f"r{run}-k{n}", value)
        if n % 5 == 0:
            await store.put_many(
                "crash", {f"r{run}-b{n}-{i}": {"run": run, "n": n, "i": i} for i in range(40)}
            )
        print(n, flush=True)
        n += 1

asyncio.run(main(sys.argv[1], int(sys.argv[2])))
"""


def _kill_mid_stream(directory: Path, run: int, after: int) -> int:
    """Start a writer, SIGKILL it once ``after`` puts are acknowledged; return the last one."""
    writer = subprocess.Popen(
        [sys.executable, "-c", _WRITER, str(directory), str(run)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert writer.stdout is not None
    acknowledged = -1
    deadline = time.monotonic() + 60
    try:
        for line in writer.stdout:
            acknowledged = int(line)
            if acknowledged >= after or time.monotonic() > deadline:
                break
        # The writer keeps writing until the signal lands: it dies mid-stream.
        os.kill(writer.pid, signal.SIGKILL)
    finally:
        writer.wait(timeout=30)
        writer.stdout.close()
        assert writer.stderr is not None
        writer.stderr.close()
    assert writer.returncode == -signal.SIGKILL
    return acknowledged


async def test_sigkill_mid_stream_loses_no_acknowledged_put(tmp_path: Path) -> None:
    for run, after in enumerate((150, 97, 233)):
        acknowledged = _kill_mid_stream(tmp_path, run, after)
        assert acknowledged >= after
        assert _integrity(tmp_path) == "ok"
        async with DiskStore(tmp_path) as store:
            for n in range(acknowledged + 1):
                value = await store.get("crash", f"r{run}-k{n}")
                expected: dict[str, object] = {"run": run, "n": n}
                if n % 10 == 3:
                    expected["blob"] = "y" * 40_000
                assert value == expected, f"run {run}: acknowledged put {n} was lost"
            batches = [f"r{run}-b{n}-{i}" for n in range(0, acknowledged + 1, 5) for i in range(40)]
            assert None not in await store.get_many("crash", batches)
            # The directory stays fully usable after the crash.
            await store.put("crash", "after", {"ok": True})
            assert await store.get("crash", "after") == {"ok": True}


def _use_in_forked_child(store: DiskStore) -> int | None:
    """Fork; the child writes through the store (worker thread included); return its exit code."""
    pid = os.fork()
    if pid == 0:  # the child: report through the exit code only
        code = 1
        try:

            async def child() -> None:
                # Reads first: the parent's loop thread read inline before the fork, and its
                # connection must not be the one the child reads on.
                assert await store.get("parent", "k7") == {"n": 7}
                assert await store.get_versioned("parent", "k8") is not None
                assert store._home_sql is not None
                assert store._home_sql.__self__ is internals.connection(store.cache)  # type: ignore[attr-defined]
                await store.put("forked", "single", {"v": 1})
                await store.put_many("forked", {f"k{n}": {"n": n} for n in range(200)})
                assert len(await store.keys("forked")) == 201

            asyncio.run(child())
            code = 0
        finally:
            os._exit(code)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        time.sleep(0.05)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    return None


@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
async def test_a_forked_child_can_use_the_store(tmp_path: Path) -> None:
    async with DiskStore(tmp_path) as store:
        # The parent's worker thread exists when the process forks.
        await store.put_many("parent", {f"k{n}": {"n": n} for n in range(200)})
        assert await store.get("parent", "k7") == {"n": 7}  # an inline read before the fork
        assert _use_in_forked_child(store) == 0, "the child failed or hung"
        assert len(await store.keys("forked")) == 201
        assert len(await store.keys("parent")) == 200
