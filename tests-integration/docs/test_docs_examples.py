"""Every example in examples/ runs to completion and prints what it promises."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples").glob("*.py"))

EXPECTED_OUTPUT: dict[str, list[str]] = {
    "quickstart.py": [
        "users/ada    -> {'name': 'Ada Lovelace', 'langs': ['python']}",
        "delete sessions/ada -> True; get -> None",
        "now         -> {'code': '424242'}",
        "0.35s later -> None",
        "get_many(ada, bob, eve) -> [{'points': 10}, {'points': 7}, None]",
        "delete_many(ada, bob, eve) -> 2",
        "cached before reading: False",
        "cached after reading:  True",
        "statistics for pages.get: count=3 hit=2 miss=1",
        "get members/ada -> User: Ada, joined 2024-05-17",
        "'joined': '2024-05-17T09:30:00Z'",
        "DeserializationError: stored data is not a valid User (collection 'members', key 'bob')",
        "done",
    ],
}
"""Lines (substrings) each example must print; an example not listed must print something."""


def run_python(script: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run a script with this interpreter, warnings as errors, as a user would from ``cwd``."""
    return subprocess.run(
        [sys.executable, "-W", "error", str(script)],
        cwd=cwd,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_there_is_a_main_example() -> None:
    assert "quickstart.py" in [path.name for path in EXAMPLES]


@pytest.mark.parametrize("example", EXAMPLES, ids=[path.name for path in EXAMPLES])
def test_example_runs(example: Path, tmp_path: Path) -> None:
    result = run_python(example, tmp_path)
    report = f"examples/{example.name} exited {result.returncode}\n{result.stdout}{result.stderr}"
    assert result.returncode == 0, report
    assert result.stderr == "", report
    expected = EXPECTED_OUTPUT.get(example.name)
    if expected is None:
        assert result.stdout.strip(), f"examples/{example.name} printed nothing"
    for line in expected or []:
        assert line in result.stdout, f"examples/{example.name} did not print {line!r}\n{report}"
    # Examples run from a user's checkout: whatever they write goes to temporary directories.
    assert list(tmp_path.iterdir()) == [], f"examples/{example.name} left files in its cwd"
