"""``SqliteCheckpointer``: a durable store in one SQLite file, via the standard library.

Concurrency model: one connection per checkpointer, guarded by a lock, so the object
can be shared by the event-loop thread and worker threads; several processes may open
the same file: SQLite lets one writer in at a time, and a writer that finds the file
busy retries with short sleeps (not SQLite's millisecond busy handler) until
``BUSY_TIMEOUT_S``. The journal is WAL with ``synchronous=NORMAL``: a committed
superstep survives a killed process (not necessarily a power cut). Async methods run
the (fast) SQL inline on the calling thread; see docs/checkpoints.md for the
measurements behind that choice.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Awaitable, Callable
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from hypergraph_typed.checkpointers import _format, _sqlplans
from hypergraph_typed.checkpointers._codec import Codec, ts_from_text, ts_to_text
from hypergraph_typed.checkpointers._sqlplans import Fetch, SqlPlans, Stmt, Txn
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


def _busy(exc: sqlite3.OperationalError) -> bool:
    text = str(exc)
    return "locked" in text or "busy" in text


def _retry_busy(action: Callable[[], T]) -> T:
    """Run ``action``, retrying while another connection holds the lock it needs.

    Waits start at 50 µs and double up to 2 ms, so a writer gets in right after a short
    transaction of another process ends (SQLite's own busy handler sleeps whole
    milliseconds, which caps throughput when many processes write small transactions).
    """
    deadline = time.monotonic() + BUSY_TIMEOUT_S
    delay = 0.00005
    while True:
        try:
            return action()
        except sqlite3.OperationalError as exc:
            if not _busy(exc) or time.monotonic() > deadline:
                raise
        time.sleep(delay)
        delay = min(delay * 2, 0.002)


def _execute(cur: sqlite3.Cursor, stmt: Stmt) -> Any:
    if stmt.many:
        if len(stmt.params) == 1:
            cur.execute(stmt.sql, stmt.params[0])
        else:
            cur.executemany(stmt.sql, stmt.params)
        return None
    cur.execute(stmt.sql, stmt.params)
    fetch = stmt.fetch
    if fetch is Fetch.ONE:
        return cur.fetchone()
    if fetch is Fetch.ALL:
        return cur.fetchall()
    if fetch is Fetch.ROWCOUNT:
        return cur.rowcount
    return None


class SqliteCheckpointer(SqlCheckpointer):
    """Checkpoints in an SQLite file (or ``":memory:"``), with the full sync and async API.

    ``read_only=True`` opens an existing store without ever writing to it (no journal
    mode switch, no migration): what an inspector such as the CLI wants.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        durability: str | None = None,
        retention: str | None = None,
        policy: CheckpointPolicy | None = None,
        serializer: Serializer | None = None,
        read_only: bool = False,
    ) -> None:
        super().__init__(resolve_policy(policy, durability, retention), serializer)
        if not isinstance(path, (str, os.PathLike)):
            raise TypeError(f"SqliteCheckpointer: path must be a str or Path, got {path!r}")
        self.path: str = os.fspath(path)
        self.read_only = bool(read_only)
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None
        self._cur: sqlite3.Cursor | None = None
        self._closed = False
        text = SqlText(SQLITE)
        codec = Codec(self.serializer, ts_out=ts_to_text, ts_in=ts_from_text, bool_out=int)
        self._plans = SqlPlans(text, codec)
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

    def _connect(self) -> sqlite3.Connection:
        if self.read_only:
            if self.path == ":memory:" or not Path(self.path).is_file():
                raise CheckpointStoreError(
                    f"SqliteCheckpointer(read_only=True): no store at {self.path!r}; a "
                    "read-only store must exist already",
                    location=self.path,
                )
            uri = "file:" + Path(self.path).resolve().as_posix() + "?mode=ro"
            return sqlite3.connect(
                uri, uri=True, isolation_level=None, check_same_thread=False, timeout=0
            )
        return sqlite3.connect(
            self.path, isolation_level=None, check_same_thread=False, timeout=0
        )

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
            conn = self._connect()
        except sqlite3.Error as exc:
            raise CheckpointStoreError(
                f"cannot open SQLite database {self.path!r}: {exc}. Check that the directory "
                "exists and is writable.",
                location=self.path,
            ) from exc
        try:
            cur = conn.cursor()
            version = _retry_busy(lambda: self._schema.probe(cur))
            if self.read_only:
                if needs_work(version):
                    raise CheckpointStoreError(
                        f"SQLite database {self.path!r} "
                        + ("holds no checkpoint store" if version is None else
                           f"uses the older checkpoint schema version {version}")
                        + "; opened read-only, it is not changed. Run a hypergraph-typed "
                        "program against it (read-write) once to create or migrate it.",
                        location=self.path,
                    )
            else:
                if self.path != ":memory:":
                    _retry_busy(lambda: self._enable_wal(cur))
                cur.execute("PRAGMA synchronous=NORMAL")
                if needs_work(version):
                    _retry_busy(lambda: cur.execute("BEGIN IMMEDIATE"))
                    try:
                        self._schema.ensure(cur)
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

    @staticmethod
    def _enable_wal(cur: sqlite3.Cursor) -> None:
        """Switch to WAL (persistent in the file) unless it already is."""
        if cur.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            cur.execute("PRAGMA journal_mode=WAL")

    def _cursor(self) -> sqlite3.Cursor:
        return self._cur if self._cur is not None else self._open()

    # --- executors --------------------------------------------------------------------------

    def _txn(self, txn: Txn) -> list[Any]:
        if self.read_only:
            raise CheckpointStoreError(
                f"SqliteCheckpointer({self.path!r}) is read-only; open it without "
                "read_only=True to write",
                location=self.path,
            )
        with self._lock:
            cur = self._cursor()
            _retry_busy(lambda: cur.execute("BEGIN IMMEDIATE"))
            try:
                if txn.guard is not None:
                    cur.execute(txn.guard.sql, txn.guard.params)
                    if cur.rowcount != 1:
                        raise _sqlplans.GuardFailed
                for stmt in txn.stmts:
                    _execute(cur, stmt)
                results = [_execute(cur, stmt) for stmt in txn.reads]
                cur.execute("COMMIT")
            except BaseException:
                assert self._conn is not None
                if self._conn.in_transaction:
                    self._conn.rollback()
                raise
            return results

    def _reads(self, stmts: tuple[Stmt, ...], snapshot: bool) -> list[Any]:
        with self._lock:
            cur = self._cursor()
            if not snapshot or len(stmts) == 1:
                return [_retry_busy(partial(_execute, cur, s)) for s in stmts]
            _retry_busy(lambda: cur.execute("BEGIN"))
            try:
                results = [_execute(cur, s) for s in stmts]
            finally:
                cur.execute("COMMIT")
            return results

    # --- lifecycle --------------------------------------------------------------------------

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
