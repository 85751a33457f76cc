"""What the integration conftests share: free ports, the CI rule for missing servers,
stopping a server process and starting a private PostgreSQL (importable through the
``pythonpath`` pytest setting)."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest


def unavailable(message: str) -> None:
    """Skip when no server of a kind can be had, but fail under CI=true."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"under CI=true a missing server fails the run: {message}")
    pytest.skip(message)


def free_port() -> int:
    """A loopback TCP port nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ServerProcess:
    """A server process the tests started: ``kill()`` it as a crash would, or ``stop()`` it."""

    process: subprocess.Popen[bytes] | None = None

    def kill(self) -> None:
        """SIGKILL the server, as a crash would."""
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None

    def stop(self) -> None:
        """Terminate the server, killing it if it does not exit within 10 seconds."""
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
            self.process = None


def postgres_binaries() -> Path | None:
    """The directory holding Debian's PostgreSQL server binaries (the newest), or None."""
    found = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda path: int(path.parent.parent.name) if path.parent.parent.name.isdigit() else 0,
    )
    return found[-1].parent if found else None


class PostgresProcess(ServerProcess):
    """A private PostgreSQL server on a free loopback port (trust authentication, user
    ``postgres``), in a directory of its own: start, kill, start again, stop.

    ``initdb`` and the server refuse to run as root: as root they run as the ``postgres``
    user that Debian's package creates.
    """

    STARTUP_TIMEOUT = 60.0

    def __init__(self, binaries: Path) -> None:
        self.binaries = binaries
        self.port = free_port()
        self.directory = Path(tempfile.mkdtemp(prefix="kvtest-postgres-"))
        self.data = self.directory / "data"
        self.process: subprocess.Popen[bytes] | None = None
        self._user: str | None = "postgres" if os.geteuid() == 0 else None
        if self._user is not None:
            shutil.chown(self.directory, self._user, self._user)
        subprocess.run(
            [str(binaries / "initdb"), "-D", str(self.data), "-U", "postgres",
             "--auth=trust", "--encoding=UTF8", "--no-sync"],
            check=True, capture_output=True, user=self._user, timeout=120,
        )  # fmt: skip

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def start(self) -> None:
        log = open(self.directory / "server.log", "ab")  # noqa: SIM115 - the server's for its life
        self.process = subprocess.Popen(
            [str(self.binaries / "postgres"), "-D", str(self.data), "-p", str(self.port),
             "-c", "listen_addresses=127.0.0.1", "-c", f"unix_socket_directories={self.directory}",
             "-c", "fsync=off", "-c", "full_page_writes=off", "-c", "max_connections=200"],
            stdout=log, stderr=log, user=self._user,
        )  # fmt: skip
        log.close()
        deadline = time.monotonic() + self.STARTUP_TIMEOUT
        while not self._answers():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.kill()
                tail = (self.directory / "server.log").read_text(errors="replace")[-2000:]
                raise RuntimeError(f"postgres did not start on port {self.port}:\n{tail}")
            time.sleep(0.05)

    def _answers(self) -> bool:
        ready = subprocess.run(
            [str(self.binaries / "pg_isready"), "-q", "-h", "127.0.0.1", "-p", str(self.port)],
            check=False, capture_output=True,
        )  # fmt: skip
        return ready.returncode == 0

    def stop(self) -> None:
        """Shut down fast (SIGINT: open sessions are ended), killing it after 20 seconds."""
        if self.process is not None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
            self.process = None

    def remove(self) -> None:
        """Stop the server and delete its directory."""
        self.stop()
        shutil.rmtree(self.directory, ignore_errors=True)
