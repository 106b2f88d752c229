"""A read-only view of a store: hand it to dashboards and tools that must not write."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol, runtime_checkable

import attrs

from hypergraph_typed.checkpointers._records import Checkpoint, Run, WorkflowStatus
from hypergraph_typed.checkpointers._tables import LineageView, RunTable, StepTable
from hypergraph_typed.checkpointers.sqlite import SqliteCheckpointer
from hypergraph_typed.checkpointers.store import UNSET, ParentFilter


@runtime_checkable
class RunInspector(Protocol):
    """The sync read API of a checkpointer."""

    def get_run(self, run_id: str) -> Run | None: ...

    def runs(
        self,
        *,
        status: WorkflowStatus | str | None = None,
        graph_name: str | None = None,
        since: datetime | None = None,
        parent_run_id: ParentFilter = UNSET,
        limit: int | None = 100,
    ) -> RunTable: ...

    def steps(self, run_id: str, *, superstep: int | None = None) -> StepTable: ...

    def state(self, run_id: str, *, superstep: int | None = None) -> dict[str, Any]: ...

    def values(self, run_id: str, *, key: str | None = None) -> dict[str, Any]: ...

    def checkpoint(self, run_id: str, *, superstep: int | None = None) -> Checkpoint: ...

    def search(self, q: str, *, field: str | None = None, limit: int = 20) -> StepTable: ...

    def stats(self, run_id: str) -> dict[str, dict[str, Any]]: ...

    def lineage(
        self, run_id: str, *, include_steps: bool = True, max_runs: int = 200
    ) -> LineageView: ...


@attrs.frozen
class SqliteRunInspector:
    """Read-only adapter over a ``SqliteCheckpointer``: the sync reads and ``db_path``."""

    checkpointer: SqliteCheckpointer

    @property
    def db_path(self) -> str:
        return self.checkpointer.path

    def get_run(self, run_id: str) -> Run | None:
        return self.checkpointer.get_run(run_id)

    def runs(
        self,
        *,
        status: WorkflowStatus | str | None = None,
        graph_name: str | None = None,
        since: datetime | None = None,
        parent_run_id: ParentFilter = UNSET,
        limit: int | None = 100,
    ) -> RunTable:
        return self.checkpointer.runs(
            status=status,
            graph_name=graph_name,
            since=since,
            parent_run_id=parent_run_id,
            limit=limit,
        )

    def steps(self, run_id: str, *, superstep: int | None = None) -> StepTable:
        return self.checkpointer.steps(run_id, superstep=superstep)

    def state(self, run_id: str, *, superstep: int | None = None) -> dict[str, Any]:
        return self.checkpointer.state(run_id, superstep=superstep)

    def values(self, run_id: str, *, key: str | None = None) -> dict[str, Any]:
        return self.checkpointer.values(run_id, key=key)

    def checkpoint(self, run_id: str, *, superstep: int | None = None) -> Checkpoint:
        return self.checkpointer.checkpoint(run_id, superstep=superstep)

    def search(self, q: str, *, field: str | None = None, limit: int = 20) -> StepTable:
        return self.checkpointer.search(q, field=field, limit=limit)

    def stats(self, run_id: str) -> dict[str, dict[str, Any]]:
        return self.checkpointer.stats(run_id)

    def lineage(
        self, run_id: str, *, include_steps: bool = True, max_runs: int = 200
    ) -> LineageView:
        return self.checkpointer.lineage(run_id, include_steps=include_steps, max_runs=max_runs)
