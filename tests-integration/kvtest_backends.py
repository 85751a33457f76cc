"""Helpers the third-party backend tests share: copy a backend folder, install it in a venv."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORE = ROOT / "packages" / "kvstore-core"
KIT = ROOT / "packages" / "kvstore-testing"
TEST_TOOLS = ("pytest>=8", "pytest-asyncio>=0.24")


def copy_backend(source: Path, destination: Path, name: str) -> Path:
    """Copy a backend made from the template, renaming example/Example to name/Name in
    paths and contents; return the copy's folder."""
    target = destination / f"kvstore-{name}"
    for path in source.rglob("*"):
        inside = path.relative_to(source).parts
        if path.is_dir() or any(part == "__pycache__" or part.startswith(".") for part in inside):
            continue  # caches a local run left behind
        relative = Path(*(part.replace("example", name) for part in path.relative_to(source).parts))
        text = path.read_text().replace("example", name).replace("Example", name.title())
        (target / relative).parent.mkdir(parents=True, exist_ok=True)
        (target / relative).write_text(text)
    return target


def run(*command: str | Path, cwd: Path | None = None) -> str:
    """Run a command; fail the test with its output unless it exits 0; return its stdout."""
    result = subprocess.run(
        [str(part) for part in command], cwd=cwd, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, f"{command} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def fresh_venv(directory: Path) -> tuple[str, Path]:
    """Create a venv in ``directory``; return the uv executable and the venv's python."""
    uv = shutil.which("uv")
    assert uv is not None, "the integration session installs uv"
    run(uv, "venv", "--quiet", "--python", sys.executable, directory)
    return uv, directory / "bin" / "python"
