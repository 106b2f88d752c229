"""One node's execution inside a superstep: the call itself and what hangs off it.

``node_flow`` wraps the call with the run's features (events, edge checks, the cache);
``call_node`` dispatches on the node's kind, resolved by the compiler: plain functions
and gates are called inline (awaited through ``Invoke`` when async), interrupts take a
supplied answer or ask their handler, and a ``GraphNode`` runs its inner plan as a
nested run (a child run of its own when the outer run is checkpointed, a map for
``map_over``).
"""

from __future__ import annotations

import time
from typing import Any

from hypergraph_typed._sentinels import MISSING
from hypergraph_typed.compiler.plan import FUNCTION, GATE, GRAPH, INTERRUPT, NodePlan
from hypergraph_typed.events.types import new_span_id
from hypergraph_typed.runtime import durable
from hypergraph_typed.runtime import event_factory as ev
from hypergraph_typed.runtime import prepare as prep
from hypergraph_typed.runtime.context import Call
from hypergraph_typed.runtime.effects import Emit, Flow, Invoke
from hypergraph_typed.runtime.features import RunFeatures, cache_key, from_cached, to_cached
from hypergraph_typed.runtime.outputs import (
    handler_failed,
    has_answers,
    nested_pause,
    pause_info,
    split_outputs,
    take_answers,
)
from hypergraph_typed.runtime.prepare import Prepared
from hypergraph_typed.runtime.results import MapResult, PauseInfo, RunResult, new_run_id
from hypergraph_typed.runtime.scheduler import Scheduler
from hypergraph_typed.runtime.typecheck import check_inputs, check_outputs

DEFAULT_MAX_ITERATIONS = 1000


class Paused:
    """What a node call returns (not raises) when it paused the run."""

    __slots__ = ("info", "log")

    def __init__(self, info: PauseInfo, log: Any = None) -> None:
        self.info: PauseInfo = info
        self.log: Any = log


class Outcome:
    """A finished node call: its outputs, or its error, or its pause; plus timing."""

    __slots__ = ("answered", "error", "hit", "log", "out", "pause", "seconds", "span")

    def __init__(
        self, out: Any, error: Exception | None, pause: PauseInfo | None, log: Any,
        seconds: float, span: str | None, hit: bool, answered: bool = False,
    ) -> None:
        self.out: Any = out
        self.error: Exception | None = error
        self.pause: PauseInfo | None = pause
        self.log: Any = log
        self.seconds: float = seconds
        self.span: str | None = span
        self.hit: bool = hit
        # an interrupt that took a supplied answer: no user code ran
        self.answered: bool = answered


def _outcome(
    out: Any, log: Any, seconds: float, span: str | None, hit: bool, answered: bool
) -> Outcome:
    if type(out) is Paused:
        return Outcome(None, None, out.info, out.log, seconds, span, False)
    return Outcome(out, None, None, log, seconds, span, hit, answered)


def node_flow(
    call: Call, np: NodePlan, args: list[Any], prepared: Prepared,
    feats: RunFeatures | None, sched: Scheduler,
) -> Flow[Outcome]:
    """Run one node; failures become the outcome's ``error`` (the superstep decides)."""
    answered = np.kind == INTERRUPT and has_answers(np, prepared.answers)
    if feats is None or feats.light:
        start = time.perf_counter()
        try:
            out, inner_log = yield from call_node(call, np, args, prepared, feats, None)
        except Exception as exc:
            return Outcome(None, exc, None, None, time.perf_counter() - start, None, False)
        return _outcome(out, inner_log, time.perf_counter() - start, None, False, answered)
    disp = feats.dispatcher
    span = new_span_id()
    if disp is not None:
        yield Emit(disp, ev.node_start(feats, np, span))
    start = time.perf_counter()
    hit = False
    log: Any = None
    try:
        if feats.checks is not None:
            check_inputs(feats.checks, np.index, args, sched)
        key = cache_key(feats, np, args)
        if key and answered:
            key = ""  # a supplied answer wins over the cache and is never stored
        if key:
            hit, stored = feats.cache.get(key)
        if hit:
            out = from_cached(np, stored)
            if disp is not None:
                yield Emit(disp, ev.cache_hit(feats, np, span, key))
        else:
            out, log = yield from call_node(call, np, args, prepared, feats, span)
            if type(out) is not Paused:
                if feats.checks is not None:
                    check_outputs(feats.checks, np.index, out)
                if key:
                    feats.cache.set(key, to_cached(np, out))
    except Exception as exc:
        seconds = time.perf_counter() - start
        if disp is not None:
            yield Emit(disp, ev.node_error(feats, np, span, exc))
        return Outcome(None, exc, None, None, seconds, span, False)
    seconds = time.perf_counter() - start
    if disp is not None:
        if type(out) is Paused:
            yield Emit(disp, ev.interrupt(feats, span, out.info))
        else:
            if np.kind == GATE:
                yield Emit(disp, ev.route_decision(feats, np, out[0]))
            yield Emit(disp, ev.node_end(feats, np, span, 0.0 if hit else seconds, hit, log))
    return _outcome(out, log, seconds, span, hit, answered)


def call_node(
    call: Call, np: NodePlan, args: list[Any], prepared: Prepared,
    feats: RunFeatures | None, span: str | None,
) -> Flow[tuple[Any, Any]]:
    """The node's outputs (a tuple, or ``Paused``) and its inner log, if any."""
    kind = np.kind
    if kind == FUNCTION or kind == GATE:
        if np.is_async:
            result = yield Invoke(np, args)
        else:
            result = np.func(*args) if np.positional else np.func(**dict(zip(np.params, args)))
            if np.is_generator:
                result = list(result)
        if kind == GATE:
            decision = np.node.decide(result)
            return (decision, np.node.selected_targets(decision)), None
        return split_outputs(np, result), None
    if kind == INTERRUPT:
        return (yield from _call_interrupt(np, args, prepared)), None
    if kind == GRAPH:
        answers = prepared.nested_answers.pop(np.name, None)
        return (yield from _call_graph(call, np, args, answers, feats, span))
    raise TypeError(f"{call.profile.name} cannot execute node {np.name!r} ({np.kind_name})")


def _call_interrupt(np: NodePlan, args: list[Any], prepared: Prepared) -> Flow[Any]:
    """A supplied answer (consumed by this visit), else the handler; ``None`` pauses."""
    answered = take_answers(np, prepared.answers)
    if answered is not None:
        return answered
    try:
        result = yield Invoke(np, args)
    except Exception as exc:
        raise handler_failed(np, exc) from exc
    if result is None:
        return Paused(pause_info(np, args))
    return np.node.resolve_handler_result(result)


def _call_graph(
    call: Call, np: NodePlan, args: list[Any], answers: dict[str, Any] | None,
    feats: RunFeatures | None, span: str | None,
) -> Flow[tuple[Any, Any]]:
    gc = np.graph_call
    assert gc is not None
    inner_plan = call.plan_of(gc.plan)
    if not call.profile.interrupts:
        prep.check_sync_compat(inner_plan)
    inputs = dict(zip(gc.inner_inputs, args))
    if gc.map_params is not None:
        # In a checkpointed run the map is persisted as the child run "{workflow}/{node}"
        # and its items as "{workflow}/{node}/{i}" (later visits: "{workflow}/{node}#2").
        session = feats.session if feats is not None else None
        mapped: MapResult = yield from call.map_plan(
            call, inner_plan, {**inputs, **(answers or {})}, list(gc.map_params),
            gc.map_mode, gc.clone, gc.map_error_handling, "ignore", feats, span,
            workflow_id=None if session is None else session.child_id(np),
            parent_run_id=None if session is None else session.workflow_id,
        )
        return _map_outputs(gc.inner_outputs, mapped), mapped.log
    result: RunResult
    if feats is not None and feats.session is not None:
        result = yield from _child_run(call, np, inner_plan, inputs, answers or {}, feats, span)
    else:
        prepared = prep.prepare(inner_plan, {**inputs, **(answers or {})})
        inner_feats = (
            feats.nested(inner_plan, span, new_run_id())
            if feats is not None and span is not None else None
        )
        result = yield from call.run_plan(
            call, inner_plan, prepared, inner_feats, limit=DEFAULT_MAX_ITERATIONS,
            error_handling="raise", on_missing="ignore",
        )
    if result.pause is not None:
        return Paused(nested_pause(np.name, gc, result.pause), result.log), None
    return tuple(result.values.get(o, MISSING) for o in gc.inner_outputs), result.log


def _child_run(
    call: Call, np: NodePlan, plan: Any, inputs: dict[str, Any], answers: dict[str, Any],
    feats: RunFeatures, span: str | None,
) -> Flow[RunResult]:
    """A GraphNode inside a checkpointed run: its own run "{workflow}/{node}".

    A paused child resumes from its own steps (inner nodes that ran are not run again);
    a child that already completed (the parent stopped before recording it) yields its
    stored results.
    """
    parent = feats.session
    assert parent is not None
    begin = yield from durable.start_child(
        plan, parent.child_id(np), parent.workflow_id, inputs, answers, call.policy,
        source=parent.source_children.pop(np.name, None),
    )
    inner = feats.nested(plan, span, new_run_id())
    inner.session = begin.session
    inner.workflow_id = begin.session.workflow_id
    result: RunResult = yield from call.run_plan(
        call, plan, begin.prepared, inner, limit=DEFAULT_MAX_ITERATIONS,
        error_handling="raise", on_missing="ignore", sched=begin.sched,
        superstep=begin.superstep,
    )
    return result


def _map_outputs(inner_outputs: tuple[str, ...], mapped: MapResult) -> tuple[list[Any], ...]:
    """A mapped GraphNode's outputs: one list per output; failed items contribute None."""
    cols: list[list[Any]] = [[] for _ in inner_outputs]
    for r in mapped.results:
        if r.paused:
            continue
        for col, name in zip(cols, inner_outputs):
            v = r.values.get(name, MISSING) if not r.failed else None
            col.append(None if v is MISSING else v)
    return tuple(cols)
