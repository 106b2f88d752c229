"""Parity with hypergraph on what runs return and print, state versions, cache, exceptions."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
import traceback
from datetime import datetime, timezone
from typing import Any

import pytest

import hypergraph_typed
from harness import RunnerHarness
from hypergraph_typed import (
    Graph,
    GraphConfigError,
    InMemoryCache,
    MapLog,
    MapResult,
    NodeRecord,
    RunLog,
    RunResult,
    RunStatus,
    node,
)
from hypergraph_typed.checkpointers import LineageRow, LineageView, Run
from hypergraph_typed.nodes import _EMIT_SENTINEL
from hypergraph_typed.runners import GraphState

# -- repr(RunResult) ---------------------------------------------------------------------------


class TestRunResultRepr:
    def test_long_collections_are_previewed_with_their_length(self) -> None:
        r = RunResult(
            {
                "big": list(range(5000)),
                "pairs": tuple(range(10)),
                "table": {f"k{i}": i for i in range(10)},
                "small": [1, 2],
            },
            RunStatus.COMPLETED,
            run_id="run-1",
        )
        text = repr(r)
        assert "'big': <list len=5000 preview=[0, 1, 2, ...]>" in text
        assert "'pairs': <tuple len=10 preview=(0, 1, 2, ...)>" in text
        assert "'table': <dict len=10 preview={'k0': 0, 'k1': 1, 'k2': 2, ...}>" in text
        assert "'small': [1, 2]" in text
        assert "4999" not in text

    def test_a_real_runs_result_is_compacted(self, runner: Any) -> None:
        @node(output_name="rows")
        def load(n: int) -> list[int]:
            return list(range(n))

        text = repr(runner.run(Graph([load]), {"n": 5000}))
        assert text.startswith("RunResult(status=completed, values={'rows': <list len=5000 ")
        assert len(text) < 300


# -- result["z"] -----------------------------------------------------------------------------


def test_missing_key_lists_the_available_keys(runner: Any) -> None:
    @node(output_name="y")
    def f(x: int) -> int:
        return x

    r = runner.run(Graph([f]), {"x": 1})
    with pytest.raises(KeyError, match=r"'z' is not among the run's values\. Available: 'y'"):
        r["z"]
    paused = RunResult({}, RunStatus.PAUSED)
    with pytest.raises(KeyError, match=r"Available: none\. The run is paused"):
        paused["z"]
    assert r.get("z") is None and "z" not in r


# -- str(RunLog), MapLog and MapResult summaries ------------------------------------------------


def _log(name: str | None, ms: float, *steps: NodeRecord, run_id: str = "run-1") -> RunLog:
    return RunLog(name, run_id, ms, steps)


class TestLogText:
    def test_str_of_run_log_is_one_line(self) -> None:
        one = _log("g", 1.0, NodeRecord("a", 0, 0.5, "completed"))
        assert str(one) == "RunLog: g | 1ms | 1 node | 0 errors"
        two = _log(None, 2300.0, NodeRecord("a", 0, 7.0, "completed"),
                   NodeRecord("b", 1, 5.0, "failed", error="Boom: x"))
        assert str(two) == "RunLog: unnamed | 2.3s | 2 nodes | 1 error"
        assert repr(one).startswith("RunLog(graph_name='g'")  # repr keeps the fields

    def test_str_of_a_real_run_log(self, runner: Any) -> None:
        @node(output_name="y")
        def f(x: int) -> int:
            return x

        text = str(runner.run(Graph([f], name="g"), {"x": 1}).log)
        assert re.fullmatch(r"RunLog: g \| [0-9.]+(ms|s) \| 1 node \| 0 errors", text), text

    def test_map_log_summary_shows_the_average_per_item(self) -> None:
        ok1 = _log("g", 3.0, NodeRecord("a", 0, 3.0, "completed"))
        ok2 = _log("g", 5.0, NodeRecord("a", 0, 5.0, "completed"))
        bad = _log("g", 100.0, NodeRecord("a", 0, 100.0, "failed", error="E: x"))
        ml = MapLog("g", 12.0, (ok1, ok2, bad))
        assert ml.summary() == "3 items | 12ms | 1 errors | avg 4ms/item"
        assert str(ml) == "MapLog: g | 3 items | 12ms | 1 errors | avg 4ms/item"
        assert MapLog("g", 1.0, (bad,)).summary() == "1 items | 1ms | 1 errors"

    def test_map_result_summary_of_a_real_map(self, runner: Any) -> None:
        @node(output_name="y")
        def f(x: int) -> int:
            if x < 0:
                raise ValueError("negative")
            return x

        res = runner.map(Graph([f], name="g"), {"x": [1, 2, -1]}, map_over="x",
                         error_handling="continue")
        pattern = r"3 items \| 2 completed, 1 failed \| avg [0-9.]+(ms|s)/item"
        assert re.fullmatch(pattern, res.summary()), res.summary()
        assert re.search(r"avg [0-9.]+(ms|s)/item", res.log.summary()), res.log.summary()


# -- MapResult.log --------------------------------------------------------------------------------


class TestMapResultLog:
    def test_one_entry_per_item_with_a_placeholder_for_missing_logs(self) -> None:
        ran = RunResult({"y": 1}, RunStatus.COMPLETED, run_id="run-a",
                        log=_log("g", 3.0, NodeRecord("f", 0, 3.0, "completed"), run_id="run-a"))
        restored = RunResult({"y": 2}, RunStatus.COMPLETED, run_id="run-b", log=None)
        res = MapResult((ran, restored, ran), "map-1", 9.0, ("x",), "zip", "g")
        log = res.log
        assert len(log) == 3
        assert log[0] is ran.log and log[2] is ran.log
        placeholder = log[1]
        assert isinstance(placeholder, RunLog)
        assert (placeholder.graph_name, placeholder.run_id) == ("g", "run-b")
        assert placeholder.steps == () and placeholder.total_duration_ms == 0.0
        assert log.summary() == "3 items | 9ms | 0 errors | avg 3ms/item"

    def test_a_real_map_has_one_log_per_item(self, runner: Any) -> None:
        @node(output_name="y")
        def f(x: int) -> int:
            return x

        res = runner.map(Graph([f]), {"x": [1, 2, 3]}, map_over="x")
        assert [log.run_id for log in res.log] == [r.run_id for r in res]


# -- LineageView and RouteNode reprs ---------------------------------------------------------


def test_lineage_view_repr_draws_the_family() -> None:
    at = datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    rows = [
        LineageRow(0, Run("wf", "completed", node_count=4, duration_ms=12.0, created_at=at), 0),
        LineageRow(0, Run("wf-f1", "failed", forked_from="wf", fork_superstep=2,
                          node_count=2, created_at=at), 1, is_selected=True),
        LineageRow(1, Run("wf-r1", "completed", retry_of="wf", retry_index=1, created_at=at), 1),
    ]
    text = repr(LineageView(rows, selected_run_id="wf-f1", root_run_id="wf"))
    assert text.splitlines() == [
        "LineageView: 3 runs | root wf | selected wf-f1",
        "graph  run    status     lineage         steps  duration  created",
        "*      wf     completed  root            4      12ms      2024-01-02 03:04:05",
        "@      wf-f1  failed     fork of wf@2    2      -         2024-01-02 03:04:05",
        "| *    wf-r1  completed  retry #1 of wf  0      -         2024-01-02 03:04:05",
    ]


# -- GraphState versions -------------------------------------------------------------------------


def test_graph_state_emit_always_increments_the_version() -> None:
    state = GraphState()
    state.update_value("done", _EMIT_SENTINEL)
    state.update_value("done", _EMIT_SENTINEL)
    assert state.get_version("done") == 2
    state.update_value("x", 1)
    state.update_value("x", 1)  # an equal value is no change
    assert state.get_version("x") == 1
    state.update_value("x", 2)
    assert state.get_version("x") == 2


# -- InMemoryCache(max_size=0) ---------------------------------------------------------------------


def test_zero_size_cache_is_accepted_and_never_caches(runner: Any) -> None:
    cache = InMemoryCache(max_size=0)
    cache.set("k", 1)
    assert cache.get("k") == (False, None) and len(cache) == 0
    calls: list[int] = []

    @node(output_name="y", cache=True)
    def slow(x: int) -> int:
        calls.append(x)
        return x

    never = RunnerHarness(runner.kind, cache=cache)
    never.run(Graph([slow]), {"x": 1})
    never.run(Graph([slow]), {"x": 1})
    assert calls == [1, 1]
    bounded = RunnerHarness(runner.kind, cache=InMemoryCache(max_size=1))
    bounded.run(Graph([slow]), {"x": 1})
    bounded.run(Graph([slow]), {"x": 1})
    assert calls == [1, 1, 1]  # the same node is cached by a non-zero cache


# -- exception classes ---------------------------------------------------------------------------


def _public_exception_classes() -> set[type[BaseException]]:
    found: set[type[BaseException]] = set()
    modules = [hypergraph_typed]
    for info in pkgutil.walk_packages(hypergraph_typed.__path__, "hypergraph_typed."):
        if not any(part.startswith("_") for part in info.name.split(".")):
            modules.append(importlib.import_module(info.name))
    for mod in modules:
        for name, obj in vars(mod).items():
            if (
                not name.startswith("_") and inspect.isclass(obj)
                and issubclass(obj, BaseException)
                and obj.__module__.startswith("hypergraph_typed")
            ):
                found.add(obj)
    return found


def test_public_exceptions_have_public_modules_and_names() -> None:
    classes = _public_exception_classes()
    assert GraphConfigError in classes and len(classes) > 10
    for cls in classes:
        for base in cls.__mro__:
            if base.__module__.startswith("hypergraph_typed"):
                parts = [*base.__module__.split("."), base.__qualname__]
                assert not any(p.startswith("_") for p in parts), f"{base.__module__}.{base.__qualname__}"


def test_graph_errors_show_the_public_class_in_tracebacks() -> None:
    @node(output_name="r")
    def a(x: int) -> int:
        return x

    @node(output_name="r")
    def b(x: int) -> int:
        return -x

    with pytest.raises(GraphConfigError) as ei:
        Graph([a, b])
    assert type(ei.value) is GraphConfigError
    line = traceback.format_exception_only(type(ei.value), ei.value)[0]
    assert line.startswith("hypergraph_typed.exceptions.GraphConfigError: Multiple nodes")
