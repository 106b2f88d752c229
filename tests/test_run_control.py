"""Spec 03: control flow — gates, cycles, iteration limits, ordering, staleness, failures."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from hypergraph_typed import (
    END,
    AsyncRunner,
    Graph,
    InfiniteLoopError,
    RunStatus,
    SyncRunner,
    ifelse,
    node,
    route,
)

# ---------------------------------------------------------------------------
# gates


def _route_graph(calls: list[str]) -> Graph:
    @route(targets=["small", "large", END])
    def classify(n: int) -> Any:
        if n < 0:
            return END
        return "small" if n < 10 else "large"

    @node(output_name="label")
    def small(n: int) -> str:
        calls.append("small")
        return "s"

    @node(output_name="label2")
    def large(n: int) -> str:
        calls.append("large")
        return "L"

    return Graph([classify, small, large])


@pytest.mark.parametrize(("n", "expected"), [(3, "small"), (30, "large")])
def test_route_activates_only_chosen_target(runner: Any, n: int, expected: str) -> None:
    calls: list[str] = []
    r = runner.run(_route_graph(calls), n=n)
    assert calls == [expected]
    assert r["_classify"] == expected
    assert ("label" in r) == (expected == "small")
    assert ("label2" in r) == (expected == "large")


def test_route_end_runs_no_target(runner: Any) -> None:
    calls: list[str] = []
    r = runner.run(_route_graph(calls), n=-1)
    assert calls == []
    assert r.completed
    assert r["_classify"] is END
    assert r.values == {"_classify": END}


def test_route_target_descendants_follow_branch(runner: Any) -> None:
    @route(targets=["left", "right"])
    def pick(x: int) -> str:
        return "left" if x else "right"

    @node(output_name="lv")
    def left(x: int) -> int:
        return 1

    @node(output_name="rv")
    def right(x: int) -> int:
        return 2

    @node(output_name="after_left")
    def follow(lv: int) -> int:
        return lv + 100

    g = Graph([pick, left, right, follow])
    r = runner.run(g, x=1)
    assert r["after_left"] == 101
    assert "rv" not in r
    r = runner.run(g, x=0)
    assert "after_left" not in r and "lv" not in r
    assert r["rv"] == 2


@pytest.mark.parametrize(("x", "branch"), [(5, "pos"), (-5, "neg")])
def test_ifelse_activates_branch(runner: Any, x: int, branch: str) -> None:
    @ifelse(when_true="pos", when_false="neg")
    def is_positive(x: int) -> bool:
        return x > 0

    @node(output_name="p")
    def pos(x: int) -> str:
        return "pos"

    @node(output_name="q")
    def neg(x: int) -> str:
        return "neg"

    r = runner.run(Graph([is_positive, pos, neg]), x=x)
    assert r["_is_positive"] is (x > 0)
    assert r.get("p") == ("pos" if branch == "pos" else None)
    assert r.get("q") == ("neg" if branch == "neg" else None)


def test_ifelse_to_end(runner: Any) -> None:
    @ifelse(when_true="go", when_false=END)
    def ok(x: int) -> bool:
        return x == 1

    @node(output_name="went")
    def go(x: int) -> bool:
        return True

    g = Graph([ok, go])
    assert runner.run(g, x=1)["went"] is True
    r = runner.run(g, x=2)
    assert r.values == {"_ok": False}


def test_ifelse_non_bool_result_fails_run(runner: Any) -> None:
    @ifelse(when_true="go", when_false=END)
    def truthy(x: int) -> Any:
        return 1

    @node(output_name="went")
    def go(x: int) -> bool:
        return True

    with pytest.raises(TypeError):
        runner.run(Graph([truthy, go]), x=1)


def test_route_fallback_on_none(runner: Any) -> None:
    @route(targets=["a", "b"], fallback="b")
    def pick(x: int) -> Any:
        return "a" if x else None

    @node(output_name="av")
    def a(x: int) -> str:
        return "a"

    @node(output_name="bv")
    def b(x: int) -> str:
        return "b"

    g = Graph([pick, a, b])
    r = runner.run(g, x=0)
    assert r["_pick"] == "b"
    assert r["bv"] == "b" and "av" not in r
    r = runner.run(g, x=1)
    assert r["_pick"] == "a"
    assert r["av"] == "a" and "bv" not in r


def test_route_none_without_fallback_runs_nothing(runner: Any) -> None:
    @route(targets=["a"])
    def pick(x: int) -> Any:
        return None

    @node(output_name="av")
    def a(x: int) -> str:
        return "a"

    r = runner.run(Graph([pick, a]), x=0)
    assert r.completed
    assert "av" not in r
    assert r["_pick"] is None


def test_route_invalid_target_fails_run(runner: Any) -> None:
    @route(targets=["a"])
    def pick(x: int) -> Any:
        return "zzz"

    @node(output_name="av")
    def a(x: int) -> str:
        return "a"

    with pytest.raises(ValueError, match="zzz"):
        runner.run(Graph([pick, a]), x=0)


def test_route_list_without_multi_target_is_type_error(runner: Any) -> None:
    @route(targets=["a"])
    def pick(x: int) -> Any:
        return ["a"]

    @node(output_name="av")
    def a(x: int) -> str:
        return "a"

    with pytest.raises(TypeError):
        runner.run(Graph([pick, a]), x=0)


@pytest.mark.parametrize(
    ("choice", "expected"),
    [(["a", "c"], {"av", "cv"}), (["b"], {"bv"}), ([], set())],
)
def test_multi_target_runs_every_selected(
    runner: Any, choice: list[str], expected: set[str]
) -> None:
    @route(targets=["a", "b", "c"], multi_target=True)
    def pick(x: int) -> Any:
        return list(choice)

    @node(output_name="av")
    def a(x: int) -> int:
        return 1

    @node(output_name="bv")
    def b(x: int) -> int:
        return 2

    @node(output_name="cv")
    def c(x: int) -> int:
        return 3

    r = runner.run(Graph([pick, a, b, c]), x=0)
    assert set(r.values) - {"_pick"} == expected
    assert r["_pick"] == choice


def test_multi_target_non_list_is_type_error(runner: Any) -> None:
    @route(targets=["a", "b"], multi_target=True)
    def pick(x: int) -> Any:
        return "a"

    @node(output_name="av")
    def a(x: int) -> int:
        return 1

    @node(output_name="bv")
    def b(x: int) -> int:
        return 2

    with pytest.raises(TypeError):
        runner.run(Graph([pick, a, b]), x=0)


def test_gate_decision_recorded_in_log(runner: Any) -> None:
    calls: list[str] = []
    r = runner.run(_route_graph(calls), n=30)
    gate_steps = [s for s in r.log.steps if s.node_name == "classify"]
    assert [s.decision for s in gate_steps] == ["large"]
    other = [s for s in r.log.steps if s.node_name == "large"]
    assert other[0].decision is None


@pytest.mark.parametrize(("x", "expected"), [(1, "via a"), (0, "via b")])
def test_exclusive_branches_merge_into_one_consumer(runner: Any, x: int, expected: str) -> None:
    """The join's unchosen producer is not activated, so it does not block the join."""

    @ifelse(when_true="a", when_false="b")
    def which(x: int) -> bool:
        return bool(x)

    @node(output_name="r")
    def a(x: int) -> str:
        return "via a"

    @node(output_name="r")
    def b(x: int) -> str:
        return "via b"

    @node(output_name="joined")
    def join(r: str) -> str:
        return r.upper()

    r = runner.run(Graph([which, a, b, join]), x=x)
    assert r["r"] == expected
    assert r["joined"] == expected.upper()
    assert [s.node_name for s in r.log.steps] == ["which", expected[-1], "join"]


def test_default_open_target_runs_before_gate_decides(runner: Any) -> None:
    """A default-open target whose inputs are ready runs before its gate has ever run."""
    calls: list[str] = []

    @node(output_name="slow1")
    def s1(x: int) -> int:
        return x

    @node(output_name="slow2")
    def s2(slow1: int) -> int:
        return slow1

    @node(output_name="t_out")
    def target(x: int) -> int:
        calls.append("target")
        return x

    def decide(slow2: int) -> bool:
        return False

    open_gate = ifelse(when_true="target", when_false=END, name="gate")(decide)
    closed_gate = ifelse(when_true="target", when_false=END, name="gate", default_open=False)(
        decide
    )
    r = runner.run(Graph([s1, s2, open_gate, target]), x=1)
    assert calls == ["target"]
    assert r["t_out"] == 1 and r["_gate"] is False
    steps = {s.node_name: s.superstep for s in r.log.steps}
    assert steps["target"] < steps["gate"]

    calls.clear()
    r = runner.run(Graph([s1, s2, closed_gate, target]), x=1)
    assert calls == []
    assert "t_out" not in r


def test_gate_targets_held_back_while_gate_is_ready(runner: Any) -> None:
    calls: list[str] = []

    @ifelse(when_true="yes", when_false="no")
    def g(x: int) -> bool:
        return False

    @node(output_name="y")
    def yes(x: int) -> int:
        calls.append("yes")
        return x

    @node(output_name="n")
    def no(x: int) -> int:
        calls.append("no")
        return x

    r = runner.run(Graph([g, yes, no]), x=1)
    assert calls == ["no"]
    steps = {s.node_name: s.superstep for s in r.log.steps}
    assert steps == {"g": 0, "no": 1}


# ---------------------------------------------------------------------------
# cycles


def _counter_loop(limit: int = 5) -> Graph:
    @node(output_name="count")
    def step(count: int) -> int:
        return count + 1

    @route(targets=["step", END])
    def again(count: int) -> Any:
        return "step" if count < limit else END

    return Graph([step, again], entrypoint="step")


def test_cycle_loops_until_end(runner: Any) -> None:
    r = runner.run(_counter_loop(5), count=0)
    assert r.completed
    assert r["count"] == 5
    assert r["_again"] is END
    names = [s.node_name for s in r.log.steps]
    assert names == ["step", "again"] * 5
    assert [s.superstep for s in r.log.steps] == list(range(10))
    assert [s.decision for s in r.log.steps if s.node_name == "again"] == ["step"] * 4 + [END]


def test_cycle_seed_is_required_input(runner: Any) -> None:
    g = _counter_loop()
    assert g.inputs.required == ("count",)
    r = runner.run(g, count=7)
    # the entrypoint runs once, then the gate ends the loop
    assert r["count"] == 8
    assert [s.node_name for s in r.log.steps] == ["step", "again"]


def test_max_iterations_raises_infinite_loop_error(runner: Any) -> None:
    with pytest.raises(InfiniteLoopError) as ei:
        runner.run(_counter_loop(100), count=0, max_iterations=3)
    assert ei.value.max_iterations == 3
    assert "3" in str(ei.value)
    assert ei.value.message == str(ei.value)


def test_max_iterations_exact_fit_completes(runner: Any) -> None:
    # 5 step/again pairs = 10 supersteps
    r = runner.run(_counter_loop(5), count=0, max_iterations=10)
    assert r["count"] == 5
    with pytest.raises(InfiniteLoopError):
        runner.run(_counter_loop(5), count=0, max_iterations=9)


def test_infinite_loop_under_continue_is_failed_result(runner: Any) -> None:
    r = runner.run(_counter_loop(100), count=0, max_iterations=4, error_handling="continue")
    assert r.status is RunStatus.FAILED
    assert isinstance(r.error, InfiniteLoopError)
    assert r.error.max_iterations == 4
    # partial values from the supersteps that did run
    assert r["count"] == 2


@pytest.mark.parametrize("bad", [-1, -100])
def test_max_iterations_below_one_is_value_error(runner: Any, bad: int) -> None:
    calls: list[int] = []

    @node(output_name="y")
    def f(x: int) -> int:
        calls.append(x)
        return x

    with pytest.raises(ValueError, match="max_iterations"):
        runner.run(Graph([f]), x=1, max_iterations=bad)
    assert calls == []


@pytest.mark.parametrize("value", [None, 0])
def test_max_iterations_none_or_zero_means_1000(runner: Any, value: int | None) -> None:
    @node(output_name="count")
    def step(count: int) -> int:
        return count + 1

    @route(targets=["step"])
    def forever(count: int) -> str:
        return "step"

    g = Graph([step, forever], entrypoint="step")
    with pytest.raises(InfiniteLoopError) as ei:
        runner.run(g, count=0, max_iterations=value)
    assert ei.value.max_iterations == 1000


def test_default_limit_allows_long_loops(runner: Any) -> None:
    # 400 rounds = 800 supersteps, under the default 1000
    r = runner.run(_counter_loop(400), count=0)
    assert r["count"] == 400


def test_gate_loop_ends_when_gate_inputs_stop_changing(runner: Any) -> None:
    """The gate only re-runs when stale: an unchanged value ends a routed-back loop."""
    seen: list[int] = []

    @node(output_name="v")
    def same(v: int) -> int:
        seen.append(v)
        return v

    @route(targets=["same", END])
    def back(v: int) -> Any:
        return "same" if len(seen) < 10 else END

    r = runner.run(Graph([same, back], entrypoint="same"), v=1)
    assert r.completed
    # same (entry) -> back routes back -> same (selected) -> v unchanged, back not stale
    assert seen == [1, 1]
    assert r["_back"] == "same"
    assert [s.node_name for s in r.log.steps] == ["same", "back", "same"]


def test_staleness_loop_stops_when_values_stop_changing(runner: Any) -> None:
    calls: list[str] = []

    @node(output_name="x")
    def a(y: int) -> int:
        calls.append("a")
        return min(y + 1, 3)

    @node(output_name="y")
    def b(x: int) -> int:
        calls.append("b")
        return x

    g = Graph([a, b], entrypoint="a")
    r = runner.run(g, y=0)
    assert r.completed
    assert r.values == {"x": 3, "y": 3}
    # a: 1,2,3,3(no change) ; b: 1,2,3
    assert calls == ["a", "b", "a", "b", "a", "b", "a"]


def test_self_loop_without_gate_runs_once(runner: Any) -> None:
    calls: list[int] = []

    @node(output_name="x")
    def halve(x: int) -> int:
        calls.append(x)
        return x // 2

    r = runner.run(Graph([halve], entrypoint="halve"), x=64)
    assert calls == [64]
    assert r["x"] == 32


# ---------------------------------------------------------------------------
# emit / wait_for ordering


def test_wait_for_orders_independent_nodes(runner: Any) -> None:
    order: list[str] = []

    @node(output_name="logged", wait_for="saved")
    def log(x: int) -> str:
        order.append("log")
        return "ok"

    @node(output_name="stored", emit="saved")
    def save(x: int) -> int:
        order.append("save")
        return x

    g = Graph([log, save])
    r = runner.run(g, x=1)
    assert order == ["save", "log"]
    assert r.values == {"logged": "ok", "stored": 1}
    steps = {s.node_name: s.superstep for s in r.log.steps}
    assert steps == {"save": 0, "log": 1}


def test_wait_for_chain_of_signals(runner: Any) -> None:
    order: list[str] = []

    @node(output_name="c_out", wait_for="b_done")
    def c(x: int) -> int:
        order.append("c")
        return x

    @node(output_name="b_out", emit="b_done", wait_for="a_done")
    def b(x: int) -> int:
        order.append("b")
        return x

    @node(output_name="a_out", emit="a_done")
    def a(x: int) -> int:
        order.append("a")
        return x

    runner.run(Graph([c, b, a]), x=1)
    assert order == ["a", "b", "c"]


def test_wait_for_reruns_each_time_signal_is_emitted(runner: Any) -> None:
    seen: list[int] = []

    @node(output_name="count", emit="tick")
    def step(count: int) -> int:
        return count + 1

    @route(targets=["step", END])
    def again(count: int) -> Any:
        return "step" if count < 3 else END

    @node(output_name="logged", wait_for="tick")
    def logger(count: int) -> int:
        seen.append(count)
        return count

    r = runner.run(Graph([step, again, logger], entrypoint="step"), count=0)
    assert seen == [1, 2, 3]
    assert r["logged"] == 3
    assert "tick" not in r.values


def test_emit_signal_bumps_version_even_if_data_unchanged(runner: Any) -> None:
    """Emit signals always increment: a waiter re-runs although no data value changed."""
    seen: list[int] = []
    rounds: list[int] = []

    @node(output_name="v", emit="tick")
    def same(v: int) -> int:
        rounds.append(v)
        return v

    @route(targets=["same", END])
    def again(v: int, logged: int | None = None) -> Any:
        return "same" if len(rounds) < 3 else END

    @node(output_name="logged", wait_for="tick")
    def logger(v: int) -> int:
        seen.append(len(rounds))
        return len(rounds)

    r = runner.run(Graph([same, logger, again], entrypoint="same"), v=7)
    assert r.completed
    assert rounds == [7, 7, 7]
    assert seen == [1, 2, 3]


def test_wait_for_signal_never_emitted_blocks_node(runner: Any) -> None:
    calls: list[str] = []

    @ifelse(when_true="producer", when_false=END)
    def gate(x: int) -> bool:
        return False

    @node(output_name="p", emit="ready")
    def producer(x: int) -> int:
        return x

    @node(output_name="w", wait_for="ready")
    def waiter(x: int) -> int:
        calls.append("waiter")
        return x

    r = runner.run(Graph([gate, producer, waiter]), x=1)
    assert r.completed
    assert calls == []
    assert "w" not in r


# ---------------------------------------------------------------------------
# failures


class Boom(Exception):
    pass


def test_error_handling_raise_reraises_original_exception(runner: Any) -> None:
    original = Boom("original")

    @node(output_name="y")
    def fail(x: int) -> int:
        raise original

    with pytest.raises(Boom) as ei:
        runner.run(Graph([fail]), x=1)
    assert ei.value is original


def test_error_handling_continue_returns_failed_with_partial_values(runner: Any) -> None:
    original = Boom("mid")

    @node(output_name="a")
    def first(x: int) -> int:
        return x + 1

    @node(output_name="b")
    def second(a: int) -> int:
        raise original

    @node(output_name="c")
    def third(b: int) -> int:
        return b

    r = runner.run(Graph([first, second, third]), x=1, error_handling="continue")
    assert r.status is RunStatus.FAILED
    assert r.failed
    assert r.error is original
    assert r.values == {"a": 2}
    assert r.log is not None
    assert [(s.node_name, s.status) for s in r.log.steps] == [
        ("first", "completed"),
        ("second", "failed"),
    ]
    assert r.summary().startswith("2 nodes")
    assert "1 errors" in r.summary()
    assert r.to_dict()["error"] == "Boom: mid"


def _superstep_with_failure(calls: list[str]) -> Graph:
    @node(output_name="a")
    def fa(x: int) -> int:
        calls.append("fa")
        return 1

    @node(output_name="b")
    def fb(x: int) -> int:
        calls.append("fb")
        raise Boom("b failed")

    @node(output_name="c")
    def fc(x: int) -> int:
        calls.append("fc")
        return 3

    @node(output_name="d")
    def fd(a: int, c: int) -> int:
        calls.append("fd")
        return a + c

    return Graph([fa, fb, fc, fd])


def test_sync_runner_stops_superstep_at_failing_node() -> None:
    calls: list[str] = []
    r = SyncRunner().run(_superstep_with_failure(calls), x=0, error_handling="continue")
    assert calls == ["fa", "fb"]
    assert r.values == {"a": 1}
    assert isinstance(r.error, Boom)
    assert [(s.node_name, s.status) for s in r.log.steps] == [
        ("fa", "completed"),
        ("fb", "failed"),
    ]


def test_async_runner_finishes_superstep_then_fails() -> None:
    calls: list[str] = []
    r = asyncio.run(
        AsyncRunner().run(_superstep_with_failure(calls), x=0, error_handling="continue")
    )
    assert sorted(calls) == ["fa", "fb", "fc"]
    assert r.values == {"a": 1, "c": 3}
    assert isinstance(r.error, Boom)
    statuses = {s.node_name: s.status for s in r.log.steps}
    assert statuses == {"fa": "completed", "fb": "failed", "fc": "completed"}


def test_async_runner_uses_first_error_in_ready_order() -> None:
    """The node earlier in graph order wins even if it fails later in time."""
    late = Boom("late but first in order")
    early = Boom("early but second in order")
    release = asyncio.Event()

    @node(output_name="a")
    async def first(x: int) -> int:
        await release.wait()
        raise late

    @node(output_name="b")
    async def second(x: int) -> int:
        release.set()
        raise early

    async def go() -> Any:
        return await AsyncRunner().run(Graph([first, second]), x=0, error_handling="continue")

    r = asyncio.run(go())
    assert r.error is late
    with pytest.raises(Boom) as ei:
        asyncio.run(AsyncRunner().run(Graph([first, second]), x=0))
    assert ei.value is late


def test_async_runner_raise_mode_still_applies_superstep() -> None:
    calls: list[str] = []
    with pytest.raises(Boom):
        asyncio.run(AsyncRunner().run(_superstep_with_failure(calls), x=0))
    assert sorted(calls) == ["fa", "fb", "fc"]


def test_failure_in_gate_fails_run(runner: Any) -> None:
    @route(targets=["t"])
    def bad(x: int) -> str:
        raise Boom("gate")

    @node(output_name="tv")
    def t(x: int) -> int:
        return x

    r = runner.run(Graph([bad, t]), x=1, error_handling="continue")
    assert r.failed and isinstance(r.error, Boom)
    assert r.values == {}
