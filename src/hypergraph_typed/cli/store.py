"""Open the checkpoint database named on the command line, read-only.

The library's stores create or migrate their schema on first use, which is right for a
runner and wrong for an inspector: a typo in ``--db`` or ``--schema`` must be reported,
not turned into a new empty store, and a look at a store must never change it. So the
CLI checks that the file/schema exists and holds tables, then opens the store with
``read_only=True`` (SQLite ``mode=ro``; PostgreSQL read-only transactions): no journal
mode switch, no migration, no write.
"""

from __future__ import annotations

import shlex
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from hypergraph_typed.checkpointers import PostgresCheckpointer, SqliteCheckpointer
from hypergraph_typed.checkpointers.store import StoreCheckpointer
from hypergraph_typed.cli.errors import CliError

DEFAULT_SCHEMA = "hypergraph"


@dataclass(frozen=True)
class Source:
    """An opened store plus how to name it in messages and suggested commands."""

    store: StoreCheckpointer
    label: str
    options: str  # the command-line options that select this store, for hints

    def hint(self, command: str) -> str:
        return f"hypergraph-typed {self.options} {command}"


def open_sqlite(path: str) -> Source:
    """A ``SqliteCheckpointer`` on an existing, non-empty file; never creates one."""
    p = Path(path)
    if not p.exists():
        raise CliError(
            f"no database file at {path!r}. Check the path given to --db (the CLI never "
            "creates a database; runs are written by a runner with a SqliteCheckpointer)."
        )
    if p.is_dir():
        raise CliError(f"{path!r} is a directory; give the database file, e.g. --db {path}/runs.db")
    if _sqlite_is_empty(p):
        raise CliError(
            f"{path!r} is empty: it is not a checkpoint database (no runs were ever saved "
            "there). Check the path given to --db."
        )
    options = f"--db {shlex.quote(path)}"
    return Source(SqliteCheckpointer(p, read_only=True), label=path, options=options)


def _sqlite_is_empty(path: Path) -> bool:
    """True for a file with no tables; errors are left to the store, which explains them."""
    uri = f"file:{quote(str(path.resolve()))}?mode=ro"
    try:
        conn = sqlite3.connect(uri, uri=True)
    except sqlite3.Error:
        return False
    try:
        rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    except sqlite3.DatabaseError:
        return False  # not a database at all: the store raises CheckpointStoreError
    finally:
        conn.close()
    return not rows


def open_postgres(dsn: str, schema: str | None) -> Source:
    """A ``PostgresCheckpointer`` on an existing schema; the server must be reachable."""
    try:
        import psycopg
    except ImportError as exc:
        raise CliError(
            "--dsn needs psycopg 3: pip install 'hypergraph-typed[postgres]'"
        ) from exc
    schema = schema or DEFAULT_SCHEMA
    try:
        store = PostgresCheckpointer(dsn, schema=schema, read_only=True)
    except ValueError as exc:
        raise CliError(f"--schema: {exc}") from exc
    where = store.location
    options_given = _options(dsn)
    timeout: dict[str, Any] = {} if "connect_timeout" in options_given else {
        "connect_timeout": max(1, round(store.connect_timeout))
    }
    try:
        with psycopg.connect(dsn, autocommit=True, **timeout) as conn:
            tables = conn.execute(
                "SELECT count(*) FROM pg_catalog.pg_tables WHERE schemaname = %s", (schema,)
            ).fetchone()
    except psycopg.Error as exc:
        detail = " ".join(str(exc).split()).rstrip(".")
        detail += "" if detail.endswith("?") else "."
        raise CliError(
            f"cannot connect to PostgreSQL at {where}: {detail} Check that the server is "
            "running there and that --dsn is right."
        ) from exc
    if not tables or not tables[0]:
        raise CliError(
            f"PostgreSQL schema {schema!r} ({where}) holds no checkpoint tables. Check "
            f"--schema (default {DEFAULT_SCHEMA!r}); the CLI never creates one."
        )
    options = f"--dsn {shlex.quote(dsn)}"
    if schema != DEFAULT_SCHEMA:
        options += f" --schema {shlex.quote(schema)}"
    return Source(store, label=f"PostgreSQL schema {schema!r} ({where})", options=options)


def _options(dsn: str) -> dict[str, Any]:
    from psycopg.conninfo import conninfo_to_dict

    try:
        return dict(conninfo_to_dict(dsn))
    except Exception:
        return {}


def describe_dsn(dsn: str) -> str:
    """``host=... dbname=...`` without the password, for error messages."""
    parts = _options(dsn)
    if not parts:
        return "an unparsable DSN"
    shown = [f"{k}={parts[k]}" for k in ("host", "port", "dbname", "user") if k in parts]
    return " ".join(shown) or "default connection settings"
