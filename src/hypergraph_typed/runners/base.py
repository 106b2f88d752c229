"""``BaseRunner``: what both runners share around the scheduler (results, logs, options)."""

from __future__ import annotations

import abc
import time
import warnings
from typing import Any

from hypergraph_typed._sentinels import MISSING
from hypergraph_typed.compiler.plan import ExecutionPlan
from hypergraph_typed.runners.results import (
    PauseInfo,
    RunLog,
    RunnerCapabilities,
    RunResult,
    RunStatus,
    new_run_id,
)
from hypergraph_typed.runtime.scheduler import Scheduler

DEFAULT_MAX_ITERATIONS = 1000


def resolve_max_iterations(max_iterations: int | None) -> int:
    if max_iterations is None or max_iterations == 0:
        return DEFAULT_MAX_ITERATIONS
    if not isinstance(max_iterations, int) or max_iterations < 1:
        raise ValueError(f"max_iterations must be a positive int (or None), got {max_iterations!r}")
    return max_iterations


def _unsupported(name: str, value: Any) -> None:
    if value:
        raise NotImplementedError(
            f"{name} is not available yet in hypergraph_typed; run without it"
        )


class BaseRunner(abc.ABC):
    """Abstract runner: interprets compiled plans."""

    def __init__(self, cache: Any = None, checkpointer: Any = None) -> None:
        _unsupported("cache", cache)
        _unsupported("checkpointer", checkpointer)
        self.cache = cache
        self.checkpointer = checkpointer

    @property
    @abc.abstractmethod
    def capabilities(self) -> RunnerCapabilities: ...

    @abc.abstractmethod
    def run(self, graph: Any, values: Any = None, **kwargs: Any) -> Any: ...

    @abc.abstractmethod
    def map(self, graph: Any, values: Any = None, **kwargs: Any) -> Any: ...

    @staticmethod
    def _check_extra(event_processors: Any, checkpoint: Any, fork_from: Any, retry_from: Any) -> None:
        _unsupported("event_processors", event_processors)
        if fork_from is not None or retry_from is not None:
            raise ValueError("fork_from/retry_from need a runner with a checkpointer")
        del checkpoint  # ignored without a checkpointer, as specified


def collect_values(plan: ExecutionPlan, sched: Scheduler) -> dict[str, Any]:
    values = sched.values
    return {name: values[s] for name, s in plan.result_slots if values[s] is not MISSING}


def finish(
    plan: ExecutionPlan, sched: Scheduler, records: list[tuple[Any, ...]], t0: float, *,
    status: RunStatus, run_id: str | None = None, error: BaseException | None = None,
    pause: PauseInfo | None = None, on_missing: str = "ignore",
) -> RunResult:
    values = collect_values(plan, sched)
    rid = run_id or new_run_id()
    if status is RunStatus.COMPLETED and plan.selected and on_missing != "ignore":
        missing = [n for n in plan.selected if n not in values]
        if missing:
            msg = f"Selected outputs {missing} were not produced by this run"
            if on_missing == "error":
                raise ValueError(msg)
            warnings.warn(msg, UserWarning, stacklevel=3)
    log = RunLog.from_raw(plan.graph_name, rid, round((time.perf_counter() - t0) * 1000, 3), records)
    return RunResult(values, status, rid, None, error, pause, log)
