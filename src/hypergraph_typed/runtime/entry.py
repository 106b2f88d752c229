"""What ``run()`` and ``map()`` do, for both runners: argument checks, then the call's flow.

The checks raise at once, in the spec's order, before any flow starts. The flow is what
the runner's driver then drives: for a checkpointed run, the start rules (resume, fork,
retry, fresh) and then the superstep loop; otherwise the loop alone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import attrs

from hypergraph_typed.checkpointers._records import Checkpoint
from hypergraph_typed.compiler.plan import ExecutionPlan
from hypergraph_typed.events.dispatcher import EventDispatcher
from hypergraph_typed.runtime import durable, logs
from hypergraph_typed.runtime import prepare as prep
from hypergraph_typed.runtime.context import Call
from hypergraph_typed.runtime.effects import Flow
from hypergraph_typed.runtime.interpreter import resolve_max_iterations, run_plan
from hypergraph_typed.runtime.mapping import map_plan
from hypergraph_typed.runtime.results import MapResult, RunResult
from hypergraph_typed.runtime.typecheck import check_prepared

if TYPE_CHECKING:
    from hypergraph_typed.runtime.context import Profile

UNSET = prep.UNSET
T = TypeVar("T")


@attrs.frozen
class Started(Generic[T]):
    """A checked call: the flow to drive, and the dispatcher to shut down afterwards."""

    flow: Flow[T]
    dispatcher: EventDispatcher | None


def new_call(
    profile: Profile, *, cache: Any, type_check: bool, checkpointer: Any,
    max_concurrency: int | None = None,
) -> Call:
    """The settings one call's flows share (with the interpreter's entry points)."""
    if max_concurrency is not None and (
        isinstance(max_concurrency, bool) or not isinstance(max_concurrency, int)
        or max_concurrency < 1
    ):
        raise ValueError(f"max_concurrency must be a positive int, got {max_concurrency!r}")
    return Call(
        profile, run_plan, map_plan, cache=cache, type_check=type_check,
        checkpointer=checkpointer, max_concurrency=max_concurrency,
    )


def dispatcher_for(event_processors: Sequence[Any] | None) -> EventDispatcher | None:
    """An ``EventDispatcher`` for the call's processors, or ``None`` when there are none."""
    if not event_processors:
        return None
    return EventDispatcher(list(event_processors))


def check_checkpoint_args(
    call: Call, checkpoint: Any, fork_from: str | None, retry_from: str | None
) -> None:
    if fork_from is not None and retry_from is not None:
        raise ValueError("Pass fork_from or retry_from, not both")
    if checkpoint is not None and (fork_from is not None or retry_from is not None):
        raise ValueError(
            "Pass checkpoint= or fork_from=/retry_from=, not both: fork_from/retry_from "
            "build the checkpoint themselves"
        )
    if (fork_from is not None or retry_from is not None) and call.checkpointer is None:
        raise ValueError(
            "fork_from/retry_from need a runner with a checkpointer, e.g. "
            "AsyncRunner(checkpointer=SqliteCheckpointer('runs.db'))"
        )


def run_call(
    call: Call, graph: Any, values: Mapping[str, Any] | None, input_values: Mapping[str, Any],
    event_processors: Sequence[Any] | None, *, select: Any, on_missing: str, entrypoint: Any,
    max_iterations: int | None, error_handling: str, checkpoint: Checkpoint | None,
    workflow_id: str | None, override_workflow: bool, fork_from: str | None,
    retry_from: str | None,
) -> Started[RunResult]:
    """Check ``run()``'s arguments now; return the flow that performs the run."""
    plan = call.plan_of(graph.compile())
    if not call.profile.interrupts:
        prep.check_sync_compat(plan)
    prep.check_options(
        plan, on_missing=on_missing, error_handling=error_handling, workflow_id=workflow_id,
        select=select, entrypoint=entrypoint,
    )
    check_checkpoint_args(call, checkpoint, fork_from, retry_from)
    limit = resolve_max_iterations(max_iterations)
    merged = prep.merge_inputs(values, input_values, sync=call.profile.sequential)
    dispatcher = dispatcher_for(event_processors)
    if call.checkpointer is not None:
        return Started(_durable_run(
            call, plan, merged, dispatcher, limit, error_handling, on_missing,
            checkpoint=checkpoint, workflow_id=workflow_id,
            override_workflow=override_workflow, fork_from=fork_from, retry_from=retry_from,
        ), dispatcher)
    return Started(_plain_run(call, plan, merged, dispatcher, limit, error_handling,
                              on_missing, workflow_id), dispatcher)


def _plain_run(
    call: Call, plan: ExecutionPlan, merged: dict[str, Any], dispatcher: EventDispatcher | None,
    limit: int, error_handling: str, on_missing: str, workflow_id: str | None,
) -> Flow[RunResult]:
    prepared = prep.prepare(plan, merged)
    check_prepared(plan, prepared)
    logs.run_started(plan, workflow_id)
    feats = call.features(plan, dispatcher, workflow_id=workflow_id)
    result: RunResult = yield from run_plan(
        call, plan, prepared, feats, limit=limit, error_handling=error_handling,
        on_missing=on_missing,
    )
    result.workflow_id = workflow_id
    logs.run_ended(plan, result)
    return result


def _durable_run(
    call: Call, plan: ExecutionPlan, merged: dict[str, Any], dispatcher: EventDispatcher | None,
    limit: int, error_handling: str, on_missing: str, *, checkpoint: Checkpoint | None,
    workflow_id: str | None, override_workflow: bool, fork_from: str | None,
    retry_from: str | None,
) -> Flow[RunResult]:
    begin = yield from durable.start(
        plan, merged, call.policy, checkpoint=checkpoint, workflow_id=workflow_id,
        override_workflow=override_workflow, fork_from=fork_from, retry_from=retry_from,
    )
    wid = begin.session.workflow_id
    logs.run_started(plan, wid)
    feats = call.features(plan, dispatcher, session=begin.session, workflow_id=wid)
    result: RunResult = yield from run_plan(
        call, plan, begin.prepared, feats, limit=limit, error_handling=error_handling,
        on_missing=on_missing, sched=begin.sched, superstep=begin.superstep,
    )
    result.workflow_id = wid
    logs.run_ended(plan, result)
    return result


def map_call(
    call: Call, graph: Any, values: Mapping[str, Any] | None, input_values: Mapping[str, Any],
    event_processors: Sequence[Any] | None, *, map_over: str | Sequence[str], map_mode: str,
    clone: bool | Sequence[str], select: Any, on_missing: str, entrypoint: Any,
    error_handling: str, workflow_id: str | None,
) -> Started[MapResult]:
    """Check ``map()``'s arguments now; return the flow that runs the items."""
    plan = call.plan_of(graph.compile())
    if not call.profile.interrupts:
        prep.check_sync_compat(plan)
    prep.check_map_compat(plan)
    prep.check_options(
        plan, on_missing=on_missing, error_handling=error_handling, workflow_id=workflow_id,
        select=select, entrypoint=entrypoint,
    )
    merged = prep.merge_inputs(values, input_values, sync=call.profile.sequential)
    names = [map_over] if isinstance(map_over, str) else list(map_over)
    dispatcher = dispatcher_for(event_processors)
    feats = call.features(plan, dispatcher)
    return Started(map_plan(
        call, plan, merged, names, map_mode, clone, error_handling, on_missing, feats, None,
        top=True, workflow_id=workflow_id,
    ), dispatcher)
