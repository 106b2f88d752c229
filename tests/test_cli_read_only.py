"""The CLI only looks: it never switches a journal mode, migrates, or writes a store.

Each test runs the real command in a subprocess and compares the store's bytes (or, on
PostgreSQL, its schema version) before and after.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from checkpoint_backends import PG_DSN
from cli_helpers import COMMAND, failure, ok, rows
from hypergraph_typed.checkpointers import PostgresCheckpointer, SqliteCheckpointer
from hypergraph_typed.checkpointers._sqltext import SQLITE, SqlText
from hypergraph_typed.checkpointers.schema import CURRENT_VERSION, SchemaManager
from hypergraph_typed.exceptions import CheckpointStoreError


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _journal_mode(path: Path) -> str:
    conn = sqlite3.connect(path)
    try:
        return str(conn.execute("PRAGMA journal_mode").fetchone()[0])
    finally:
        conn.close()


def _store_in_rollback_mode(path: Path, version: int) -> None:
    """A store as an older release left it: SQLite's default journal, no application id."""
    schema = SchemaManager(SqlText(SQLITE), location="-", list_tables=("", ()),
                           table_names={"meta": "meta"})
    conn = sqlite3.connect(path)
    for stmt in schema.statements_up_to(version):
        conn.execute(stmt)
    conn.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(version),))
    conn.execute("INSERT INTO runs (id, status, created_at) VALUES "
                 "('old', 'completed', '2025-01-02T03:04:05.000000+00:00')")
    conn.commit()
    conn.close()


@pytest.mark.parametrize("command", [["runs"], ["show", "old"], ["steps", "old"]])
def test_reading_a_rollback_journal_store_leaves_it_byte_identical(
    tmp_path: Path, command: list[str]
) -> None:
    path = tmp_path / "old.db"
    _store_in_rollback_mode(path, CURRENT_VERSION)
    before = _digest(path)
    out = ok("--db", path, *command)
    assert "old" in out
    assert _digest(path) == before
    assert _journal_mode(path) == "delete" and not Path(f"{path}-wal").exists()


def test_a_store_that_needs_migrating_is_named_not_migrated(tmp_path: Path) -> None:
    path = tmp_path / "v1.db"
    _store_in_rollback_mode(path, 1)
    before = _digest(path)
    err = failure("--db", path, "runs")
    assert len(err.splitlines()) == 1
    assert "older checkpoint schema version 1" in err and "migrate" in err
    assert _digest(path) == before


def test_a_store_in_a_read_only_directory_can_be_read(tmp_path: Path) -> None:
    """Another user's store in a directory we cannot write: no lock files can be made,
    so the CLI opens it immutable (nothing can change it) rather than failing."""
    directory = Path(tempfile.mkdtemp(prefix="hgt-cli-ro-"))
    try:
        path = directory / "runs.db"
        cp = SqliteCheckpointer(path)
        cp.create_run_sync("theirs", graph_name="g")
        cp.close()  # a clean close leaves no -wal or -shm file behind
        assert sorted(p.name for p in directory.iterdir()) == ["runs.db"]
        path.chmod(0o644)
        directory.chmod(0o555)
        before = _digest(path)
        prefix = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
        if os.geteuid() != 0:
            prefix = []  # already unprivileged: the directory's mode is enough
        proc = subprocess.run(
            [*prefix, *COMMAND, "--db", str(path), "runs"],
            capture_output=True, text=True, timeout=60, cwd=directory, check=False,
        )
        assert proc.returncode == 0, proc.stderr
        assert [r[0] for r in rows(proc.stdout)][1:] == ["theirs"]
        assert _digest(path) == before
        assert sorted(p.name for p in directory.iterdir()) == ["runs.db"]
    finally:
        directory.chmod(0o755)
        shutil.rmtree(directory)


@pytest.fixture
def pg_schema() -> Iterator[str]:
    schema = "hgt_ro_" + secrets.token_hex(5)
    try:
        yield schema
    finally:
        with psycopg.connect(PG_DSN, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def _create(schema: str) -> None:
    cp = PostgresCheckpointer(PG_DSN, schema=schema)
    cp.initialize()
    cp.close()


def test_an_old_postgres_schema_is_named_not_migrated(pg_schema: str) -> None:
    _create(pg_schema)
    with psycopg.connect(PG_DSN, autocommit=True) as conn:
        conn.execute(f"UPDATE \"{pg_schema}\".meta SET value = '2' "  # as if never migrated
                     "WHERE key = 'schema_version'")
    err = failure("--dsn", PG_DSN, "--schema", pg_schema, "runs")
    assert "older checkpoint schema version 2" in err and "read-only" in err
    with psycopg.connect(PG_DSN) as conn:
        row = conn.execute(
            f"SELECT value FROM \"{pg_schema}\".meta WHERE key = 'schema_version'"
        ).fetchone()
    assert row == ("2",)


def test_a_read_only_postgres_checkpointer_refuses_writes(pg_schema: str) -> None:
    _create(pg_schema)
    cp = PostgresCheckpointer(PG_DSN, schema=pg_schema, read_only=True)
    try:
        assert cp.runs() == []
        with pytest.raises(CheckpointStoreError, match="read_only=True"):
            cp.create_run_sync("w")
    finally:
        cp.close()
