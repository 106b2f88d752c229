"""``SqliteCheckpointer``: a durable store in one SQLite file, via the standard library.

Concurrency model: one connection per checkpointer, guarded by a lock, so the object
can be shared by the event-loop thread and worker threads; several processes may open
the same file (SQLite's file locks serialize writers, ``busy_timeout`` makes them wait).
The journal is WAL with ``synchronous=NORMAL``: a committed superstep survives a killed
process (not necessarily a power cut). Async methods run the (fast) SQL inline on the
calling thread; see docs/checkpoints.md for the measurements behind that choice.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Awaitable, Generator
from pathlib import Path
from typing import Any, TypeVar

from hypergraph_typed.checkpointers import _format
from hypergraph_typed.checkpointers._codec import Codec, ts_from_text, ts_to_text
from hypergraph_typed.checkpointers._ops import ALL, EXEC, ONE, READ, WRITE, Op, SqlOps
from hypergraph_typed.checkpointers._sqlstore import SqlCheckpointer
from hypergraph_typed.checkpointers._sqltext import SQLITE, SqlText
from hypergraph_typed.checkpointers.base import DONE
from hypergraph_typed.checkpointers.policy import CheckpointPolicy, resolve_policy
from hypergraph_typed.checkpointers.schema import SchemaManager, needs_work
from hypergraph_typed.checkpointers.serializers import Serializer
from hypergraph_typed.exceptions import CheckpointStoreError

T = TypeVar("T")

BUSY_TIMEOUT_S = 5.0

_LIST_TABLES = (
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
    (),
)


def drive(op: Generator[tuple[int, str, Any], Any, T], cur: sqlite3.Cursor) -> T:
    """Run an op's requests on a cursor."""
    try:
        kind, sql, params = next(op)
        while True:
            if kind == ONE:
                result: Any = cur.execute(sql, params).fetchone()
            elif kind == ALL:
                result = cur.execute(sql, params).fetchall()
            elif kind == EXEC:
                result = cur.execute(sql, params).rowcount
            else:
                cur.executemany(sql, params)
                result = None
            kind, sql, params = op.send(result)
    except StopIteration as stop:
        value: T = stop.value
        return value


def _enable_wal(cur: sqlite3.Cursor) -> None:
    """Switch to WAL (persistent in the file). A brand-new file opened by several
    connections at once lets only one switch it; the others see "locked" without the
    busy handler being consulted, so they wait here and re-check."""
    deadline = time.monotonic() + BUSY_TIMEOUT_S
    delay = 0.001
    while True:
        try:
            if cur.execute("PRAGMA journal_mode").fetchone()[0] == "wal":
                return
            cur.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 0.05)


class SqliteCheckpointer(SqlCheckpointer):
    """Checkpoints in an SQLite file (or ``":memory:"``), with the full sync and async API."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        durability: str | None = None,
        retention: str | None = None,
        policy: CheckpointPolicy | None = None,
        serializer: Serializer | None = None,
    ) -> None:
        super().__init__(resolve_policy(policy, durability, retention), serializer)
        if not isinstance(path, (str, os.PathLike)):
            raise TypeError(f"SqliteCheckpointer: path must be a str or Path, got {path!r}")
        self.path: str = os.fspath(path)
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None
        self._cur: sqlite3.Cursor | None = None
        self._closed = False
        text = SqlText(SQLITE)
        codec = Codec(self.serializer, ts_out=ts_to_text, ts_in=ts_from_text, bool_out=int)
        self._ops = SqlOps(text, codec)
        self._schema = SchemaManager(
            text,
            location=f"SQLite database {self.path!r}",
            list_tables=_LIST_TABLES,
            table_names={"meta": "meta"},
        )

    @property
    def db_path(self) -> str:
        return self.path

    def __repr__(self) -> str:
        if self._closed:
            return f"SqliteCheckpointer: {self.path} | closed"
        try:
            runs, steps = self._counts()
        except (CheckpointStoreError, sqlite3.Error) as exc:
            return f"SqliteCheckpointer: {self.path} | unavailable ({exc})"
        counts = f"{_format.plural(runs, 'run')} | {_format.plural(steps, 'step')}"
        return f"SqliteCheckpointer: {self.path} | {counts}"

    # --- connection -------------------------------------------------------------------------

    def _open(self) -> sqlite3.Cursor:
        """Connect, configure and check/migrate the schema (once per checkpointer)."""
        if self._closed:
            raise CheckpointStoreError(
                f"SqliteCheckpointer({self.path!r}) is closed; create a new checkpointer",
                location=self.path,
            )
        if self.path != ":memory:" and Path(self.path).is_dir():
            raise CheckpointStoreError(
                f"SqliteCheckpointer: {self.path!r} is a directory; give a file path such as "
                f"{os.path.join(self.path, 'checkpoints.db')!r}",
                location=self.path,
            )
        try:
            conn = sqlite3.connect(
                self.path, isolation_level=None, check_same_thread=False, timeout=BUSY_TIMEOUT_S
            )
        except sqlite3.Error as exc:
            raise CheckpointStoreError(
                f"cannot open SQLite database {self.path!r}: {exc}. Check that the directory "
                "exists and is writable.",
                location=self.path,
            ) from exc
        try:
            cur = conn.cursor()
            if self.path != ":memory:":
                _enable_wal(cur)
            cur.execute("PRAGMA synchronous=NORMAL")
            version = drive(self._schema.probe(), cur)
            if needs_work(version):
                cur.execute("BEGIN IMMEDIATE")
                try:
                    drive(self._schema.ensure(), cur)
                    cur.execute("COMMIT")
                except BaseException:
                    if conn.in_transaction:
                        conn.rollback()
                    raise
        except sqlite3.OperationalError as exc:
            conn.close()
            raise CheckpointStoreError(
                f"cannot open SQLite database {self.path!r}: {exc}. If another process holds "
                "it locked, retry once it is done.",
                location=self.path,
            ) from exc
        except sqlite3.DatabaseError as exc:
            conn.close()
            raise CheckpointStoreError(
                f"{self.path!r} is not a usable SQLite database ({exc}). Point "
                "SqliteCheckpointer at a new file, or at a store created by hypergraph-typed.",
                location=self.path,
            ) from exc
        except BaseException:
            conn.close()
            raise
        self._conn, self._cur = conn, cur
        return cur

    def _run(self, op: Op[T], mode: str) -> T:
        with self._lock:
            cur = self._cur if self._cur is not None else self._open()
            if mode == READ:
                return drive(op, cur)
            cur.execute("BEGIN IMMEDIATE" if mode == WRITE else "BEGIN")
            try:
                result = drive(op, cur)
                cur.execute("COMMIT")
            except BaseException:
                assert self._conn is not None
                if self._conn.in_transaction:
                    self._conn.rollback()
                raise
            return result

    def initialize(self) -> Awaitable[None]:
        """Open the file and check or migrate its schema now; works with or without ``await``."""
        with self._lock:
            if self._cur is None:
                self._open()
        return DONE

    def close(self) -> Awaitable[None]:
        """Close the connection; the checkpointer cannot be used afterwards."""
        with self._lock:
            if self._conn is not None:
                self._conn.close()
            self._conn = self._cur = None
            self._closed = True
        return DONE
