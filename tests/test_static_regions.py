"""Static regions: what the compiler finds, how the runtime takes them, when it steps aside.

The random-graph comparison lives in ``test_static_properties``; these are the cases
worth naming (each compared with the general loop too) and the region's own contract:
``describe()``, the generated source, the switch from interpreter to generated code,
and the features for which the general loop runs the whole call.
"""

from __future__ import annotations

import asyncio
import warnings
from typing import Any

import pytest

from harness import RunnerHarness
from hypergraph_typed import (
    END,
    AsyncRunner,
    FunctionNode,
    Graph,
    InfiniteLoopError,
    InMemoryCache,
    SyncRunner,
    interrupt,
    node,
    route,
)
from hypergraph_typed.checkpointers import MemoryCheckpointer
from hypergraph_typed.compiler import regions
from hypergraph_typed.events import TypedEventProcessor
from static_graphs import compile_after, observed, run_three_ways


def chain(n: int, *, fail_at: int | None = None) -> Graph:
    def step(i: int) -> Any:
        def f(v: int) -> int:
            if i == fail_at:
                raise RuntimeError(f"step {i} failed")
            return v + 1
        return f
    return Graph([
        FunctionNode(step(i), name=f"s{i}", output_name=f"v{i + 1}",
                     rename_inputs={"v": f"v{i}"})
        for i in range(n)
    ], name="chain")


@node(output_name="a")
def make_a(x: int) -> int:
    return x + 1


@node(output_name="b")
def make_b(a: int) -> int:
    return a * 2


@route(targets=["make_c", END])
def decide(b: int) -> Any:
    return "make_c" if b > 0 else END


@node(output_name="c")
def make_c(b: int) -> int:
    return b + 100


ROUTED = Graph([make_a, make_b, decide, make_c], name="routed")


def same_three_ways(run: Any) -> Any:
    general, interpreted, compiled = run_three_ways(run)
    assert interpreted == general
    assert compiled == general
    return general


# -- what the compiler finds -------------------------------------------------------

def test_a_dag_is_one_region_for_the_whole_run() -> None:
    region = chain(5).compile().region
    assert region is not None and region.complete and region.reason is None
    assert [c.name for c in region.calls] == [f"s{i}" for i in range(5)]
    assert [c.superstep for c in region.calls] == [0, 1, 2, 3, 4]


def test_fan_out_shares_a_superstep() -> None:
    @node(output_name="s")
    def src(x: int) -> int:
        return x

    @node(output_name="p")
    def left(s: int) -> int:
        return s + 1

    @node(output_name="q")
    def right(s: int) -> int:
        return s + 2

    @node(output_name="total")
    def sink(p: int, q: int) -> int:
        return p + q

    region = Graph([src, left, right, sink]).compile().region
    assert region is not None
    assert [(c.name, c.superstep) for c in region.calls] == [
        ("src", 0), ("left", 1), ("right", 1), ("sink", 2)
    ]
    assert region.bounds == (0, 1, 3, 4)


def test_a_gate_ends_the_region() -> None:
    plan = ROUTED.compile()
    assert plan.region is not None and not plan.region.complete
    assert [c.name for c in plan.region.calls] == ["make_a", "make_b"]
    assert plan.region.reason == "gate 'decide' decides at run time"


def test_no_region_when_the_first_superstep_is_not_static() -> None:
    @node(output_name="y")
    async def fetch(x: int) -> int:
        return x

    plan = Graph([fetch]).compile()
    assert plan.region is None
    assert plan.region_note == "async node 'fetch' is awaited"
    assert "no static region: async node 'fetch' is awaited" in plan.describe()


def test_describe_shows_the_region_and_whether_it_is_compiled() -> None:
    graph = chain(3)
    plan = graph.compile()
    assert (
        "static region: supersteps 0-2, 3 calls, interpreted "
        f"(compiled after {regions.COMPILE_AFTER_RUNS} runs); the whole run"
    ) in plan.describe()
    with compile_after(0):
        SyncRunner().run(graph, v0=1)
    assert "static region: supersteps 0-2, 3 calls, compiled; the whole run" in plan.describe()
    assert "then the general loop: gate 'decide' decides at run time" in ROUTED.compile().describe()


# -- interpreter, then generated code -----------------------------------------------

def test_the_region_is_compiled_after_enough_runs() -> None:
    graph = chain(4)
    code = graph.compile().region.code  # type: ignore[union-attr]
    runner = SyncRunner()
    with compile_after(3):
        for _ in range(2):
            assert runner.run(graph, v0=0)["v4"] == 4
        assert code.compiled is None and code.runs == 2
        assert runner.run(graph, v0=0)["v4"] == 4
        compiled = code.compiled
        assert compiled is not None
        assert runner.run(graph, v0=1)["v4"] == 5
        assert code.compiled is compiled and code.runs == 3  # compiled once, counting stops


def test_generated_source_names_nothing_from_the_graph() -> None:
    """Locals are named after positions; node and value names never reach the source."""
    @node(output_name="odd_name")
    def first(x: int) -> int:
        return x + 1

    second = FunctionNode(lambda odd_name: odd_name * 2, name="second_node", output_name="result")
    graph = Graph([first, second], name="graph_name")
    source = graph.compile().region_source()
    assert source is not None
    for name in ("first", "odd_name", "second_node", "result", "graph_name"):
        assert name not in source
    assert "v1 = f0(v0)" in source and "v2 = f1(v1)" in source
    with compile_after(0):
        assert SyncRunner().run(graph, x=1)["result"] == 4


def test_a_traceback_through_generated_code_shows_its_line() -> None:
    graph = chain(3, fail_at=1)
    with compile_after(0), pytest.raises(RuntimeError, match="step 1 failed") as info:
        SyncRunner().run(graph, v0=0)
    lines = [str(entry.statement).strip() for entry in info.traceback]
    assert "v2 = f1(v1)" in lines  # the generated line that made the failing call
    assert lines[-1] == 'raise RuntimeError(f"step {i} failed")'  # then the user's code


def test_the_source_is_the_region_in_order() -> None:
    source = chain(2).compile().region_source()
    assert source is not None
    body = [line.strip() for line in source.splitlines()]
    assert body.index("v1 = f0(v0)") < body.index("t1 = _perf()") < body.index("v2 = f1(v1)")


# -- the same outcome as the general loop, in the cases worth naming ------------------

@pytest.mark.parametrize("kind", ["sync", "async"])
@pytest.mark.parametrize("error_handling", ["raise", "continue"])
def test_a_failing_chain_keeps_what_ran(kind: str, error_handling: str) -> None:
    graph = chain(6, fail_at=3)
    runner = RunnerHarness(kind)
    got = same_three_ways(lambda: runner.run(graph, v0=0, error_handling=error_handling))
    if error_handling == "raise":
        assert got == ("raised", RuntimeError, "step 3 failed")
    else:
        _status, values, error, _pause, (_name, steps) = got
        assert values == [("v1", 1), ("v2", 2), ("v3", 3)]
        assert error == (RuntimeError, "step 3 failed")
        assert [(s[0], s[1], s[2]) for s in steps] == [
            ("s0", 0, "completed"), ("s1", 1, "completed"), ("s2", 2, "completed"),
            ("s3", 3, "failed"),
        ]


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_a_failure_in_a_wide_superstep(kind: str) -> None:
    """SyncRunner stops the superstep at the failure; AsyncRunner runs the rest of it."""
    @node(output_name="s")
    def src(x: int) -> int:
        return x

    def branch(i: int) -> Any:
        def f(s: int) -> int:
            if i in (1, 3):
                raise ValueError(f"branch {i}")
            return s + i
        return FunctionNode(f, name=f"b{i}", output_name=f"w{i}")

    graph = Graph([src, *(branch(i) for i in range(5))])
    runner = RunnerHarness(kind)
    got = same_three_ways(lambda: runner.run(graph, x=1, error_handling="continue"))
    _status, values, error, _pause, (_name, steps) = got
    assert error == (ValueError, "branch 1")
    names = [(s[0], s[2]) for s in steps]
    if kind == "sync":
        assert names == [("src", "completed"), ("b0", "completed"), ("b1", "failed")]
        assert values == [("s", 1), ("w0", 1)]
    else:
        assert names == [
            ("src", "completed"), ("b0", "completed"), ("b1", "failed"), ("b2", "completed"),
            ("b3", "failed"), ("b4", "completed"),
        ]
        assert values == [("s", 1), ("w0", 1), ("w2", 3), ("w4", 5)]


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_a_routed_graph_hands_over_to_the_general_loop(kind: str) -> None:
    runner = RunnerHarness(kind)
    for x in (3, -3):
        got = same_three_ways(lambda x=x: runner.run(ROUTED, x=x))
        assert got[0].value == "completed"


def test_an_output_passed_in_stays_until_its_node_overwrites_it() -> None:
    """A leaf output given as input is kept in the state: a failed run still returns it."""
    graph = chain(3, fail_at=1)
    runner = RunnerHarness("sync")

    def run() -> Any:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return runner.run(graph, {"v0": 0, "v3": 100}, error_handling="continue")

    _status, values, _error, _pause, _log = same_three_ways(run)
    assert values == [("v1", 1), ("v3", 100)]


@pytest.mark.parametrize("kind", ["sync", "async"])
@pytest.mark.parametrize("opened", [False, True])
def test_a_closed_gated_predecessor_and_a_rerun_after_the_region(kind: str, opened: bool) -> None:
    """Before the gate decides, ``maybe`` is activated only with ``default_open``; closed,
    it does not hold ``after`` back, which runs on its default and, once ``maybe`` has
    run, again (the handover recorded what it read)."""
    @node(output_name="a")
    def first(x: int) -> int:
        return x + 1

    @route(targets=["maybe", END], default_open=opened)
    def gate(a: int) -> Any:
        return "maybe" if a > 0 else END

    @node(output_name="m")
    def maybe(x: int) -> int:
        return x * 100

    @node(output_name="r")
    def after(x: int, m: int = 0) -> int:
        return x + m

    graph = Graph([first, gate, maybe, after])
    region = graph.compile().region
    assert region is not None
    assert [c.name for c in region.calls] == (["first", "maybe"] if opened else ["first", "after"])
    runner = RunnerHarness(kind)
    got = same_three_ways(lambda: runner.run(graph, x=1))
    steps = [(s[0], s[1]) for s in got[4][1]]
    if not opened:
        assert steps == [("first", 0), ("after", 0), ("gate", 1), ("maybe", 2), ("after", 3)]
    assert dict(got[1])["r"] == 101


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_max_iterations_counts_region_supersteps(kind: str) -> None:
    runner = RunnerHarness(kind)
    got = same_three_ways(lambda: runner.run(chain(5), v0=0, max_iterations=3))
    assert got == ("raised", InfiniteLoopError, str(InfiniteLoopError(3)))
    got = same_three_ways(lambda: runner.run(chain(5), v0=0, max_iterations=5))
    assert got[0].value == "completed"


def test_a_default_that_cannot_be_copied_fails_where_the_general_loop_fails() -> None:
    import threading

    lock = threading.Lock()

    def uses_lock(x: int, guard: Any = lock) -> int:  # a lock cannot be deep-copied
        return x

    graph = Graph([FunctionNode(lambda x: x, name="first", output_name="y"),
                   FunctionNode(uses_lock, name="second", output_name="z",
                                rename_inputs={"x": "y"})])
    got = same_three_ways(lambda: SyncRunner().run(graph, x=1, error_handling="continue"))
    assert got[0].value == "failed"


def test_a_given_answer_the_schedule_assumed_absent_turns_the_region_off() -> None:
    """``use`` reads an answer of a gated interrupt: not ready at the start unless the
    answer is passed in, so the region assumes it is not and checks that per run."""
    @node(output_name="a")
    def first(x: int) -> int:
        return x + 1

    @route(targets=["ask", END], default_open=False)
    def gate(a: int) -> Any:
        return "ask" if a > 0 else END

    @interrupt(output_name="answer")
    def ask(a: int) -> Any:
        return None

    @node(output_name="final")
    def use(answer: str) -> str:
        return answer.upper()

    graph = Graph([first, gate, ask, use])
    plan = graph.compile()
    assert plan.region is not None and plan.region.assumed == ((plan.slot_index["answer"], False),)
    runner = RunnerHarness("async")
    paused = same_three_ways(lambda: runner.run(graph, x=1))
    answered = same_three_ways(lambda: runner.run(graph, x=1, answer="yes"))
    assert paused[0].value == "paused"
    assert [(s[0], s[1]) for s in answered[4][1]][:2] == [("first", 0), ("use", 0)]
    assert dict(answered[1])["final"] == "YES"


# -- features that step aside ----------------------------------------------------------

class Quiet(TypedEventProcessor):
    """Receives every event and does nothing with it."""


@pytest.mark.parametrize("setting", ["events", "cache", "type_check", "checkpointer"])
def test_runs_with_per_node_features_use_the_general_loop(setting: str) -> None:
    graph = chain(3)
    code = graph.compile().region.code  # type: ignore[union-attr]
    options: dict[str, Any] = {}
    run_options: dict[str, Any] = {}
    if setting == "cache":
        options["cache"] = InMemoryCache()
    elif setting == "type_check":
        options["type_check"] = "edges"
    elif setting == "checkpointer":
        options["checkpointer"] = MemoryCheckpointer()
        run_options["workflow_id"] = "w"
    elif setting == "events":
        run_options["event_processors"] = [Quiet()]
    runner = AsyncRunner(**options)
    result = asyncio.run(runner.run(graph, {"v0": 1}, **run_options))
    assert result["v3"] == 4
    assert code.runs == 0  # the region was not taken
    asyncio.run(AsyncRunner().run(graph, {"v0": 1}))
    assert code.runs == 1


def test_observed_sees_the_log() -> None:
    """The comparison helper is not blind: two different runs differ."""
    a = observed(SyncRunner().run(chain(2), v0=0))
    b = observed(SyncRunner().run(chain(3), v0=0))
    assert a != b
