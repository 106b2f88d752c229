"""PostgreSQL specifics: schema versions and migration, foreign schemas, connections."""

from __future__ import annotations

import asyncio
import threading

import psycopg
import pytest
from cp_helpers import PG_DSN, pg_admin, rec, start

from hypergraph_typed.checkpointers import PostgresCheckpointer, StepStatus, WorkflowStatus
from hypergraph_typed.checkpointers.protocol import ClaimRun, CommitRun, Lease, LoadRun, StartRun
from hypergraph_typed.checkpointers.schema import CURRENT_VERSION
from hypergraph_typed.exceptions import CheckpointStoreError


def _version(schema: str) -> str:
    with pg_admin() as conn:
        row = conn.execute(
            f"SELECT value FROM \"{schema}\".meta WHERE key = 'schema_version'"
        ).fetchone()
    assert row is not None
    return str(row[0])


def test_creates_schema_lazily(pg_schema: str) -> None:
    cp = PostgresCheckpointer(PG_DSN, schema=pg_schema)
    with pg_admin() as conn:
        assert conn.execute(
            "SELECT 1 FROM pg_namespace WHERE nspname = %s", (pg_schema,)
        ).fetchone() is None
    try:
        assert cp.runs() == []
        assert _version(pg_schema) == str(CURRENT_VERSION)
    finally:
        cp.close()


def test_migrates_a_v1_schema(pg_schema: str) -> None:
    s = f'"{pg_schema}"'
    with pg_admin() as conn:
        for stmt in [
            f"CREATE SCHEMA {s}",
            f"CREATE TABLE {s}.meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
            f"INSERT INTO {s}.meta VALUES ('schema_version', '1')",
            f"""CREATE TABLE {s}.runs (seq BIGINT GENERATED ALWAYS AS IDENTITY,
                id TEXT PRIMARY KEY, status TEXT NOT NULL, graph_name TEXT,
                duration_ms DOUBLE PRECISION, node_count INTEGER NOT NULL DEFAULT 0,
                error_count INTEGER NOT NULL DEFAULT 0, parent_run_id TEXT, forked_from TEXT,
                fork_superstep INTEGER, retry_of TEXT, retry_index INTEGER, config TEXT,
                created_at TIMESTAMPTZ NOT NULL, completed_at TIMESTAMPTZ)""",
            f"""CREATE TABLE {s}.steps (seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                run_id TEXT NOT NULL, superstep INTEGER NOT NULL, node_name TEXT NOT NULL,
                step_index INTEGER NOT NULL, status TEXT NOT NULL, input_versions TEXT NOT NULL,
                outputs BYTEA, duration_ms DOUBLE PRECISION NOT NULL, cached BOOLEAN NOT NULL,
                decision TEXT, error TEXT, node_type TEXT, created_at TIMESTAMPTZ NOT NULL,
                completed_at TIMESTAMPTZ, child_run_id TEXT,
                UNIQUE (run_id, superstep, node_name))""",
            f"""INSERT INTO {s}.runs (id, status, graph_name, node_count, created_at)
                VALUES ('old-run', 'paused', 'review', 1, '2024-01-02 03:04:05+00')""",
            f"""INSERT INTO {s}.steps (run_id, superstep, node_name, step_index, status,
                input_versions, outputs, duration_ms, cached, created_at, completed_at)
                VALUES ('old-run', 0, 'write', 0, 'completed', '{{}}',
                        convert_to('{{"draft":"hi"}}', 'UTF8'), 1.0, false,
                        '2024-01-02 03:04:05+00', '2024-01-02 03:04:06+00')""",
        ]:
            conn.execute(stmt)
    with PostgresCheckpointer(PG_DSN, schema=pg_schema) as cp:
        snap = cp.load_run(LoadRun("old-run"))
        assert snap is not None
        run, steps, inputs = snap.run, snap.steps, snap.inputs
        assert run.status is WorkflowStatus.PAUSED and (run.epoch, run.version) == (0, 0)
        assert [(x.node_name, x.status) for x in steps] == [("write", StepStatus.COMPLETED)]
        assert cp.state("old-run") == {"draft": "hi"} and inputs == {}
        lease = cp.claim_run(ClaimRun("old-run", 0, 0))
        cp.commit_run(CommitRun(lease, (rec("old-run", 1, "review", values={"ok": 1}),),
                                inputs={"prompt": "p"}))
        assert cp.get_inputs("old-run") == {"prompt": "p"}
    assert _version(pg_schema) == str(CURRENT_VERSION)


def test_foreign_schema_is_rejected(pg_schema: str) -> None:
    with pg_admin() as conn:
        conn.execute(f'CREATE SCHEMA "{pg_schema}"')
        conn.execute(f'CREATE TABLE "{pg_schema}".orders (id INT)')
    cp = PostgresCheckpointer(PG_DSN, schema=pg_schema)
    with pytest.raises(CheckpointStoreError, match="orders") as info:
        cp.get_run("x")
    assert pg_schema in str(info.value)
    cp.close()
    with pg_admin() as conn:  # nothing was added to the foreign schema
        tables = conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = %s", (pg_schema,)
        ).fetchall()
    assert tables == [("orders",)]


def test_newer_schema_asks_for_an_upgrade(pg_schema: str) -> None:
    with PostgresCheckpointer(PG_DSN, schema=pg_schema):
        pass
    with pg_admin() as conn:
        conn.execute(
            f"UPDATE \"{pg_schema}\".meta SET value = '7' WHERE key = 'schema_version'"
        )
    cp = PostgresCheckpointer(PG_DSN, schema=pg_schema)
    with pytest.raises(CheckpointStoreError, match="Upgrade hypergraph-typed"):
        cp.runs()

    async def scenario() -> None:
        with pytest.raises(CheckpointStoreError, match="version 7"):
            await cp.get_run_async("x")

    asyncio.run(scenario())
    cp.close()


def test_concurrent_first_opens_create_the_schema_once(pg_schema: str) -> None:
    handles = [PostgresCheckpointer(PG_DSN, schema=pg_schema) for _ in range(3)]
    barrier = threading.Barrier(3)
    errors: list[BaseException] = []

    def open_it(cp: PostgresCheckpointer) -> None:
        barrier.wait()
        try:
            cp.initialize()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=open_it, args=(cp,)) for cp in handles]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert _version(pg_schema) == str(CURRENT_VERSION)
    for cp in handles:
        cp.close()


def test_invalid_schema_names() -> None:
    for bad in ["", "1abc", 'x"; DROP TABLE y; --', "a-b", "x" * 64]:
        with pytest.raises(ValueError, match="plain identifier"):
            PostgresCheckpointer(PG_DSN, schema=bad)


def test_one_checkpointer_serves_several_event_loops(pg_schema: str) -> None:
    cp = PostgresCheckpointer(PG_DSN, schema=pg_schema)

    async def first() -> Lease:
        return await cp.start_run_async(StartRun("w"))

    async def second(lease: Lease) -> None:  # another loop: the same pool serves it
        await cp.commit_run_async(CommitRun(lease, (rec("w", 0, "a", values={"x": 1}),)))
        results = await asyncio.gather(*(cp.get_run_async("w") for _ in range(5)))
        assert all(r is not None and r.id == "w" for r in results)

    lease = asyncio.run(first())
    asyncio.run(second(lease))
    assert cp.state("w") == {"x": 1}
    cp.close()
    with pytest.raises(CheckpointStoreError, match="closed"):
        cp.get_run("w")


def test_repr_hides_the_dsn(pg_schema: str) -> None:
    cp = PostgresCheckpointer(PG_DSN + " password=secret", schema=pg_schema)
    try:
        text = repr(cp)
        assert text.startswith(f"PostgresCheckpointer: schema {pg_schema} | ")
        assert "secret" not in text
    finally:
        cp.close()


def test_a_dropped_connection_is_replaced_on_the_next_call(pg_schema: str) -> None:
    cp = PostgresCheckpointer(PG_DSN, schema=pg_schema, pool_size=1)
    start(cp, "w")

    def kill_pool() -> None:
        with pg_admin() as admin:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE application_name = %s", (f"hypergraph_typed:{pg_schema}",),
            )

    kill_pool()
    with pytest.raises(CheckpointStoreError) as info:
        cp.get_run("w")  # the call in flight fails, naming the server ...
    assert cp.location in str(info.value) and info.value.location == cp.location
    assert isinstance(info.value.__cause__, psycopg.OperationalError)
    assert cp.get_run("w") is not None  # ... the next one gets a new connection

    async def kill_and_read() -> None:
        assert await cp.get_run_async("w") is not None
        kill_pool()
        with pytest.raises(CheckpointStoreError) as info:
            await cp.get_run_async("w")
        assert cp.location in str(info.value)
        assert isinstance(info.value.__cause__, psycopg.OperationalError)
        assert await cp.get_run_async("w") is not None

    asyncio.run(kill_and_read())
    cp.close()


def test_an_event_loop_reuses_its_connections_up_to_pool_size(pg_schema: str) -> None:
    cp = PostgresCheckpointer(PG_DSN, schema=pg_schema, pool_size=2)
    start(cp, "w")

    def backends() -> int:
        with pg_admin() as admin:
            row = admin.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s",
                (f"hypergraph_typed:{pg_schema}",),
            ).fetchone()
        assert row is not None
        return int(row[0])

    async def operations() -> None:
        before = backends()
        for _ in range(10):
            assert await cp.get_run_async("w") is not None
        assert backends() == before + 1  # one connection, used ten times
        runs = await asyncio.gather(*(cp.get_run_async("w") for _ in range(6)))
        assert all(r is not None for r in runs)
        assert backends() == before + 2  # six at once share pool_size=2 connections

    asyncio.run(operations())
    cp.close()
