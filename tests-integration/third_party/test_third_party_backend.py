"""A third-party backend made from templates/backend installs beside kvstore-core and just works."""

from __future__ import annotations

from pathlib import Path

import pytest
from kvtest_backends import CORE, KIT, ROOT, TEST_TOOLS, copy_backend, fresh_venv, run

TEMPLATE = ROOT / "templates" / "backend"


@pytest.mark.slow
def test_backend_from_the_template_opens_by_url_and_passes_the_kit(tmp_path: Path) -> None:
    backend = copy_backend(TEMPLATE, tmp_path, "acme")
    uv, python = fresh_venv(tmp_path / "venv")
    run(uv, "pip", "install", "--quiet", "--python", python, CORE, KIT, backend, *TEST_TOOLS)

    opened = run(
        python,
        "-c",
        "import sys; from kvstore.core import open_store, registered_schemes; "
        "store = open_store('acme://'); "
        "print(type(store).__name__, 'acme' in registered_schemes(), 'redis' in sys.modules, "
        "sorted(store.atomic_operations) == sorted(__import__('kvstore.core').core."
        "ATOMIC_OPERATIONS))",
    )
    assert opened.split() == ["AcmeStore", "True", "False", "True"]

    report = run(
        python, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", "tests", cwd=backend
    )
    assert " passed" in report and "failed" not in report
    # every atomic case runs: the only atomic skips are of the undeclared-operation case
    skips = [line for line in report.splitlines() if line.startswith("SKIPPED")]
    assert not [line for line in skips if "does not declare" in line], skips
