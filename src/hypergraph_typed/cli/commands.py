"""The three read commands: ``runs``, ``steps`` and ``show``, each building an ``Output``."""

from __future__ import annotations

import difflib
from typing import Any

from hypergraph_typed.checkpointers import Run, StepRecord, StepStatus, WorkflowStatus
from hypergraph_typed.cli import text
from hypergraph_typed.cli.errors import CliError
from hypergraph_typed.cli.pending import PendingQuestion, find_pending
from hypergraph_typed.cli.render import Fields, Lines, Output, Table
from hypergraph_typed.cli.store import Source

VALUE_PREVIEW = 160  # characters per line of the pending value; --json has all of it
VALUE_LINES = 12
STATE_PREVIEW = 60


def runs(
    source: Source, *, status: str | None, graph: str | None, limit: int | None,
    nested: bool = False,
) -> Output:
    """Top-level runs unless ``nested``: a map() can add thousands of child runs."""
    if nested:
        table = source.store.runs(status=status, graph_name=graph, limit=limit)
    else:
        table = source.store.runs(status=status, graph_name=graph, limit=limit,
                                  parent_run_id=None)
    which = f"{status} runs" if status else "runs"
    noun = which if len(table) != 1 else which[:-1]
    rows = [
        (r.id, r.status.value, r.graph_name or "-", str(r.node_count), str(r.error_count),
         text.duration(r.duration_ms), text.timestamp(r.created_at), _waits_for(r))
        for r in table
    ]
    columns = ("id", "status", "graph", "steps", "errors", "duration", "created (UTC)",
               "waiting for")
    title = f"{len(rows)} {noun} in {source.label}, newest first"
    if limit is not None and len(rows) == limit:
        title += f" (showing the first {limit}; raise --limit for more)"
    return Output(
        [Table(title, columns, rows, empty=f"no {which} yet")],
        {"runs": [r.to_dict() for r in table]},
    )


def _waits_for(run: Run) -> str:
    """The key a paused run's answer goes under (its pause record), else ``-``."""
    pause = run.pause
    if run.status is not WorkflowStatus.PAUSED or pause is None or not pause.pending:
        return "-"
    return ", ".join(pause.response_keys.values())


def steps(source: Source, workflow_id: str) -> Output:
    run = require_run(source, workflow_id)
    records = list(source.store.steps(workflow_id))
    rows = [
        (str(s.index), str(s.superstep), s.node_name, s.status.value,
         text.duration(s.duration_ms), "yes" if s.cached else "", _detail(s))
        for s in records
    ]
    columns = ("index", "superstep", "node", "status", "duration", "cached", "decision / error")
    title = f"workflow {run.id} ({run.graph_name or 'unnamed graph'}): {run.status.value}"
    return Output(
        [Table(title, columns, rows, empty="no steps recorded")],
        {"workflow_id": run.id, "steps": [s.to_dict() for s in records]},
    )


def show(source: Source, workflow_id: str) -> Output:
    run = require_run(source, workflow_id)
    pending = find_pending(source.store, run.id) if run.status is WorkflowStatus.PAUSED else None
    failed = [s for s in source.store.steps(run.id) if s.status is StepStatus.FAILED]
    state = source.store.state(run.id)
    blocks: list[Fields | Table] = [Fields(f"workflow {run.id}", _run_fields(run))]
    if failed or run.status is WorkflowStatus.FAILED:
        blocks.append(Fields("failed", _failure_fields(failed)))
    if pending is not None:
        blocks.append(Fields("waiting for input", _pending_fields(pending)))
    elif run.status is WorkflowStatus.PAUSED:
        blocks.append(Fields("waiting for input", [("node", "(no paused interrupt recorded)")]))
    state_rows = [(k, text.type_name(v), text.preview(v, STATE_PREVIEW)) for k, v in state.items()]
    blocks.append(Table("state", ("key", "type", "value"), state_rows, status_column=None,
                        empty="no values yet"))
    data = {
        "run": run.to_dict(),
        "errors": [{"node_name": s.node_name, "superstep": s.superstep, "error": s.error}
                   for s in failed],
        "pending": None if pending is None else pending.to_dict(),
        "state_keys": list(state),
    }
    return Output(blocks, data)


def require_run(source: Source, workflow_id: str) -> Run:
    """The run, or a ``CliError`` that suggests close ids and the ``runs`` command."""
    run = source.store.get_run(workflow_id)
    if run is not None:
        return run
    known = [r.id for r in source.store.runs(limit=None)]
    close = difflib.get_close_matches(workflow_id, known, n=3)
    hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    raise CliError(
        f"no workflow {workflow_id!r} in {source.label}.{hint} List the stored workflows "
        f"with: {source.hint('runs')}"
    )


def _run_fields(run: Run) -> list[tuple[str, str]]:
    items = [
        ("status", run.status.value),
        ("graph", run.graph_name or "-"),
        ("steps", str(run.node_count)),
        ("errors", str(run.error_count)),
        ("duration", text.duration(run.duration_ms)),
        ("created", text.timestamp(run.created_at) + " UTC"),
        ("completed", text.timestamp(run.completed_at)
         + (" UTC" if run.completed_at is not None else "")),
    ]
    lineage: list[tuple[str, Any]] = [
        ("parent", run.parent_run_id),
        ("forked from", None if run.forked_from is None
         else f"{run.forked_from}@{run.fork_superstep}"),
        ("retry of", None if run.retry_of is None else f"{run.retry_of} (#{run.retry_index})"),
    ]
    items.extend((name, str(value)) for name, value in lineage if value is not None)
    return items


def _failure_fields(failed: list[StepRecord]) -> list[tuple[str, str | Lines]]:
    """Each failed node with its error (one line per line of the message)."""
    if not failed:
        return [("error", "(no failed step recorded: the run stopped outside a node)")]
    return [(f"{s.node_name} (superstep {s.superstep})",
             tuple((s.error or "(no message)").rstrip("\n").split("\n")))
            for s in failed]


def _pending_fields(pending: PendingQuestion) -> list[tuple[str, str | Lines]]:
    key = pending.response_key or "unknown until this interrupt is answered once"
    shown = text.listing(pending.value, VALUE_LINES, VALUE_PREVIEW)
    items: list[tuple[str, str | Lines]] = [
        ("node", pending.node_name),
        ("response key", key),
        ("input shown", pending.input_name or "-"),
        ("value", shown),
    ]
    return items if pending.note is None else [*items, ("note", pending.note)]


def _detail(step: StepRecord) -> str:
    if step.error is not None:
        return step.error
    if step.decision is not None:
        return text.decision(step.decision)
    if step.child_run_id is not None:
        return f"child run {step.child_run_id}"
    return ""
