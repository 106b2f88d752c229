"""Spec 06 (events) through the runners: order, spans, nesting, map, pauses, processors.

The event types and the dispatcher are tested in isolation elsewhere; these tests feed
real runs of both runners to recording processors and check what they receive.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Sequence
from typing import Any

import pytest

from harness import RunnerHarness as Harness
from hypergraph_typed import (
    END,
    AsyncRunner,
    Graph,
    InfiniteLoopError,
    RunLog,
    RunResult,
    RunStatus,
    ifelse,
    interrupt,
    node,
    route,
)
from hypergraph_typed.checkpointers import MemoryCheckpointer
from hypergraph_typed.events import (
    AsyncEventProcessor,
    BaseEvent,
    CacheHitEvent,
    EventProcessor,
    InterruptEvent,
    NodeEndEvent,
    NodeErrorEvent,
    NodeStartEvent,
    RouteDecisionEvent,
    RunEndEvent,
    RunStartEvent,
    StopRequestedEvent,
    SuperstepStartEvent,
    TypedEventProcessor,
)
from hypergraph_typed.events import RunStatus as EventStatus
from hypergraph_typed.events.rich_progress import RichProgressProcessor

SPAN = re.compile(r"^[0-9a-f]{16}$")


# ---------------------------------------------------------------------------
# helpers


class Recorder(EventProcessor):
    """Keeps every event it is given and counts shutdowns."""

    def __init__(self) -> None:
        self.events: list[BaseEvent] = []
        self.shutdowns = 0

    def on_event(self, event: Any) -> None:
        self.events.append(event)

    def shutdown(self) -> None:
        self.shutdowns += 1


@pytest.fixture
def h(kind: str) -> Harness:
    return Harness(kind)


def arun(graph: Graph, values: Any = None, **kwargs: Any) -> RunResult:
    return asyncio.run(AsyncRunner().run(graph, values, **kwargs))


def names(events: Sequence[BaseEvent]) -> list[str]:
    return [type(e).__name__.removesuffix("Event") for e in events]


def of_run(events: Sequence[BaseEvent], run_id: str) -> list[BaseEvent]:
    return [e for e in events if e.run_id == run_id]


def first(events: Sequence[BaseEvent], cls: type, **attrs: Any) -> Any:
    for e in events:
        if type(e) is cls and all(getattr(e, k) == v for k, v in attrs.items()):
            return e
    raise AssertionError(f"no {cls.__name__} with {attrs} in {names(events)}")


def check_run_grammar(events: Sequence[BaseEvent], run_id: str) -> None:
    """The spec's order for the events of one run (interleaving of nodes allowed).

    RunStart, then per superstep SuperstepStart followed by per-node groups
    NodeStart -> [CacheHit] -> [RouteDecision] -> NodeEnd | NodeError | Interrupt,
    then RunEnd.
    """
    evs = of_run(events, run_id)
    assert type(evs[0]) is RunStartEvent
    assert type(evs[-1]) is RunEndEvent
    run_span = evs[0].span_id
    assert evs[-1].span_id == run_span
    body = evs[1:-1]
    assert not body or type(body[0]) is SuperstepStartEvent
    groups: dict[str, list[str]] = {}
    open_by_name: dict[str, str] = {}
    step = -1
    for e in body:
        assert type(e) not in (RunStartEvent, RunEndEvent)
        assert e.parent_span_id == run_span
        if isinstance(e, SuperstepStartEvent):
            assert e.superstep == step + 1
            step = e.superstep
            assert not open_by_name, f"nodes {open_by_name} still open at superstep {step}"
            continue
        if isinstance(e, NodeStartEvent):
            assert e.span_id not in groups
            groups[e.span_id] = ["NodeStart"]
            open_by_name[e.node_name] = e.span_id
            continue
        name = e.node_name  # type: ignore[attr-defined]
        # an outer InterruptEvent is named by its path: "gn/interrupt"
        span = open_by_name.get(name) or open_by_name[name.split("/")[0]]
        if isinstance(e, RouteDecisionEvent):
            assert e.span_id != span
        else:
            assert e.span_id == span
        groups[span].append(type(e).__name__.removesuffix("Event"))
        if isinstance(e, (NodeEndEvent, NodeErrorEvent, InterruptEvent)):
            del open_by_name[name.split("/")[0]]
    allowed = re.compile(r"^NodeStart( CacheHit)?( RouteDecision)? (NodeEnd|NodeError|Interrupt)$")
    for span, seq in groups.items():
        if open_by_name and span in open_by_name.values():
            continue  # a failed SyncRunner superstep stops before later nodes start
        assert allowed.match(" ".join(seq)), seq


@node(output_name="y")
def inc(x: int) -> int:
    return x + 1


@node(output_name="z")
def dbl(y: int) -> int:
    return y * 2


@node(output_name="w")
def neg(x: int) -> int:
    return -x


def linear(name: str | None = "g") -> Graph:
    return Graph([inc, dbl], name=name)


# ---------------------------------------------------------------------------
# order within a run


def test_linear_run_emits_spec_order(h: Harness) -> None:
    rec = Recorder()
    r = h.run(linear(), x=1, event_processors=[rec])
    assert r["z"] == 4
    assert names(rec.events) == [
        "RunStart", "SuperstepStart", "NodeStart", "NodeEnd",
        "SuperstepStart", "NodeStart", "NodeEnd", "RunEnd",
    ]
    check_run_grammar(rec.events, r.run_id)
    assert [e.node_name for e in rec.events if isinstance(e, NodeStartEvent)] == ["inc", "dbl"]
    assert [e.superstep for e in rec.events if isinstance(e, SuperstepStartEvent)] == [0, 1]
    assert {e.run_id for e in rec.events} == {r.run_id}
    assert r.log is not None and r.log.run_id == r.run_id
    start, end = rec.events[0], rec.events[-1]
    assert isinstance(start, RunStartEvent) and isinstance(end, RunEndEvent)
    assert (start.graph_name, start.workflow_id, start.is_map, start.map_size) == ("g", None, False, None)
    assert end.status is EventStatus.COMPLETED and end.error is None
    assert end.duration_ms >= 0
    assert all(getattr(e, "graph_name", "g") == "g" for e in rec.events)


def test_node_end_fields(h: Harness) -> None:
    rec = Recorder()
    h.run(linear(), x=1, event_processors=[rec])
    ends = [e for e in rec.events if isinstance(e, NodeEndEvent)]
    assert [e.node_name for e in ends] == ["inc", "dbl"]
    for e in ends:
        assert e.cached is False
        assert e.inner_logs == ()
        assert e.duration_ms >= 0


def test_unnamed_graph_has_graph_name_none(h: Harness) -> None:
    rec = Recorder()
    h.run(linear(name=None), x=1, event_processors=[rec])
    assert rec.events
    assert {e.graph_name for e in rec.events} == {None}  # type: ignore[attr-defined]


def test_superstep_counts_from_zero_in_every_call(h: Harness) -> None:
    g = linear()
    for _ in range(2):
        rec = Recorder()
        h.run(g, x=1, event_processors=[rec])
        assert [e.superstep for e in rec.events if isinstance(e, SuperstepStartEvent)] == [0, 1]


def test_parallel_nodes_share_one_superstep(h: Harness) -> None:
    rec = Recorder()
    r = h.run(Graph([inc, neg]), x=3, event_processors=[rec])
    assert r.values == {"y": 4, "w": -3}
    assert names(rec.events).count("SuperstepStart") == 1
    check_run_grammar(rec.events, r.run_id)
    started = [e.node_name for e in rec.events if isinstance(e, NodeStartEvent)]
    ended = [e.node_name for e in rec.events if isinstance(e, NodeEndEvent)]
    assert sorted(started) == sorted(ended) == ["inc", "neg"]
    if h.kind == "sync":  # one at a time, in graph order
        assert names(rec.events)[2:6] == ["NodeStart", "NodeEnd", "NodeStart", "NodeEnd"]
        assert started == ["inc", "neg"]


# ---------------------------------------------------------------------------
# spans


def test_spans_of_a_top_level_run(h: Harness) -> None:
    rec = Recorder()
    r = h.run(linear(), x=1, event_processors=[rec])
    start, end = rec.events[0], rec.events[-1]
    run_span = start.span_id
    assert SPAN.match(run_span)
    assert end.span_id == run_span
    assert start.parent_span_id is None and end.parent_span_id is None
    inner = rec.events[1:-1]
    assert all(e.parent_span_id == run_span for e in inner)
    assert all(SPAN.match(e.span_id) for e in rec.events)
    node_spans: dict[str, set[str]] = {}
    for e in inner:
        if isinstance(e, (NodeStartEvent, NodeEndEvent)):
            node_spans.setdefault(e.node_name, set()).add(e.span_id)
    assert all(len(s) == 1 for s in node_spans.values())
    inc_span, dbl_span = node_spans["inc"].pop(), node_spans["dbl"].pop()
    step_spans = [e.span_id for e in inner if isinstance(e, SuperstepStartEvent)]
    assert len(step_spans) == 2
    assert len({run_span, inc_span, dbl_span, *step_spans}) == 5
    # the run log's records carry the node spans
    assert r.log is not None
    assert {s.node_name: s.span_id for s in r.log.steps} == {"inc": inc_span, "dbl": dbl_span}


def test_run_spans_differ_between_runs(h: Harness) -> None:
    rec = Recorder()
    r1 = h.run(linear(), x=1, event_processors=[rec])
    r2 = h.run(linear(), x=1, event_processors=[rec])
    assert r1.run_id != r2.run_id
    starts = [e for e in rec.events if isinstance(e, RunStartEvent)]
    assert [e.run_id for e in starts] == [r1.run_id, r2.run_id]
    assert starts[0].span_id != starts[1].span_id


# ---------------------------------------------------------------------------
# gates


@ifelse(when_true="big", when_false="small")
def is_big(x: int) -> bool:
    return x > 5


@node(output_name="label")
def big(x: int) -> str:
    return "big"


@node(output_name="label")
def small(x: int) -> str:
    return "small"


def test_gate_emits_route_decision_between_start_and_end(h: Harness) -> None:
    rec = Recorder()
    r = h.run(Graph([is_big, big, small]), x=10, event_processors=[rec])
    assert r["label"] == "big"
    check_run_grammar(rec.events, r.run_id)
    gate_events = [e for e in rec.events if getattr(e, "node_name", None) == "is_big"]
    assert names(gate_events) == ["NodeStart", "RouteDecision", "NodeEnd"]
    start, decision, end = gate_events
    assert isinstance(decision, RouteDecisionEvent)
    assert decision.decision is True
    assert start.span_id == end.span_id
    assert decision.span_id not in (start.span_id, rec.events[0].span_id)
    assert decision.parent_span_id == rec.events[0].span_id
    assert decision.graph_name is None
    assert [e.node_name for e in rec.events if isinstance(e, NodeStartEvent)] == ["is_big", "big"]
    assert r.log is not None
    assert [s.decision for s in r.log.steps] == [True, None]


def test_route_decision_is_raw_list_and_end(h: Harness) -> None:
    @route(targets=["a", "b"], multi_target=True)
    def fan(x: int) -> Any:
        return ["a", "b"]

    @route(targets=["a", END])
    def stop(x: int) -> Any:
        return END

    @node(output_name="ra")
    def a(x: int) -> int:
        return x

    @node(output_name="rb")
    def b(x: int) -> int:
        return x

    rec = Recorder()
    r = h.run(Graph([fan, a, b]), x=1, event_processors=[rec])
    assert r.values["ra"] == r.values["rb"] == 1
    d = first(rec.events, RouteDecisionEvent, node_name="fan")
    assert d.decision == ["a", "b"]
    rec = Recorder()
    r = h.run(Graph([stop, a]), x=-1, event_processors=[rec])
    d = first(rec.events, RouteDecisionEvent, node_name="stop")
    assert d.decision is END
    assert [e.node_name for e in rec.events if isinstance(e, NodeStartEvent)] == ["stop"]
    check_run_grammar(rec.events, r.run_id)


# ---------------------------------------------------------------------------
# failures


class Boom(Exception):
    pass


@node(output_name="z")
def bad(y: int) -> int:
    raise ValueError(f"bad value {y}")


def test_node_error_event_and_failed_run_end(h: Harness) -> None:
    rec = Recorder()
    with pytest.raises(ValueError, match="bad value 2"):
        h.run(Graph([inc, bad], name="g"), x=1, event_processors=[rec])
    assert names(rec.events) == [
        "RunStart", "SuperstepStart", "NodeStart", "NodeEnd",
        "SuperstepStart", "NodeStart", "NodeError", "RunEnd",
    ]
    start, err, end = rec.events[-3:]
    assert isinstance(err, NodeErrorEvent) and isinstance(end, RunEndEvent)
    assert err.node_name == "bad" and err.graph_name == "g"
    assert err.error == "bad value 2"
    assert err.error_type == "builtins.ValueError"
    assert err.span_id == start.span_id
    assert err.parent_span_id == rec.events[0].span_id
    assert end.status is EventStatus.FAILED
    assert end.error == "bad value 2"
    assert rec.shutdowns == 1


def test_node_error_type_of_a_user_exception(h: Harness) -> None:
    @node(output_name="z")
    def boom(y: int) -> int:
        raise Boom("kaput")

    rec = Recorder()
    r = h.run(Graph([inc, boom]), x=1, event_processors=[rec], error_handling="continue")
    err = first(rec.events, NodeErrorEvent)
    assert err.error_type == f"{Boom.__module__}.{Boom.__qualname__}"
    assert err.error == "kaput"
    assert r.failed


def test_continue_returns_failed_result_with_failed_run_end(h: Harness) -> None:
    rec = Recorder()
    r = h.run(Graph([inc, bad]), x=1, event_processors=[rec], error_handling="continue")
    assert r.status is RunStatus.FAILED
    assert r.values == {"y": 2}
    end = rec.events[-1]
    assert isinstance(end, RunEndEvent)
    assert end.status is EventStatus.FAILED and end.error == "bad value 2"
    assert end.run_id == r.run_id
    check_run_grammar(rec.events, r.run_id)
    assert r.log is not None
    assert r.log.errors[0].span_id == first(rec.events, NodeErrorEvent).span_id


def test_sync_failure_stops_the_superstep(kind: str) -> None:
    @node(output_name="a")
    def fails(x: int) -> int:
        raise ValueError("first")

    @node(output_name="b")
    def later(x: int) -> int:
        return x

    rec = Recorder()
    r = Harness(kind).run(
        Graph([fails, later]), x=1, event_processors=[rec], error_handling="continue"
    )
    assert r.failed
    started = [e.node_name for e in rec.events if isinstance(e, NodeStartEvent)]
    if kind == "sync":
        assert started == ["fails"]
    else:  # AsyncRunner finishes the whole superstep
        assert sorted(started) == ["fails", "later"]
        assert first(rec.events, NodeEndEvent).node_name == "later"
    assert rec.events[-1].status is EventStatus.FAILED  # type: ignore[attr-defined]


def test_infinite_loop_ends_the_run_failed(h: Harness) -> None:
    @node(output_name="count")
    def step(count: int) -> int:
        return count + 1

    @route(targets=["step", END])
    def again(count: int) -> Any:
        return "step"

    rec = Recorder()
    with pytest.raises(InfiniteLoopError):
        h.run(Graph([step, again], entrypoint="step"), count=0, max_iterations=3,
              event_processors=[rec])
    assert [e.superstep for e in rec.events if isinstance(e, SuperstepStartEvent)] == [0, 1, 2]
    assert not any(isinstance(e, NodeErrorEvent) for e in rec.events)
    end = rec.events[-1]
    assert isinstance(end, RunEndEvent) and end.status is EventStatus.FAILED
    assert "3" in (end.error or "")
    assert rec.shutdowns == 1


def test_on_missing_error_ends_the_run_failed(h: Harness) -> None:
    @node(output_name="only_small")
    def small_only(x: int) -> str:
        return "small"

    @ifelse(when_true="big", when_false="small_only")
    def gate(x: int) -> bool:
        return x > 5

    g = Graph([gate, big, small_only]).select("only_small")
    rec = Recorder()
    with pytest.raises(ValueError, match="only_small"):
        h.run(g, x=10, on_missing="error", event_processors=[rec])
    end = rec.events[-1]
    assert isinstance(end, RunEndEvent) and end.status is EventStatus.FAILED
    assert not any(isinstance(e, NodeErrorEvent) for e in rec.events)


# ---------------------------------------------------------------------------
# nested graphs


def test_nested_graph_node_events(h: Harness) -> None:
    inner = Graph([inc], name="inner")
    rec = Recorder()
    r = h.run(Graph([inner.as_node(), dbl], name="outer"), x=1, event_processors=[rec])
    assert r.values == {"y": 2, "z": 4}
    assert names(rec.events) == [
        "RunStart", "SuperstepStart", "NodeStart",
        "RunStart", "SuperstepStart", "NodeStart", "NodeEnd", "RunEnd",
        "NodeEnd", "SuperstepStart", "NodeStart", "NodeEnd", "RunEnd",
    ]
    outer_start, gn_start, inner_start = rec.events[0], rec.events[2], rec.events[3]
    inner_end, gn_end = rec.events[7], rec.events[8]
    assert isinstance(gn_start, NodeStartEvent) and gn_start.node_name == "inner"
    assert isinstance(inner_start, RunStartEvent) and isinstance(inner_end, RunEndEvent)
    assert inner_start.graph_name == "inner" and inner_start.parent_span_id == gn_start.span_id
    assert inner_end.span_id == inner_start.span_id
    assert inner_end.parent_span_id == gn_start.span_id
    inner_id = inner_start.run_id
    assert inner_id != r.run_id
    check_run_grammar(rec.events, r.run_id)
    check_run_grammar(rec.events, inner_id)
    for e in of_run(rec.events, inner_id)[1:-1]:
        assert e.parent_span_id == inner_start.span_id
        assert e.graph_name == "inner"  # type: ignore[attr-defined]
    assert isinstance(gn_end, NodeEndEvent) and gn_end.span_id == gn_start.span_id
    assert gn_end.run_id == r.run_id and gn_end.parent_span_id == outer_start.span_id
    (inner_log,) = gn_end.inner_logs
    assert isinstance(inner_log, RunLog)
    assert inner_log.run_id == inner_id
    assert [s.node_name for s in inner_log.steps] == ["inc"]
    inner_node_start = first(of_run(rec.events, inner_id), NodeStartEvent)
    assert inner_log.steps[0].span_id == inner_node_start.span_id
    assert r.log is not None and r.log.steps[0].log == inner_log


def test_nested_failure_fails_both_runs(h: Harness) -> None:
    inner = Graph([inc, bad], name="inner")
    rec = Recorder()
    r = h.run(Graph([inner.as_node()], name="outer"), x=1, event_processors=[rec],
              error_handling="continue")
    assert r.failed and isinstance(r.error, ValueError)
    errors = [e for e in rec.events if isinstance(e, NodeErrorEvent)]
    assert [(e.node_name, e.graph_name) for e in errors] == [("bad", "inner"), ("inner", "outer")]
    assert all(e.error_type == "builtins.ValueError" and e.error == "bad value 2" for e in errors)
    ends = [e for e in rec.events if isinstance(e, RunEndEvent)]
    assert [(e.graph_name, e.status) for e in ends] == [
        ("inner", EventStatus.FAILED), ("outer", EventStatus.FAILED)
    ]
    assert names(rec.events)[-4:] == ["NodeError", "RunEnd", "NodeError", "RunEnd"]
    assert rec.shutdowns == 1


def test_twice_nested_spans_chain(h: Harness) -> None:
    innermost = Graph([inc], name="innermost")
    mid = Graph([innermost.as_node()], name="mid")
    rec = Recorder()
    r = h.run(Graph([mid.as_node()], name="top"), x=1, event_processors=[rec])
    assert r["y"] == 2
    starts = [e for e in rec.events if isinstance(e, RunStartEvent)]
    assert [e.graph_name for e in starts] == ["top", "mid", "innermost"]
    node_starts = [e for e in rec.events if isinstance(e, NodeStartEvent)]
    assert [(e.node_name, e.graph_name) for e in node_starts] == [
        ("mid", "top"), ("innermost", "mid"), ("inc", "innermost")
    ]
    # run -> node -> run -> node -> run -> node
    assert starts[0].parent_span_id is None
    assert node_starts[0].parent_span_id == starts[0].span_id
    assert starts[1].parent_span_id == node_starts[0].span_id
    assert node_starts[1].parent_span_id == starts[1].span_id
    assert starts[2].parent_span_id == node_starts[1].span_id
    assert node_starts[2].parent_span_id == starts[2].span_id
    assert len({e.run_id for e in starts}) == 3


# ---------------------------------------------------------------------------
# map()


def test_map_wraps_items_in_a_map_run(h: Harness) -> None:
    rec = Recorder()
    m = h.map(linear(), x=[1, 2, 3], map_over="x", event_processors=[rec])
    assert m["z"] == [4, 6, 8]
    assert m.run_id is not None
    map_start, map_end = rec.events[0], rec.events[-1]
    assert isinstance(map_start, RunStartEvent) and isinstance(map_end, RunEndEvent)
    assert map_start.is_map is True and map_start.map_size == 3
    assert map_start.run_id == map_end.run_id == m.run_id
    assert map_start.span_id == map_end.span_id
    assert map_start.parent_span_id is None and map_end.parent_span_id is None
    assert map_start.graph_name == "g"
    assert map_end.status is EventStatus.COMPLETED
    item_starts = [e for e in rec.events[1:-1] if isinstance(e, RunStartEvent)]
    assert len(item_starts) == 3
    assert all(e.parent_span_id == map_start.span_id and not e.is_map for e in item_starts)
    assert all(e.map_size is None for e in item_starts)
    item_ids = [r.run_id for r in m]
    assert sorted(e.run_id for e in item_starts) == sorted(item_ids)
    assert len(set(item_ids)) == 3 and m.run_id not in item_ids
    for r in m:
        check_run_grammar(rec.events, r.run_id)
        assert r.log is not None and r.log.run_id == r.run_id
    if h.kind == "sync":
        assert [e.run_id for e in item_starts] == item_ids
    assert rec.shutdowns == 1


def test_map_item_failure_under_continue(h: Harness) -> None:
    @node(output_name="y")
    def picky(x: int) -> int:
        if x == 2:
            raise ValueError("two")
        return x

    rec = Recorder()
    m = h.map(Graph([picky]), x=[1, 2], map_over="x", error_handling="continue",
              event_processors=[rec])
    assert [r.status for r in m] == [RunStatus.COMPLETED, RunStatus.FAILED]
    failed_end = first(rec.events, RunEndEvent, run_id=m[1].run_id)
    assert failed_end.status is EventStatus.FAILED and failed_end.error == "two"
    ok_end = first(rec.events, RunEndEvent, run_id=m[0].run_id)
    assert ok_end.status is EventStatus.COMPLETED
    assert rec.events[-1].run_id == m.run_id


def test_map_with_raise_ends_map_run_and_shuts_down_once(h: Harness) -> None:
    @node(output_name="y")
    def picky(x: int) -> int:
        raise ValueError(f"item {x}")

    rec = Recorder()
    with pytest.raises(ValueError, match="item"):
        h.map(Graph([picky]), x=[1, 2], map_over="x", event_processors=[rec])
    map_start = rec.events[0]
    assert isinstance(map_start, RunStartEvent) and map_start.is_map
    end = rec.events[-1]
    assert isinstance(end, RunEndEvent) and end.span_id == map_start.span_id
    assert end.status is EventStatus.FAILED
    assert rec.shutdowns == 1


def test_nested_graph_inside_map_items(h: Harness) -> None:
    inner = Graph([inc], name="inner")
    rec = Recorder()
    m = h.map(Graph([inner.as_node()], name="outer"), x=[1, 2], map_over="x",
              event_processors=[rec])
    assert m["y"] == [2, 3]
    by_span = {e.span_id: e for e in rec.events if isinstance(e, (RunStartEvent, NodeStartEvent))}
    inner_starts = [e for e in rec.events if isinstance(e, RunStartEvent) and e.graph_name == "inner"]
    assert len(inner_starts) == 2
    for s in inner_starts:
        gn = by_span[s.parent_span_id]  # type: ignore[index]
        assert isinstance(gn, NodeStartEvent) and gn.node_name == "inner"
        item = by_span[gn.parent_span_id]  # type: ignore[index]
        assert isinstance(item, RunStartEvent) and item.graph_name == "outer" and not item.is_map
        assert item.parent_span_id == rec.events[0].span_id
    assert rec.shutdowns == 1


def test_map_over_graph_node_wraps_items_in_a_map_run(h: Harness) -> None:
    inner = Graph([inc], name="inner")
    rec = Recorder()
    r = h.run(Graph([inner.as_node().map_over("x")], name="outer"), x=[1, 2],
              event_processors=[rec])
    assert r["y"] == [2, 3]
    gn = first(rec.events, NodeStartEvent, node_name="inner")
    maps = [e for e in rec.events if isinstance(e, RunStartEvent) and e.is_map]
    assert len(maps) == 1
    assert maps[0].map_size == 2 and maps[0].parent_span_id == gn.span_id
    items = [e for e in rec.events if isinstance(e, RunStartEvent) and e.graph_name == "inner"
             and not e.is_map]
    assert len(items) == 2
    assert all(e.parent_span_id == maps[0].span_id for e in items)


# ---------------------------------------------------------------------------
# AsyncRunner pauses


@node(output_name="draft")
def write(prompt: str) -> str:
    return f"draft about {prompt}"


@interrupt(output_name="decision")
def approval(draft: str) -> str | None:
    return None


@node(output_name="result")
def publish(decision: str) -> str:
    return f"published: {decision}"


BLOG = Graph([write, approval, publish], name="blog")


def test_pause_emits_interrupt_then_paused_run_end() -> None:
    rec = Recorder()
    r = arun(BLOG, prompt="cats", event_processors=[rec])
    assert r.paused and r.pause is not None
    assert names(rec.events) == [
        "RunStart", "SuperstepStart", "NodeStart", "NodeEnd",
        "SuperstepStart", "NodeStart", "Interrupt", "RunEnd",
    ]
    check_run_grammar(rec.events, r.run_id)
    start, intr, end = rec.events[-3:]
    assert isinstance(start, NodeStartEvent) and start.node_name == "approval"
    assert isinstance(intr, InterruptEvent)
    assert intr.node_name == "approval" and intr.graph_name == "blog"
    assert intr.value == r.pause.value == "draft about cats"
    assert intr.response_param == r.pause.output_param == "decision"
    assert intr.workflow_id is None
    assert intr.span_id == start.span_id
    assert intr.parent_span_id == rec.events[0].span_id
    assert isinstance(end, RunEndEvent)
    assert end.status is EventStatus.PAUSED and end.error is None and end.run_id == r.run_id
    assert r.log is not None
    paused = [s for s in r.log.steps if s.status == "paused"]
    assert [(s.node_name, s.span_id) for s in paused] == [("approval", start.span_id)]
    assert rec.shutdowns == 1


def test_resumed_run_completes_with_node_end_for_interrupt() -> None:
    rec = Recorder()
    r = arun(BLOG, prompt="cats", decision="yes", event_processors=[rec])
    assert r["result"] == "published: yes"
    check_run_grammar(rec.events, r.run_id)
    approval_events = [e for e in rec.events if getattr(e, "node_name", None) == "approval"]
    assert names(approval_events) == ["NodeStart", "NodeEnd"]
    assert rec.events[-1].status is EventStatus.COMPLETED  # type: ignore[attr-defined]


def test_nested_pause_uses_the_path_name() -> None:
    @interrupt(output_name="y")
    def ask(x: int) -> int | None:
        return None

    inner = Graph([ask], name="inner")
    outer = Graph([inner.as_node().with_outputs(y="verdict")], name="outer")
    rec = Recorder()
    r = arun(outer, x=5, event_processors=[rec])
    assert r.paused and r.pause is not None and r.pause.node_name == "inner/ask"
    assert names(rec.events) == [
        "RunStart", "SuperstepStart", "NodeStart",
        "RunStart", "SuperstepStart", "NodeStart", "Interrupt", "RunEnd",
        "Interrupt", "RunEnd",
    ]
    gn_start, inner_start = rec.events[2], rec.events[3]
    inner_intr, inner_end, outer_intr, outer_end = rec.events[-4:]
    assert isinstance(inner_intr, InterruptEvent) and isinstance(outer_intr, InterruptEvent)
    assert (inner_intr.node_name, inner_intr.response_param, inner_intr.graph_name) == (
        "ask", "y", "inner"
    )
    assert inner_intr.run_id == inner_start.run_id
    assert inner_intr.parent_span_id == inner_start.span_id
    assert (outer_intr.node_name, outer_intr.response_param, outer_intr.graph_name) == (
        "inner/ask", "verdict", "outer"
    )
    assert inner_intr.value == outer_intr.value == 5
    assert outer_intr.span_id == gn_start.span_id
    assert outer_intr.run_id == r.run_id
    assert isinstance(inner_end, RunEndEvent) and inner_end.status is EventStatus.PAUSED
    assert inner_end.span_id == inner_start.span_id
    assert isinstance(outer_end, RunEndEvent) and outer_end.status is EventStatus.PAUSED
    assert outer_end.span_id == rec.events[0].span_id
    assert not any(isinstance(e, NodeEndEvent) for e in rec.events)
    check_run_grammar(rec.events, r.run_id)


# ---------------------------------------------------------------------------
# workflow ids (with a checkpointer)


def test_workflow_id_is_none_without_checkpointer(h: Harness) -> None:
    rec = Recorder()
    r = h.run(linear(), x=1, event_processors=[rec])
    assert r.workflow_id is None
    assert all(e.workflow_id is None for e in rec.events if isinstance(e, RunStartEvent))


def test_run_start_carries_workflow_id_with_checkpointer(kind: str) -> None:
    h = Harness(kind, checkpointer=MemoryCheckpointer())
    rec = Recorder()
    r = h.run(linear(), x=1, workflow_id="wf-events", event_processors=[rec])
    assert r.workflow_id == "wf-events"
    start = rec.events[0]
    assert isinstance(start, RunStartEvent) and start.workflow_id == "wf-events"
    assert start.run_id == r.run_id
    rec = Recorder()
    r = h.run(linear(), x=1, event_processors=[rec])  # generated id
    assert r.workflow_id is not None
    assert rec.events[0].workflow_id == r.workflow_id  # type: ignore[attr-defined]


def test_interrupt_event_carries_workflow_id_with_checkpointer() -> None:
    runner = AsyncRunner(checkpointer=MemoryCheckpointer())
    rec = Recorder()
    r = asyncio.run(runner.run(BLOG, prompt="p", workflow_id="wf-pause", event_processors=[rec]))
    assert r.paused
    intr = first(rec.events, InterruptEvent)
    assert intr.workflow_id == "wf-pause"


def test_resumed_call_counts_supersteps_from_zero() -> None:
    runner = AsyncRunner(checkpointer=MemoryCheckpointer())
    asyncio.run(runner.run(BLOG, prompt="p", workflow_id="wf-resume"))
    rec = Recorder()
    r = asyncio.run(runner.run(BLOG, decision="ok", workflow_id="wf-resume",
                               event_processors=[rec]))
    assert r["result"] == "published: ok"
    steps = [(e.superstep, e.run_id) for e in rec.events if isinstance(e, SuperstepStartEvent)]
    assert steps == [(0, r.run_id), (1, r.run_id)]
    check_run_grammar(rec.events, r.run_id)


def test_resumed_call_records_supersteps_from_zero() -> None:
    runner = AsyncRunner(checkpointer=MemoryCheckpointer())
    asyncio.run(runner.run(BLOG, prompt="p", workflow_id="wf-resume-log"))
    rec = Recorder()
    r = asyncio.run(runner.run(BLOG, decision="ok", workflow_id="wf-resume-log",
                               event_processors=[rec]))
    assert r.log is not None
    by_span = {e.span_id: e for e in rec.events if isinstance(e, NodeStartEvent)}
    event_step: dict[str, int] = {}
    current = -1
    for e in rec.events:
        if isinstance(e, SuperstepStartEvent):
            current = e.superstep
        elif isinstance(e, NodeStartEvent):
            event_step[e.span_id] = current
    assert [(s.node_name, s.superstep) for s in r.log.steps] == [
        (by_span[s.span_id].node_name, event_step[s.span_id]) for s in r.log.steps  # type: ignore[index]
    ]


# ---------------------------------------------------------------------------
# processors


class DualProcessor(AsyncEventProcessor):
    def __init__(self) -> None:
        self.sync_events: list[BaseEvent] = []
        self.async_events: list[BaseEvent] = []
        self.sync_shutdowns = 0
        self.async_shutdowns = 0

    def on_event(self, event: Any) -> None:
        self.sync_events.append(event)

    async def on_event_async(self, event: Any) -> None:
        await asyncio.sleep(0)
        self.async_events.append(event)

    def shutdown(self) -> None:
        self.sync_shutdowns += 1

    async def shutdown_async(self) -> None:
        self.async_shutdowns += 1


def test_async_processor_hooks_are_awaited_by_async_runner_only(h: Harness) -> None:
    p = DualProcessor()
    rec = Recorder()
    h.run(linear(), x=1, event_processors=[p, rec])
    if h.kind == "async":
        assert p.async_events == rec.events and p.sync_events == []
        assert (p.async_shutdowns, p.sync_shutdowns) == (1, 0)
    else:
        assert p.sync_events == rec.events and p.async_events == []
        assert (p.sync_shutdowns, p.async_shutdowns) == (1, 0)
    assert len(rec.events) == 8


def test_async_processor_in_map_and_nested_runs(h: Harness) -> None:
    p = DualProcessor()
    rec = Recorder()
    inner = Graph([inc], name="inner")
    h.map(Graph([inner.as_node()], name="outer"), x=[1, 2], map_over="x",
          event_processors=[p, rec])
    got = p.async_events if h.kind == "async" else p.sync_events
    assert got == rec.events
    assert sum(isinstance(e, RunStartEvent) for e in got) == 5  # map + 2 items + 2 inner
    assert p.async_shutdowns + p.sync_shutdowns == 1


class Typed(TypedEventProcessor):
    def __init__(self) -> None:
        self.calls: list[tuple[str, type]] = []

    def on_run_start(self, event: RunStartEvent) -> None:
        self.calls.append(("on_run_start", type(event)))

    def on_run_end(self, event: RunEndEvent) -> None:
        self.calls.append(("on_run_end", type(event)))

    def on_node_start(self, event: NodeStartEvent) -> None:
        self.calls.append(("on_node_start", type(event)))

    def on_node_end(self, event: NodeEndEvent) -> None:
        self.calls.append(("on_node_end", type(event)))

    def on_cache_hit(self, event: CacheHitEvent) -> None:
        self.calls.append(("on_cache_hit", type(event)))

    def on_node_error(self, event: NodeErrorEvent) -> None:
        self.calls.append(("on_node_error", type(event)))

    def on_route_decision(self, event: RouteDecisionEvent) -> None:
        self.calls.append(("on_route_decision", type(event)))

    def on_superstep_start(self, event: SuperstepStartEvent) -> None:
        self.calls.append(("on_superstep_start", type(event)))

    def on_interrupt(self, event: InterruptEvent) -> None:
        self.calls.append(("on_interrupt", type(event)))

    def on_stop_requested(self, event: StopRequestedEvent) -> None:
        self.calls.append(("on_stop_requested", type(event)))


ROUTES = {
    RunStartEvent: "on_run_start", RunEndEvent: "on_run_end",
    NodeStartEvent: "on_node_start", NodeEndEvent: "on_node_end",
    CacheHitEvent: "on_cache_hit", NodeErrorEvent: "on_node_error",
    RouteDecisionEvent: "on_route_decision", SuperstepStartEvent: "on_superstep_start",
    InterruptEvent: "on_interrupt",
}


def test_typed_processor_routes_a_real_run(kind: str) -> None:
    from hypergraph_typed.cache import InMemoryCache

    @node(output_name="y", cache=True)
    def cached_inc(x: int) -> int:
        return x + 1

    h = Harness(kind, cache=InMemoryCache())
    g = Graph([cached_inc, is_big, big, small])
    h.run(g, x=10)  # fill the cache
    typed, rec = Typed(), Recorder()
    h.run(g, x=10, event_processors=[typed, rec])
    with pytest.raises(ValueError):
        h.run(Graph([inc, bad]), x=1, event_processors=[typed, rec])
    if kind == "async":
        arun(BLOG, prompt="p", event_processors=[typed, rec])
    assert typed.calls == [(ROUTES[type(e)], type(e)) for e in rec.events]
    seen = {t for _, t in typed.calls}
    expected = set(ROUTES) - ({InterruptEvent} if kind == "sync" else set())
    assert seen == expected


def test_processors_receive_events_in_list_order(h: Harness) -> None:
    log: list[tuple[str, BaseEvent]] = []

    class Tagged(EventProcessor):
        def __init__(self, tag: str) -> None:
            self.tag = tag

        def on_event(self, event: Any) -> None:
            log.append((self.tag, event))

    h.run(linear(), x=1, event_processors=[Tagged("a"), Tagged("b")])
    assert [t for t, _ in log] == ["a", "b"] * 8
    assert all(log[i][1] is log[i + 1][1] for i in range(0, len(log), 2))


def test_shutdown_once_per_top_level_call(h: Harness) -> None:
    rec = Recorder()
    inner = Graph([inc], name="inner")
    outer = Graph([inner.as_node(), dbl], name="outer")
    h.run(outer, x=1, event_processors=[rec])
    assert rec.shutdowns == 1
    h.map(outer, x=[1, 2, 3], map_over="x", event_processors=[rec])
    assert rec.shutdowns == 2
    h.run(Graph([Graph([inc], name="m").as_node().map_over("x")]), x=[1, 2],
          event_processors=[rec])
    assert rec.shutdowns == 3
    with pytest.raises(ValueError):
        h.run(Graph([inc, bad]), x=1, event_processors=[rec])
    assert rec.shutdowns == 4
    r = h.run(Graph([inc, bad]), x=1, event_processors=[rec], error_handling="continue")
    assert r.failed and rec.shutdowns == 5


def test_failing_processor_is_logged_and_ignored(
    h: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    class Broken(EventProcessor):
        def __init__(self) -> None:
            self.seen = 0

        def on_event(self, event: Any) -> None:
            self.seen += 1
            raise RuntimeError("processor bug")

        def shutdown(self) -> None:
            raise RuntimeError("shutdown bug")

    broken, rec = Broken(), Recorder()
    with caplog.at_level(logging.WARNING):
        r = h.run(linear(), x=1, event_processors=[broken, rec])
    assert r.completed and r["z"] == 4
    assert broken.seen == len(rec.events) == 8
    assert rec.shutdowns == 1
    messages = [rec_.getMessage() for rec_ in caplog.records]
    assert sum("processor bug" in m for m in messages) == 8
    assert any("shutdown bug" in m for m in messages)


def test_failing_async_processor_is_ignored_by_async_runner(
    caplog: pytest.LogCaptureFixture,
) -> None:
    class BrokenAsync(AsyncEventProcessor):
        async def on_event_async(self, event: Any) -> None:
            raise RuntimeError("async processor bug")

    rec = Recorder()
    with caplog.at_level(logging.WARNING):
        r = arun(BLOG, prompt="p", event_processors=[BrokenAsync(), rec])
    assert r.paused
    assert names(rec.events)[-2:] == ["Interrupt", "RunEnd"]
    assert any("async processor bug" in m.getMessage() for m in caplog.records)


def test_processors_do_not_change_results(h: Harness) -> None:
    g = Graph([is_big, big, small, inc, dbl])
    plain = h.run(g, x=7)
    observed = h.run(g, x=7, event_processors=[Recorder()])
    assert observed.values == plain.values
    assert plain.log is not None and observed.log is not None
    assert [(s.node_name, s.superstep, s.status, s.decision) for s in observed.log.steps] == [
        (s.node_name, s.superstep, s.status, s.decision) for s in plain.log.steps
    ]


# ---------------------------------------------------------------------------
# RichProgressProcessor, non-tty mode


LINE = re.compile(r"^\[\d\d:\d\d:\d\d\] (.*)$")


def progress_err(capsys: pytest.CaptureFixture[str]) -> str:
    """The progress lines, which go to stderr; the program's stdout stays empty."""
    out, err = capsys.readouterr()
    assert out == ""
    return err


def progress_lines(out: str) -> list[str]:
    lines = [ln for ln in out.splitlines() if ln.strip()]
    texts = []
    for ln in lines:
        m = LINE.match(ln)
        assert m, f"not a timestamped line: {ln!r}"
        texts.append(m.group(1))
    return texts


def test_progress_lines_for_a_run(h: Harness, capsys: pytest.CaptureFixture[str]) -> None:
    h.run(linear(), x=1, event_processors=[RichProgressProcessor(force_mode="non-tty")])
    assert progress_lines(progress_err(capsys)) == [
        "▶ inc started", "✓ inc completed · 1 node done", "▶ dbl started",
        "✓ dbl completed · 2 nodes done", "✓ g completed! · 2 nodes done",
    ]


def test_progress_lines_unnamed_failed_and_nested(
    h: Harness, capsys: pytest.CaptureFixture[str]
) -> None:
    p = RichProgressProcessor(force_mode="non-tty")
    h.run(Graph([inc, bad]), x=1, event_processors=[p], error_handling="continue")
    assert progress_lines(progress_err(capsys)) == [
        "▶ inc started", "✓ inc completed · 1 node done", "▶ bad started",
        "✗ bad FAILED: bad value 2 · 2 nodes done, 1 failed",
        "✗ Run failed: bad value 2 · 2 nodes done, 1 failed",
    ]
    inner = Graph([inc], name="inner")
    h.run(Graph([inner.as_node()], name="outer"), x=1, event_processors=[p])
    assert progress_lines(progress_err(capsys)) == [
        "▶ inner started", "▶ inner/inc started", "✓ inner/inc completed · 1 node done",
        "✓ inner completed · 2 nodes done", "✓ outer completed! · 2 nodes done",
    ]


def test_progress_line_for_a_cached_node(kind: str, capsys: pytest.CaptureFixture[str]) -> None:
    from hypergraph_typed.cache import InMemoryCache

    @node(output_name="y", cache=True)
    def slow_inc(x: int) -> int:
        return x + 1

    h = Harness(kind, cache=InMemoryCache())
    p = RichProgressProcessor(force_mode="non-tty")
    g = Graph([slow_inc], name="c")
    h.run(g, x=1, event_processors=[p])
    h.run(g, x=1, event_processors=[p])
    assert progress_lines(progress_err(capsys)) == [
        "▶ slow_inc started", "✓ slow_inc completed · 1 node done",
        "✓ c completed! · 1 node done",
        "▶ slow_inc started", "✓ slow_inc completed (cached) · 1 node done",
        "✓ c completed! · 1 node done",
    ]


def test_progress_line_for_a_pause(capsys: pytest.CaptureFixture[str]) -> None:
    arun(BLOG, prompt="p", event_processors=[RichProgressProcessor(force_mode="non-tty")])
    assert progress_lines(progress_err(capsys)) == [
        "▶ write started", "✓ write completed · 1 node done", "▶ approval started",
        "‖ blog paused · 1 node done",
    ]


def test_progress_milestones_for_a_map(h: Harness, capsys: pytest.CaptureFixture[str]) -> None:
    h.map(linear(), x=[1, 2, 3, 4], map_over="x",
          event_processors=[RichProgressProcessor(force_mode="non-tty")])
    assert progress_lines(progress_err(capsys)) == [
        "◈ g: 25% (1/4)", "◈ g: 50% (2/4)", "◈ g: 75% (3/4)", "◈ g: 100% (4/4)",
        "✓ g completed! · 8 nodes done; 4 map items",
    ]


def test_progress_milestones_for_a_map_over_graph_node(
    h: Harness, capsys: pytest.CaptureFixture[str]
) -> None:
    inner = Graph([inc], name="inner")
    h.run(Graph([inner.as_node().map_over("x")], name="outer"), x=[1, 2],
          event_processors=[RichProgressProcessor(force_mode="non-tty")])
    lines = progress_lines(progress_err(capsys))
    assert "▶ inner/inc started" not in lines
    assert any(ln.startswith("◈ ") and ln.endswith("100% (2/2)") for ln in lines)
    assert lines[-1] == "✓ outer completed! · 3 nodes done; 2 map items"
