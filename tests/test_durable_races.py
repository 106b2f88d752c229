"""Exactly-once resume under concurrency and crashes, with real processes and servers.

* eight processes resume one paused workflow with eight different answers, twenty
  rounds: one answer reaches the downstream node and is stored, the others lose with
  ``ConcurrentRunError`` (threads on one ``MemoryCheckpointer`` do the same in-process);
* the interleavings of the double resume: a resumer whose snapshot went stale, one that
  arrives while another runs, the same answer delivered again after a crash;
* a process SIGKILLed at every point of a run never leaves a run without its inputs,
  never runs a committed step again, and resumes to the uninterrupted result;
* two threads with event loops of their own share one store; a NUL byte in a node
  error is recorded; a PostgreSQL endpoint that never answers fails within the
  connect timeout.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import race_worker as rw
from hypergraph_typed import AsyncRunner, Graph, SyncRunner, node
from hypergraph_typed.checkpointers import (
    MemoryCheckpointer,
    PostgresCheckpointer,
    StepStatus,
    WorkflowStatus,
)
from hypergraph_typed.exceptions import CheckpointStoreError, ConcurrentRunError
from hypergraph_typed.runtime import durable

WORKER = str(Path(rw.__file__).resolve())
ROOT = Path(__file__).resolve().parent.parent
PATHS = os.pathsep.join(str(ROOT / d) for d in ("src", "tests"))
ROUNDS = 20
RACERS = 8




def spawn(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    full = {**os.environ, **(env or {}),
            "PYTHONPATH": PATHS + os.pathsep + os.environ.get("PYTHONPATH", "")}
    return subprocess.Popen(
        [sys.executable, WORKER, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, env=full,
    )


def reported(proc: subprocess.Popen[str], timeout: float = 120) -> dict[str, Any]:
    out, err = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, err
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return result


def lines(gates: Path, name: str) -> list[str]:
    path = gates / name
    return path.read_text().splitlines() if path.exists() else []


def wait_for(path: Path, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert time.monotonic() < deadline, f"{path.name} never appeared"
        time.sleep(0.005)


def pause_review(cp: Any, wid: str) -> None:
    paused = asyncio.run(AsyncRunner(checkpointer=cp).run(rw.REVIEW, {"prompt": "p"},
                                                         workflow_id=wid))
    assert paused.paused and paused.pause is not None


def close(cp: Any) -> None:
    async def shut() -> None:
        await cp.close()

    asyncio.run(shut())


# --- eight resumers, one pause ---------------------------------------------------------------


def _check_round(cp: Any, gates: Path, r: int, outcomes: list[dict[str, Any]]) -> None:
    wins = [o for o in outcomes if o.get("status") == "completed"]
    losses = [o for o in outcomes if o.get("error") == "ConcurrentRunError"]
    assert len(wins) == 1 and len(losses) == RACERS - 1, (r, outcomes)
    answer = wins[0]["values"]["decision"]
    assert wins[0]["values"]["published"] == f"published {answer}"
    assert [line for line in lines(gates, "published.log") if line.startswith(f"r{r}:")] \
        == [f"r{r}:{answer}"], (r, outcomes)
    run = cp.get_run(f"race-{r}")
    assert run is not None and run.status is WorkflowStatus.COMPLETED
    assert run.pause is not None and run.pause.answer == {"decision": answer}
    assert cp.state(f"race-{r}")["decision"] == answer


def test_eight_processes_resume_one_pause_and_exactly_one_answer_applies(
    process_store: tuple[str, str], gates: Path
) -> None:
    cp = rw.open_store(*process_store)
    try:
        for r in range(ROUNDS):
            pause_review(cp, f"race-{r}")
        procs = [spawn("race", *process_store, str(i), str(ROUNDS), env={"HGT_ROUND_TAG": "1"})
                 for i in range(RACERS)]
        try:
            for r in range(ROUNDS):
                (gates / "round").write_text(str(r))
                (gates / f"go-{r}").touch()
                # the winner holds in publish until every loser has reported
                deadline = time.monotonic() + 60
                while len(list(gates.glob(f"result-{r}-*.json"))) < RACERS - 1:
                    assert time.monotonic() < deadline, f"round {r}: not {RACERS - 1} losers"
                    time.sleep(0.005)
                (gates / f"release-{r}").touch()
                for i in range(RACERS):
                    wait_for(gates / f"result-{r}-{i}.json")
                outcomes = [json.loads((gates / f"result-{r}-{i}.json").read_text())
                            for i in range(RACERS)]
                _check_round(cp, gates, r, outcomes)
        finally:
            for p in procs:
                _, err = p.communicate(timeout=120)
                assert p.returncode == 0, err
    finally:
        close(cp)


def test_eight_threads_resume_one_pause_on_one_memory_store(
    gates: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HGT_ROUND_TAG", "1")
    cp = MemoryCheckpointer()
    for r in range(ROUNDS):
        pause_review(cp, f"race-{r}")
    for r in range(ROUNDS):
        (gates / "round").write_text(str(r))
        barrier = threading.Barrier(RACERS)
        outcomes: list[dict[str, Any]] = [{} for _ in range(RACERS)]

        def racer(
            i: int, r: int = r, barrier: threading.Barrier = barrier,
            outcomes: list[dict[str, Any]] = outcomes,
        ) -> None:
            async def go() -> dict[str, Any]:
                barrier.wait()
                return await rw.resume(AsyncRunner(checkpointer=cp), f"race-{r}", f"answer-{i}")

            outcomes[i] = asyncio.run(go())

        threads = [threading.Thread(target=racer, args=(i,)) for i in range(RACERS)]
        for t in threads:
            t.start()
        deadline = time.monotonic() + 60
        while sum(1 for o in outcomes if o) < RACERS - 1:  # the winner holds in publish
            assert time.monotonic() < deadline, f"round {r}: not {RACERS - 1} losers"
            time.sleep(0.005)
        (gates / f"release-{r}").touch()
        for t in threads:
            t.join(timeout=60)
        _check_round(cp, gates, r, outcomes)


# --- the interleavings of a double resume --------------------------------------------------


def test_a_resumer_whose_snapshot_went_stale_cannot_claim(
    process_store: tuple[str, str], gates: Path
) -> None:
    """Y reads the paused run, X resumes and completes, then Y claims: refused."""
    cp = rw.open_store(*process_store)
    try:
        pause_review(cp, "w")
        y = spawn("resume", *process_store, "w", "no", "hold-after-load")
        wait_for(gates / "loaded")  # Y holds a snapshot of the paused run
        x = spawn("resume", *process_store, "w", "yes")
        assert reported(x)["status"] == "completed"
        (gates / "release").touch()
        out = reported(y)
        assert out["error"] == "ConcurrentRunError", out
        assert "changed after this call read it" in out["message"]
        assert lines(gates, "published.log") == ["yes"]  # Y ran nothing
        run = cp.get_run("w")
        assert run is not None and run.status is WorkflowStatus.COMPLETED
        assert run.pause is not None and run.pause.answer == {"decision": "yes"}
        assert cp.state("w")["published"] == "published yes"
    finally:
        close(cp)


def test_a_resumer_that_reads_after_another_claimed_is_refused(
    process_store: tuple[str, str], gates: Path
) -> None:
    """X claimed and runs publish; Y reads now (after X's claim, before X wrote anything
    more): a different answer is refused, the same answer too (X is alive)."""
    cp = rw.open_store(*process_store)
    try:
        pause_review(cp, "w")
        (gates / "hold-publish").touch()
        x = spawn("resume", *process_store, "w", "yes")
        wait_for(gates / "publishing-yes")
        other = reported(spawn("resume", *process_store, "w", "no"))
        assert (other["error"], other["type"]) == ("ConcurrentRunError", "AnswerConflictError")
        same = reported(spawn("resume", *process_store, "w", "yes"))
        assert same["error"] == "ConcurrentRunError" and "being resumed right now" in same[
            "message"]
        (gates / "hold-publish").unlink()
        assert reported(x)["status"] == "completed"
        assert lines(gates, "published.log") == ["yes"]
        with pytest.raises(Exception, match="already completed"):
            asyncio.run(AsyncRunner(checkpointer=cp).run(rw.REVIEW, {"decision": "no"},
                                                         workflow_id="w"))
    finally:
        close(cp)


def test_the_same_answer_again_after_a_crash_resumes_once(
    process_store: tuple[str, str], gates: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cp = rw.open_store(*process_store)
    try:
        pause_review(cp, "w")
        (gates / "hold-publish").touch()
        x = spawn("resume", *process_store, "w", "yes")
        wait_for(gates / "publishing-yes")
        x.send_signal(signal.SIGKILL)
        x.wait(timeout=60)
        (gates / "hold-publish").unlink()
        run = cp.get_run("w")
        assert run is not None and run.status is WorkflowStatus.ACTIVE  # the crash left it so
        assert run.pause is not None and run.pause.answer == {"decision": "yes"}
        runner = AsyncRunner(checkpointer=cp)
        with pytest.raises(ConcurrentRunError, match="different value"):
            asyncio.run(runner.run(rw.REVIEW, {"decision": "no"}, workflow_id="w"))
        with pytest.raises(ConcurrentRunError, match="idle for 30s"):
            asyncio.run(runner.run(rw.REVIEW, {"decision": "yes"}, workflow_id="w"))
        monkeypatch.setattr(durable, "STALE_AFTER", durable.timedelta(0))
        result = asyncio.run(runner.run(rw.REVIEW, {"decision": "yes"}, workflow_id="w"))
        assert result.completed and result["published"] == "published yes"
        # publish ran in the killed process (its step was never committed) and once more
        assert lines(gates, "published.log") == ["yes", "yes"]
        assert cp.get_run("w").pause.answer == {"decision": "yes"}  # type: ignore[union-attr]
        with pytest.raises(Exception, match="already completed"):
            asyncio.run(runner.run(rw.REVIEW, {"decision": "yes"}, workflow_id="w"))
    finally:
        close(cp)


# --- SIGKILL at every point of a run ----------------------------------------------------------


def _kill_points() -> list[tuple[str, float]]:
    """Where to kill: inside each step (the step kills itself), and at random times."""
    rng = __import__("random").Random(7)
    return [("s0", 0.0), ("s1", 0.0), ("s2", 0.0), ("s3", 0.0), ("s4", 0.0)] + [
        ("timer", rng.uniform(0.0, 0.6)) for _ in range(4)
    ]


def test_sigkill_anywhere_never_loses_inputs_nor_reruns_a_committed_step(
    process_store: tuple[str, str], gates: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cp = rw.open_store(*process_store)
    try:
        for k, (where, delay) in enumerate(_kill_points()):
            wid = f"chain-{k}"
            log = f"chain-{k}.log"
            monkeypatch.setenv("HGT_CHAIN_LOG", log)  # the resume below logs there too
            env = {"HGT_CHAIN_LOG": log}
            if where != "timer":
                env["HGT_KILL_IN"] = where
            proc = spawn("chain", *process_store, wid, env=env)
            if where == "timer":
                time.sleep(delay)
                proc.send_signal(signal.SIGKILL)
            proc.communicate(timeout=120)
            run = cp.get_run(wid)
            if run is None:  # killed before the run was created: nothing to see
                assert lines(gates, log) == [], where
                continue
            assert cp.get_inputs(wid) == {"v0": 1}, (where, "a run must never lack inputs")
            if proc.returncode == 0:
                assert run.status is WorkflowStatus.COMPLETED
            if run.status is WorkflowStatus.COMPLETED:  # (killed, if at all, after its last write)
                assert lines(gates, log) == ["s0", "s1", "s2", "s3", "s4"], where
                continue
            committed = {s.node_name for s in cp.steps(wid) if s.status is StepStatus.COMPLETED}
            result = asyncio.run(AsyncRunner(checkpointer=cp).run(rw.CHAIN, {},
                                                                  workflow_id=wid))
            assert result.completed, (where, result.error)
            assert {k: result[k] for k in rw.CHAIN_RESULT} == rw.CHAIN_RESULT
            ran = lines(gates, log)
            for step in ("s0", "s1", "s2", "s3", "s4"):
                if step in committed:  # its step was written: it never runs again
                    assert ran.count(step) == 1, (where, step, committed, ran)
                else:  # killed inside it or before it: it runs (again) on resume
                    assert ran.count(step) in (1, 2), (where, step, committed, ran)
    finally:
        close(cp)


# --- threads, NUL bytes, a silent server ------------------------------------------------------


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def any_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    if request.param == "memory":
        yield MemoryCheckpointer()
        return
    if request.param == "sqlite":
        cp: Any = rw.open_store("sqlite", str(tmp_path / "t.db"))
        yield cp
        close(cp)
        return
    import psycopg

    schema = "hgt_thr_" + secrets.token_hex(5)
    cp = rw.open_store("postgres", schema)
    yield cp
    close(cp)
    with psycopg.connect(rw.PG_DSN, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def test_two_threads_with_their_own_event_loops_share_one_store(
    any_store: Any, gates: Path
) -> None:
    done: dict[str, list[str]] = {"a": [], "b": []}
    errors: list[BaseException] = []

    def worker(tag: str) -> None:
        async def many() -> None:
            runner = AsyncRunner(checkpointer=any_store)
            for i in range(15):
                wid = f"{tag}-{i}"
                paused = await runner.run(rw.REVIEW, {"prompt": wid}, workflow_id=wid)
                assert paused.paused
                result = await runner.run(rw.REVIEW, {"decision": wid}, workflow_id=wid)
                assert result["published"] == f"published {wid}"
                done[tag].append(wid)

        try:
            asyncio.run(many())
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(tag,)) for tag in done]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
        assert not t.is_alive(), "a thread hung"
    assert errors == []
    assert {r.id for r in any_store.runs(limit=None)} == set(done["a"]) | set(done["b"])
    assert all(r.status is WorkflowStatus.COMPLETED for r in any_store.runs(limit=None))


@node(output_name="out")
def broken(x: int) -> int:
    raise ValueError("bad\x00byte and \udcff")


def test_a_nul_byte_in_a_node_error_is_recorded(any_store: Any) -> None:
    graph = Graph([broken])
    for runner in (SyncRunner(checkpointer=any_store), AsyncRunner(checkpointer=any_store)):
        wid = f"nul-{type(runner).__name__}"
        call = runner.run(graph, {"x": 1}, workflow_id=wid, error_handling="continue")
        result = asyncio.run(call) if asyncio.iscoroutine(call) else call
        assert result.failed and isinstance(result.error, ValueError)
        assert str(result.error) == "bad\x00byte and \udcff"  # the node's own error
        run = any_store.get_run(wid)
        assert run is not None and run.status is WorkflowStatus.FAILED
        (step,) = any_store.steps(wid)
        assert step.status is StepStatus.FAILED
        assert step.error == "ValueError: bad\\0byte and \\udcff"


@pytest.fixture
def silent_server() -> Iterator[tuple[str, int]]:
    """A TCP endpoint that accepts connections and never says a word."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except OSError:
                continue

    t = threading.Thread(target=accept, daemon=True)
    t.start()
    yield "127.0.0.1", server.getsockname()[1]
    stop.set()
    t.join()
    for s in accepted:
        s.close()
    server.close()


def test_a_silent_server_fails_within_the_connect_timeout(
    silent_server: tuple[str, int],
) -> None:
    host, port = silent_server
    dsn = f"host={host} port={port} dbname=test user=postgres"
    graph = Graph([broken])
    for make in (SyncRunner, AsyncRunner):
        cp = PostgresCheckpointer(dsn, connect_timeout=1)
        start = time.monotonic()
        with pytest.raises(CheckpointStoreError) as info:
            call = make(checkpointer=cp).run(graph, {"x": 1}, workflow_id="w")
            if asyncio.iscoroutine(call):
                asyncio.run(call)
        elapsed = time.monotonic() - start
        assert f"{host}:{port}" in str(info.value) and "within 1s" in str(info.value)
        assert elapsed < 30  # failed rather than hung (a generous guard, not a benchmark)
        close(cp)


def test_the_cli_against_a_silent_server_prints_one_line_naming_it(
    silent_server: tuple[str, int],
) -> None:
    host, port = silent_server
    proc = subprocess.run(
        [sys.executable, "-m", "hypergraph_typed", "runs", "--dsn",
         f"host={host} port={port} dbname=test user=postgres"],  # the default timeout
        capture_output=True, text=True, timeout=120,
        env={**os.environ, "PYTHONPATH": PATHS},
    )
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert f"{host}:{port}" in proc.stderr and "Traceback" not in proc.stderr
