"""SQLite files that are not (quite) ours, and a filesystem that fails under the store.

A store is identified before anything in the file changes: a refused file stays
byte-identical, journal mode included, and no ``-wal`` file appears beside it. Driver
failures (disk full, a file moved away, a damaged page) arrive as
``CheckpointStoreError`` naming the file, with the driver's error chained.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
from cp_helpers import rec, start

from hypergraph_typed.checkpointers import SqliteCheckpointer
from hypergraph_typed.checkpointers._sqlite_identity import APPLICATION_ID
from hypergraph_typed.checkpointers._sqltext import SQLITE, SqlText
from hypergraph_typed.checkpointers.protocol import LoadRun
from hypergraph_typed.checkpointers.schema import CURRENT_VERSION, SchemaManager
from hypergraph_typed.exceptions import CheckpointStoreError


def _pragma(path: Path, name: str) -> object:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(f"PRAGMA {name}").fetchone()[0]
    finally:
        conn.close()


def _make(path: Path, statements: list[str]) -> None:
    conn = sqlite3.connect(path)  # rollback journal: SQLite's default
    for stmt in statements:
        conn.execute(stmt)
    conn.commit()
    conn.close()


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _ours_at(version: int) -> list[str]:
    """The tables a hypergraph-typed store of ``version`` had, as older releases made them
    (before stores carried an application id)."""
    schema = SchemaManager(SqlText(SQLITE), location="-", list_tables=("", ()),
                           table_names={"meta": "meta"})
    stmts = schema.statements_up_to(version)
    return [*stmts, f"UPDATE meta SET value = '{version}' WHERE key = 'schema_version'"]


def _refused_untouched(path: Path, match: str, *, read_only: bool = False) -> None:
    before = _digest(path)
    with pytest.raises(CheckpointStoreError, match=match) as info:
        SqliteCheckpointer(path, read_only=read_only).get_run("x")
    assert str(path) in str(info.value)
    assert _digest(path) == before, "a refused file was changed"
    assert _pragma(path, "journal_mode") == "delete"
    assert not Path(f"{path}-wal").exists()


def test_a_new_store_carries_the_application_id_and_schema_version(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    SqliteCheckpointer(path).initialize()
    assert _pragma(path, "application_id") == APPLICATION_ID
    assert _pragma(path, "user_version") == CURRENT_VERSION


FOREIGN = {
    "meta and runs of its own": [
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
        "INSERT INTO meta VALUES ('schema_version', '1')",
        "CREATE TABLE runs (id INTEGER PRIMARY KEY, started REAL, owner TEXT)",
        "INSERT INTO runs (started, owner) VALUES (1.5, 'ann')",
    ],
    "our tables plus one of its own": [
        *_ours_at(CURRENT_VERSION), "CREATE TABLE invoices (id INTEGER PRIMARY KEY)",
    ],
    "our tables with a column changed": [
        *_ours_at(2), "ALTER TABLE runs ADD COLUMN owner TEXT",
    ],
    "our tables under another application id": [
        *_ours_at(CURRENT_VERSION), "PRAGMA application_id = 1234",
    ],
    "no tables but a user_version": ["PRAGMA user_version = 7"],
}
MESSAGES = {
    "meta and runs of its own": "tables differ from that version's",
    "our tables plus one of its own": "invoices",
    "our tables with a column changed": "runs",
    "our tables under another application id": "another application",
    "no tables but a user_version": "user_version of 7",
}


@pytest.mark.parametrize("read_only", [False, True], ids=["read-write", "read-only"])
@pytest.mark.parametrize("case", sorted(FOREIGN))
def test_a_foreign_file_is_refused_byte_identical(tmp_path: Path, case: str,
                                                  read_only: bool) -> None:
    path = tmp_path / "foreign.db"
    _make(path, FOREIGN[case])
    _refused_untouched(path, MESSAGES[case], read_only=read_only)


def test_a_store_from_before_application_ids_is_recognised_and_marked(tmp_path: Path) -> None:
    path = tmp_path / "legacy.db"
    _make(path, _ours_at(CURRENT_VERSION))
    before = _digest(path)
    with SqliteCheckpointer(path, read_only=True) as cp:  # a look changes nothing
        assert cp.runs() == []
    assert _digest(path) == before and _pragma(path, "application_id") == 0
    with SqliteCheckpointer(path) as cp:  # a writer marks it as ours
        start(cp, "w").commit([rec("w", 0, "a", values={"y": 1})])
    assert _pragma(path, "application_id") == APPLICATION_ID
    assert _pragma(path, "user_version") == CURRENT_VERSION
    assert _pragma(path, "journal_mode") == "wal"


def test_an_old_store_opened_read_only_says_it_needs_migrating(tmp_path: Path) -> None:
    path = tmp_path / "v1.db"
    _make(path, _ours_at(1))
    _refused_untouched(path, "older checkpoint schema version 1 .*not changed", read_only=True)
    with SqliteCheckpointer(path) as cp:  # read-write migrates it
        assert cp.get_run("x") is None
    assert _pragma(path, "user_version") == CURRENT_VERSION


def test_read_only_refuses_writes_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "ro.db"
    with SqliteCheckpointer(path) as cp:
        cp.initialize()
    before = _digest(path)
    with SqliteCheckpointer(path, read_only=True) as cp:
        with pytest.raises(CheckpointStoreError, match="read_only=True") as info:
            cp.create_run_sync("w")
        assert str(path) in str(info.value)
    assert _digest(path) == before


# --- the driver fails under the store ----------------------------------------------------


def _store_with_a_run(path: Path) -> SqliteCheckpointer:
    cp = SqliteCheckpointer(path)
    writer = start(cp, "w")
    writer.commit([rec("w", 0, "a", values={"y": 1})])
    return cp


def _raises_naming_the_file(path: Path, call: Callable[[], object], match: str) -> None:
    with pytest.raises(CheckpointStoreError, match=match) as info:
        call()
    assert str(path) in str(info.value) and info.value.location == str(path)
    assert isinstance(info.value.__cause__, sqlite3.Error)


def test_a_full_disk_names_the_file_and_stores_nothing(tmp_path: Path) -> None:
    path = tmp_path / "full.db"
    cp = _store_with_a_run(path)
    conn = cp._conn
    assert conn is not None
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.execute(f"PRAGMA max_page_count = {pages}")  # the file may not grow: a full disk
    big = {"blob": "x" * 200_000}
    _raises_naming_the_file(
        path, lambda: cp.save_step_sync(rec("w", 1, "b", values=big)), "disk .*is full"
    )
    conn.execute("PRAGMA max_page_count = 1073741823")
    snap = cp.load_run(LoadRun("w"))
    assert snap is not None and [s.node_name for s in snap.steps] == ["a"]
    cp.save_step_sync(rec("w", 1, "b", values={"y": 2}))  # space again: writes work
    cp.close()


_WRITE_AS_ANOTHER_USER = textwrap.dedent(
    """
    import sys
    from hypergraph_typed.checkpointers import SqliteCheckpointer, StepRecord
    from hypergraph_typed.exceptions import CheckpointStoreError
    cp = SqliteCheckpointer(sys.argv[1])
    try:
        cp.save_step_sync(StepRecord("w", 1, "b", 1, "completed", {}, values={"y": 2}))
    except CheckpointStoreError as exc:
        print(type(exc.__cause__).__name__, exc.location == sys.argv[1], exc, sep="|")
    """
)


def test_a_read_only_file_names_the_file(tmp_path: Path) -> None:
    """A store another user owns: SQLite opens it read-only and the write is refused."""
    directory = Path(tempfile.mkdtemp(prefix="hgt-ro-"))  # reachable by an unprivileged user
    try:
        directory.chmod(0o755)
        path = directory / "theirs.db"
        _store_with_a_run(path).close()
        _pragma(path, "journal_mode=DELETE")  # no -shm that other users would need to write
        path.chmod(0o644)
        prefix = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
        if os.geteuid() != 0:  # already unprivileged: a mode without write bits does it
            path.chmod(0o444)
            prefix = []
        before = _digest(path)
        proc = subprocess.run(
            [*prefix, sys.executable, "-c", _WRITE_AS_ANOTHER_USER, str(path)],
            capture_output=True, text=True, timeout=60, cwd=directory,
        )
        cause, named, message = proc.stdout.strip().split("|", 2)
        assert (cause, named) == ("OperationalError", "True"), proc.stderr
        assert str(path) in message and "read-only" in message
        assert _digest(path) == before
    finally:
        shutil.rmtree(directory)


def test_a_damaged_page_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "damaged.db"
    cp = _store_with_a_run(path)
    for i in range(50):  # enough rows that the steps table spans several pages
        cp.save_step_sync(rec("w", i + 1, "b", values={"y": "z" * 500}))
    cp.close()
    _pragma(path, "wal_checkpoint(TRUNCATE)")
    data = bytearray(path.read_bytes())
    page = _pragma(path, "page_size")
    assert isinstance(page, int)
    for offset in range(2 * page, len(data), page):  # scribble over every page but the first
        data[offset:offset + 64] = b"\xa5" * 64
    path.write_bytes(bytes(data))
    cp = SqliteCheckpointer(path)
    _raises_naming_the_file(path, lambda: cp.steps("w"), "damaged|malformed")
    cp.close()
