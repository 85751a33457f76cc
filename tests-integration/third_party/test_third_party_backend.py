"""A third-party backend made from templates/backend installs beside kvstore-core and just works."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "templates" / "backend"


def _copy_template(destination: Path, name: str) -> Path:
    """Copy the template, renaming example/Example to name/Name in paths and contents."""
    target = destination / f"kvstore-{name}"
    for source in TEMPLATE.rglob("*"):
        if source.is_dir() or "__pycache__" in source.parts:
            continue
        relative = Path(
            *(part.replace("example", name) for part in source.relative_to(TEMPLATE).parts)
        )
        text = source.read_text().replace("example", name).replace("Example", name.title())
        (target / relative).parent.mkdir(parents=True, exist_ok=True)
        (target / relative).write_text(text)
    return target


def _run(*command: str | Path, cwd: Path | None = None) -> str:
    result = subprocess.run(
        [str(part) for part in command], cwd=cwd, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, f"{command} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


@pytest.mark.slow
def test_backend_from_the_template_opens_by_url_and_passes_the_kit(tmp_path: Path) -> None:
    uv = shutil.which("uv")
    assert uv is not None, "the integration session installs uv"
    backend = _copy_template(tmp_path, "acme")
    venv = tmp_path / "venv"
    _run(uv, "venv", "--quiet", "--python", sys.executable, venv)
    python = venv / "bin" / "python"
    _run(
        uv,
        "pip",
        "install",
        "--quiet",
        "--python",
        python,
        ROOT / "packages" / "kvstore-core",
        ROOT / "packages" / "kvstore-testing",
        backend,
        "pytest>=8",
        "pytest-asyncio>=0.24",
    )

    opened = _run(
        python,
        "-c",
        "import sys; from kvstore.core import open_store, registered_schemes; "
        "store = open_store('acme://'); "
        "print(type(store).__name__, 'acme' in registered_schemes(), 'redis' in sys.modules)",
    )
    assert opened.split() == ["AcmeStore", "True", "False"]

    report = _run(python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests", cwd=backend)
    assert " passed" in report and "failed" not in report
