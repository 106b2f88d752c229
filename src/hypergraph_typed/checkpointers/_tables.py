"""List types returned by the read API, with reprs that print as tables."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import attrs

from hypergraph_typed.checkpointers import _format
from hypergraph_typed.checkpointers._records import Run, StepRecord

StepsByRun = Mapping[str, list[StepRecord]]


def _run_row(run: Run) -> tuple[str, ...]:
    return (
        run.id,
        run.status.value,
        run.graph_name or "-",
        _format.duration(run.duration_ms),
        str(run.node_count),
        str(run.error_count),
        _format.timestamp(run.created_at),
    )


class RunTable(list[Run]):
    """Runs, newest first; ``steps_by_run`` optionally carries each run's steps."""

    def __init__(
        self, items: Iterable[Run] = (), *, steps_by_run: StepsByRun | None = None
    ) -> None:
        super().__init__(items)
        self.steps_by_run: dict[str, list[StepRecord]] | None = (
            None if steps_by_run is None else dict(steps_by_run)
        )

    def __repr__(self) -> str:
        head = f"RunTable: {_format.plural(len(self), 'run')}"
        if not self:
            return head
        header = ("id", "status", "graph", "duration", "steps", "errors", "created")
        return "\n".join([head, *_format.table(header, [_run_row(r) for r in self])])


class StepTable(list[StepRecord]):
    """Step records in execution order."""

    def __init__(self, items: Iterable[StepRecord] = ()) -> None:
        super().__init__(items)

    def __repr__(self) -> str:
        head = f"StepTable: {_format.plural(len(self), 'step')}"
        if not self:
            return head
        header = ("index", "superstep", "node", "status", "duration", "cached", "error")
        rows = [
            (
                str(s.index),
                str(s.superstep),
                s.node_name,
                s.status.value,
                _format.duration(s.duration_ms),
                "yes" if s.cached else "",
                s.error or "",
            )
            for s in self
        ]
        return "\n".join([head, *_format.table(header, rows)])


@attrs.frozen
class LineageRow:
    """One run in a lineage listing.

    ``depth`` is the distance from the root; ``lane`` is the column a git-style graph
    would draw the run in: a first child stays in its parent's lane, later siblings open
    new lanes to the right.
    """

    lane: int
    run: Run
    depth: int
    is_selected: bool = False


class LineageView(list[LineageRow]):
    """A run's family (forks and retries), root first, descendants depth-first."""

    def __init__(
        self,
        rows: Iterable[LineageRow],
        *,
        selected_run_id: str,
        root_run_id: str,
        steps_by_run: StepsByRun | None = None,
    ) -> None:
        super().__init__(rows)
        self.selected_run_id = selected_run_id
        self.root_run_id = root_run_id
        self.steps_by_run: dict[str, list[StepRecord]] | None = (
            None if steps_by_run is None else dict(steps_by_run)
        )

    def __repr__(self) -> str:
        """A git-style lineage table: one row per run, drawn in its lane.

        ``*`` marks a run, ``@`` the selected one; ``|`` the lanes to its left.
        """
        head = (
            f"LineageView: {_format.plural(len(self), 'run')} | root {self.root_run_id} | "
            f"selected {self.selected_run_id}"
        )
        if not self:
            return head
        header = ("graph", "run", "status", "lineage", "steps", "duration", "created")
        rows = [
            (
                "| " * row.lane + ("@" if row.is_selected else "*"),
                row.run.id,
                row.run.status.value,
                _lineage(row.run),
                str(row.run.node_count),
                _format.duration(row.run.duration_ms),
                _format.timestamp(row.run.created_at),
            )
            for row in self
        ]
        return "\n".join([head, *_format.table(header, rows)])


def _lineage(run: Run) -> str:
    """How a run relates to its family: ``root``, ``fork of X@S`` or ``retry #N of X``."""
    if run.retry_of is not None:
        return f"retry #{run.retry_index} of {run.retry_of}"
    if run.forked_from is not None:
        at = "" if run.fork_superstep is None else f"@{run.fork_superstep}"
        return f"fork of {run.forked_from}{at}"
    return "root"
