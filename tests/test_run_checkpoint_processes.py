"""Durability across real processes: SIGKILL mid-run, turns in separate processes,
and two processes resuming the same workflow at once (exactly one wins).

Workers are real subprocesses running ``checkpoint_worker.py`` against a SQLite file or
the local PostgreSQL server.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import checkpoint_worker as worker
from hypergraph_typed import AsyncRunner
from hypergraph_typed.checkpointers import StepStatus, WorkflowStatus

WORKER = str(Path(worker.__file__).resolve())
ROOT = Path(__file__).resolve().parent.parent
PATHS = os.pathsep.join(str(ROOT / d) for d in ("src", "examples"))




def spawn(process_store: tuple[str, str], graph: str, wid: str, values: dict[str, Any]) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": PATHS + os.pathsep + os.environ.get("PYTHONPATH", "")}
    return subprocess.Popen(
        [sys.executable, WORKER, process_store[0], process_store[1], graph, wid, json.dumps(values)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )


def outcome(proc: subprocess.Popen[str], timeout: float = 60) -> dict[str, Any]:
    out, err = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, err
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return result


def wait_for(path: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert time.monotonic() < deadline, f"{path.name} never appeared"
        time.sleep(0.01)


def test_sigkill_mid_run_resumes_from_last_committed_step(
    process_store: tuple[str, str], gates: Path
) -> None:
    (gates / "hold").touch()
    proc = spawn(process_store, "job", "job-1", {"x": 1})
    wait_for(gates / "b-started")  # step_a's superstep was committed before step_b began
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL

    cp = worker.open_checkpointer(*process_store)
    try:
        steps = list(cp.steps("job-1"))
        assert [(s.node_name, s.status) for s in steps] == [("step_a", StepStatus.COMPLETED)]
        assert cp.get_run("job-1").status is WorkflowStatus.ACTIVE
        (gates / "hold").unlink()
        result = asyncio.run(AsyncRunner(checkpointer=cp).run(worker.JOB, {}, workflow_id="job-1"))
    finally:
        closing = cp.close()
        if asyncio.iscoroutine(closing):
            asyncio.run(closing)
    assert result.completed and result["c"] == 25  # x=1 was persisted with the run
    assert len(list(gates.glob("a-ran-*"))) == 1  # step_a did not run again


def test_chat_turns_in_two_processes(process_store: tuple[str, str], gates: Path) -> None:
    first = outcome(spawn(process_store, "chat", "chat-1", {"user_input": "Hello!"}))
    assert first["status"] == "paused"
    second = outcome(spawn(process_store, "chat", "chat-1", {"user_input": "And again"}))
    assert second["status"] == "paused"
    messages = second["values"]["messages"]
    assert [m["content"] for m in messages] == [
        "Hello!", "echo: Hello!", "And again", "echo: And again",
    ]
    assert first["pid"] != second["pid"]  # the second turn came from another process


def test_two_processes_resuming_at_once_exactly_one_wins(
    process_store: tuple[str, str], gates: Path
) -> None:
    cp = worker.open_checkpointer(*process_store)
    try:
        paused = asyncio.run(
            AsyncRunner(checkpointer=cp).run(worker.REVIEW, {"prompt": "p"}, workflow_id="rv")
        )
        assert paused.paused
        procs = {d: spawn(process_store, "review", "rv", {"decision": d}) for d in ("alpha", "beta")}
        # let both get as far as they can: into publish, or already out with an error
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            states = [
                (gates / f"entered-{d}").exists() or p.poll() is not None
                for d, p in procs.items()
            ]
            if all(states):
                break
            time.sleep(0.01)
        (gates / "go").touch()
        results = {d: outcome(p) for d, p in procs.items()}
        winners = [d for d, r in results.items() if r.get("status") == "completed"]
        losers = [d for d, r in results.items() if r.get("error") == "ConcurrentRunError"]
        assert len(winners) == 1 and len(losers) == 1, results
        assert "rv" in results[losers[0]]["message"]
        state = cp.state("rv")
        assert state["published"] == f"published with {winners[0]}"
        assert cp.get_run("rv").status is WorkflowStatus.COMPLETED
        finals = [s for s in cp.steps("rv") if s.node_name == "publish"]
        assert len(finals) == 1 and finals[0].values == {"published": state["published"]}
    finally:
        closing = cp.close()
        if asyncio.iscoroutine(closing):
            asyncio.run(closing)
