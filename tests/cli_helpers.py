"""Run ``hypergraph-typed`` as a real subprocess: through a pipe, or on a pseudo-terminal."""

from __future__ import annotations

import os
import pty
import re
import subprocess
import sys
from pathlib import Path

COMMAND = [sys.executable, "-m", "hypergraph_typed.cli"]


def cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*COMMAND, *map(str, args)],
        capture_output=True, text=True, timeout=60, check=False,
    )


def ok(*args: str | Path) -> str:
    proc = cli(*args)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    return proc.stdout


def failure(*args: str | Path) -> str:
    """The error message of a command that must fail with exit code 2 and no output."""
    proc = cli(*args)
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert proc.stdout == ""
    return proc.stderr


def rows(out: str) -> list[list[str]]:
    """The cells of a plain-text table (lines indented by two spaces, split on 2+ spaces)."""
    return [re.split(r"\s{2,}", line.strip()) for line in out.splitlines()
            if line.startswith("  ")]


def on_terminal(*args: str | Path) -> str:
    """What the command prints on a terminal (rich tables, colours), as text."""
    leader, follower = pty.openpty()
    env = {**os.environ, "COLUMNS": "160", "TERM": "xterm-256color"}
    env.pop("NO_COLOR", None)
    proc = subprocess.run(
        [*COMMAND, *map(str, args)],
        stdout=follower, stderr=subprocess.PIPE, env=env, timeout=60, check=False,
    )
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the pty is drained
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    assert proc.returncode == 0, proc.stderr
    return b"".join(chunks).decode("utf-8", "surrogateescape")
