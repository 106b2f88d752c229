"""What a run tells the standard ``logging`` module, under the ``hypergraph_typed`` logger.

``hypergraph_typed.runs``: a run's start and end at DEBUG; pauses, resumes and runs
started from a checkpoint (forks, retries) at INFO, since a person usually waits on
them. ``hypergraph_typed.checkpoints``: each checkpoint write at DEBUG. Every call is
guarded by ``isEnabledFor``, so a run pays almost nothing while logging is off.
"""

from __future__ import annotations

import logging
from typing import Any

runs: logging.Logger = logging.getLogger("hypergraph_typed.runs")
checkpoints: logging.Logger = logging.getLogger("hypergraph_typed.checkpoints")


def _graph(plan: Any) -> str:
    return plan.graph_name or "(unnamed graph)"


def run_started(plan: Any, workflow_id: str | None) -> None:
    """A run's start, at DEBUG (with its workflow id when it is checkpointed)."""
    if runs.isEnabledFor(logging.DEBUG):
        where = f" as workflow {workflow_id!r}" if workflow_id is not None else ""
        runs.debug("run of %s started%s", _graph(plan), where)


def run_ended(plan: Any, result: Any) -> None:
    """End of a top-level run: DEBUG, and INFO for a pause (someone must answer it)."""
    pause = result.pause
    if pause is not None:
        if runs.isEnabledFor(logging.INFO):
            runs.info(
                "workflow %r (%s) paused at %r, waiting for %s",
                result.workflow_id, _graph(plan), pause.node_name,
                ", ".join(repr(k) for k in pause.response_keys.values()),
            )
        return
    if runs.isEnabledFor(logging.DEBUG):
        where = f" (workflow {result.workflow_id!r})" if result.workflow_id is not None else ""
        runs.debug("run of %s ended %s%s", _graph(plan), result.status.value, where)


def resumed(workflow_id: str, status: str, superstep: int, answers: Any) -> None:
    """A stored workflow resumed, at INFO: its previous status, the superstep, the answers."""
    if runs.isEnabledFor(logging.INFO):
        given = f" with answers for {sorted(answers)}" if answers else ""
        runs.info("workflow %r resumed (was %s) at superstep %d%s",
                  workflow_id, status, superstep, given)


def from_checkpoint(workflow_id: str, source: str | None, retry_index: int | None) -> None:
    """A run started from a checkpoint, at INFO (a retry with ``retry_index``, else a fork)."""
    if runs.isEnabledFor(logging.INFO):
        how = "retry" if retry_index is not None else "fork"
        origin = f" of {source!r}" if source is not None else " from a checkpoint"
        runs.info("workflow %r started as a %s%s", workflow_id, how, origin)


def written(workflow_id: str, records: int, status: Any, version: int) -> None:
    """One checkpoint write, at DEBUG: records written, the new status if any, the new version."""
    if checkpoints.isEnabledFor(logging.DEBUG):
        state = f", status {status.value}" if status is not None else ""
        checkpoints.debug("workflow %r: wrote %d step record(s)%s (version %d)",
                          workflow_id, records, state, version)


__all__ = ["checkpoints", "from_checkpoint", "resumed", "run_ended", "run_started", "runs",
           "written"]
