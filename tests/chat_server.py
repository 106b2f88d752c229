"""examples/chat_app.py as a real server process, shared by the HTTP and browser tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
STARTUP_DEADLINE_S = 30.0  # only bounds a broken start; a healthy one takes about a second


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Server:
    """``uvicorn chat_app:app`` run from examples/, as the docs say, on a free port.

    ``env`` picks the store (``CHAT_DB`` or ``HYPERGRAPH_DSN``); ``port`` lets a restarted
    server come back where a browser page expects it; ``script=True`` starts it as
    ``python chat_app.py`` instead.
    """

    def __init__(
        self, env: dict[str, str], log: Path, *, port: int | None = None, script: bool = False
    ) -> None:
        self.port = port or free_port()
        self.log = log
        argv = (
            [sys.executable, "chat_app.py"] if script else
            [sys.executable, "-m", "uvicorn", "chat_app:app", "--host", "127.0.0.1",
             "--port", str(self.port)]
        )
        full_env = {**os.environ, **env, "PORT": str(self.port)}
        with log.open("ab") as out:
            self.proc = subprocess.Popen(
                argv, cwd=EXAMPLES, env=full_env, stdout=out, stderr=subprocess.STDOUT,
            )
        self.url = f"http://127.0.0.1:{self.port}"
        self.client = httpx.Client(base_url=self.url, timeout=10)
        self._wait_ready()

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + STARTUP_DEADLINE_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self.stop()
                pytest.fail(f"chat_app exited with {self.proc.returncode}:\n{self.log.read_text()}")
            try:
                if self.client.get("/health").status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.05)
        self.stop()
        pytest.fail(f"chat_app did not answer on port {self.port}:\n{self.log.read_text()}")

    def kill(self) -> None:
        """SIGKILL: no shutdown hook runs, as in a crash."""
        self.client.close()
        self.proc.kill()
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        self.client.close()
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
