"""A backend written for core 0.1 (the template as it was, kept in backend_0_1/) installed
beside core 0.2: its operations still pass the kit, and the atomic operations, which it does
not implement, raise UnsupportedOperationError naming the backend and the operation."""

from __future__ import annotations

from pathlib import Path

import pytest
from kvtest_backends import CORE, KIT, TEST_TOOLS, copy_backend, fresh_venv, run

BACKEND_0_1 = Path(__file__).resolve().parent / "backend_0_1"

CALLS = """
import asyncio
from kvstore.core import ATOMIC_OPERATIONS, UnsupportedOperationError, open_store

async def main():
    store = open_store("acme://")
    await store.put("c", "k", {"v": 1})
    calls = {
        "add": lambda: store.add("c", "new", {"v": 2}),
        "take": lambda: store.take("c", "k"),
        "touch": lambda: store.touch("c", "k", 60),
        "get_versioned": lambda: store.get_versioned("c", "k"),
        "put_versioned": lambda: store.put_versioned("c", "new", {"v": 2}, version=None),
        "increment": lambda: store.increment("c", "n"),
    }
    assert set(calls) == ATOMIC_OPERATIONS
    print(sorted(store.atomic_operations))
    for name, call in sorted(calls.items()):
        try:
            await call()
        except UnsupportedOperationError as exc:
            print(name, "|", exc)
        else:
            print(name, "| no error")
    print(await store.get("c", "k"), await store.get("c", "new"), await store.get("c", "n"))
    info = await store.ttl("c", "k")
    print(info.ttl)

asyncio.run(main())
"""


@pytest.mark.slow
def test_a_backend_written_for_core_0_1_keeps_working_on_core_0_2(tmp_path: Path) -> None:
    declared = (BACKEND_0_1 / "pyproject.toml").read_text()
    assert '"kvstore-core>=0.1,<0.2"' in declared, "backend_0_1 is the template as it was"
    backend = copy_backend(BACKEND_0_1, tmp_path, "acme")
    uv, python = fresh_venv(tmp_path / "venv")
    run(uv, "pip", "install", "--quiet", "--python", python, CORE, KIT, *TEST_TOOLS)
    # Its range says <0.2: installed without dependencies, as a user overriding the range
    # would, so core 0.2 stays.
    run(uv, "pip", "install", "--quiet", "--no-deps", "--python", python, backend)
    versions = run(
        python,
        "-c",
        "from importlib.metadata import version; "
        "print(version('kvstore-core'), version('kvstore-acme'))",
    )
    assert versions.split()[0].startswith("0.2.")
    assert versions.split()[1] == "0.1.0"

    answers = run(python, "-c", CALLS).splitlines()
    assert answers[0] == "[]", "a 0.1 backend declares no atomic operation"
    refused = dict(line.split(" | ", 1) for line in answers[1:7])
    assert sorted(refused) == sorted(
        ["add", "take", "touch", "get_versioned", "put_versioned", "increment"]
    )
    for operation, message in refused.items():
        assert message != "no error", operation
        assert "AcmeStore" in message, message
        assert f"{operation}()" in message, message
    # nothing was read or written by the refused calls
    assert answers[7] == "{'v': 1} None None"
    assert answers[8] == "None"

    report = run(
        python, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", "tests", cwd=backend
    )
    assert " passed" in report and "failed" not in report and "error" not in report
    skips = [line for line in report.splitlines() if line.startswith("SKIPPED")]
    assert any("does not declare add" in line for line in skips), skips
    # the kit checked that each undeclared operation is refused (async and through SyncStore)
    refused_cases = run(
        python,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "-k",
        "test_undeclared_atomic_operation_is_refused",
        "tests",
        cwd=backend,
    )
    assert "12 passed" in refused_cases, refused_cases
