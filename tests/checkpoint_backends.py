"""Checkpointer backends for runner-level tests: memory, SQLite file, real PostgreSQL.

PostgreSQL tests use the local server (127.0.0.1:5432, database ``test``) and a fresh
schema per test, dropped afterwards. When the server is down they fail: CI starts it.
"""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

PG_DSN = os.environ.get(
    "HYPERGRAPH_TEST_PG_DSN", "host=127.0.0.1 port=5432 dbname=test user=postgres"
)


def _close(cp: Any) -> None:
    result = cp.close()
    if asyncio.iscoroutine(result):
        asyncio.run(result)


@contextmanager
def make_backend(kind: str, tmp_path: Path) -> Iterator[Any]:
    from hypergraph_typed.checkpointers import MemoryCheckpointer, SqliteCheckpointer

    if kind == "memory":
        yield MemoryCheckpointer()
        return
    if kind == "sqlite":
        cp: Any = SqliteCheckpointer(tmp_path / "runs.db")
        try:
            yield cp
        finally:
            _close(cp)
        return
    import psycopg

    from hypergraph_typed.checkpointers.postgres import PostgresCheckpointer

    schema = "hgt_run_" + secrets.token_hex(5)
    cp = PostgresCheckpointer(PG_DSN, schema=schema)
    try:
        yield cp
    finally:
        _close(cp)
        with psycopg.connect(PG_DSN, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
