"""``BaseRunner``: what both runners share around the scheduler (results, logs, options)."""

from __future__ import annotations

import abc
import time
import warnings
from collections.abc import Sequence
from typing import Any, Literal

from hypergraph_typed._sentinels import MISSING
from hypergraph_typed.compiler.plan import ExecutionPlan
from hypergraph_typed.events.dispatcher import EventDispatcher
from hypergraph_typed.runtime.features import RunFeatures
from hypergraph_typed.runtime.results import (
    PauseInfo,
    RunLog,
    RunnerCapabilities,
    RunResult,
    RunStatus,
    new_run_id,
)
from hypergraph_typed.runtime.scheduler import Scheduler
from hypergraph_typed.runtime.typecheck import check_answers, check_values, require_typeguard

DEFAULT_MAX_ITERATIONS = 1000


def resolve_max_iterations(max_iterations: int | None) -> int:
    if max_iterations is None or max_iterations == 0:
        return DEFAULT_MAX_ITERATIONS
    if not isinstance(max_iterations, int) or max_iterations < 1:
        raise ValueError(f"max_iterations must be a positive int (or None), got {max_iterations!r}")
    return max_iterations


TypeCheck = Literal["off", "edges"]


class BaseRunner(abc.ABC):
    """Abstract runner: interprets compiled plans.

    ``cache`` is a ``CacheBackend`` for nodes declared with ``cache=True``;
    ``checkpointer`` persists runs for pause/resume across processes;
    ``type_check="edges"`` checks every value crossing an edge (and every input, bound
    value and resume answer) against the annotations, with typeguard. All three are off
    by default, and a run that uses none of them takes the interpreter's fast path.
    """

    def __init__(
        self, cache: Any = None, checkpointer: Any = None, *, type_check: TypeCheck = "off"
    ) -> None:
        if cache is not None and not (
            callable(getattr(cache, "get", None)) and callable(getattr(cache, "set", None))
        ):
            raise TypeError(
                f"cache must be a CacheBackend (with get(key) and set(key, value)), got "
                f"{type(cache).__name__}; use InMemoryCache() or DiskCache(...)"
            )
        if type_check not in ("off", "edges"):
            raise ValueError(f"type_check must be 'off' or 'edges', got {type_check!r}")
        if type_check == "edges":
            require_typeguard()  # fail here, not at the first run
        self.cache = cache
        self.checkpointer = checkpointer
        self.type_check: TypeCheck = type_check

    @property
    @abc.abstractmethod
    def capabilities(self) -> RunnerCapabilities: ...

    @abc.abstractmethod
    def run(self, graph: Any, values: Any = None, **kwargs: Any) -> Any: ...

    @abc.abstractmethod
    def map(self, graph: Any, values: Any = None, **kwargs: Any) -> Any: ...

    def _check_checkpoint_args(
        self, checkpoint: Any, fork_from: str | None, retry_from: str | None
    ) -> None:
        if fork_from is not None and retry_from is not None:
            raise ValueError("Pass fork_from or retry_from, not both")
        if checkpoint is not None and (fork_from is not None or retry_from is not None):
            raise ValueError(
                "Pass checkpoint= or fork_from=/retry_from=, not both: fork_from/retry_from "
                "build the checkpoint themselves"
            )
        if (fork_from is not None or retry_from is not None) and self.checkpointer is None:
            raise ValueError(
                "fork_from/retry_from need a runner with a checkpointer, e.g. "
                "AsyncRunner(checkpointer=SqliteCheckpointer('runs.db'))"
            )

    @staticmethod
    def _dispatcher(event_processors: Sequence[Any] | None) -> EventDispatcher | None:
        if not event_processors:
            return None
        return EventDispatcher(list(event_processors))

    def _features(
        self, plan: ExecutionPlan, dispatcher: EventDispatcher | None, *,
        session: Any = None, workflow_id: str | None = None, parent_span: str | None = None,
        run_id: str | None = None,
    ) -> RunFeatures | None:
        """The run's features, or ``None`` when it uses none (the fast path)."""
        if dispatcher is None and self.cache is None and self.type_check == "off" and session is None:
            return None
        return RunFeatures(
            plan, dispatcher=dispatcher, cache=self.cache, type_check=self.type_check == "edges",
            session=session, run_id=run_id or new_run_id(), parent_span=parent_span,
            workflow_id=workflow_id,
        )

    def _item_features(
        self, plan: ExecutionPlan, map_feats: RunFeatures | None, parent: str | None,
        session: Any,
    ) -> RunFeatures | None:
        """Features of one map item: a child of the map's run, plus its step writer."""
        feats = (
            map_feats.nested(plan, parent, new_run_id())
            if map_feats is not None and parent is not None
            else self._features(plan, None, session=session)
        )
        if feats is not None and session is not None:
            feats.session = session
            feats.workflow_id = session.workflow_id
        return feats

    def _check_inputs(self, feats: RunFeatures | None, plan: ExecutionPlan, prepared: Any) -> None:
        """With ``type_check="edges"``: check the run's inputs, bound values and answers."""
        if feats is None or feats.checks is None:
            return
        check_values(feats.checks, plan, {**plan.bound, **prepared.provided})
        if prepared.answers:
            check_answers(feats.checks, prepared.answers)


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
