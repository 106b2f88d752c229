"""The interpreter: one superstep loop for both runners, written once as a flow.

``run_plan`` asks the scheduler for the ready nodes, runs them, commits their outputs
and repeats until nothing is ready (or a node pauses or fails). It does no I/O: node
calls that must be awaited, events, concurrent forks and store writes are effects
(``runtime.effects``) yielded to the runner's driver. A run that uses no feature
(events, cache, edge checks, checkpoints) calls plain sync functions inline, without
any per-node machinery.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Generator, Sequence
from typing import Any

from hypergraph_typed.compiler.plan import GATE, ExecutionPlan, NodePlan
from hypergraph_typed.exceptions import InfiniteLoopError
from hypergraph_typed.runtime import event_factory as ev
from hypergraph_typed.runtime.context import Call
from hypergraph_typed.runtime.durable import DurableRun
from hypergraph_typed.runtime.effects import Emit, Flow, Fork
from hypergraph_typed.runtime.features import RunFeatures
from hypergraph_typed.runtime.finish import finish
from hypergraph_typed.runtime.node_call import Outcome, node_flow
from hypergraph_typed.runtime.prepare import Prepared
from hypergraph_typed.runtime.results import PauseInfo, RunResult, RunStatus
from hypergraph_typed.runtime.scheduler import Scheduler
from hypergraph_typed.runtime.static import run_region

DEFAULT_MAX_ITERATIONS = 1000


def resolve_max_iterations(max_iterations: int | None) -> int:
    """``None`` or 0 means the default; anything else must be a positive int."""
    if max_iterations is None or max_iterations == 0:
        return DEFAULT_MAX_ITERATIONS
    if not isinstance(max_iterations, int) or max_iterations < 1:
        raise ValueError(f"max_iterations must be a positive int (or None), got {max_iterations!r}")
    return max_iterations


def run_all(
    call: Call, flows: Sequence[Generator[Any, Any, Any]],
    stop: Callable[[Any], bool] | None = None, limit: int | None = None,
) -> Flow[list[Any]]:
    """Run ``flows``: in order (sequential runner) or concurrently, as the runner does.

    After a result for which ``stop`` is true no further flow is started; the results
    of flows never started are ``None``.
    """
    if call.profile.sequential or len(flows) == 1:
        results: list[Any] = []
        for flow in flows:
            result = yield from flow
            results.append(result)
            if stop is not None and stop(result):
                break
        return results + [None] * (len(flows) - len(results))
    gathered: list[Any] = yield Fork(flows, stop, limit)
    return gathered


def _failed(outcome: Outcome) -> bool:
    return outcome.error is not None


def run_plan(
    call: Call, plan: ExecutionPlan, prepared: Prepared, feats: RunFeatures | None, *,
    limit: int, error_handling: str, on_missing: str, sched: Scheduler | None = None,
    superstep: int = 0,
) -> Flow[RunResult]:
    """Run ``plan`` to completion, failure or a pause, and build the ``RunResult``."""
    t0 = time.perf_counter()
    records: list[tuple[Any, ...]] = []
    first = superstep
    if sched is None:
        # The supersteps the compiler scheduled run in one step (runtime.static).
        static = None if feats is not None else run_region(
            call, plan, prepared, limit=limit, error_handling=error_handling, t0=t0,
        )
        if static is None:
            sched = Scheduler(plan, prepared.initial)
        elif isinstance(static, RunResult):
            return static
        else:
            sched, records, superstep = static
    nodes = plan.nodes
    isolate = call.profile.interrupts
    perf = time.perf_counter
    next_ready = sched.next_ready
    gather = sched.gather
    commit = sched.commit
    add_record = records.append
    # Nothing wraps a node call: plain sync functions are called right here.
    light = feats is None or feats.light
    session = None if feats is None else feats.session
    run_id = None if feats is None else feats.run_id
    if feats is not None:
        feats.base = first
        if feats.dispatcher is not None:
            yield Emit(feats.dispatcher, ev.run_start(feats))
    try:
        while True:
            ready = next_ready(isolate)
            if not ready:
                break
            if superstep - first >= limit:
                raise InfiniteLoopError(limit)
            np = nodes[ready[0]]
            if light and len(ready) == 1 and np.direct:
                # The common case: one plain sync function; call it inline.
                if session is not None and session.due(nodes, ready):
                    yield from session.flush()  # the previous superstep, before this one
                n = ready[0]
                args = gather(n)
                start = perf()
                try:
                    res = np.func(*args)
                except Exception as exc:
                    seconds = perf() - start
                    add_record((np.name, superstep - first, seconds, "failed", None,
                                f"{type(exc).__name__}: {exc}"))
                    if session is not None:
                        session.stage(np, "failed", seconds, None, error=exc)
                        session.seal(sched, superstep)
                    raise
                seconds = perf() - start
                add_record((np.name, superstep - first, seconds, "completed"))
                commit(n, (res,))
                if session is not None:
                    session.stage(np, "completed", seconds, (res,))
                    session.seal(sched, superstep)
            elif light and all(nodes[n].direct for n in ready):
                if session is not None and session.due(nodes, ready):
                    yield from session.flush()
                _direct_superstep(call, nodes, sched, ready, records, superstep, first, session)
            else:
                paused = yield from _superstep(
                    call, nodes, sched, ready, records, superstep, prepared, feats
                )
                if paused is not None:
                    if feats is not None:
                        yield from _end(feats, t0, RunStatus.PAUSED, None, paused, superstep)
                    return finish(
                        plan, sched, records, t0, status=RunStatus.PAUSED, pause=paused,
                        run_id=run_id,
                    )
            superstep += 1
        result = finish(
            plan, sched, records, t0, status=RunStatus.COMPLETED, on_missing=on_missing,
            run_id=run_id,
        )
    except Exception as exc:
        if feats is not None:
            yield from _end(feats, t0, RunStatus.FAILED, exc)
        if error_handling == "raise":
            raise
        return finish(plan, sched, records, t0, status=RunStatus.FAILED, error=exc, run_id=run_id)
    if feats is not None:
        yield from _end(feats, t0, RunStatus.COMPLETED, None)
    return result


def _end(
    feats: RunFeatures, t0: float, status: RunStatus, error: BaseException | None,
    pause: PauseInfo | None = None, superstep: int = 0,
) -> Flow[None]:
    """The call's last write (status, pause record) and its ``RunEndEvent``."""
    if feats.session is not None:
        yield from feats.session.finish(status, time.perf_counter() - t0, pause, superstep)
    if feats.dispatcher is not None:
        yield Emit(feats.dispatcher, ev.run_end(feats, status, error, t0))


def _direct_superstep(
    call: Call, nodes: tuple[NodePlan, ...], sched: Scheduler, ready: list[int],
    records: list[tuple[Any, ...]], superstep: int, first: int, session: DurableRun | None,
) -> None:
    """Several plain sync functions, nothing wrapping them: call them inline, commit the
    successes (and stage their records), then raise the first error."""
    perf = time.perf_counter
    argsets = [sched.gather(n) for n in ready]
    done: list[tuple[int, Any, float]] = []
    first_error: Exception | None = None
    step_no = superstep - first
    for n, args in zip(ready, argsets):
        np = nodes[n]
        start = perf()
        try:
            res = np.func(*args)
        except Exception as exc:
            seconds = perf() - start
            records.append((np.name, step_no, seconds, "failed", None,
                            f"{type(exc).__name__}: {exc}"))
            if session is not None:
                session.stage(np, "failed", seconds, None, error=exc)
            if first_error is None:
                first_error = exc
            if call.profile.sequential:
                break
            continue
        seconds = perf() - start
        records.append((np.name, step_no, seconds, "completed"))
        done.append((n, res, seconds))
    for n, res, seconds in done:
        sched.commit(n, (res,))
        if session is not None:
            session.stage(nodes[n], "completed", seconds, (res,))
    if session is not None:
        session.seal(sched, superstep)
    if first_error is not None:
        raise first_error


def _superstep(
    call: Call, nodes: tuple[NodePlan, ...], sched: Scheduler, ready: list[int],
    records: list[tuple[Any, ...]], superstep: int, prepared: Prepared,
    feats: RunFeatures | None,
) -> Flow[PauseInfo | None]:
    """Run the ready nodes; apply every success, then raise the first error (ready order).

    A pause (an interrupt, or a nested graph that paused) is returned after the other
    nodes' outputs were applied, unless some node failed.
    """
    session = None if feats is None else feats.session
    if session is not None and session.due(nodes, ready):
        yield from session.flush()  # the previous superstep
    if feats is not None and feats.dispatcher is not None:
        yield Emit(feats.dispatcher, ev.superstep_start(feats, superstep - feats.base))
    argsets = [sched.gather(n) for n in ready]
    flows = [
        node_flow(call, nodes[n], args, prepared, feats, sched) for n, args in zip(ready, argsets)
    ]
    outcomes: list[Outcome | None] = yield from run_all(
        call, flows, stop=_failed if call.profile.sequential else None
    )
    step_no = superstep if feats is None else superstep - feats.base  # within this call
    first_error: Exception | None = None
    first_pause: PauseInfo | None = None
    for n, oc in zip(ready, outcomes):
        if oc is None:
            continue  # never started: an earlier node of a sequential superstep failed
        np = nodes[n]
        if oc.error is not None:
            err = oc.error
            records.append((np.name, step_no, oc.seconds, "failed", oc.span,
                            f"{type(err).__name__}: {err}"))
            if session is not None:
                session.stage(np, "failed", oc.seconds, None, error=err)
            if first_error is None:
                first_error = err
        elif oc.pause is not None:
            # named by its path ("inner/approval") when the pause is nested
            records.append((oc.pause.node_name, step_no, oc.seconds, "paused", oc.span, None,
                            False, None, oc.log))
            if session is not None:
                session.stage(np, "paused", oc.seconds, None)
            if first_pause is None:
                first_pause = oc.pause
        else:
            out = oc.out
            decision = out[0] if np.kind == GATE else None
            records.append((np.name, step_no, oc.seconds, "completed", oc.span, None, oc.hit,
                            decision, oc.log))
            if session is not None:
                session.stage(np, "completed", oc.seconds, out, cached=oc.hit, decision=decision,
                              answered=oc.answered)
            if np.kind == GATE:
                sched.commit_gate(n, out[0], out[1])
            else:
                sched.commit(n, out)
    if session is not None:
        session.seal(sched, superstep)
    if first_error is not None:
        raise first_error
    return first_pause
