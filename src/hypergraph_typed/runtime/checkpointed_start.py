"""How a checkpointed call starts: the spec's resume / fork / retry rules, written once.

The rules are a generator that yields the checkpointer calls it needs as
``(method, args, kwargs)`` and receives their results; ``SyncRunner`` drives it with the
sync methods, ``AsyncRunner`` awaits the async twins (``name_async``, or the name after
``|`` when the spec names the pair differently, as in ``"runs|list_runs"``). It returns what the run loop
needs: the step writer, the prepared values, and a restored scheduler (or ``None`` for a
fresh run) with its next superstep number.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any, TypeVar

import attrs

from hypergraph_typed.checkpointers.types import WorkflowStatus
from hypergraph_typed.compiler.plan import ExecutionPlan
from hypergraph_typed.exceptions import WorkflowForkError
from hypergraph_typed.runtime import persist
from hypergraph_typed.runtime import prepare as prep
from hypergraph_typed.runtime.scheduler import Scheduler

Call = tuple[str, tuple[Any, ...], dict[str, Any]]


@attrs.frozen
class Start:
    session: persist.CheckpointSession
    prepared: prep.Prepared
    sched: Scheduler | None
    superstep: int


def _call(method: str, *args: Any, **kwargs: Any) -> Call:
    return method, args, kwargs


def start(
    cp: Any, plan: ExecutionPlan, merged: dict[str, Any], *, checkpoint: Any,
    workflow_id: str | None, override_workflow: bool, fork_from: str | None,
    retry_from: str | None,
) -> Generator[Call, Any, Start]:
    """The rules of spec 05 ("Resume, fork, retry"), in order (argument errors aside)."""
    wid = workflow_id or persist.new_workflow_id()
    src_inputs: dict[str, Any] = {}
    if fork_from is not None or retry_from is not None:
        src = fork_from or retry_from
        method = "retry_workflow" if retry_from is not None else "fork_workflow"
        wid, checkpoint = yield _call(method, src, workflow_id=workflow_id)
        src_inputs = yield _call("get_inputs", src)
    elif checkpoint is None:
        run, steps, inputs = yield _call("load_for_resume", wid)
        if run is not None and override_workflow:
            src_inputs = inputs
            wid, checkpoint = yield _call("fork_workflow", wid)
        elif run is not None:
            persist.check_resume(plan, run, merged, steps)
            return (yield from _resume(cp, plan, run, steps, inputs, merged))
    if checkpoint is not None:
        if (yield _call("get_run", wid)) is not None:
            raise WorkflowForkError(
                f"Workflow {wid!r} already exists; a run from a checkpoint starts a new "
                "lineage. Pass a new workflow_id (or none, to generate one)"
            )
        answers, others = persist.split_values(plan, merged)
        run = yield _call(
            "create_run_new", wid, graph_name=plan.graph_name,
            forked_from=checkpoint.source_run_id, fork_superstep=checkpoint.source_superstep,
            retry_of=checkpoint.retry_of, retry_index=checkpoint.retry_index,
            config=persist.graph_config(plan),
        )
        sched, superstep = persist.restore(plan, checkpoint.steps, src_inputs, checkpoint.values)
        persist.override(sched, plan, others)
        session = persist.CheckpointSession(cp, plan, wid, run.claim, inputs={**src_inputs, **others})
        return Start(session, persist.resume_prepared(plan, src_inputs, answers), sched, superstep)
    return (yield from _fresh(cp, plan, merged, wid, parent=None))


def start_child(
    cp: Any, plan: ExecutionPlan, child_id: str, parent_id: str, inputs: dict[str, Any],
    answers: dict[str, Any],
) -> Generator[Call, Any, Start]:
    """A GraphNode's own run inside a checkpointed run: fresh, or resumed in place.

    A child that already completed (its parent crashed before recording it) is resumed
    too: nothing is ready, so the run returns its stored results.
    """
    run, steps, stored = yield _call("load_for_resume", child_id)
    if run is None:
        return (yield from _fresh(cp, plan, {**inputs, **answers}, child_id, parent=parent_id))
    if run.status is not WorkflowStatus.COMPLETED:
        persist.check_resume(plan, run, answers, steps)
    return (yield from _resume(cp, plan, run, steps, stored, answers))


def _resume(
    cp: Any, plan: ExecutionPlan, run: Any, steps: list[Any], inputs: dict[str, Any],
    answers: dict[str, Any],
) -> Generator[Call, Any, Start]:
    claim = yield _call("claim_run", run.id, run.claim)
    sched, superstep = persist.restore(plan, steps, inputs)
    session = persist.CheckpointSession(
        cp, plan, run.id, claim, next_index=1 + max((s.index for s in steps), default=-1),
        node_count=run.node_count, error_count=run.error_count, steps=steps,
    )
    return Start(session, persist.resume_prepared(plan, inputs, answers), sched, superstep)


def _fresh(
    cp: Any, plan: ExecutionPlan, values: dict[str, Any], wid: str, *, parent: str | None,
) -> Generator[Call, Any, Start]:
    prepared = prep.prepare(plan, values)
    run = yield _call(
        "create_run_new", wid, graph_name=plan.graph_name, parent_run_id=parent,
        config=persist.graph_config(plan),
    )
    _, others = persist.split_values(plan, values, fresh=True)
    session = persist.CheckpointSession(cp, plan, wid, run.claim, inputs=others)
    return Start(session, prepared, None, 0)


def _method(cp: Any, name: str, *, is_async: bool) -> Any:
    """``"name"`` means ``name`` / ``name_async``; ``"sync|async"`` names both."""
    sync_name, _, async_name = name.partition("|")
    if is_async:
        return getattr(cp, async_name or sync_name + "_async")
    return getattr(cp, sync_name)


def call_sync(cp: Any, call: Call) -> Any:
    method, args, kwargs = call
    return _method(cp, method, is_async=False)(*args, **kwargs)


async def call_async(cp: Any, call: Call) -> Any:
    method, args, kwargs = call
    return await _method(cp, method, is_async=True)(*args, **kwargs)


T = TypeVar("T")


def drive_sync(cp: Any, flow: Generator[Call, Any, T]) -> T:
    """Run the flow with the checkpointer's sync methods."""
    try:
        call = next(flow)
        while True:
            call = flow.send(call_sync(cp, call))
    except StopIteration as done:
        result: T = done.value
        return result


async def drive_async(cp: Any, flow: Generator[Call, Any, T]) -> T:
    """Run the flow with the checkpointer's async methods."""
    try:
        call = next(flow)
        while True:
            call = flow.send(await call_async(cp, call))
    except StopIteration as done:
        result: T = done.value
        return result
