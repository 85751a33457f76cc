"""What the integration conftests share: free ports, the CI rule for missing servers, and
stopping a server process (importable through the ``pythonpath`` pytest setting)."""

from __future__ import annotations

import os
import socket
import subprocess

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
