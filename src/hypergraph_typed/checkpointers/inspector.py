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

    def get_run(self, run_id: str) -> Run | None:
        """The run, or ``None``."""
        ...

    def runs(
        self,
        *,
        status: WorkflowStatus | str | None = None,
        graph_name: str | None = None,
        since: datetime | None = None,
        parent_run_id: ParentFilter = UNSET,
        limit: int | None = 100,
    ) -> RunTable:
        """Runs, newest first. ``parent_run_id``: unset = all, ``None`` = top-level only."""
        ...

    def steps(self, run_id: str, *, superstep: int | None = None) -> StepTable:
        """The run's steps in execution order (up to ``superstep`` inclusive)."""
        ...

    def state(self, run_id: str, *, superstep: int | None = None) -> dict[str, Any]:
        """The run's values folded from its steps (up to ``superstep`` inclusive)."""
        ...

    def values(self, run_id: str, *, key: str | None = None) -> dict[str, Any]:
        """The full state, or ``{key: value}`` (``{}`` if the key was never written)."""
        ...

    def checkpoint(self, run_id: str, *, superstep: int | None = None) -> Checkpoint:
        """The run's state and steps up to ``superstep`` (default: all), to fork or retry from."""
        ...

    def search(self, q: str, *, field: str | None = None, limit: int = 20) -> StepTable:
        """Steps whose node name or error contains every word of ``q``."""
        ...

    def stats(self, run_id: str) -> dict[str, dict[str, Any]]:
        """Per-node totals: steps, time, errors and cache hits."""
        ...

    def lineage(
        self, run_id: str, *, include_steps: bool = True, max_runs: int = 200
    ) -> LineageView:
        """The run's family tree of forks and retries (root first, depth-first)."""
        ...


@attrs.frozen
class SqliteRunInspector:
    """Read-only adapter over a ``SqliteCheckpointer``: the sync reads and ``db_path``."""

    checkpointer: SqliteCheckpointer

    @property
    def db_path(self) -> str:
        """The path of the SQLite database file."""
        return self.checkpointer.path

    def get_run(self, run_id: str) -> Run | None:
        """The run, or ``None``."""
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
        """Runs, newest first, filtered as in ``SqliteCheckpointer.runs``."""
        return self.checkpointer.runs(
            status=status,
            graph_name=graph_name,
            since=since,
            parent_run_id=parent_run_id,
            limit=limit,
        )

    def steps(self, run_id: str, *, superstep: int | None = None) -> StepTable:
        """The run's steps in execution order (up to ``superstep`` inclusive)."""
        return self.checkpointer.steps(run_id, superstep=superstep)

    def state(self, run_id: str, *, superstep: int | None = None) -> dict[str, Any]:
        """The run's values folded from its steps (up to ``superstep`` inclusive)."""
        return self.checkpointer.state(run_id, superstep=superstep)

    def values(self, run_id: str, *, key: str | None = None) -> dict[str, Any]:
        """The full state, or ``{key: value}`` (``{}`` if the key was never written)."""
        return self.checkpointer.values(run_id, key=key)

    def checkpoint(self, run_id: str, *, superstep: int | None = None) -> Checkpoint:
        """The run's state and steps up to ``superstep`` (default: all), to fork or retry from."""
        return self.checkpointer.checkpoint(run_id, superstep=superstep)

    def search(self, q: str, *, field: str | None = None, limit: int = 20) -> StepTable:
        """Steps whose node name or error contains every word of ``q``."""
        return self.checkpointer.search(q, field=field, limit=limit)

    def stats(self, run_id: str) -> dict[str, dict[str, Any]]:
        """Per-node totals: steps, time, errors and cache hits."""
        return self.checkpointer.stats(run_id)

    def lineage(
        self, run_id: str, *, include_steps: bool = True, max_runs: int = 200
    ) -> LineageView:
        """The run's family tree of forks and retries (root first, depth-first)."""
        return self.checkpointer.lineage(run_id, include_steps=include_steps, max_runs=max_runs)
