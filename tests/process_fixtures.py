"""Fixtures for tests that start worker processes on a store the test process opens too."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

PG_DSN = os.environ.get(
    "HYPERGRAPH_TEST_PG_DSN", "host=127.0.0.1 port=5432 dbname=test user=postgres"
)


@pytest.fixture(params=["sqlite", "postgres"])
def process_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """(backend, location) that the test process and its workers open alike."""
    if request.param == "sqlite":
        yield "sqlite", str(tmp_path / "runs.db")
        return
    import psycopg

    schema = "hgt_proc_" + secrets.token_hex(5)
    yield "postgres", schema
    with psycopg.connect(PG_DSN, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture
def gates(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A directory the workers coordinate through (``HGT_GATE_DIR``)."""
    d = tmp_path / "gates"
    d.mkdir()
    monkeypatch.setenv("HGT_GATE_DIR", str(d))
    return d
