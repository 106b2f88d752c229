"""Pure functions over step records and runs, shared by every backend."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from hypergraph_typed.checkpointers._records import Run, StepRecord, StepStatus
from hypergraph_typed.checkpointers._tables import LineageRow, LineageView


def fold_state(steps: Iterable[StepRecord]) -> dict[str, Any]:
    """State = the values of the steps, applied in execution order (later wins)."""
    state: dict[str, Any] = {}
    for step in steps:
        if step.values:
            state.update(step.values)
    return state


def last_superstep(steps: Sequence[StepRecord]) -> int | None:
    """The highest superstep among ``steps``, or ``None`` when there are none."""
    return max((s.superstep for s in steps), default=None)


def step_stats(steps: Iterable[StepRecord]) -> dict[str, dict[str, Any]]:
    """Per-node totals, the most expensive node first."""
    acc: dict[str, dict[str, Any]] = {}
    for s in steps:
        entry = acc.get(s.node_name)
        if entry is None:
            entry = acc[s.node_name] = {
                "node_type": s.node_type,
                "steps": 0,
                "total_ms": 0.0,
                "avg_ms": 0.0,
                "max_ms": 0.0,
                "errors": 0,
                "cache_hits": 0,
            }
        if s.node_type is not None:
            entry["node_type"] = s.node_type
        entry["steps"] += 1
        entry["total_ms"] += s.duration_ms
        entry["max_ms"] = max(entry["max_ms"], s.duration_ms)
        entry["errors"] += s.status is StepStatus.FAILED
        entry["cache_hits"] += bool(s.cached)
    for entry in acc.values():
        entry["avg_ms"] = entry["total_ms"] / entry["steps"]
    return dict(sorted(acc.items(), key=lambda kv: kv[1]["total_ms"], reverse=True))


# The longest workflow id the runtime accepts (``runtime.prepare.check_workflow_id``).
MAX_ID_LENGTH = 200


def _derived(source_run_id: str, suffix: str) -> str:
    """``source + suffix``, the source cut short so the id stays a valid workflow id."""
    return source_run_id[: MAX_ID_LENGTH - len(suffix)] + suffix


def fork_id(source_run_id: str) -> str:
    """The id of a new fork of ``source_run_id``: ``{source}-fork-`` and six random hex digits."""
    return _derived(source_run_id, f"-fork-{secrets.token_hex(3)}")


def retry_id(source_run_id: str, retry_index: int) -> str:
    """The id of retry number ``retry_index`` of ``source_run_id``: ``{source}-retry-{n}``."""
    return _derived(source_run_id, f"-retry-{retry_index}")


def lineage_parent(run: Run) -> str | None:
    """The run this one was forked or retried from, or ``None`` for the root of a lineage."""
    return run.forked_from if run.forked_from is not None else run.retry_of


def build_lineage(
    selected: Run,
    get_run: Callable[[str], Run | None],
    children_of: Callable[[list[str]], list[Run]],
    steps_of: Callable[[str], list[StepRecord]] | None,
    max_runs: int,
) -> LineageView:
    """Climb ``forked_from``/``retry_of`` to the root, then list descendants depth-first.

    ``children_of(ids)`` returns the runs forked or retried from any of ``ids``; it is
    called once per generation, so a SQL store needs one query per depth level.
    """
    if max_runs < 1:
        raise ValueError(f"lineage: max_runs must be >= 1, got {max_runs!r}")
    root = selected
    seen = {root.id}
    while (parent_id := lineage_parent(root)) is not None and parent_id not in seen:
        parent = get_run(parent_id)
        if parent is None:
            break
        seen.add(parent_id)
        root = parent

    # Collect the tree generation by generation, bounded by max_runs.
    kids: dict[str, list[Run]] = {}
    known = {root.id}
    generation = [root.id]
    count = 1
    while generation and count < max_runs:
        found = children_of(generation)
        nxt: list[str] = []
        for child in sorted(found, key=lambda r: r.created_at):
            parent_id = lineage_parent(child)
            if child.id in known or parent_id is None or count >= max_runs:
                continue
            known.add(child.id)
            kids.setdefault(parent_id, []).append(child)
            nxt.append(child.id)
            count += 1
        generation = nxt

    # Depth-first, iteratively (a long retry chain must not hit the recursion limit).
    # A first child stays in its parent's lane; a later sibling opens the next free lane
    # when it is reached.
    rows: list[LineageRow] = []
    next_lane = 1
    stack: list[tuple[Run, int, int | None]] = [(root, 0, 0)]
    while stack:
        run, depth, lane = stack.pop()
        if lane is None:
            lane, next_lane = next_lane, next_lane + 1
        rows.append(LineageRow(lane, run, depth, run.id == selected.id))
        children = kids.get(run.id, [])
        for i in range(len(children) - 1, -1, -1):
            stack.append((children[i], depth + 1, lane if i == 0 else None))
    steps_by_run: Mapping[str, list[StepRecord]] | None = None
    if steps_of is not None:
        steps_by_run = {row.run.id: steps_of(row.run.id) for row in rows}
    return LineageView(
        rows, selected_run_id=selected.id, root_run_id=root.id, steps_by_run=steps_by_run
    )
