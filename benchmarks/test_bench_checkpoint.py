"""Checkpointed pause + resume of the seed's draft -> approval -> finalize graph.

Three backends side by side in one run: ``MemoryCheckpointer`` (the baseline),
``SqliteCheckpointer`` on a file (durable: WAL, every superstep committed before the
next one starts) and ``PostgresCheckpointer`` on the local server. Each exchange uses a
new ``workflow_id``: the first ``run`` pauses, the second passes only the answer.

``resume`` rows time the resume alone, on workflows paused beforehand (one per round),
which gives resumes per second of distinct workflows.
"""

from __future__ import annotations

import asyncio
import inspect
import itertools
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from approval_flow import approval, finalize, generate_draft

from hypergraph_typed import AsyncRunner, Graph

PG_DSN = "host=127.0.0.1 port=5432 dbname=test user=postgres"


GRAPH = Graph([generate_draft, approval, finalize])
GRAPH.compile()


def _close(cp: Any) -> None:
    closing = cp.close()
    if inspect.isawaitable(closing):

        async def wait() -> None:
            await closing

        asyncio.run(wait())


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, Any]]:
    from hypergraph_typed.checkpointers import MemoryCheckpointer, SqliteCheckpointer

    if request.param == "memory":
        yield "memory", MemoryCheckpointer()
        return
    if request.param == "sqlite":
        cp: Any = SqliteCheckpointer(tmp_path / "bench.db")
        yield "sqlite", cp
        _close(cp)
        return
    import psycopg

    from hypergraph_typed.checkpointers.postgres import PostgresCheckpointer

    schema = "hgt_bench_" + secrets.token_hex(4)
    cp = PostgresCheckpointer(PG_DSN, schema=schema)
    yield "postgres", cp
    _close(cp)
    with psycopg.connect(PG_DSN, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def test_checkpointed_pause_resume(
    benchmark: Any, backend: tuple[str, Any], loop: asyncio.AbstractEventLoop
) -> None:
    name, cp = backend
    runner = AsyncRunner(checkpointer=cp)
    ids = (f"w{i}" for i in itertools.count())

    async def exchange() -> Any:
        wid = next(ids)
        await runner.run(GRAPH, {"prompt": "typed graphs"}, workflow_id=wid)
        return await runner.run(GRAPH, {"decision": "approved"}, workflow_id=wid)

    benchmark.group = "checkpointed pause+resume"
    benchmark.extra_info.update(case="checkpoint-pause-resume", runner=name, nodes=3)
    result = benchmark(lambda: loop.run_until_complete(exchange()))
    assert result["result"] == "Published: approved"


def test_checkpointed_resume_only(
    benchmark: Any, backend: tuple[str, Any], loop: asyncio.AbstractEventLoop
) -> None:
    name, cp = backend
    runner = AsyncRunner(checkpointer=cp)
    ids = (f"r{i}" for i in itertools.count())

    def setup() -> tuple[tuple[str], dict[str, Any]]:
        wid = next(ids)
        loop.run_until_complete(runner.run(GRAPH, {"prompt": "p"}, workflow_id=wid))
        return (wid,), {}

    def resume(wid: str) -> Any:
        return loop.run_until_complete(
            runner.run(GRAPH, {"decision": "approved"}, workflow_id=wid)
        )

    benchmark.group = "checkpointed resume (distinct workflows)"
    benchmark.extra_info.update(case="checkpoint-resume", runner=name, nodes=2)
    result = benchmark.pedantic(resume, setup=setup, rounds=300, warmup_rounds=20)
    assert result["result"] == "Published: approved"
