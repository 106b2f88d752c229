"""Spec 03: nested graphs, map(), MapResult, GraphNode.map_over and the run log."""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

import pytest

from hypergraph_typed import (
    END,
    AsyncRunner,
    Graph,
    GraphNode,
    MapLog,
    MapResult,
    MissingInputError,
    NodeRecord,
    NodeStats,
    RunLog,
    RunResult,
    RunStatus,
    SyncRunner,
    node,
    route,
)


class Boom(Exception):
    pass


@node(output_name="y")
def inc(x: int) -> int:
    if x == 3:
        raise Boom("three")
    return x + 1


@node(output_name="s")
def add(x: int, y: int) -> int:
    return x + y


def _inner() -> Graph:
    return Graph([inc], name="inner")


# ---------------------------------------------------------------------------
# GraphNode nesting


def test_nested_graph_runs_inner_nodes(runner: Any) -> None:
    @node(output_name="z")
    def after(y: int) -> int:
        return y * 10

    r = runner.run(Graph([_inner().as_node(), after]), x=1)
    assert r.values == {"y": 2, "z": 20}


def test_nested_graph_renamed_inputs_and_outputs(runner: Any) -> None:
    gn = _inner().as_node().with_inputs(x="a").with_outputs(y="b")
    assert gn.inputs == ("a",)
    assert gn.outputs == ("b",)

    @node(output_name="c")
    def after(b: int) -> int:
        return b * 10

    g = Graph([gn, after])
    assert g.inputs.required == ("a",)
    r = runner.run(g, a=1)
    assert r.values == {"b": 2, "c": 20}
    assert "y" not in r and "x" not in r


def test_nested_graph_custom_name(runner: Any) -> None:
    gn = GraphNode(_inner(), name="step_one")
    r = runner.run(Graph([gn]), x=4)
    assert r["y"] == 5
    assert [s.node_name for s in r.log.steps] == ["step_one"]


def test_two_levels_of_nesting(runner: Any) -> None:
    middle = Graph([_inner().as_node()], name="middle")
    outer = Graph([middle.as_node().with_outputs(y="final")])
    r = runner.run(outer, x=10)
    assert r.values == {"final": 11}
    mid_log = r.log.steps[0].log
    assert isinstance(mid_log, RunLog)
    inner_log = mid_log.steps[0].log
    assert isinstance(inner_log, RunLog)
    assert inner_log.steps[0].node_name == "inc"


def test_nested_inner_binding_used(runner: Any) -> None:
    inner = Graph([add], name="adder").bind(y=100)
    r = runner.run(Graph([inner.as_node()]), x=1)
    assert r["s"] == 101


def test_nested_inner_binding_not_copied(runner: Any) -> None:
    obj: list[int] = []

    @node(output_name="same")
    def check(bucket: list[int]) -> bool:
        return bucket is obj

    inner = Graph([check], name="checker").bind(bucket=obj)
    assert runner.run(Graph([inner.as_node()]))["same"] is True


def test_nested_conflicting_inner_bindings_each_used_uncopied(runner: Any) -> None:
    """Two nested graphs binding one name to unequal values: each keeps its own, uncopied."""
    obj: list[int] = []
    other = [1]

    @node(output_name="same1")
    def f1(bucket: list[int]) -> bool:
        return bucket is obj

    @node(output_name="same2")
    def f2(bucket: list[int]) -> bool:
        return bucket is other

    g1 = Graph([f1], name="g1").bind(bucket=obj)
    g2 = Graph([f2], name="g2").bind(bucket=other)
    outer = Graph([g1.as_node(), g2.as_node()])
    assert "bucket" not in outer.inputs.bound
    r = runner.run(outer)
    assert r.values == {"same1": True, "same2": True}


def test_nested_inner_mutable_default_fresh_each_run(runner: Any) -> None:
    @node(output_name="out")
    def f(x: int, acc: list[int] = []) -> list[int]:  # noqa: B006
        acc.append(x)
        return acc

    g = Graph([Graph([f], name="inner").as_node()])
    assert runner.run(g, x=1)["out"] == [1]
    assert runner.run(g, x=2)["out"] == [2]


def test_nested_inner_default_used(runner: Any) -> None:
    @node(output_name="out")
    def f(x: int, k: int = 7) -> int:
        return x * k

    r = runner.run(Graph([Graph([f], name="inner").as_node()]), x=2)
    assert r["out"] == 14


def test_nested_gate_decision_is_an_output(runner: Any) -> None:
    @route(targets=["leaf", END])
    def pick(x: int) -> Any:
        return "leaf" if x else END

    @node(output_name="leafed")
    def leaf(x: int) -> int:
        return x

    gn = Graph([pick, leaf], name="branchy").as_node()
    assert "_pick" in gn.outputs
    r = runner.run(Graph([gn]), x=1)
    assert r["_pick"] == "leaf"
    assert r["leafed"] == 1


def test_nested_failure_propagates_original(runner: Any) -> None:
    with pytest.raises(Boom, match="three"):
        runner.run(Graph([_inner().as_node()]), x=3)


def test_nested_failure_under_continue(runner: Any) -> None:
    @node(output_name="pre")
    def before(x: int) -> int:
        return x

    @node(output_name="z")
    def after(y: int) -> int:
        return y

    r = runner.run(Graph([before, _inner().as_node(), after]), x=3, error_handling="continue")
    assert r.status is RunStatus.FAILED
    assert isinstance(r.error, Boom)
    assert r.values == {"pre": 3}
    failed = [s for s in r.log.steps if s.status == "failed"]
    assert [s.node_name for s in failed] == ["inner"]
    assert failed[0].error == "Boom: three"


def test_nested_graph_default_iteration_limit_independent_of_outer(runner: Any) -> None:
    @node(output_name="count")
    def step(count: int) -> int:
        return count + 1

    @route(targets=["step", END])
    def again(count: int) -> Any:
        return "step" if count < 5 else END

    loop = Graph([step, again], entrypoint="step", name="loop")
    # outer needs 1 superstep; inner needs 10 — the inner run uses the default limit
    r = runner.run(
        Graph([loop.as_node().with_outputs(count="final")]), count=0, max_iterations=1
    )
    assert r["final"] == 5
    assert [s.superstep for s in r.log.steps[0].log.steps] == list(range(10))


# ---------------------------------------------------------------------------
# map()


def test_map_single_name(runner: Any) -> None:
    res = runner.map(Graph([add]), x=[1, 2, 3], y=10, map_over="x")
    assert isinstance(res, MapResult)
    assert res["s"] == [11, 12, 13]
    assert res.map_over == ("x",)
    assert res.map_mode == "zip"
    assert res.status is RunStatus.COMPLETED


def test_map_over_list_zip(runner: Any) -> None:
    res = runner.map(Graph([add]), {"x": [1, 2], "y": [10, 20]}, map_over=["x", "y"])
    assert res["s"] == [11, 22]
    assert res.map_over == ("x", "y")


def test_map_product_first_parameter_slowest(runner: Any) -> None:
    res = runner.map(
        Graph([add]), x=[1, 2], y=[10, 20], map_over=["x", "y"], map_mode="product"
    )
    assert res["s"] == [11, 21, 12, 22]
    assert res.map_mode == "product"


def test_map_missing_map_over_name_is_key_error(runner: Any) -> None:
    with pytest.raises(KeyError, match="y"):
        runner.map(Graph([add]), x=[1], map_over=["x", "y"])


def test_map_unequal_zip_is_value_error(runner: Any) -> None:
    with pytest.raises(ValueError):
        runner.map(Graph([add]), x=[1, 2], y=[1], map_over=["x", "y"])


def test_map_unknown_mode_is_value_error(runner: Any) -> None:
    with pytest.raises(ValueError, match="map_mode"):
        runner.map(Graph([add]), x=[1], y=[1], map_over=["x", "y"], map_mode="cartesian")


def test_map_empty_lists(runner: Any) -> None:
    res = runner.map(Graph([add]), x=[], y=1, map_over="x")
    assert len(res) == 0
    assert res.run_id is None
    assert res.status is RunStatus.COMPLETED
    assert not res
    assert res["s"] == []
    assert repr(res) == "MapResult(0 items: empty, map_over=('x',))"


def test_map_run_id_when_items(runner: Any) -> None:
    res = runner.map(Graph([add]), x=[1], y=1, map_over="x")
    assert res.run_id is not None and res.run_id.startswith("run-")


def test_map_graph_name(runner: Any) -> None:
    assert runner.map(Graph([add]), x=[1], y=1, map_over="x").graph_name == ""
    named = Graph([add], name="adder")
    assert runner.map(named, x=[1], y=1, map_over="x").graph_name == "adder"


def test_map_broadcast_shared_by_reference_without_clone(runner: Any) -> None:
    bucket: list[int] = []

    @node(output_name="n")
    def push(x: int, acc: list[int]) -> int:
        acc.append(x)
        return len(acc)

    res = runner.map(Graph([push]), x=[1, 2, 3], acc=bucket, map_over="x")
    assert sorted(res["n"]) == [1, 2, 3]
    assert sorted(bucket) == [1, 2, 3]


def test_map_clone_true_deep_copies_broadcast_per_item(runner: Any) -> None:
    bucket: list[list[int]] = [[]]

    @node(output_name="n")
    def push(x: int, acc: list[list[int]]) -> int:
        acc[0].append(x)
        return len(acc[0])

    res = runner.map(Graph([push]), x=[1, 2, 3], acc=bucket, map_over="x", clone=True)
    assert res["n"] == [1, 1, 1]
    assert bucket == [[]]


def test_map_clone_list_copies_only_named(runner: Any) -> None:
    copied: list[int] = []
    shared: list[int] = []

    @node(output_name="sizes")
    def push(x: int, a: list[int], b: list[int]) -> tuple[int, int]:
        a.append(x)
        b.append(x)
        return (len(a), len(b))

    res = runner.map(
        Graph([push]), x=[1, 2, 3], a=copied, b=shared, map_over="x", clone=["a"]
    )
    assert [s[0] for s in res["sizes"]] == [1, 1, 1]
    assert sorted(s[1] for s in res["sizes"]) == [1, 2, 3]
    assert copied == []
    assert sorted(shared) == [1, 2, 3]


def test_map_error_handling_continue_keeps_failures(runner: Any) -> None:
    res = runner.map(Graph([inc]), x=[1, 3, 5], map_over="x", error_handling="continue")
    assert len(res) == 3
    assert res.status is RunStatus.PARTIAL
    assert res.partial
    assert res.failed
    assert not res.completed
    assert res["y"] == [2, None, 6]
    assert [r.status for r in res] == [RunStatus.COMPLETED, RunStatus.FAILED, RunStatus.COMPLETED]
    assert len(res.failures) == 1
    assert isinstance(res.failures[0].error, Boom)
    assert res.failures[0] is res[1]


def test_map_all_failed_status(runner: Any) -> None:
    res = runner.map(Graph([inc]), x=[3, 3], map_over="x", error_handling="continue")
    assert res.status is RunStatus.FAILED
    assert res.failed
    assert not res.partial


def test_map_error_handling_raise_raises_original(runner: Any) -> None:
    err = Boom("item 2")

    @node(output_name="y")
    def f(x: int) -> int:
        if x == 2:
            raise err
        return x

    with pytest.raises(Boom) as ei:
        runner.map(Graph([f]), x=[1, 2, 3], map_over="x")
    assert ei.value is err


def test_sync_map_raise_stops_at_failing_item() -> None:
    calls: list[int] = []

    @node(output_name="y")
    def f(x: int) -> int:
        calls.append(x)
        if x == 2:
            raise Boom("stop")
        return x

    with pytest.raises(Boom):
        SyncRunner().map(Graph([f]), x=[1, 2, 3, 4], map_over="x")
    assert calls == [1, 2]


def test_async_map_raise_without_limit_finishes_every_item() -> None:
    calls: list[int] = []

    @node(output_name="y")
    async def f(x: int) -> int:
        calls.append(x)
        await asyncio.sleep(0)
        if x == 1:
            raise Boom("first")
        return x

    with pytest.raises(Boom):
        asyncio.run(AsyncRunner().map(Graph([f]), x=[1, 2, 3, 4], map_over="x"))
    assert sorted(calls) == [1, 2, 3, 4]


def test_async_map_raise_with_limit_starts_no_new_items() -> None:
    calls: list[int] = []

    @node(output_name="y")
    async def f(x: int) -> int:
        calls.append(x)
        await asyncio.sleep(0)
        if x == 1:
            raise Boom("first")
        return x

    with pytest.raises(Boom):
        asyncio.run(
            AsyncRunner().map(Graph([f]), x=[1, 2, 3, 4], map_over="x", max_concurrency=1)
        )
    assert calls == [1]


def test_async_map_returns_items_in_input_order() -> None:
    finished: list[int] = []

    async def scenario() -> MapResult:
        gates = {i: asyncio.Event() for i in range(4)}

        @node(output_name="y")
        async def f(x: int) -> int:
            # item i finishes only after item i+1 has finished: completion is reversed
            if x + 1 in gates:
                await gates[x + 1].wait()
            finished.append(x)
            gates[x].set()
            return x * 10

        return await asyncio.wait_for(
            AsyncRunner().map(Graph([f]), x=[0, 1, 2, 3], map_over="x"), 30
        )

    res = asyncio.run(scenario())
    assert finished == [3, 2, 1, 0]
    assert res["y"] == [0, 10, 20, 30]


@pytest.mark.parametrize("handling", ["raise", "continue"])
def test_map_per_item_missing_input(runner: Any, handling: str) -> None:
    """Both runners: raise under 'raise', failed items under 'continue'."""
    if handling == "raise":
        with pytest.raises(MissingInputError) as ei:
            runner.map(Graph([add]), x=[1, 2], map_over="x", error_handling=handling)
        assert ei.value.missing == ["y"]
        return
    res = runner.map(Graph([add]), x=[1, 2], map_over="x", error_handling=handling)
    assert len(res) == 2
    assert res.status is RunStatus.FAILED
    assert all(isinstance(r.error, MissingInputError) for r in res)


def test_map_rejects_bad_options(runner: Any) -> None:
    with pytest.raises(ValueError, match="select"):
        runner.map(Graph([add]), x=[1], y=1, map_over="x", select=["s"])
    with pytest.raises(ValueError, match="error_handling"):
        runner.map(Graph([add]), x=[1], y=1, map_over="x", error_handling="skip")
    with pytest.raises(ValueError, match="/"):
        runner.map(Graph([add]), x=[1], y=1, map_over="x", workflow_id="a/b")


def test_map_on_missing_applies_per_item(runner: Any) -> None:
    @route(targets=["hit", END])
    def pick(x: int) -> Any:
        return "hit" if x % 2 else END

    @node(output_name="h")
    def hit(x: int) -> int:
        return x

    g = Graph([pick, hit]).select("h")
    res = runner.map(g, x=[1, 2, 3], map_over="x", on_missing="error", error_handling="continue")
    assert [r.status for r in res] == [RunStatus.COMPLETED, RunStatus.FAILED, RunStatus.COMPLETED]
    assert isinstance(res[1].error, ValueError)
    assert res["h"] == [1, None, 3]
    with pytest.warns(UserWarning, match="h"):
        res = runner.map(g, x=[1, 2], map_over="x", on_missing="warn")
    assert res.status is RunStatus.COMPLETED


def test_map_items_carry_logs(runner: Any) -> None:
    res = runner.map(Graph([add]), x=[1, 2], y=1, map_over="x")
    for r in res:
        assert isinstance(r.log, RunLog)
        assert [s.node_name for s in r.log.steps] == ["add"]
    log = res.log
    assert isinstance(log, MapLog)
    assert len(log) == 2
    assert log[0] is res[0].log
    assert list(log) == [r.log for r in res]
    assert log.node_stats["add"].count == 2


def test_map_with_graph_select(runner: Any) -> None:
    @node(output_name="t")
    def twice(s: int) -> int:
        return s * 2

    g = Graph([add, twice]).select("t")
    res = runner.map(g, x=[1, 2], y=0, map_over="x")
    assert [r.values for r in res] == [{"t": 2}, {"t": 4}]


# ---------------------------------------------------------------------------
# MapResult API


def _rr(status: RunStatus, values: dict[str, Any] | None = None, ms: float = 4.0,
        error: BaseException | None = None) -> RunResult:
    log = RunLog(None, "run-x", ms, ())
    return RunResult(values or {}, status, error=error, log=log)


def _mr(*results: RunResult, map_over: tuple[str, ...] = ("x",)) -> MapResult:
    return MapResult(tuple(results), "run-m", 12.0, map_over, "zip", "")


def test_map_result_sequence_protocol() -> None:
    a = _rr(RunStatus.COMPLETED, {"k": 1})
    b = _rr(RunStatus.COMPLETED, {"k": 2})
    c = _rr(RunStatus.COMPLETED, {})
    m = _mr(a, b, c)
    assert len(m) == 3
    assert list(m) == [a, b, c]
    assert list(reversed(m)) == [c, b, a]
    assert bool(m)
    assert a in m
    assert m[0] is a
    assert m[-1] is c
    sl = m[1:]
    assert type(sl) is list
    assert sl == [b, c]
    assert m["k"] == [1, 2, None]
    assert m.get("k") == [1, 2, None]
    assert m.get("k", 0) == [1, 2, 0]


@pytest.mark.parametrize("key", [1.5, None, ("k",), b"k"])
def test_map_result_bad_key_type_is_type_error(key: Any) -> None:
    with pytest.raises(TypeError):
        _mr(_rr(RunStatus.COMPLETED))[key]


def test_map_result_equality() -> None:
    a = _rr(RunStatus.COMPLETED, {"k": 1})
    b = _rr(RunStatus.COMPLETED, {"k": 2})
    m1 = _mr(a, b)
    m2 = MapResult((a, b), "other-id", 99.0, ("y",), "product", "g")
    assert m1 == m2
    assert m1 == [a, b]
    assert m1 != [b, a]
    assert m1 != _mr(a)
    assert m1 != (a, b)


def test_map_result_is_frozen() -> None:
    m = _mr()
    with pytest.raises(AttributeError):
        m.run_id = "x"  # type: ignore[misc]


def test_map_result_status_matrix() -> None:
    ok = _rr(RunStatus.COMPLETED)
    bad = _rr(RunStatus.FAILED, error=Boom("x"))
    paused = _rr(RunStatus.PAUSED)
    assert _mr().status is RunStatus.COMPLETED
    assert _mr(ok, ok).status is RunStatus.COMPLETED
    assert _mr(ok, bad).status is RunStatus.PARTIAL
    assert _mr(bad, bad).status is RunStatus.FAILED
    assert _mr(bad, paused).status is RunStatus.FAILED
    assert _mr(ok, paused).status is RunStatus.PAUSED
    assert _mr(ok, bad, paused).status is RunStatus.PARTIAL
    m = _mr(ok, paused)
    assert m.paused and not m.completed and not m.failed and not m.partial
    m = _mr(ok, bad)
    assert m.partial and m.failed and not m.completed
    assert m.failures == [bad]
    m = _mr(bad)
    assert m.failed and not m.partial
    assert _mr(ok).completed


def test_map_result_summary() -> None:
    ok1 = _rr(RunStatus.COMPLETED, ms=3.0)
    ok2 = _rr(RunStatus.COMPLETED, ms=5.0)
    bad = _rr(RunStatus.FAILED, ms=100.0, error=Boom("x"))
    assert _mr(ok1, ok2, bad).summary() == "3 items | 2 completed, 1 failed | avg 4ms/item"
    assert _mr(ok1, ok2).summary() == "2 items | 2 completed | avg 4ms/item"
    assert _mr(bad).summary() == "1 items | 1 failed"
    assert _mr(_rr(RunStatus.PAUSED), bad).summary() == "2 items | 1 failed, 1 paused"


def test_map_result_repr() -> None:
    ok1 = _rr(RunStatus.COMPLETED, ms=3.0)
    ok2 = _rr(RunStatus.COMPLETED, ms=5.0)
    bad = _rr(RunStatus.FAILED, error=Boom("x"))
    assert repr(_mr(ok1, ok2, bad)) == (
        "MapResult(3 items: 2 completed, 1 failed, avg 4ms/item, map_over=('x',))"
    )
    assert repr(_mr(map_over=("a", "b"))) == "MapResult(0 items: empty, map_over=('a', 'b'))"


def test_map_result_to_dict(runner: Any) -> None:
    res = runner.map(Graph([inc]), x=[1, 3], map_over="x", error_handling="continue")
    d = res.to_dict()
    assert set(d) == {
        "run_id", "total_duration_ms", "map_over", "map_mode", "graph_name",
        "item_count", "completed_count", "failed_count", "items",
    }
    assert d["item_count"] == 2
    assert d["completed_count"] == 1
    assert d["failed_count"] == 1
    assert list(d["map_over"]) == ["x"]
    assert d["map_mode"] == "zip"
    assert d["run_id"] == res.run_id
    assert [i["status"] for i in d["items"]] == ["completed", "failed"]
    assert d["items"][1]["error"] == "Boom: three"
    json.dumps(d)


# ---------------------------------------------------------------------------
# GraphNode.map_over


def test_graph_node_map_over_produces_lists(runner: Any) -> None:
    gn = _inner().as_node().map_over("x")

    @node(output_name="total")
    def total(y: list[int]) -> int:
        return sum(y)

    r = runner.run(Graph([gn, total]), x=[1, 2, 4])
    assert r["y"] == [2, 3, 5]
    assert r["total"] == 10


def test_graph_node_map_over_broadcasts_other_inputs(runner: Any) -> None:
    gn = Graph([add], name="adder").as_node().map_over("x")
    r = runner.run(Graph([gn]), x=[1, 2], y=100)
    assert r["s"] == [101, 102]


def test_graph_node_map_over_product(runner: Any) -> None:
    gn = Graph([add], name="adder").as_node().map_over("x", "y", mode="product")
    r = runner.run(Graph([gn]), x=[1, 2], y=[10, 20])
    assert r["s"] == [11, 21, 12, 22]


def test_graph_node_map_over_zip_unequal_lengths(runner: Any) -> None:
    gn = Graph([add], name="adder").as_node().map_over("x", "y")
    with pytest.raises(ValueError):
        runner.run(Graph([gn]), x=[1, 2], y=[10])


def test_graph_node_map_over_unknown_mode_fails_at_run_time(runner: Any) -> None:
    gn = Graph([add], name="adder").as_node().map_over("x", "y", mode="diagonal")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="map_mode"):
        runner.run(Graph([gn]), x=[1], y=[1])


def test_graph_node_map_over_with_renamed_input(runner: Any) -> None:
    gn = _inner().as_node().with_inputs(x="nums").with_outputs(y="plus").map_over("nums")
    r = runner.run(Graph([gn]), nums=[10, 20])
    assert r.values == {"plus": [11, 21]}


def test_graph_node_map_over_continue_gives_none(runner: Any) -> None:
    gn = _inner().as_node().map_over("x", error_handling="continue")
    r = runner.run(Graph([gn]), x=[1, 3, 5])
    assert r.completed
    assert r["y"] == [2, None, 6]
    log = r.log.steps[0].log
    assert isinstance(log, MapLog)
    assert len(log) == 3
    assert [e.error for e in log.errors] == ["Boom: three"]


def test_graph_node_map_over_raise_fails_node(runner: Any) -> None:
    gn = _inner().as_node().map_over("x")
    with pytest.raises(Boom):
        runner.run(Graph([gn]), x=[1, 3, 5])
    r = runner.run(Graph([gn]), x=[1, 3, 5], error_handling="continue")
    assert r.failed
    assert isinstance(r.error, Boom)
    assert "y" not in r


def test_graph_node_map_over_clone(runner: Any) -> None:
    @node(output_name="n")
    def push(x: int, acc: list[int]) -> int:
        acc.append(x)
        return len(acc)

    inner = Graph([push], name="pusher")
    bucket: list[int] = []
    r = runner.run(Graph([inner.as_node().map_over("x", clone=True)]), x=[1, 2, 3], acc=bucket)
    assert r["n"] == [1, 1, 1]
    assert bucket == []
    r = runner.run(Graph([inner.as_node().map_over("x")]), x=[1, 2, 3], acc=bucket)
    assert sorted(r["n"]) == [1, 2, 3]
    assert sorted(bucket) == [1, 2, 3]


def test_graph_node_map_over_empty_list(runner: Any) -> None:
    gn = _inner().as_node().map_over("x")
    r = runner.run(Graph([gn]), x=[])
    assert r["y"] == []


# ---------------------------------------------------------------------------
# run log


def test_run_log_steps_and_supersteps(runner: Any) -> None:
    @node(output_name="a")
    def fa(x: int) -> int:
        return x

    @node(output_name="b")
    def fb(x: int) -> int:
        return x

    @node(output_name="c")
    def fc(a: int, b: int) -> int:
        return a + b

    r = runner.run(Graph([fa, fb, fc], name="tri"), x=1)
    log = r.log
    assert isinstance(log, RunLog)
    assert log.graph_name == "tri"
    assert log.run_id == r.run_id
    assert [(s.node_name, s.superstep, s.status) for s in log.steps] == [
        ("fa", 0, "completed"),
        ("fb", 0, "completed"),
        ("fc", 1, "completed"),
    ]
    assert all(isinstance(s, NodeRecord) for s in log.steps)
    assert all(s.duration_ms >= 0 for s in log.steps)
    assert log.total_duration_ms >= 0
    assert log.errors == ()
    assert set(log.timing) == {"fa", "fb", "fc"}
    stats = log.node_stats
    assert set(stats) == {"fa", "fb", "fc"}
    assert stats["fc"] == NodeStats(1, stats["fc"].total_ms, 0, 0)


def test_run_log_supersteps_are_per_call(runner: Any) -> None:
    g = Graph([_inner().as_node()])
    r1 = runner.run(g, x=1)
    r2 = runner.run(g, x=2)
    assert [s.superstep for s in r1.log.steps] == [0]
    assert [s.superstep for s in r2.log.steps] == [0]


def test_run_log_failed_record(runner: Any) -> None:
    r = runner.run(Graph([inc]), x=3, error_handling="continue")
    (rec,) = r.log.steps
    assert rec.node_name == "inc"
    assert rec.status == "failed"
    assert rec.error == "Boom: three"
    assert r.log.errors == (rec,)
    st = r.log.node_stats["inc"]
    assert (st.count, st.errors, st.cached, st.succeeded) == (1, 1, 0, 0)
    assert st.avg_ms == 0


def test_run_log_loop_stats(runner: Any) -> None:
    @node(output_name="count")
    def step(count: int) -> int:
        return count + 1

    @route(targets=["step", END])
    def again(count: int) -> Any:
        return "step" if count < 3 else END

    r = runner.run(Graph([step, again], entrypoint="step"), count=0)
    stats = r.log.node_stats
    assert stats["step"].count == 3
    assert stats["again"].count == 3
    assert stats["step"].succeeded == 3
    assert [s.decision for s in r.log.steps if s.node_name == "again"] == ["step", "step", END]
    d = r.log.to_dict()
    assert [s["decision"] for s in d["steps"] if s["node_name"] == "again"] == [
        "step", "step", "END",
    ]
    json.dumps(d)


def test_node_stats_arithmetic() -> None:
    st = NodeStats(count=5, total_ms=30.0, errors=1, cached=1)
    assert st.succeeded == 3
    assert st.avg_ms == 10.0
    assert NodeStats(count=2, total_ms=5.0, errors=1, cached=1).avg_ms == 0
    assert NodeStats().count == 0


def test_run_log_summary_format_real_run(runner: Any) -> None:
    r = runner.run(Graph([_inner().as_node()]), x=1)
    pattern = r"^1 nodes \| [0-9.]+(ms|s) \| 0 errors( \| slowest: inner \([0-9.]+(ms|s)\))?$"
    assert re.match(pattern, r.log.summary()), r.log.summary()


def test_run_log_summary_exact() -> None:
    log = RunLog(
        "g", "run-1", 2300.0,
        (
            NodeRecord("a", 0, 7.0, "completed"),
            NodeRecord("b", 1, 1500.0, "failed", error="Boom: x"),
        ),
    )
    assert log.summary() == "2 nodes | 2.3s | 1 errors | slowest: b (1.5s)"
    long = RunLog("g", "run-1", 64_500.0, (NodeRecord("a", 0, 7.0, "completed"),))
    assert long.summary() == "1 nodes | 1m04.5s | 0 errors | slowest: a (7ms)"
    assert log.timing == {"a": 7.0, "b": 1500.0}


def test_records_are_frozen() -> None:
    rec = NodeRecord("a", 0, 1.0, "completed")
    with pytest.raises(AttributeError):
        rec.status = "failed"  # type: ignore[misc]
    log = RunLog("g", "run-1", 1.0, (rec,))
    with pytest.raises(AttributeError):
        log.run_id = "x"  # type: ignore[misc]


def test_run_log_to_dict_json_safe_with_odd_decisions(runner: Any) -> None:
    class Opaque:
        pass

    @route(targets=["a", "b", END], multi_target=True)
    def pick(x: int) -> Any:
        return ["a", "b"]

    @node(output_name="av")
    def a(x: int) -> Opaque:
        return Opaque()

    @node(output_name="bv")
    def b(x: int) -> int:
        return 2

    r = runner.run(Graph([pick, a, b]), x=1)
    d = r.to_dict()
    text = json.dumps(d)
    assert "Opaque" not in text  # raw values are never included
    step0 = d["log"]["steps"][0]
    assert step0["node_name"] == "pick"
    assert step0["decision"] == ["a", "b"]


def test_nested_graph_record_has_inner_log(runner: Any) -> None:
    r = runner.run(Graph([_inner().as_node()]), x=1)
    (rec,) = r.log.steps
    assert rec.node_name == "inner"
    assert isinstance(rec.log, RunLog)
    assert rec.log.graph_name == "inner"
    assert [s.node_name for s in rec.log.steps] == ["inc"]
    d = r.log.to_dict()
    assert d["steps"][0]["inner_log"]["steps"][0]["node_name"] == "inc"
    json.dumps(d)


def test_plain_node_record_has_no_inner_log(runner: Any) -> None:
    r = runner.run(Graph([inc]), x=1)
    assert r.log.steps[0].log is None
    assert "inner_log" not in r.log.to_dict()["steps"][0]


def test_map_log_api(runner: Any) -> None:
    gn = _inner().as_node().map_over("x", error_handling="continue")
    r = runner.run(Graph([gn]), x=[1, 3])
    ml = r.log.steps[0].log
    assert isinstance(ml, MapLog)
    assert ml.graph_name == "inner"
    assert len(ml) == 2
    assert all(isinstance(item, RunLog) for item in ml)
    assert isinstance(ml[1], RunLog)
    assert len(ml.errors) == 1
    assert ml.node_stats["inc"].count == 2
    assert ml.node_stats["inc"].errors == 1
    assert ml.summary().startswith("2 items | ")
    d = ml.to_dict()
    assert len(d["items"]) == 2
    json.dumps(r.log.to_dict())
