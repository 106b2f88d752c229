"""Resumes per second of eight processes on one store (SQLite file, PostgreSQL server).

N workflows of the draft -> approval -> finalize graph are paused beforehand; eight
worker processes then resume them, each its own share, one after another, all at once.
The time from "go" to the last worker done gives resumes per second (each resume: read
the run, claim it, run approval and finalize, commit); ``resumes_per_second_to_exit``
counts until the last worker process has exited (closing its store and shutting its
interpreter down), and ``cpu_us_per_resume`` is the workers' own CPU time per resume
(the database server's is not in it). Targets (issue "Durable core"):
at least 5,000/s on SQLite and 2,000/s on PostgreSQL on the 2-core reference machine.
pytest-benchmark times one round (the whole burst); ``resumes_per_second`` is in
``extra_info``.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import resume_worker as worker

PROCESSES = 8
PER_PROCESS = 400
HERE = Path(__file__).resolve().parent
PATHS = os.pathsep.join(str(HERE.parent / d) for d in ("src", "examples", "benchmarks"))


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str]]:
    if request.param == "sqlite":
        yield "sqlite", str(tmp_path / "throughput.db")
        return
    import psycopg

    schema = "hgt_tp_" + secrets.token_hex(4)
    yield "postgres", schema
    with psycopg.connect(worker.PG_DSN, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def _pause_all(backend: tuple[str, str]) -> None:
    async def pause() -> None:
        cp = worker.open_store(*backend)
        runner = worker.AsyncRunner(checkpointer=cp)
        for i in range(PROCESSES * PER_PROCESS):
            await runner.run(worker.GRAPH, {"prompt": "p"}, workflow_id=f"tp-{i}")
        for k in range(PROCESSES):
            await runner.run(worker.GRAPH, {"prompt": "p"},
                             workflow_id=f"warm-{k * PER_PROCESS}")
        await cp.close()

    asyncio.run(pause())


def test_resume_throughput_of_eight_processes(
    benchmark: Any, backend: tuple[str, str], tmp_path: Path
) -> None:
    _pause_all(backend)
    gates = tmp_path / "gates"
    gates.mkdir()
    env = {**os.environ, "PYTHONPATH": PATHS}
    procs = [
        subprocess.Popen(
            [sys.executable, str(HERE / "resume_worker.py"), *backend, str(gates),
             str(k * PER_PROCESS), str(PER_PROCESS)],
            env=env, stderr=subprocess.PIPE, text=True,
        )
        for k in range(PROCESSES)
    ]
    for k in range(PROCESSES):
        while not (gates / f"ready-{k * PER_PROCESS}").exists():
            assert procs[k].poll() is None, procs[k].communicate()[1]
            time.sleep(0.01)

    started: list[float] = []

    def burst() -> float:
        start = time.perf_counter()
        started.append(time.time())  # the workers stamp their end with the same clock
        (gates / "go").touch()
        for p in procs:
            _, err = p.communicate(timeout=600)
            assert p.returncode == 0, err
        return time.perf_counter() - start

    to_exit = benchmark.pedantic(burst, rounds=1, iterations=1)
    total = PROCESSES * PER_PROCESS
    reports = [(gates / f"done-{k * PER_PROCESS}").read_text().split()
               for k in range(PROCESSES)]
    assert sum(int(completed) for completed, _, _ in reports) == total
    elapsed = max(float(done_at) for _, done_at, _ in reports) - started[0]
    cpu = sum(float(seconds) for _, _, seconds in reports)
    rate = total / elapsed
    benchmark.group = "resume throughput, 8 processes"
    benchmark.extra_info.update(
        case="resume-throughput-8", runner=backend[0], resumes=total,
        resumes_per_second=round(rate), resumes_per_second_to_exit=round(total / to_exit),
        cpu_us_per_resume=round(cpu / total * 1e6),
    )
    print(f"\n{backend[0]}: {total} resumes in {elapsed:.2f}s = {rate:.0f} resumes/s "
          f"({total / to_exit:.0f}/s to the last exit; {cpu / total * 1e6:.0f} µs of "
          "worker CPU per resume)")
