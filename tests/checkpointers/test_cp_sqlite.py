"""SQLite specifics: lazy open, WAL, schema versions and migration, bad files, durability."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest
from cp_helpers import rec, start

from hypergraph_typed.checkpointers import SqliteCheckpointer, StepStatus, WorkflowStatus
from hypergraph_typed.checkpointers.protocol import ClaimRun, CommitRun, LoadRun, StartRun
from hypergraph_typed.checkpointers.schema import CURRENT_VERSION
from hypergraph_typed.exceptions import CheckpointStoreError


def _query(path: Path, sql: str) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def test_opens_lazily_with_wal_and_current_schema(tmp_path: Path) -> None:
    path = tmp_path / "sub" / ".." / "c.db"
    cp = SqliteCheckpointer(path)
    assert not (tmp_path / "c.db").exists()
    try:
        assert cp.get_run("x") is None  # first read creates the schema
        assert _query(path, "PRAGMA journal_mode") == [("wal",)]
        assert _query(path, "SELECT value FROM meta WHERE key = 'schema_version'") == [
            (str(CURRENT_VERSION),)
        ]
        assert cp._conn.execute("PRAGMA synchronous").fetchone() == (1,)  # type: ignore[union-attr]
        assert cp.db_path == str(path)
    finally:
        cp.close()


def test_path_as_str_and_initialize(tmp_path: Path) -> None:
    cp = SqliteCheckpointer(str(tmp_path / "s.db"))
    cp.initialize()
    assert (tmp_path / "s.db").exists()
    cp.close()
    with pytest.raises(TypeError, match="str or Path"):
        SqliteCheckpointer(42)  # type: ignore[arg-type]


def test_memory_database_is_shared_by_sync_and_async_calls() -> None:
    cp = SqliteCheckpointer(":memory:")

    async def scenario() -> None:
        lease = await cp.start_run_async(StartRun("w"))
        await cp.commit_run_async(CommitRun(lease, (rec("w", 0, "a", values={"x": 1}),)))

    asyncio.run(scenario())
    assert cp.state("w") == {"x": 1}
    assert repr(cp) == "SqliteCheckpointer: :memory: | 1 run | 1 step"
    cp.close()


def test_closed_checkpointer_refuses_work(tmp_path: Path) -> None:
    cp = SqliteCheckpointer(tmp_path / "c.db")
    start(cp, "w")

    async def close_async() -> None:
        await cp.close()

    asyncio.run(close_async())
    cp.close()  # closing twice is fine
    assert repr(cp).endswith("| closed")
    with pytest.raises(CheckpointStoreError, match="closed"):
        cp.get_run("w")
    with SqliteCheckpointer(tmp_path / "c.db") as again:  # the data is still there
        assert again.get_run("w") is not None
    assert repr(again).endswith("| closed")


def test_async_context_manager(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with SqliteCheckpointer(tmp_path / "a.db") as cp:
            await cp.create_run("w")
            assert (await cp.get_run_async("w")) is not None

    asyncio.run(scenario())


def test_event_loop_and_worker_threads_share_one_checkpointer(tmp_path: Path) -> None:
    cp = SqliteCheckpointer(tmp_path / "shared.db")
    writers = {wid: start(cp, wid) for wid in ("loop", "t0", "t1")}

    def worker(wid: str) -> None:
        for ss in range(30):
            writers[wid].commit([rec(wid, ss, "n", values={"ss": ss})])

    async def on_loop() -> None:
        lease = writers["loop"].lease
        for ss in range(30):
            lease = await cp.commit_run_async(
                CommitRun(lease, (rec("loop", ss, "n", values={"ss": ss}),)))
            await asyncio.sleep(0)

    threads = [threading.Thread(target=worker, args=(w,)) for w in ("t0", "t1")]
    for t in threads:
        t.start()
    asyncio.run(on_loop())
    for t in threads:
        t.join()
    assert [len(cp.steps(w)) for w in ("loop", "t0", "t1")] == [30, 30, 30]
    cp.close()


# --- schema versions ----------------------------------------------------------------------------

_V1_BY_HAND = [
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "INSERT INTO meta VALUES ('schema_version', '1')",
    """CREATE TABLE runs (id TEXT PRIMARY KEY, status TEXT NOT NULL, graph_name TEXT,
        duration_ms REAL, node_count INTEGER NOT NULL DEFAULT 0,
        error_count INTEGER NOT NULL DEFAULT 0, parent_run_id TEXT, forked_from TEXT,
        fork_superstep INTEGER, retry_of TEXT, retry_index INTEGER, config TEXT,
        created_at TEXT NOT NULL, completed_at TEXT)""",
    """CREATE TABLE steps (seq INTEGER PRIMARY KEY, run_id TEXT NOT NULL,
        superstep INTEGER NOT NULL, node_name TEXT NOT NULL, step_index INTEGER NOT NULL,
        status TEXT NOT NULL, input_versions TEXT NOT NULL, outputs BLOB,
        duration_ms REAL NOT NULL, cached INTEGER NOT NULL, decision TEXT, error TEXT,
        node_type TEXT, created_at TEXT NOT NULL, completed_at TEXT, child_run_id TEXT,
        UNIQUE (run_id, superstep, node_name))""",
    """INSERT INTO runs (id, status, graph_name, node_count, config, created_at)
        VALUES ('old-run', 'paused', 'review', 2, '{"graph_struct_hash": "h"}',
                '2024-01-02T03:04:05.000000+00:00')""",
    """INSERT INTO steps (run_id, superstep, node_name, step_index, status, input_versions,
        outputs, duration_ms, cached, created_at, completed_at)
        VALUES ('old-run', 0, 'write', 0, 'completed', '{"prompt": 1}',
                CAST('{"draft":"hello"}' AS BLOB), 3.0, 0,
                '2024-01-02T03:04:05.000000+00:00', '2024-01-02T03:04:06.000000+00:00')""",
    """INSERT INTO steps (run_id, superstep, node_name, step_index, status, input_versions,
        duration_ms, cached, created_at)
        VALUES ('old-run', 1, 'review', 1, 'paused', '{"draft": 1}', 0.0, 0,
                '2024-01-02T03:04:07.000000+00:00')""",
]


def _make_db(path: Path, statements: list[str]) -> None:
    conn = sqlite3.connect(path)
    for stmt in statements:
        conn.execute(stmt)
    conn.commit()
    conn.close()


def test_migrates_a_v1_database(tmp_path: Path) -> None:
    path = tmp_path / "v1.db"
    _make_db(path, _V1_BY_HAND)
    with SqliteCheckpointer(path) as cp:
        snap = cp.load_run(LoadRun("old-run"))
        assert snap is not None
        run, steps, inputs = snap.run, snap.steps, snap.inputs
        assert run.status is WorkflowStatus.PAUSED and (run.epoch, run.version) == (0, 0)
        assert run.config == {"graph_struct_hash": "h"} and run.node_count == 2
        assert run.pause is None
        assert [(s.node_name, s.status) for s in steps] == [
            ("write", StepStatus.COMPLETED), ("review", StepStatus.PAUSED),
        ]
        assert cp.state("old-run") == {"draft": "hello"} and inputs == {}
        # the new features work on the migrated store
        lease = cp.claim_run(ClaimRun("old-run", 0, 0))
        cp.commit_run(CommitRun(lease, (rec("old-run", 2, "review", values={"ok": True}),),
                                status=WorkflowStatus.COMPLETED, inputs={"prompt": "p"}))
        assert cp.get_inputs("old-run") == {"prompt": "p"}
    assert _query(path, "SELECT value FROM meta WHERE key = 'schema_version'") == [
        (str(CURRENT_VERSION),)
    ]
    columns = {r[1] for r in _query(path, "PRAGMA table_info(runs)")}
    assert {"epoch", "version", "updated_at", "pause_node", "answer"} <= columns
    assert _query(path, "SELECT updated_at FROM runs WHERE id = 'old-run'")[0][0] != ""


def test_migrated_and_fresh_schemas_are_identical(tmp_path: Path) -> None:
    _make_db(tmp_path / "v1.db", _V1_BY_HAND[:4])
    for name in ("v1.db", "fresh.db"):
        SqliteCheckpointer(tmp_path / name).initialize()

    def shape(name: str) -> list[tuple[object, ...]]:
        tables = [r[0] for r in _query(tmp_path / name,
                                       "SELECT name FROM sqlite_master WHERE type='table'")]
        return [(t, *r[1:3]) for t in sorted(tables)
                for r in _query(tmp_path / name, f"PRAGMA table_info({t})")]

    assert shape("v1.db") == shape("fresh.db")


def test_newer_schema_asks_for_an_upgrade(tmp_path: Path) -> None:
    path = tmp_path / "future.db"
    SqliteCheckpointer(path).initialize()
    _make_db(path, ["UPDATE meta SET value = '99' WHERE key = 'schema_version'"])
    with pytest.raises(CheckpointStoreError, match="version 99") as info:
        SqliteCheckpointer(path).get_run("x")
    assert "Upgrade hypergraph-typed" in str(info.value) and str(path) in str(info.value)


def test_random_bytes_file_is_rejected_untouched(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    data = os.urandom(4096)
    path.write_bytes(data)
    with pytest.raises(CheckpointStoreError, match="not a usable SQLite database") as info:
        SqliteCheckpointer(path).runs()
    assert str(path) in str(info.value) and info.value.location == str(path)
    assert path.read_bytes() == data


def test_foreign_database_is_rejected_untouched(tmp_path: Path) -> None:
    path = tmp_path / "app.db"
    _make_db(path, ["CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)",
                    "INSERT INTO users (name) VALUES ('ann')"])
    with pytest.raises(CheckpointStoreError, match="users") as info:
        SqliteCheckpointer(path).get_run("x")
    assert str(path) in str(info.value) and "not a checkpoint store" in str(info.value)
    assert [r[0] for r in _query(path, "SELECT name FROM sqlite_master WHERE type='table'")] == [
        "users"
    ]


def test_meta_without_version_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "odd.db"
    _make_db(path, ["CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)"])
    with pytest.raises(CheckpointStoreError, match="without a schema_version"):
        SqliteCheckpointer(path).get_run("x")


def test_directory_and_missing_parent(tmp_path: Path) -> None:
    with pytest.raises(CheckpointStoreError, match="is a directory"):
        SqliteCheckpointer(tmp_path).get_run("x")
    with pytest.raises(CheckpointStoreError, match="cannot open"):
        SqliteCheckpointer(tmp_path / "no" / "such" / "dir.db").get_run("x")


def test_repr_of_an_unusable_file_does_not_raise(tmp_path: Path) -> None:
    path = tmp_path / "junk.db"
    path.write_bytes(b"x" * 200)
    assert "unavailable" in repr(SqliteCheckpointer(path))


# --- durability -----------------------------------------------------------------------------------

_KILLED_WRITER = textwrap.dedent(
    """
    import os, signal, sys
    from hypergraph_typed.checkpointers import SqliteCheckpointer, StepRecord
    from hypergraph_typed.checkpointers import WorkflowStatus
    from hypergraph_typed.checkpointers.protocol import CommitRun, StartRun
    cp = SqliteCheckpointer(sys.argv[1])
    lease = cp.start_run(StartRun("w", inputs={"x": 41}))
    cp.commit_run(CommitRun(
        lease, (StepRecord("w", 0, "a", 0, "completed", {"x": 1}, values={"y": 42}),),
        status=WorkflowStatus.PAUSED, node_count=1, final=True,
    ))
    os.kill(os.getpid(), signal.SIGKILL)
    """
)


def test_committed_superstep_survives_a_killed_process(tmp_path: Path) -> None:
    path = tmp_path / "killed.db"
    proc = subprocess.run(
        [sys.executable, "-c", _KILLED_WRITER, str(path)], capture_output=True, timeout=60,
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr.decode()
    assert (tmp_path / "killed.db-wal").exists()  # the commit sits in the WAL, never closed
    with SqliteCheckpointer(path) as cp:
        snap = cp.load_run(LoadRun("w"))
        assert snap is not None
        run, steps, inputs = snap.run, snap.steps, snap.inputs
        assert run.status is WorkflowStatus.PAUSED and run.node_count == 1
        assert [s.values for s in steps] == [{"y": 42}] and inputs == {"x": 41}
