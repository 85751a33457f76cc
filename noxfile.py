"""Every session a developer or CI runs. `nox -t ci` is the README's test command."""

from __future__ import annotations

import os
import sys
import zipfile
from pathlib import Path

import nox
import tomllib

ROOT = Path(__file__).parent
PACKAGES = ROOT / "packages"
PYTHONS = ["3.10", "3.11", "3.12", "3.13"]
DEFAULT_PYTHON = "3.11"
BENCHMARK_PYTHONS = ["3.11", "3.13"]
"""The interpreters benchmark figures are reported on: the default one and the newest."""

nox.options.default_venv_backend = "uv|virtualenv"
nox.options.reuse_existing_virtualenvs = True
nox.options.error_on_missing_interpreters = True


def _expose_pyenv_interpreters() -> None:
    """Put every pyenv-installed CPython on PATH, so `python3.X` resolves for each session."""
    versions = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    if not versions.is_dir():
        return
    extra = [str(path / "bin") for path in sorted(versions.iterdir()) if (path / "bin").is_dir()]
    os.environ["PATH"] = os.pathsep.join([*extra, os.environ.get("PATH", "")])


_expose_pyenv_interpreters()


def _leaves() -> list[str]:
    """The leaf names of every distribution under packages/ (core, testing, memory, ...)."""
    return sorted(
        path.name.removeprefix("kvstore-")
        for path in PACKAGES.iterdir()
        if (path / "pyproject.toml").is_file()
    )


def _pyproject(leaf: str) -> dict:
    return tomllib.loads((PACKAGES / f"kvstore-{leaf}" / "pyproject.toml").read_text())


def _test_requirements(leaf: str) -> list[str]:
    """The `test` dependency group of a distribution's pyproject.toml."""
    return list(_pyproject(leaf).get("dependency-groups", {}).get("test", []))


def _local_requirements(leaf: str) -> list[str]:
    """Paths of the kvstore distributions `leaf` needs, itself included, installed from here."""
    wanted = {"core", "testing", leaf}
    for requirement in _pyproject(leaf)["project"].get("dependencies", []):
        if requirement.startswith("kvstore-"):
            name = requirement.split("[")[0].split(">")[0].split("<")[0].split("=")[0]
            wanted.add(name[8:].strip())
    return [str(PACKAGES / f"kvstore-{name}") for name in sorted(wanted)]


_TEST_ENV = {"PYTHONDONTWRITEBYTECODE": "1"}

TEST_WORKERS = "4"
"""pytest-xdist workers per distribution's suite: its tests mostly wait (on TTLs, on racing
tasks, on subprocesses), so four share the machine's two cores well. `-- -n 0` runs them in
one process."""
XDIST = "pytest-xdist>=3.6"


def _pytest(session: nox.Session, *paths: str) -> None:
    """Run a distribution's suite in TEST_WORKERS workers (pytest-xdist must be installed)."""
    session.run("pytest", "-n", TEST_WORKERS, *paths, *session.posargs, env=_TEST_ENV)


@nox.session(python=PYTHONS, tags=["ci"])
@nox.parametrize("leaf", _leaves())
def tests(session: nox.Session, leaf: str) -> None:
    """One distribution's tests, in a virtualenv holding only it and what it declares."""
    session.install(*_local_requirements(leaf), *_test_requirements(leaf), XDIST)
    _pytest(session, f"packages/kvstore-{leaf}/tests")


def _third_party_requirements(leaf: str) -> list[str]:
    """What a distribution declares it needs besides other kvstore distributions, extras
    included (their lowest versions are tested too)."""
    project = _pyproject(leaf)["project"]
    extras = project.get("optional-dependencies", {}).values()
    return [
        requirement
        for requirement in [*project.get("dependencies", []), *(r for e in extras for r in e)]
        if not requirement.startswith("kvstore-")
    ]


@nox.session(python=DEFAULT_PYTHON, tags=["ci"])
@nox.parametrize("leaf", [leaf for leaf in _leaves() if _third_party_requirements(leaf)])
def lowest(session: nox.Session, leaf: str) -> None:
    """One distribution's tests with its dependencies at the lowest versions it declares."""
    third_party = _third_party_requirements(leaf)
    session.install(
        "--reinstall", "--resolution=lowest-direct", *_local_requirements(leaf), *third_party
    )
    session.install(*_test_requirements(leaf), XDIST)
    names = [requirement.split(">")[0].split("[")[0] for requirement in third_party]
    session.run(
        "python",
        "-c",
        f"import importlib.metadata as m; print({{n: m.version(n) for n in {names!r}}})",
    )
    _pytest(session, f"packages/kvstore-{leaf}/tests")


@nox.session(python=DEFAULT_PYTHON, tags=["ci"])
def integration(session: nox.Session) -> None:
    """Tests against real servers, examples and docs; starts the servers it needs."""
    leaves = _leaves()
    requirements = {req for leaf in leaves for req in _test_requirements(leaf)}
    integration_reqs = tomllib.loads((ROOT / "tests-integration" / "requirements.toml").read_text())
    session.install(
        *[str(PACKAGES / f"kvstore-{leaf}") for leaf in leaves],
        *sorted(requirements),
        *integration_reqs["requirements"],
    )
    session.run("python", "-c", "import redis; print('redis-py', redis.__version__)")
    # Arguments replace the default path: `nox -s integration -- tests-integration/redis -x`.
    session.run("pytest", *(session.posargs or ["tests-integration"]), env=_TEST_ENV)


@nox.session(python=DEFAULT_PYTHON)
@nox.parametrize("redis_py", [nox.param("lowest", tags=["ci"]), "newest"])
def redis_versions(session: nox.Session, redis_py: str) -> None:
    """The Redis integration tests (cluster included) on the lowest or the newest redis-py.

    CI runs only the lowest: the integration session, in a fresh virtualenv, already runs
    these tests on the newest."""
    # kvstore-memory: the passthrough tests put a MemoryStore cache in front of Redis.
    session.install(
        *_local_requirements("redis"),
        str(PACKAGES / "kvstore-memory"),
        *_test_requirements("redis"),
    )
    resolution = "lowest-direct" if redis_py == "lowest" else "highest"
    session.install(
        "--reinstall",
        "--upgrade",
        f"--resolution={resolution}",
        *_third_party_requirements("redis"),
    )
    session.run("python", "-c", "import redis; print('redis-py', redis.__version__)")
    session.run("pytest", "tests-integration/redis", *session.posargs, env=_TEST_ENV)


@nox.session(python=DEFAULT_PYTHON, tags=["ci"])
def lint(session: nox.Session) -> None:
    """ruff check and ruff format --check over the whole repository."""
    session.install("ruff>=0.8")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session(python=DEFAULT_PYTHON, tags=["ci"])
def typecheck(session: nox.Session) -> None:
    """mypy in strict mode over every package's src/."""
    leaves = _leaves()
    requirements = {req for leaf in leaves for req in _test_requirements(leaf)}
    session.install("mypy>=1.13", *sorted(requirements))
    session.install("--no-deps", *[str(PACKAGES / f"kvstore-{leaf}") for leaf in leaves])
    sources = [f"packages/kvstore-{leaf}/src/kvstore/{leaf}" for leaf in leaves]
    session.run("mypy", *sources)


@nox.session(python=DEFAULT_PYTHON, tags=["ci"])
def build(session: nox.Session) -> None:
    """Build every wheel and sdist; fail unless each wheel holds only its own leaf."""
    session.install("build>=1.2", "uv")
    dist = ROOT / "dist"
    for leaf in _leaves():
        session.run(
            "python",
            "-m",
            "build",
            "--installer",
            "uv",
            "--outdir",
            str(dist),
            f"packages/kvstore-{leaf}",
            silent=True,
        )
        wheel = max(dist.glob(f"kvstore_{leaf}-*.whl"), key=lambda path: path.stat().st_mtime)
        with zipfile.ZipFile(wheel) as archive:
            strays = [
                name
                for name in archive.namelist()
                if not name.startswith(f"kvstore/{leaf}/") and ".dist-info/" not in name
            ]
        if strays:
            session.error(f"{wheel.name} holds files outside kvstore/{leaf}/: {strays}")
        session.log(f"{wheel.name}: only kvstore/{leaf}/ and dist-info")


@nox.session(python=DEFAULT_PYTHON, tags=["ci"])
def docs(session: nox.Session) -> None:
    """Build the documentation site in strict mode: broken links or missing pages fail."""
    session.install("mkdocs>=1.6", "mkdocs-material>=9.5")
    session.run("mkdocs", "build", "--strict", "--site-dir", str(ROOT / "site"))


@nox.session(python=DEFAULT_PYTHON)
def demo(session: nox.Session) -> None:
    """The README's first command: run the main example on the embedded stores."""
    demo_leaves = [leaf for leaf in ("core", "memory", "disk", "pydantic") if leaf in _leaves()]
    session.install(*[str(PACKAGES / f"kvstore-{leaf}") for leaf in demo_leaves])
    session.run("python", "examples/quickstart.py")


@nox.session(python=BENCHMARK_PYTHONS)
def benchmarks(session: nox.Session) -> None:
    """Side-by-side benchmarks (not part of CI), on each of BENCHMARK_PYTHONS:
    `nox -s benchmarks -- redis`, or one Python: `nox -s benchmarks-3.13 -- redis`."""
    session.install(*[str(PACKAGES / f"kvstore-{leaf}") for leaf in _leaves()])
    session.install("-r", "benchmarks/requirements.txt")
    session.run("python", "-m", "benchmarks", *session.posargs, env={"PYTHONPATH": str(ROOT)})


if __name__ == "__main__":
    sys.exit("run this file with nox")
