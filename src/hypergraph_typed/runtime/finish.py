"""A finished call's ``RunResult``: its values, status, run log and the ``on_missing`` rule.

Shared by the general loop (values read from the scheduler's state) and static regions
(values read from the region's value table).
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Iterable
from typing import Any

from hypergraph_typed._sentinels import MISSING
from hypergraph_typed.compiler.plan import ExecutionPlan
from hypergraph_typed.nodes._introspect import user_stacklevel
from hypergraph_typed.runtime.results import PauseInfo, RunLog, RunResult, RunStatus, new_run_id
from hypergraph_typed.runtime.scheduler import Scheduler


def collect_values(plan: ExecutionPlan, sched: Scheduler) -> dict[str, Any]:
    """The run's result values: graph outputs (or the selection) present in the state."""
    values = sched.values
    return {name: values[s] for name, s in plan.result_slots if values[s] is not MISSING}


def finish(
    plan: ExecutionPlan, sched: Scheduler, records: list[tuple[Any, ...]], t0: float, *,
    status: RunStatus, run_id: str | None = None, error: BaseException | None = None,
    pause: PauseInfo | None = None, on_missing: str = "ignore",
) -> RunResult:
    """The ``RunResult`` of a finished call, with its run log."""
    return result_of(
        plan, collect_values(plan, sched), records, t0, status=status, run_id=run_id,
        error=error, pause=pause, on_missing=on_missing,
    )


def result_of(
    plan: ExecutionPlan, values: dict[str, Any], records: Iterable[tuple[Any, ...]], t0: float,
    *, status: RunStatus, run_id: str | None = None, error: BaseException | None = None,
    pause: PauseInfo | None = None, on_missing: str = "ignore",
) -> RunResult:
    """The ``RunResult`` for ``values``; a completed run checks the selected outputs."""
    rid = run_id or new_run_id()
    if status is RunStatus.COMPLETED and plan.selected and on_missing != "ignore":
        missing = [n for n in plan.selected if n not in values]
        if missing:
            msg = f"Selected outputs {missing} were not produced by this run"
            if on_missing == "error":
                raise ValueError(msg)
            warnings.warn(msg, UserWarning, stacklevel=user_stacklevel())
    log = RunLog.from_raw(plan.graph_name, rid, round((time.perf_counter() - t0) * 1000, 3), records)
    return RunResult(values, status, rid, None, error, pause, log)
