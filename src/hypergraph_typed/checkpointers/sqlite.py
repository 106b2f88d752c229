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
from urllib.parse import quote

from hypergraph_typed.checkpointers import _format, _sqlplans
from hypergraph_typed.checkpointers._codec import Codec, ts_from_text, ts_to_text
from hypergraph_typed.checkpointers._sqlite_identity import identify, stamp_statements
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


def _nothing_else_can_write(path: Path) -> bool:
    """True when the store's directory is read-only to us and no WAL is pending, so the
    file cannot change while we read it: SQLite may then skip locking (``immutable=1``),
    which is what lets it read a store in a read-only directory at all."""
    wal = path.with_name(path.name + "-wal")
    return not os.access(path.parent, os.W_OK) and not wal.exists()


_HINTS = {
    "SQLITE_FULL": "The disk (or the file's size limit) is full: free space and retry; "
    "nothing of this call was stored.",
    "SQLITE_READONLY": "The file or its directory is read-only to this process.",
    "SQLITE_READONLY_DBMOVED": "The file was moved or deleted while open; reopen the store.",
    "SQLITE_CORRUPT": "The file is damaged: restore it from a backup.",
    "SQLITE_NOTADB": "The file is damaged or is not an SQLite database.",
    "SQLITE_IOERR": "The operating system reported an I/O error.",
    "SQLITE_BUSY": f"Another process held the database locked for over {BUSY_TIMEOUT_S:g}s.",
    "SQLITE_CANTOPEN": "Check that the file and its directory exist and are accessible.",
}


def _hint(exc: sqlite3.Error, default: str) -> str:
    """What to do about a driver error, from its SQLite result code."""
    name = getattr(exc, "sqlite_errorname", None) or ""
    primary = "_".join(name.split("_")[:2])  # SQLITE_IOERR_WRITE -> SQLITE_IOERR
    return _HINTS.get(name) or _HINTS.get(primary) or default


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
        super().__init__(resolve_policy(policy, durability, retention), serializer, read_only)
        if not isinstance(path, (str, os.PathLike)):
            raise TypeError(f"SqliteCheckpointer: path must be a str or Path, got {path!r}")
        self.path: str = os.fspath(path)
        self._lock = threading.Lock()
        self._init_lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None
        self._cur: sqlite3.Cursor | None = None
        self._closed = False
        text = SqlText(SQLITE)
        codec = Codec(self.serializer, ts_out=ts_to_text, ts_in=ts_from_text, bool_out=int,
                      location=f"SQLite database {self.path!r}")
        self._plans = SqlPlans(text, codec)
        self._schema = SchemaManager(
            text,
            location=f"SQLite database {self.path!r}",
            list_tables=_LIST_TABLES,
            table_names={"meta": "meta"},
        )

    def _location(self) -> str:
        return f"SQLite database {self.path!r}"

    @property
    def db_path(self) -> str:
        """The database file (the same as ``path``)."""
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
        if not self.read_only:
            return sqlite3.connect(
                self.path, isolation_level=None, check_same_thread=False, timeout=0
            )
        path = Path(self.path)
        if self.path == ":memory:" or not path.is_file():
            raise CheckpointStoreError(
                f"SqliteCheckpointer(read_only=True): no store at {self.path!r}; a "
                "read-only store must exist already",
                location=self.path,
            )
        uri = "file:" + quote(path.resolve().as_posix()) + "?mode=ro"
        if _nothing_else_can_write(path):
            uri += "&immutable=1"
        return sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False,
                               timeout=0)

    def _open(self) -> sqlite3.Cursor:
        """Connect, identify the file, then configure and create/migrate (once)."""
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
            version, stamped = _retry_busy(
                lambda: identify(cur, self._schema, f"SQLite database {self.path!r}")
            )
            if self.read_only:
                self._schema.check_readable(version)
            else:
                # only now, with the file known to be ours (or empty), is anything changed
                if self.path != ":memory:":
                    _retry_busy(lambda: self._enable_wal(cur))
                cur.execute("PRAGMA synchronous=NORMAL")
                if needs_work(version) or not stamped:
                    _retry_busy(lambda: cur.execute("BEGIN IMMEDIATE"))
                    try:
                        self._schema.ensure(cur)
                        for stmt in stamp_statements():
                            cur.execute(stmt)
                        cur.execute("COMMIT")
                    except BaseException:
                        if conn.in_transaction:
                            conn.rollback()
                        raise
        except sqlite3.OperationalError as exc:
            conn.close()
            raise CheckpointStoreError(
                f"cannot open SQLite database {self.path!r}: {exc}. "
                + _hint(exc, "If another process holds it locked, retry once it is done."),
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

    def _driver_error(self, exc: sqlite3.Error) -> CheckpointStoreError:
        """A driver error as a library error naming the file (the driver's error chained)."""
        return CheckpointStoreError(
            f"SQLite database {self.path!r}: {exc}. " + _hint(exc, ""),
            location=self.path,
        )

    def _cursor(self) -> sqlite3.Cursor:
        """The open cursor (the caller holds ``_lock``; ``_ensure_open`` ran first)."""
        return self._cur if self._cur is not None else self._open()

    def _ensure_open(self) -> None:
        """The first call opens the store through the public ``initialize()``, exactly
        once however many threads make their first call at the same time."""
        if self._cur is None:
            with self._init_lock:
                if self._cur is None:
                    self.initialize()

    # --- executors --------------------------------------------------------------------------

    def _txn(self, txn: Txn) -> list[Any]:
        self._ensure_open()
        with self._lock:
            cur = self._cursor()
            try:
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
            except sqlite3.Error as exc:
                raise self._driver_error(exc) from exc
            return results

    def _reads(self, stmts: tuple[Stmt, ...], snapshot: bool) -> list[Any]:
        self._ensure_open()
        with self._lock:
            cur = self._cursor()
            try:
                if not snapshot or len(stmts) == 1:
                    return [_retry_busy(partial(_execute, cur, s)) for s in stmts]
                _retry_busy(lambda: cur.execute("BEGIN"))
                try:
                    results = [_execute(cur, s) for s in stmts]
                finally:
                    assert self._conn is not None
                    if self._conn.in_transaction:
                        cur.execute("COMMIT")
            except sqlite3.Error as exc:
                raise self._driver_error(exc) from exc
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
