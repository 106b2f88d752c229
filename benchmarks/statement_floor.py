"""The statements alone: what one pause + resume exchange costs a store before any Python.

``PYTHONPATH=examples python benchmarks/statement_floor.py [sqlite|postgres] [exchanges]``
(from the repository root) runs the exchange of ``test_bench_checkpoint.py`` through the
store, records the statements (with their parameters) that one exchange sends, replays
them bare on a new connection to the same file or database (a new workflow id each
time), and prints, in one run: the exchange, the statements alone, and the baseline and
budget of the issue's target. What the budget leaves after the statements is all the
Python (runtime, store, driver) both calls may spend. See docs/performance.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import secrets
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from approval_flow import approval, finalize, generate_draft

from hypergraph_typed import AsyncRunner, Graph

PG_DSN = os.environ.get(
    "HYPERGRAPH_TEST_PG_DSN", "host=127.0.0.1 port=5432 dbname=test user=postgres"
)
GRAPH = Graph([generate_draft, approval, finalize])
RECORDED = "floor-recorded-000000"  # the workflow id of the recorded exchange
Statement = tuple[bool, Any, Any]  # (executemany, sql, params)


def _per(seconds: float, n: int) -> float:
    return seconds / n * 1e6


def _renamed(value: Any, wid: str) -> Any:
    """``value`` with the recorded workflow id replaced by ``wid`` (in text too)."""
    if isinstance(value, str):
        return value.replace(RECORDED, wid)
    if isinstance(value, (list, tuple)):
        return type(value)(_renamed(v, wid) for v in value)
    if isinstance(value, dict):
        return {k: _renamed(v, wid) for k, v in value.items()}
    return value


def _exchanges(runner: AsyncRunner, ids: Iterator[str], n: int) -> float:
    """Seconds for ``n`` exchanges (new workflow each) on a new event loop."""
    async def run() -> None:
        for _ in range(n):
            wid = next(ids)
            await runner.run(GRAPH, {"prompt": "p"}, workflow_id=wid)
            result = await runner.run(GRAPH, {"decision": "ok"}, workflow_id=wid)
            assert result["result"] == "Published: ok"

    start = time.perf_counter()
    asyncio.run(run())
    return time.perf_counter() - start


def _stateless(n: int) -> float:
    runner = AsyncRunner()

    async def run() -> None:
        for _ in range(n):
            paused = await runner.run(GRAPH, {"prompt": "p"})
            assert paused.pause is not None
            await runner.run(GRAPH, {"prompt": "p", paused.pause.response_key: "ok"})

    asyncio.run(run())  # warm: past the static region's compile threshold
    start = time.perf_counter()
    asyncio.run(run())
    return time.perf_counter() - start


def _record(recording: Callable[[list[Statement]], Any], open_store: Callable[[], Any]
            ) -> list[Statement]:
    """The statements one exchange sends to the store ``open_store`` opens, as
    ``recording`` (a context manager that logs what the driver executes) sees them."""
    log: list[Statement] = []
    with recording(log):
        cp = open_store()
        try:
            runner = AsyncRunner(checkpointer=cp)
            _exchanges(runner, (f"warm-{i}" for i in itertools.count()), 20)
            log.clear()
            _exchanges(runner, iter([RECORDED]), 1)
            return list(log)
        finally:
            cp.close()


def _store_exchanges(open_store: Callable[[], Any], n: int) -> float:
    """Seconds for ``n`` exchanges through a store ``open_store`` opens, after a warm-up."""
    cp = open_store()
    try:
        runner = AsyncRunner(checkpointer=cp)
        ids = (f"w{i}" for i in itertools.count())
        _exchanges(runner, ids, 100)
        return _exchanges(runner, ids, n)
    finally:
        cp.close()


def _replay(cursor: Callable[[], Any], recorded: list[Statement], wid: str,
            *, fetch: bool) -> None:
    """Execute ``recorded`` as workflow ``wid``, each statement on ``cursor()``."""
    for many, sql, params in recorded:
        cur = cursor()
        if many:
            cur.executemany(sql, _renamed(params, wid))
        else:
            cur.execute(sql, _renamed(params, wid))
            if fetch:
                cur.fetchall()


# --- SQLite -------------------------------------------------------------------------------


@contextlib.contextmanager
def _recording_sqlite(log: list[Statement]) -> Iterator[None]:
    """Connections opened meanwhile record what their cursors execute."""

    class Cursor(sqlite3.Cursor):
        def execute(self, sql: str, params: Any = ()) -> Any:  # type: ignore[override]
            log.append((False, sql, params))
            return super().execute(sql, params)

        def executemany(self, sql: str, params: Any) -> Any:  # type: ignore[override]
            rows = list(params)
            log.append((True, sql, rows))
            return super().executemany(sql, rows)

    class Connection(sqlite3.Connection):
        def cursor(self, factory: Any = Cursor) -> Any:  # type: ignore[override]
            return super().cursor(factory)

    connect = sqlite3.connect
    sqlite3.connect = lambda *a, **k: connect(*a, factory=Connection, **k)  # type: ignore[assignment]
    try:
        yield
    finally:
        sqlite3.connect = connect


def record_sqlite(path: Path) -> list[Statement]:
    """The statements one exchange sends to a ``SqliteCheckpointer`` on ``path``."""
    from hypergraph_typed.checkpointers import SqliteCheckpointer

    return _record(_recording_sqlite, lambda: SqliteCheckpointer(path))


def sqlite_connection(path: Path) -> sqlite3.Connection:
    """A connection to the store's file set up as the store's (WAL is in the file)."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA synchronous=NORMAL")
    return conn


def sqlite_replayer(
    conn: sqlite3.Connection, recorded: list[Statement]
) -> Callable[[str], None]:
    """Replays ``recorded`` as workflow ``wid`` on ``conn`` (see ``sqlite_connection``)."""
    cur = conn.cursor()

    def replay(wid: str) -> None:
        _replay(lambda: cur, recorded, wid, fetch=True)  # fetching steps a SELECT

    replay("check-replay")
    status, steps = cur.execute(
        "SELECT status, (SELECT COUNT(*) FROM steps WHERE run_id = ?) FROM runs WHERE id = ?",
        ("check-replay", "check-replay"),
    ).fetchone()
    assert (status, steps) == ("completed", 4), (status, steps)  # it did the work
    return replay


def sqlite_floor(n: int) -> None:
    from hypergraph_typed.checkpointers import SqliteCheckpointer

    folder = tempfile.TemporaryDirectory()
    path = Path(folder.name) / "floor.db"
    recorded = record_sqlite(path)
    exchange = _store_exchanges(lambda: SqliteCheckpointer(path), n)
    with contextlib.closing(sqlite_connection(path)) as conn:
        statements = _timed(sqlite_replayer(conn, recorded), "r", n)
    folder.cleanup()
    stateless = _stateless(n)
    _print("sqlite", len(recorded), n, [
        ("exchange through SqliteCheckpointer", _per(exchange, n)),
        ("its statements alone, replayed", _per(statements, n)),
        ("stateless exchange (the baseline)", _per(stateless, n)),
    ], budget=4 * _per(stateless, n), budget_name="4x stateless",
        floor=_per(statements, n))


# --- PostgreSQL ---------------------------------------------------------------------------


@contextlib.contextmanager
def _recording_psycopg(log: list[Statement]) -> Iterator[None]:
    """psycopg's async cursors record what they execute meanwhile."""
    import psycopg

    cls: Any = psycopg.AsyncCursor
    execute, executemany = cls.execute, cls.executemany

    async def rec_execute(self: Any, query: Any, params: Any = None, **kw: Any) -> Any:
        log.append((False, query, params))
        return await execute(self, query, params, **kw)

    async def rec_executemany(self: Any, query: Any, params: Any, **kw: Any) -> Any:
        rows = list(params)
        log.append((True, query, rows))
        return await executemany(self, query, rows, **kw)

    cls.execute, cls.executemany = rec_execute, rec_executemany
    try:
        yield
    finally:
        cls.execute, cls.executemany = execute, executemany


def record_postgres(schema: str) -> list[Statement]:
    """The statements one exchange sends to a ``PostgresCheckpointer`` on ``schema``."""
    from hypergraph_typed.checkpointers.postgres import PostgresCheckpointer

    return _record(_recording_psycopg, lambda: PostgresCheckpointer(PG_DSN, schema=schema))


def postgres_replayer(conn: Any, recorded: list[Statement]) -> Callable[[str], None]:
    """Replays ``recorded`` as workflow ``wid`` on psycopg's sync connection ``conn``."""
    def replay(wid: str) -> None:
        _replay(conn.cursor, recorded, wid, fetch=False)  # psycopg fetches by itself

    return replay


def postgres_floor(n: int) -> None:
    import psycopg

    from hypergraph_typed.checkpointers.postgres import PostgresCheckpointer

    schema = "hgt_floor_" + secrets.token_hex(4)
    try:
        recorded = record_postgres(schema)
        exchange = _store_exchanges(lambda: PostgresCheckpointer(PG_DSN, schema=schema), n)
        with psycopg.connect(PG_DSN, autocommit=True, prepare_threshold=0) as conn:
            sync_replay = _timed(postgres_replayer(conn, recorded), "s", n)
        async_replay = asyncio.run(_pg_replay_async(recorded, n))
        raw = _pg_raw_commit(n)
    finally:
        with psycopg.connect(PG_DSN, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    _print("postgres", len(recorded), n, [
        ("exchange through PostgresCheckpointer", _per(exchange, n)),
        ("its statements alone, sync connection", _per(sync_replay, n)),
        ("its statements alone, async connection", _per(async_replay, n)),
        ("raw INSERT + COMMIT (the baseline)", _per(raw, n)),
    ], budget=4 * _per(raw, n), budget_name="4x raw INSERT + COMMIT",
        floor=_per(sync_replay, n))


async def _pg_replay_async(recorded: list[Statement], n: int) -> float:
    import psycopg

    conn = await psycopg.AsyncConnection.connect(PG_DSN, autocommit=True, prepare_threshold=0)
    names = (f"a{i}" for i in itertools.count())
    try:
        async def replay(count: int) -> None:
            for _ in range(count):
                wid = next(names)
                for many, sql, params in recorded:
                    cur = conn.cursor()
                    if many:
                        await cur.executemany(sql, _renamed(params, wid))
                    else:
                        await cur.execute(sql, _renamed(params, wid))

        await replay(50)
        start = time.perf_counter()
        await replay(n)
        return time.perf_counter() - start
    finally:
        await conn.close()


def _pg_raw_commit(n: int) -> float:
    import psycopg

    table = "hgt_floor_raw_" + secrets.token_hex(4)
    with psycopg.connect(PG_DSN, autocommit=True) as conn:
        conn.execute(f"CREATE TABLE {table} (id BIGSERIAL PRIMARY KEY, v TEXT)")
        try:
            return _timed(
                lambda _: conn.execute(f"INSERT INTO {table} (v) VALUES (%s)", ("x",)), "", n
            )
        finally:
            conn.execute(f"DROP TABLE {table}")


def _timed(replay: Callable[[str], Any], prefix: str, n: int) -> float:
    for i in range(50):
        replay(f"{prefix}warm-{i}")
    start = time.perf_counter()
    for i in range(n):
        replay(f"{prefix}{i}")
    return time.perf_counter() - start


# --- report -------------------------------------------------------------------------------


def _print(
    kind: str, statements: int, n: int, rows: list[tuple[str, float]], *,
    budget: float, budget_name: str, floor: float,
) -> None:
    print(f"{kind}: one pause + resume exchange ({statements} statements), {n:,} exchanges")
    for name, micros in rows:
        print(f"  {name:<42} {micros:10,.1f} µs")
    print(f"  {'target: ' + budget_name:<42} {budget:10,.1f} µs")
    print(f"  {'left for all Python after the statements':<42} {budget - floor:10,.1f} µs")


def main() -> None:
    kind = sys.argv[1] if len(sys.argv) > 1 else "sqlite"
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
    {"sqlite": sqlite_floor, "postgres": postgres_floor}[kind](n)


if __name__ == "__main__":
    main()
