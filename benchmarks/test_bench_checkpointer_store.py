"""Checkpointer storage latency: memory vs SQLite (file on disk) vs PostgreSQL (loopback).

Storage calls only, no runner: what the runtime pays per superstep and per resume.

- ``commit``: ``commit_run`` of one superstep (one step record, status update).
- ``load``: ``load_run`` of a paused run (run row, 2 steps, 1 input).
- ``pause-resume``: the storage calls of a checkpointed pause+resume of a 3-node graph
  ``write -> review (interrupt) -> publish`` on a fresh workflow, as the runtime makes
  them: start, 2 commits (the first superstep, then the pause), load, claim, 1 commit
  (the answered interrupt and the last superstep with the final status).
- ``async-inline`` vs ``async-to-thread`` (SQLite): ``commit_run_async`` as shipped
  (SQL run inline on the loop) beside the same call pushed to a worker thread, the
  measurement behind running SQLite inline.

PostgreSQL needs the local server (127.0.0.1:5432, database ``test``); override with
``HYPERGRAPH_TEST_PG_DSN``. Each benchmark asserts what was stored, never a timing.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import secrets
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest

from hypergraph_typed.checkpointers import (
    MemoryCheckpointer,
    PauseRecord,
    PostgresCheckpointer,
    SqliteCheckpointer,
    StepRecord,
    StoreCheckpointer,
    WorkflowStatus,
)
from hypergraph_typed.checkpointers.protocol import (
    ClaimRun,
    CommitRun,
    Lease,
    LoadRun,
    StartRun,
)

PG_DSN = os.environ.get(
    "HYPERGRAPH_TEST_PG_DSN", "host=127.0.0.1 port=5432 dbname=test user=postgres"
)
BACKENDS = ["memory", "sqlite", "postgres"]
NOW = datetime(2024, 5, 1, tzinfo=timezone.utc)


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StoreCheckpointer]:
    kind = request.param
    if kind == "memory":
        yield MemoryCheckpointer()
        return
    if kind == "sqlite":
        cp: StoreCheckpointer = SqliteCheckpointer(tmp_path / "bench.db")
        cp.initialize()
        yield cp
        cp.close()
        return
    import psycopg

    schema = "hgt_bench_" + secrets.token_hex(4)
    cp = PostgresCheckpointer(PG_DSN, schema=schema)
    cp.initialize()
    try:
        yield cp
    finally:
        cp.close()
        with psycopg.connect(PG_DSN, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def _kind(store: StoreCheckpointer) -> str:
    return type(store).__name__.removesuffix("Checkpointer").lower()


def _step(wid: str, ss: int, node: str, status: str = "completed", **values: object) -> StepRecord:
    return StepRecord(
        run_id=wid, superstep=ss, node_name=node, index=ss, status=status,
        input_versions={"x": 1}, values=values or None, duration_ms=0.1,
        node_type="FunctionNode", created_at=NOW, completed_at=NOW if values else None,
    )


def _tag(benchmark: object, case: str, backend: str) -> None:
    benchmark.group = f"store-{case}"  # type: ignore[attr-defined]
    benchmark.extra_info.update(store_case=case, backend=backend)  # type: ignore[attr-defined]


def test_store_commit(benchmark: object, store: StoreCheckpointer) -> None:
    _tag(benchmark, "commit", _kind(store))
    lease = store.start_run(StartRun("w", graph_name="bench"))
    counter = itertools.count()

    def commit() -> None:
        nonlocal lease
        ss = next(counter)
        lease = store.commit_run(CommitRun(
            lease, (_step("w", ss, "node", out=ss),), node_count=ss + 1,
        ))

    benchmark(commit)  # type: ignore[operator]
    run = store.get_run("w")
    assert run is not None and run.node_count == next(counter)


def test_store_load_run(benchmark: object, store: StoreCheckpointer) -> None:
    _tag(benchmark, "load", _kind(store))
    lease = store.start_run(StartRun("w", graph_name="bench", inputs={"prompt": "p"}))
    lease = store.commit_run(CommitRun(lease, (_step("w", 0, "write", draft="d"),)))
    store.commit_run(CommitRun(
        lease, (_step("w", 1, "review", "paused"),), status=WorkflowStatus.PAUSED,
        pause=_PAUSE,
    ))
    snap = benchmark(store.load_run, LoadRun("w"))  # type: ignore[operator]
    assert snap is not None and snap.run.status is WorkflowStatus.PAUSED
    assert [s.node_name for s in snap.steps] == ["write", "review"]
    assert snap.inputs == {"prompt": "p"}


_PAUSE = PauseRecord(node_name="review", response_keys={"decision": "decision"}, superstep=1,
                     value="d")


def _pause_resume(store: StoreCheckpointer, wid: str) -> None:
    lease: Lease = store.start_run(StartRun(
        wid, graph_name="review", config={"graph_struct_hash": "s", "graph_code_hash": "c"},
        inputs={"prompt": "p"},
    ))
    lease = store.commit_run(CommitRun(lease, (_step(wid, 0, "write", draft="d"),)))
    store.commit_run(CommitRun(
        lease, (_step(wid, 1, "review", "paused"),), status=WorkflowStatus.PAUSED,
        duration_ms=1.0, node_count=2, error_count=0, pause=_PAUSE, final=True,
    ))
    snap = store.load_run(LoadRun(wid))
    assert snap is not None
    lease = store.claim_run(ClaimRun(wid, snap.run.epoch, snap.run.version, {"decision": "ok"}))
    store.commit_run(CommitRun(
        lease, (_step(wid, 2, "review", decision="ok"), _step(wid, 3, "publish",
                                                              published="d ok")),
        status=WorkflowStatus.COMPLETED, duration_ms=1.0, node_count=4, error_count=0,
        final=True,
    ))


def test_store_pause_resume(benchmark: object, store: StoreCheckpointer) -> None:
    _tag(benchmark, "pause-resume", _kind(store))
    counter = itertools.count()
    benchmark(lambda: _pause_resume(store, f"w{next(counter)}"))  # type: ignore[operator]
    last = f"w{next(counter) - 1}"
    assert store.get_run(last).status is WorkflowStatus.COMPLETED  # type: ignore[union-attr]
    assert store.state(last)["published"] == "d ok"


@pytest.mark.parametrize("mode", ["inline", "to-thread"])
def test_sqlite_async_inline_vs_thread(
    benchmark: object, tmp_path: Path, loop: asyncio.AbstractEventLoop, mode: str
) -> None:
    _tag(benchmark, "async-commit", f"sqlite-{mode}")
    cp = SqliteCheckpointer(tmp_path / "async.db")
    lease = cp.start_run(StartRun("w"))
    counter = itertools.count()

    async def inline() -> None:
        nonlocal lease
        ss = next(counter)
        lease = await cp.commit_run_async(CommitRun(lease, (_step("w", ss, "n", out=ss),)))

    async def to_thread() -> None:
        nonlocal lease
        ss = next(counter)
        lease = await asyncio.to_thread(
            cp.commit_run, CommitRun(lease, (_step("w", ss, "n", out=ss),)))

    call = inline if mode == "inline" else to_thread
    benchmark(lambda: loop.run_until_complete(call()))  # type: ignore[operator]
    assert len(cp.steps("w")) == next(counter)
    cp.close()
