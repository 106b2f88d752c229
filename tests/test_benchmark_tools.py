"""The measurement tools in ``benchmarks/`` that docs/performance.md cites still run.

They print measurements, so these tests check what they report about the work (how
many statements an exchange sends, that the replay did the exchange's work), never a
time.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _tool(*args: str) -> str:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "examples")}
    done = subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=240,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_statement_floor_replays_the_sqlite_exchange() -> None:
    out = _tool("benchmarks/statement_floor.py", "sqlite", "20")
    # four write transactions (start 4, pause 4, claim 3, last write 4, each with its
    # BEGIN and COMMIT) and the snapshot read (5)
    assert "one pause + resume exchange (20 statements), 20 exchanges" in out
    for row in ("exchange through SqliteCheckpointer", "its statements alone, replayed",
                "stateless exchange (the baseline)", "target: 4x stateless",
                "left for all Python after the statements"):
        assert re.search(rf"{re.escape(row)}\s+-?[\d,]+\.\d µs", out), (row, out)


def test_statement_floor_replays_the_postgres_exchange() -> None:
    out = _tool("benchmarks/statement_floor.py", "postgres", "10")
    # one statement (one round trip) per store operation
    assert "one pause + resume exchange (4 statements), 10 exchanges" in out
    assert re.search(r"its statements alone, async connection\s+[\d,]+\.\d µs", out), out


def test_count_bytecodes_counts_more_for_a_checkpointed_exchange() -> None:
    counts = {}
    for kind in ("stateless", "memory"):
        out = _tool("benchmarks/count_bytecodes.py", kind, "3")
        found = re.match(rf"{kind}: ([\d,]+) bytecodes per exchange", out)
        assert found is not None, out
        counts[kind] = int(found.group(1).replace(",", ""))
    assert counts["stateless"] > 1000
    assert counts["memory"] > counts["stateless"]  # the store's work is counted too
