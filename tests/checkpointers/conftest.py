"""Backends for the store tests: memory, SQLite on a temporary file, real PostgreSQL.

PostgreSQL runs on 127.0.0.1:5432 (database ``test``, user ``postgres``; override with
``HYPERGRAPH_TEST_PG_DSN``). Every test gets a fresh schema with a random name, dropped
afterwards. A server that is down makes these tests fail, never skip: CI starts it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from cp_helpers import BACKENDS, Backend, new_schema_name, pg_admin

from hypergraph_typed.checkpointers import StoreCheckpointer


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    b = Backend(request.param, tmp_path)
    try:
        yield b
    finally:
        b.close()


@pytest.fixture(params=["sqlite", "postgres"])
def sql_backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    b = Backend(request.param, tmp_path)
    try:
        yield b
    finally:
        b.close()


@pytest.fixture
def store(backend: Backend) -> StoreCheckpointer:
    return backend.open()


@pytest.fixture
def pg_schema() -> Iterator[str]:
    """A fresh, not yet existing schema name; dropped after the test."""
    name = new_schema_name("s")
    try:
        yield name
    finally:
        with pg_admin() as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
