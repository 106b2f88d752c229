"""Helpers shared by the checkpointer store tests (records, timestamps, backends)."""

from __future__ import annotations

import os
import secrets
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import psycopg

from hypergraph_typed.checkpointers import (
    MemoryCheckpointer,
    PostgresCheckpointer,
    SqliteCheckpointer,
    StepRecord,
    StoreCheckpointer,
    WorkflowStatus,
)
from hypergraph_typed.checkpointers.protocol import CommitRun, Lease, StartRun

PG_DSN = os.environ.get(
    "HYPERGRAPH_TEST_PG_DSN", "host=127.0.0.1 port=5432 dbname=test user=postgres"
)
BACKENDS = ["memory", "sqlite", "postgres"]
T0 = datetime(2024, 5, 1, 12, 0, 0, tzinfo=timezone.utc)


def at(seconds: float) -> datetime:
    """A fixed timestamp ``seconds`` after T0 (tests never depend on the wall clock)."""
    return T0 + timedelta(seconds=seconds)


def rec(
    run_id: str,
    superstep: int,
    node: str,
    index: int | None = None,
    status: str = "completed",
    values: dict[str, Any] | None = None,
    **kwargs: Any,
) -> StepRecord:
    return StepRecord(
        run_id=run_id,
        superstep=superstep,
        node_name=node,
        index=superstep if index is None else index,
        status=status,
        input_versions=kwargs.pop("input_versions", {}),
        values=values,
        **kwargs,
    )


def pg_admin() -> psycopg.Connection[Any]:
    return psycopg.connect(PG_DSN, autocommit=True)


def new_schema_name(tag: str = "t") -> str:
    return f"hgt_{tag}_{secrets.token_hex(5)}"


class Backend:
    """Opens stores of one kind; ``open()`` again reaches the same storage."""

    def __init__(self, kind: str, tmp_path: Path) -> None:
        self.kind = kind
        self.path = tmp_path / "checkpoints.db"
        self.schema = new_schema_name()
        self._opened: list[StoreCheckpointer] = []
        self._memory: MemoryCheckpointer | None = None

    def open(self, **kwargs: Any) -> StoreCheckpointer:
        """A handle on this backend's storage (a separate connection for SQL stores).

        Memory has no separate connections: every ``open()`` returns the one store, with
        ``policy`` applied if given.
        """
        cp: StoreCheckpointer
        if self.kind == "memory":
            if self._memory is None:
                self._memory = MemoryCheckpointer()
            if "policy" in kwargs:
                self._memory.policy = kwargs["policy"]
            return self._memory
        if self.kind == "sqlite":
            cp = SqliteCheckpointer(self.path, **kwargs)
        else:
            cp = PostgresCheckpointer(PG_DSN, schema=self.schema, **kwargs)
        self._opened.append(cp)
        return cp

    def close(self) -> None:
        for cp in self._opened:
            cp.close()
        if self.kind == "postgres":
            with pg_admin() as conn:
                conn.execute(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE')


class Writer:
    """A run started through the store protocol, and its lease threaded through commits."""

    def __init__(self, store: Any, lease: Lease) -> None:
        self.store = store
        self.lease = lease

    def commit(self, records: Any = (), **kwargs: Any) -> Lease:
        """One fenced ``CommitRun`` with ``records`` (and status/statistics/inputs)."""
        if "status" in kwargs and isinstance(kwargs["status"], str):
            kwargs["status"] = WorkflowStatus(kwargs["status"])
        self.lease = self.store.commit_run(CommitRun(self.lease, tuple(records), **kwargs))
        return self.lease


def start(store: Any, wid: str, *, inputs: dict[str, Any] | None = None, **lineage: Any) -> Writer:
    """Create ``wid`` (``StartRun``) and return its writer."""
    return Writer(store, store.start_run(StartRun(wid, inputs=inputs or {}, **lineage)))
