"""Checkpointed pause + resume of the draft -> approval -> finalize graph, and its baselines.

One exchange: the first ``run`` pauses at ``approval``, the second passes only the
answer and completes; every exchange uses a new ``workflow_id``. Rows, in one run:

- ``stateless``: the same exchange without a store (pause, then a stateless resume
  that passes the inputs again): the baseline of ``memory`` and ``sqlite``;
- ``memory``, ``sqlite`` (a file on disk), ``postgres`` (the local server);
- ``sqlite-commit`` / ``postgres-commit``: one raw ``INSERT`` committed on the same
  SQLite file / PostgreSQL database (the driver alone): the baseline of ``postgres``,
  whose exchange is bound by its commits;
- ``postgres-commit-async``: the same ``INSERT`` through psycopg's async connection,
  which ``AsyncRunner`` (the runner with interrupts) goes through: what the driver
  alone adds to each of the exchange's round trips.
- ``sqlite-statements`` / ``postgres-statements``: the statements one exchange sends to
  the store, recorded from it and replayed bare on a connection of its own
  (``statement_floor.py``): what the exchange costs the database before any Python,
  reported against the same baseline as the store's row.

Targets (issue "Durable core"): memory <= 1.5x stateless, SQLite <= 4x stateless,
PostgreSQL <= 4x one raw INSERT + COMMIT. ``report.py`` prints the ratios.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import secrets
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from approval_flow import approval, finalize, generate_draft

import statement_floor as floor
from hypergraph_typed import AsyncRunner, Graph

PG_DSN = os.environ.get(
    "HYPERGRAPH_TEST_PG_DSN", "host=127.0.0.1 port=5432 dbname=test user=postgres"
)
GRAPH = Graph([generate_draft, approval, finalize])
GRAPH.compile()
PER_ROUND = 20  # exchanges per round, inside one running event loop
CASE = "checkpoint-pause-resume"


def _info(benchmark: Any, runner: str) -> None:
    benchmark.group = "checkpointed pause+resume (per exchange)"
    benchmark.extra_info.update(case=CASE, runner=runner, nodes=3, per_round=PER_ROUND)


def test_stateless(benchmark: Any, loop: asyncio.AbstractEventLoop) -> None:
    runner = AsyncRunner()

    async def rounds() -> Any:
        result: Any = None
        for _ in range(PER_ROUND):
            paused = await runner.run(GRAPH, {"prompt": "typed graphs"})
            assert paused.pause is not None
            result = await runner.run(
                GRAPH, {"prompt": "typed graphs", paused.pause.response_key: "approved"}
            )
        return result

    _info(benchmark, "stateless")
    result = benchmark(lambda: loop.run_until_complete(rounds()))
    assert result["result"] == "Published: approved"


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, Any]]:
    from hypergraph_typed.checkpointers import MemoryCheckpointer, SqliteCheckpointer

    if request.param == "memory":
        yield "memory", MemoryCheckpointer()
        return
    if request.param == "sqlite":
        cp: Any = SqliteCheckpointer(tmp_path / "bench.db")
        yield "sqlite", cp
        cp.close()
        return
    import psycopg

    from hypergraph_typed.checkpointers.postgres import PostgresCheckpointer

    schema = "hgt_bench_" + secrets.token_hex(4)
    cp = PostgresCheckpointer(PG_DSN, schema=schema)
    yield "postgres", cp
    cp.close()
    with psycopg.connect(PG_DSN, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def test_checkpointed(
    benchmark: Any, store: tuple[str, Any], loop: asyncio.AbstractEventLoop
) -> None:
    name, cp = store
    runner = AsyncRunner(checkpointer=cp)
    ids = (f"w{i}" for i in itertools.count())

    async def rounds() -> Any:
        result: Any = None
        for _ in range(PER_ROUND):
            wid = next(ids)
            await runner.run(GRAPH, {"prompt": "typed graphs"}, workflow_id=wid)
            result = await runner.run(GRAPH, {"decision": "approved"}, workflow_id=wid)
        return result

    _info(benchmark, name)
    result = benchmark(lambda: loop.run_until_complete(rounds()))
    assert result["result"] == "Published: approved"
    if name == "postgres":
        loop.run_until_complete(cp.close())


def test_sqlite_raw_commit(benchmark: Any, tmp_path: Path) -> None:
    """One INSERT + COMMIT on a file set up like the store's (WAL, synchronous=NORMAL)."""
    conn = sqlite3.connect(tmp_path / "raw.db", isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")

    def rounds() -> int:
        for _ in range(PER_ROUND):
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("INSERT INTO t (v) VALUES (?)", ("x",))
            conn.execute("COMMIT")
        return PER_ROUND

    _info(benchmark, "sqlite-commit")
    assert benchmark(rounds) == PER_ROUND
    conn.close()


def test_postgres_raw_commit(benchmark: Any) -> None:
    """One INSERT, committed on its own (autocommit, synchronous_commit as configured)."""
    import psycopg

    table = "hgt_raw_" + secrets.token_hex(4)
    with psycopg.connect(PG_DSN, autocommit=True) as conn:
        conn.execute(f"CREATE TABLE {table} (id BIGSERIAL PRIMARY KEY, v TEXT)")
        try:
            def rounds() -> int:
                for _ in range(PER_ROUND):
                    conn.execute(f"INSERT INTO {table} (v) VALUES (%s)", ("x",))
                return PER_ROUND

            _info(benchmark, "postgres-commit")
            assert benchmark(rounds) == PER_ROUND
        finally:
            conn.execute(f"DROP TABLE {table}")


def test_postgres_raw_commit_async(benchmark: Any, loop: asyncio.AbstractEventLoop) -> None:
    """The same INSERT and COMMIT through psycopg's async connection, in a running loop."""
    import psycopg

    table = "hgt_raw_" + secrets.token_hex(4)

    async def setup() -> Any:
        conn = await psycopg.AsyncConnection.connect(PG_DSN, autocommit=True)
        await conn.execute(f"CREATE TABLE {table} (id BIGSERIAL PRIMARY KEY, v TEXT)")
        return conn

    conn = loop.run_until_complete(setup())

    async def rounds() -> int:
        for _ in range(PER_ROUND):
            await conn.execute(f"INSERT INTO {table} (v) VALUES (%s)", ("x",))
        return PER_ROUND

    try:
        _info(benchmark, "postgres-commit-async")
        assert benchmark(lambda: loop.run_until_complete(rounds())) == PER_ROUND
    finally:
        loop.run_until_complete(conn.execute(f"DROP TABLE {table}"))
        loop.run_until_complete(conn.close())


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_statements_alone(benchmark: Any, kind: str, tmp_path: Path) -> None:
    """The exchange's own statements, replayed (SQLite: the same file settings;
    PostgreSQL: psycopg's sync connection, as the raw commit row)."""
    names = (f"r{i}" for i in itertools.count())
    if kind == "sqlite":
        path = tmp_path / "floor.db"
        recorded = floor.record_sqlite(path)
        with contextlib.closing(floor.sqlite_connection(path)) as db:
            _run_statements(benchmark, kind, floor.sqlite_replayer(db, recorded), names)
        return
    import psycopg

    schema = "hgt_floor_" + secrets.token_hex(4)
    try:
        recorded = floor.record_postgres(schema)
        with psycopg.connect(PG_DSN, autocommit=True, prepare_threshold=0) as conn:
            _run_statements(benchmark, kind, floor.postgres_replayer(conn, recorded), names)
    finally:
        with psycopg.connect(PG_DSN, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def _run_statements(
    benchmark: Any, kind: str, replay: Any, names: Iterator[str]
) -> None:
    def rounds() -> int:
        for _ in range(PER_ROUND):
            replay(next(names))
        return PER_ROUND

    _info(benchmark, f"{kind}-statements")
    assert benchmark(rounds) == PER_ROUND
