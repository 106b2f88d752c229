"""Spec 06 (cache) through the runners: eligibility, keys, hits, gates, interrupts, backends.

The backends are tested in isolation elsewhere; here real runs of both runners use
them, and call counters tell whether a node's function actually ran.
"""

from __future__ import annotations

import asyncio
import re
import threading
from typing import Any

import pytest

from harness import RunnerHarness as Harness
from hypergraph_typed import (
    END,
    AsyncRunner,
    FunctionNode,
    Graph,
    RunResult,
    SyncRunner,
    ifelse,
    interrupt,
    node,
    route,
)
from hypergraph_typed.cache import CacheBackend, DiskCache, InMemoryCache, compute_cache_key
from hypergraph_typed.checkpointers import MemoryCheckpointer
from hypergraph_typed.events import (
    BaseEvent,
    CacheHitEvent,
    EventProcessor,
    NodeEndEvent,
    NodeStartEvent,
    RouteDecisionEvent,
)

HEX64 = re.compile(r"^[0-9a-f]{64}$")


# ---------------------------------------------------------------------------
# helpers


class Recorder(EventProcessor):
    def __init__(self) -> None:
        self.events: list[BaseEvent] = []

    def on_event(self, event: Any) -> None:
        self.events.append(event)

    def of(self, cls: type, node_name: str | None = None) -> list[Any]:
        return [
            e for e in self.events
            if type(e) is cls and (node_name is None or e.node_name == node_name)  # type: ignore[attr-defined]
        ]


class SpyCache:
    """A duck-typed backend (no base class) that records what the runner does with it."""

    def __init__(self) -> None:
        self.data: dict[str, Any] = {}
        self.gets: list[str] = []
        self.sets: list[tuple[str, Any]] = []

    def get(self, key: str) -> tuple[bool, Any]:
        self.gets.append(key)
        if key in self.data:
            return True, self.data[key]
        return False, None

    def set(self, key: str, value: Any) -> None:
        self.sets.append((key, value))
        self.data[key] = value


def counted(calls: list[Any], *, name: str = "times10", cache: bool = True) -> FunctionNode:
    """A cached node ``y = x * 10`` that records each call's input."""

    def times10(x: int) -> int:
        calls.append(x)
        return x * 10

    return FunctionNode(times10, name=name, output_name="y", cache=cache)


# ---------------------------------------------------------------------------
# runner option validation


@pytest.mark.parametrize("runner_cls", [SyncRunner, AsyncRunner])
@pytest.mark.parametrize("bad", [object(), "memory", 42, {"get": 1}])
def test_cache_option_must_be_a_cache_backend(runner_cls: type, bad: Any) -> None:
    with pytest.raises(TypeError, match="CacheBackend"):
        runner_cls(cache=bad)


@pytest.mark.parametrize("runner_cls", [SyncRunner, AsyncRunner])
def test_cache_option_accepts_backends(runner_cls: type, tmp_path: Any) -> None:
    spy = SpyCache()
    assert isinstance(spy, CacheBackend)
    for backend in (InMemoryCache(), spy, DiskCache(tmp_path), None):
        assert runner_cls(cache=backend).cache is backend


# ---------------------------------------------------------------------------
# when a node is cached


def test_cache_true_without_backend_runs_every_time(kind: str) -> None:
    calls: list[int] = []
    h = Harness(kind)
    g = Graph([counted(calls)])
    rec = Recorder()
    for _ in range(2):
        assert h.run(g, x=1, event_processors=[rec])["y"] == 10
    assert calls == [1, 1]
    assert rec.of(CacheHitEvent) == []
    assert all(e.cached is False for e in rec.of(NodeEndEvent))


def test_backend_without_cache_true_runs_every_time(kind: str) -> None:
    calls: list[int] = []
    spy = SpyCache()
    h = Harness(kind, cache=spy)
    g = Graph([counted(calls, cache=False)])
    for _ in range(2):
        assert h.run(g, x=1)["y"] == 10
    assert calls == [1, 1]
    assert spy.gets == [] and spy.sets == []


def test_only_cache_true_nodes_use_the_backend(kind: str) -> None:
    calls: list[int] = []
    spy = SpyCache()

    @node(output_name="z")
    def plain(y: int) -> int:
        calls.append(-y)
        return y + 1

    h = Harness(kind, cache=spy)
    g = Graph([counted(calls), plain])
    assert h.run(g, x=2).values == {"y": 20, "z": 21}
    assert h.run(g, x=2).values == {"y": 20, "z": 21}
    assert calls == [2, -20, -20]
    assert len(spy.sets) == 1 and len(spy.gets) == 2


# ---------------------------------------------------------------------------
# hits


def test_second_run_is_a_hit(kind: str) -> None:
    calls: list[int] = []
    cached_node = counted(calls)
    h = Harness(kind, cache=InMemoryCache())
    g = Graph([cached_node], name="c")
    rec1, rec2 = Recorder(), Recorder()
    r1 = h.run(g, x=3, event_processors=[rec1])
    r2 = h.run(g, x=3, event_processors=[rec2])
    assert calls == [3]
    assert r1.values == r2.values == {"y": 30}
    # first run: a miss
    assert rec1.of(CacheHitEvent) == []
    (end1,) = rec1.of(NodeEndEvent)
    assert end1.cached is False
    assert r1.log is not None and r1.log.steps[0].cached is False
    # second run: NodeStart -> CacheHit -> NodeEnd(cached, 0 ms), one span
    node_events = [e for e in rec2.events if getattr(e, "node_name", None) == "times10"]
    assert [type(e) for e in node_events] == [NodeStartEvent, CacheHitEvent, NodeEndEvent]
    start, hit, end = node_events
    assert start.span_id == hit.span_id == end.span_id
    assert hit.parent_span_id == rec2.events[0].span_id
    assert hit.run_id == r2.run_id and hit.graph_name == "c"
    assert HEX64.match(hit.cache_key)
    assert hit.cache_key == compute_cache_key(cached_node.definition_hash, {"x": 3})
    assert end.cached is True and end.duration_ms == 0.0
    assert r2.log is not None
    (rec,) = r2.log.steps
    assert rec.cached is True and rec.status == "completed" and rec.span_id == start.span_id
    assert r2.log.node_stats["times10"].cached == 1


def test_hit_without_processors(kind: str) -> None:
    calls: list[int] = []
    h = Harness(kind, cache=InMemoryCache())
    g = Graph([counted(calls)])
    assert h.run(g, x=1)["y"] == 10
    r = h.run(g, x=1)
    assert r["y"] == 10 and calls == [1]
    assert r.log is not None and [s.cached for s in r.log.steps] == [True]


def test_key_depends_on_input_values(kind: str) -> None:
    calls: list[int] = []
    h = Harness(kind, cache=InMemoryCache())
    g = Graph([counted(calls)])
    assert [h.run(g, x=v)["y"] for v in (1, 2, 1, 2, 3)] == [10, 20, 10, 20, 30]
    assert calls == [1, 2, 3]


def test_key_ignores_the_node_name(kind: str) -> None:
    calls: list[int] = []

    def f(x: int) -> int:
        calls.append(x)
        return x + 100

    a = FunctionNode(f, name="a", output_name="y", cache=True)
    b = FunctionNode(f, name="b", output_name="y", cache=True)
    h = Harness(kind, cache=InMemoryCache())
    assert h.run(Graph([a]), x=1)["y"] == 101
    rec = Recorder()
    assert h.run(Graph([b]), x=1, event_processors=[rec])["y"] == 101
    assert calls == [1]
    assert [e.node_name for e in rec.of(CacheHitEvent)] == ["b"]
    # the renamed node of the same function also shares the entry
    assert h.run(Graph([a.with_name("c")]), x=1)["y"] == 101
    assert calls == [1]


def test_two_nodes_of_one_function_share_entries_within_a_run(kind: str) -> None:
    calls: list[int] = []

    def f(x: int) -> int:
        calls.append(x)
        return x * 2

    first = FunctionNode(f, name="first", output_name="a", cache=True)
    second = FunctionNode(f, name="second", output_name="b", cache=True)
    g = Graph([first, second])
    h = Harness(kind, cache=InMemoryCache())
    r = h.run(g, x=4)
    assert r.values == {"a": 8, "b": 8}
    if kind == "sync":  # sequential: the second node finds the first one's entry
        assert calls == [4]
    rec = Recorder()
    assert h.run(g, x=4, event_processors=[rec]).values == {"a": 8, "b": 8}
    assert len(calls) in (1, 2) and set(calls) == {4}
    assert sorted(e.node_name for e in rec.of(CacheHitEvent)) == ["first", "second"]


def test_shared_entry_under_other_output_names(kind: str) -> None:
    """A hit written by a node of the same function with other output names."""
    calls: list[int] = []
    base = counted(calls)
    renamed = base.with_outputs(y="total")

    @node(output_name="doubled")
    def use_total(total: int) -> int:
        return total * 2

    h = Harness(kind, cache=InMemoryCache())
    assert h.run(Graph([base]), x=3).values == {"y": 30}
    assert h.run(Graph([renamed, use_total]), x=3).values == {"total": 30, "doubled": 60}
    assert calls == [3]


def test_shared_entry_with_swapped_output_names(kind: str) -> None:
    calls: list[int] = []

    def bounds(x: int) -> tuple[int, int]:
        calls.append(x)
        return x - 1, x + 1

    writer = FunctionNode(bounds, name="writer", output_name=("lo", "hi"), cache=True)
    reader = FunctionNode(bounds, name="reader", output_name=("hi", "lo"), cache=True)
    h = Harness(kind, cache=InMemoryCache())
    assert h.run(Graph([writer]), x=10).values == {"lo": 9, "hi": 11}
    # the reader's first output is the function's first value, whatever its name
    assert h.run(Graph([reader]), x=10).values == {"hi": 9, "lo": 11}
    assert calls == [10]


def test_shared_entry_between_single_and_multi_output_nodes(kind: str) -> None:
    calls: list[int] = []

    def pair(x: int) -> tuple[int, int]:
        calls.append(x)
        return x, -x

    whole = FunctionNode(pair, name="whole", output_name="p", cache=True)
    parts = FunctionNode(pair, name="parts", output_name=("pos", "neg"), cache=True)
    h = Harness(kind, cache=InMemoryCache())
    assert h.run(Graph([whole]), x=2).values == {"p": (2, -2)}
    assert h.run(Graph([parts]), x=2).values == {"pos": 2, "neg": -2}
    assert h.run(Graph([parts]), x=5).values == {"pos": 5, "neg": -5}
    assert h.run(Graph([whole]), x=5).values == {"p": (5, -5)}
    assert calls == [2, 5]


def test_key_depends_on_the_function(kind: str) -> None:
    calls: list[str] = []

    @node(output_name="y", cache=True)
    def plus(x: int) -> int:
        calls.append("plus")
        return x + 1

    @node(output_name="y", cache=True)
    def minus(x: int) -> int:
        calls.append("minus")
        return x - 1

    h = Harness(kind, cache=InMemoryCache())
    assert h.run(Graph([plus]), x=5)["y"] == 6
    assert h.run(Graph([minus]), x=5)["y"] == 4
    assert calls == ["plus", "minus"]


def test_key_uses_current_input_names(kind: str) -> None:
    calls: list[int] = []
    base = counted(calls)
    renamed = base.with_inputs(x="n")
    h = Harness(kind, cache=InMemoryCache())
    assert h.run(Graph([base]), x=2)["y"] == 20
    assert h.run(Graph([renamed]), n=2)["y"] == 20
    assert calls == [2, 2]
    assert h.run(Graph([renamed]), n=2)["y"] == 20
    assert calls == [2, 2]


def test_signature_defaults_are_part_of_the_key(kind: str) -> None:
    calls: list[tuple[int, int]] = []

    @node(output_name="y", cache=True)
    def scaled(x: int, k: int = 2) -> int:
        calls.append((x, k))
        return x * k

    h = Harness(kind, cache=InMemoryCache())
    g = Graph([scaled])
    assert h.run(g, x=3)["y"] == 6
    assert h.run(g, x=3, k=2)["y"] == 6
    assert h.run(g, x=3, k=5)["y"] == 15
    assert calls == [(3, 2), (3, 5)]


def test_the_stored_value_is_the_output_dict(kind: str) -> None:
    spy = SpyCache()

    @node(output_name=("lo", "hi"), cache=True)
    def split(x: int) -> tuple[int, int]:
        return x - 1, x + 1

    h = Harness(kind, cache=spy)
    h.run(Graph([split]), x=10)
    assert [v for _, v in spy.sets] == [{"lo": 9, "hi": 11}]


def test_multi_output_hit_feeds_downstream(kind: str) -> None:
    calls: list[int] = []

    @node(output_name=("lo", "hi"), cache=True)
    def split(x: int) -> tuple[int, int]:
        calls.append(x)
        return x - 1, x + 1

    @node(output_name="span")
    def width(lo: int, hi: int) -> int:
        return hi - lo

    h = Harness(kind, cache=InMemoryCache())
    g = Graph([split, width])
    assert h.run(g, x=10).values == {"lo": 9, "hi": 11, "span": 2}
    assert h.run(g, x=10).values == {"lo": 9, "hi": 11, "span": 2}
    assert calls == [10]


def test_a_cached_none_output_is_a_hit(kind: str) -> None:
    calls: list[int] = []

    @node(output_name="y", cache=True)
    def nothing(x: int) -> None:
        calls.append(x)

    h = Harness(kind, cache=InMemoryCache())
    g = Graph([nothing])
    assert h.run(g, x=1).values == {"y": None}
    assert h.run(g, x=1).values == {"y": None}
    assert calls == [1]


def test_failures_are_not_stored(kind: str) -> None:
    attempts: list[int] = []

    @node(output_name="y", cache=True)
    def flaky(x: int) -> int:
        attempts.append(x)
        if len(attempts) == 1:
            raise ValueError("first attempt")
        return x

    spy = SpyCache()
    h = Harness(kind, cache=spy)
    g = Graph([flaky])
    assert h.run(g, x=1, error_handling="continue").failed
    assert spy.sets == []
    assert h.run(g, x=1)["y"] == 1
    assert h.run(g, x=1)["y"] == 1
    assert attempts == [1, 1]


def test_async_function_node_is_cached() -> None:
    calls: list[int] = []

    @node(output_name="y", cache=True)
    async def fetch(x: int) -> int:
        await asyncio.sleep(0)
        calls.append(x)
        return x + 1

    h = Harness("async", cache=InMemoryCache())
    g = Graph([fetch])
    rec = Recorder()
    assert h.run(g, x=1)["y"] == 2
    assert h.run(g, x=1, event_processors=[rec])["y"] == 2
    assert calls == [1]
    assert [e.cached for e in rec.of(NodeEndEvent)] == [True]


def test_generator_node_output_is_cached(kind: str) -> None:
    calls: list[int] = []

    @node(output_name="items", cache=True)
    def count_up(x: int) -> Any:
        calls.append(x)
        yield from range(x)

    h = Harness(kind, cache=InMemoryCache())
    g = Graph([count_up])
    assert h.run(g, x=3)["items"] == [0, 1, 2]
    assert h.run(g, x=3)["items"] == [0, 1, 2]
    assert calls == [3]


def test_lru_eviction_through_the_runner(kind: str) -> None:
    calls: list[int] = []
    h = Harness(kind, cache=InMemoryCache(max_size=1))
    g = Graph([counted(calls)])
    for v in (1, 1, 2, 1):
        h.run(g, x=v)
    assert calls == [1, 2, 1]


def test_cache_is_shared_by_runners_using_the_same_backend() -> None:
    calls: list[int] = []
    cache = InMemoryCache()
    g = Graph([counted(calls)])
    assert Harness("sync", cache=cache).run(g, x=7)["y"] == 70
    assert Harness("async", cache=cache).run(g, x=7)["y"] == 70
    assert calls == [7]


# ---------------------------------------------------------------------------
# gates


def test_gate_decision_is_stored_and_restored(kind: str) -> None:
    gate_calls: list[int] = []
    ran: list[str] = []

    @ifelse(when_true="big", when_false="small", cache=True)
    def is_big(x: int) -> bool:
        gate_calls.append(x)
        return x > 5

    @node(output_name="label")
    def big(x: int) -> str:
        ran.append("big")
        return "big"

    @node(output_name="label")
    def small(x: int) -> str:
        ran.append("small")
        return "small"

    h = Harness(kind, cache=InMemoryCache())
    g = Graph([is_big, big, small])
    r1 = h.run(g, x=10)
    rec = Recorder()
    r2 = h.run(g, x=10, event_processors=[rec])
    assert gate_calls == [10]
    assert ran == ["big", "big"]
    assert r1.values == r2.values == {"_is_big": True, "label": "big"}
    gate_events = [e for e in rec.events if getattr(e, "node_name", None) == "is_big"]
    assert [type(e) for e in gate_events] == [
        NodeStartEvent, CacheHitEvent, RouteDecisionEvent, NodeEndEvent
    ]
    assert gate_events[2].decision is True
    assert gate_events[3].cached is True and gate_events[3].duration_ms == 0.0
    assert r2.log is not None
    gate_rec = r2.log.steps[0]
    assert (gate_rec.node_name, gate_rec.cached, gate_rec.decision) == ("is_big", True, True)
    # other inputs, other decision
    assert h.run(g, x=1)["label"] == "small"
    assert gate_calls == [10, 1]
    assert h.run(g, x=1)["label"] == "small"
    assert gate_calls == [10, 1]
    assert ran == ["big", "big", "small", "small"]


def test_cached_end_decision_still_stops(kind: str) -> None:
    gate_calls: list[int] = []
    ran: list[int] = []

    @route(targets=["work", END], cache=True)
    def decide(x: int) -> Any:
        gate_calls.append(x)
        return END if x < 0 else "work"

    @node(output_name="done")
    def work(x: int) -> int:
        ran.append(x)
        return x

    h = Harness(kind, cache=InMemoryCache())
    g = Graph([decide, work])
    for _ in range(2):
        rec = Recorder()
        r = h.run(g, x=-1, event_processors=[rec])
        assert r["_decide"] is END and "done" not in r
        (d,) = rec.of(RouteDecisionEvent)
        assert d.decision is END
    assert gate_calls == [-1] and ran == []


def test_cached_multi_target_decision(kind: str) -> None:
    gate_calls: list[int] = []

    @route(targets=["a", "b"], multi_target=True, cache=True)
    def fan(x: int) -> list[str]:
        gate_calls.append(x)
        return ["a", "b"] if x > 0 else ["b"]

    @node(output_name="ra")
    def a(x: int) -> int:
        return x

    @node(output_name="rb")
    def b(x: int) -> int:
        return -x

    h = Harness(kind, cache=InMemoryCache())
    g = Graph([fan, a, b])
    assert h.run(g, x=2).values == {"_fan": ["a", "b"], "ra": 2, "rb": -2}
    assert h.run(g, x=2).values == {"_fan": ["a", "b"], "ra": 2, "rb": -2}
    assert h.run(g, x=-2).values == {"_fan": ["b"], "rb": 2}
    assert h.run(g, x=-2).values == {"_fan": ["b"], "rb": 2}
    assert gate_calls == [2, -2]


def test_cached_gate_in_a_loop(kind: str) -> None:
    """A cycle with a cached gate: each visit keys on the current count."""
    gate_calls: list[int] = []

    @node(output_name="count")
    def step(count: int) -> int:
        return count + 1

    @route(targets=["step", END], cache=True)
    def again(count: int) -> Any:
        gate_calls.append(count)
        return "step" if count < 3 else END

    h = Harness(kind, cache=InMemoryCache())
    g = Graph([step, again], entrypoint="step")
    assert h.run(g, count=0)["count"] == 3
    assert gate_calls == [1, 2, 3]
    r = h.run(g, count=0)
    assert r["count"] == 3
    assert gate_calls == [1, 2, 3]
    assert r.log is not None
    assert [s.cached for s in r.log.steps if s.node_name == "again"] == [True, True, True]


# ---------------------------------------------------------------------------
# interrupts (AsyncRunner)


def arun(runner: AsyncRunner, graph: Graph, **values: Any) -> RunResult:
    return asyncio.run(runner.run(graph, **values))


def test_auto_resolved_interrupt_is_cached() -> None:
    handled: list[str] = []

    @interrupt(output_name="decision", cache=True)
    def review(draft: str) -> str | None:
        handled.append(draft)
        return f"auto:{draft}"

    @node(output_name="result")
    def publish(decision: str) -> str:
        return f"published {decision}"

    runner = AsyncRunner(cache=InMemoryCache())
    g = Graph([review, publish])
    assert arun(runner, g, draft="d")["result"] == "published auto:d"
    rec = Recorder()
    r = asyncio.run(runner.run(g, draft="d", event_processors=[rec]))
    assert r["result"] == "published auto:d"
    assert handled == ["d"]
    assert [e.node_name for e in rec.of(CacheHitEvent)] == ["review"]
    assert [e.cached for e in rec.of(NodeEndEvent, "review")] == [True]


def test_pausing_interrupt_is_never_stored() -> None:
    handled: list[str] = []

    @interrupt(output_name="decision", cache=True)
    def review(draft: str) -> str | None:
        handled.append(draft)
        return None

    spy = SpyCache()
    runner = AsyncRunner(cache=spy)
    g = Graph([review])
    for _ in range(2):
        rec = Recorder()
        r = asyncio.run(runner.run(g, draft="d", event_processors=[rec]))
        assert r.paused
        assert rec.of(CacheHitEvent) == []
    assert handled == ["d", "d"]
    assert spy.sets == []
    assert len(spy.gets) == 2


def test_auto_resolved_multi_output_interrupt_is_cached() -> None:
    handled: list[int] = []

    @interrupt(output_name=("lo", "hi"), cache=True)
    def bounds(x: int) -> dict[str, int] | None:
        handled.append(x)
        return {"lo": x - 1, "hi": x + 1}

    runner = AsyncRunner(cache=InMemoryCache())
    g = Graph([bounds])
    assert arun(runner, g, x=5).values == {"lo": 4, "hi": 6}
    assert arun(runner, g, x=5).values == {"lo": 4, "hi": 6}
    assert handled == [5]


def test_supplied_answer_wins_over_a_cached_one() -> None:
    @interrupt(output_name="decision", cache=True)
    def review(draft: str) -> str | None:
        return None

    runner = AsyncRunner(cache=InMemoryCache())
    g = Graph([review])
    assert arun(runner, g, draft="d", decision="first")["decision"] == "first"
    assert arun(runner, g, draft="d", decision="second")["decision"] == "second"


def test_supplied_answer_is_not_stored() -> None:
    handled: list[str] = []

    @interrupt(output_name="decision", cache=True)
    def review(draft: str) -> str | None:
        handled.append(draft)
        return None

    runner = AsyncRunner(cache=InMemoryCache())
    g = Graph([review])
    assert arun(runner, g, draft="d", decision="yes")["decision"] == "yes"
    r = arun(runner, g, draft="d")
    assert r.paused
    assert handled == ["d"]


# ---------------------------------------------------------------------------
# graph nodes


def test_graph_nodes_are_never_cached(kind: str) -> None:
    calls: list[int] = []

    @node(output_name="y")
    def inner_fn(x: int) -> int:
        calls.append(x)
        return x + 1

    inner = Graph([inner_fn], name="inner")
    gn = inner.as_node()
    assert gn.cache is False
    spy = SpyCache()
    h = Harness(kind, cache=spy)
    g = Graph([gn])
    rec = Recorder()
    for _ in range(2):
        assert h.run(g, x=1, event_processors=[rec])["y"] == 2
    assert calls == [1, 1]
    assert spy.gets == [] and spy.sets == []
    assert rec.of(CacheHitEvent) == []


def test_cached_nodes_inside_a_graph_node(kind: str) -> None:
    calls: list[int] = []
    inner = Graph([counted(calls)], name="inner")
    h = Harness(kind, cache=InMemoryCache())
    g = Graph([inner.as_node()], name="outer")
    assert h.run(g, x=2)["y"] == 20
    rec = Recorder()
    r = h.run(g, x=2, event_processors=[rec])
    assert r["y"] == 20 and calls == [2]
    hits = rec.of(CacheHitEvent)
    assert [(e.node_name, e.graph_name) for e in hits] == [("times10", "inner")]
    gn_end = rec.of(NodeEndEvent, "inner")[0]
    assert gn_end.cached is False
    (inner_log,) = gn_end.inner_logs
    assert [s.cached for s in inner_log.steps] == [True]
    assert r.log is not None and r.log.steps[0].cached is False
    assert r.log.steps[0].log is not None and r.log.steps[0].log.steps[0].cached is True


def test_cached_nodes_inside_map_over(kind: str) -> None:
    calls: list[int] = []
    inner = Graph([counted(calls)], name="inner")
    h = Harness(kind, cache=InMemoryCache())
    g = Graph([inner.as_node().map_over("x")])
    assert h.run(g, x=[1, 2])["y"] == [10, 20]
    assert h.run(g, x=[2, 1, 3])["y"] == [20, 10, 30]
    assert sorted(calls) == [1, 2, 3]


# ---------------------------------------------------------------------------
# map()


def test_map_items_hit_the_cache(kind: str) -> None:
    calls: list[int] = []
    h = Harness(kind, cache=InMemoryCache())
    g = Graph([counted(calls)])
    assert h.map(g, x=[1, 2, 3], map_over="x")["y"] == [10, 20, 30]
    rec = Recorder()
    m = h.map(g, x=[3, 2, 1], map_over="x", event_processors=[rec])
    assert m["y"] == [30, 20, 10]
    assert sorted(calls) == [1, 2, 3]
    assert len(rec.of(CacheHitEvent)) == 3
    assert all(r.log is not None and r.log.steps[0].cached for r in m)


def test_sync_map_duplicate_items_hit_within_one_call() -> None:
    calls: list[int] = []
    m = Harness("sync", cache=InMemoryCache()).map(
        Graph([counted(calls)]), x=[4, 4, 4], map_over="x"
    )
    assert m["y"] == [40, 40, 40]
    assert calls == [4]
    assert [r.log.steps[0].cached for r in m if r.log is not None] == [False, True, True]


# ---------------------------------------------------------------------------
# uncacheable inputs and values


def test_unpicklable_inputs_run_uncached(kind: str) -> None:
    calls: list[Any] = []

    @node(output_name="y", cache=True)
    def use_lock(lock: Any, x: int) -> int:
        calls.append(x)
        return x

    spy = SpyCache()
    h = Harness(kind, cache=spy)
    g = Graph([use_lock])
    lock = threading.Lock()
    rec = Recorder()
    for _ in range(2):
        assert h.run(g, lock=lock, x=1, event_processors=[rec])["y"] == 1
    assert calls == [1, 1]
    assert spy.gets == [] and spy.sets == []
    assert rec.of(CacheHitEvent) == []
    assert all(e.cached is False for e in rec.of(NodeEndEvent))


# ---------------------------------------------------------------------------
# DiskCache through the runners


def test_disk_cache_persists_across_runners(kind: str, tmp_path: Any) -> None:
    calls: list[int] = []
    g = Graph([counted(calls)])
    with DiskCache(tmp_path / "c") as cache:
        assert Harness(kind, cache=cache).run(g, x=6)["y"] == 60
    rec = Recorder()
    with DiskCache(tmp_path / "c") as cache:
        r = Harness(kind, cache=cache).run(g, x=6, event_processors=[rec])
    assert r["y"] == 60 and calls == [6]
    assert len(rec.of(CacheHitEvent)) == 1
    assert r.log is not None and r.log.steps[0].cached is True


def test_disk_cache_gate_decision_round_trips(kind: str, tmp_path: Any) -> None:
    gate_calls: list[int] = []

    @route(targets=["work", END], cache=True)
    def decide(x: int) -> Any:
        gate_calls.append(x)
        return END if x < 0 else "work"

    @node(output_name="done")
    def work(x: int) -> int:
        return x

    g = Graph([decide, work])
    with DiskCache(tmp_path) as cache:
        h = Harness(kind, cache=cache)
        for _ in range(2):
            assert h.run(g, x=-1).values == {"_decide": END}
            assert h.run(g, x=4).values == {"_decide": "work", "done": 4}
    assert gate_calls == [-1, 4]


def test_disk_cache_skips_unpicklable_outputs(kind: str, tmp_path: Any) -> None:
    calls: list[int] = []

    @node(output_name="fn", cache=True)
    def make_fn(x: int) -> Any:
        calls.append(x)
        return lambda: x

    g = Graph([make_fn])
    with DiskCache(tmp_path) as cache:
        h = Harness(kind, cache=cache)
        for _ in range(2):
            with pytest.warns(RuntimeWarning, match="cannot be pickled"):
                r = h.run(g, x=3)
            assert r.completed and r["fn"]() == 3
    assert calls == [3, 3]


def test_disk_cache_tampered_entry_runs_again(kind: str, tmp_path: Any) -> None:
    import diskcache

    calls: list[int] = []
    cached_node = counted(calls)
    g = Graph([cached_node])
    with DiskCache(tmp_path) as cache:
        Harness(kind, cache=cache).run(g, x=1)
    key = compute_cache_key(cached_node.definition_hash, {"x": 1})
    with diskcache.Cache(str(tmp_path)) as raw:
        assert key in raw
        raw.set(key, b"\x00" * 40)
    with DiskCache(tmp_path) as cache:
        h = Harness(kind, cache=cache)
        assert h.run(g, x=1)["y"] == 10
        assert h.run(g, x=1)["y"] == 10
    assert calls == [1, 1]


# ---------------------------------------------------------------------------
# with a checkpointer


def test_cached_flag_is_persisted_on_step_records(kind: str) -> None:
    calls: list[int] = []
    cp = MemoryCheckpointer()
    h = Harness(kind, cache=InMemoryCache(), checkpointer=cp)
    g = Graph([counted(calls)])
    h.run(g, x=1, workflow_id="first")
    r = h.run(g, x=1, workflow_id="second")
    assert r["y"] == 10 and calls == [1]
    assert [s.cached for s in cp.steps("first")] == [False]
    assert [s.cached for s in cp.steps("second")] == [True]
