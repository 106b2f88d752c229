"""Spec 03: run() basics — wiring, inputs, argument checks and the RunResult API."""

from __future__ import annotations

import asyncio
import json
import threading
import warnings
from typing import Any

import pytest

from hypergraph_typed import (
    END,
    AsyncRunner,
    Graph,
    GraphConfigError,
    HyperNode,
    IncompatibleRunnerError,
    MissingInputError,
    RunResult,
    RunStatus,
    SyncRunner,
    ifelse,
    interrupt,
    node,
    route,
)
from hypergraph_typed.runners import RunLog

# ---------------------------------------------------------------------------
# shared little nodes


@node(output_name="doubled")
def double(x: int) -> int:
    return x * 2


@node(output_name="incremented")
def inc(doubled: int) -> int:
    return doubled + 1


@node(output_name="result")
def square(incremented: int) -> int:
    return incremented**2


# ---------------------------------------------------------------------------
# wiring


def test_linear_chain(runner: Any) -> None:
    g = Graph([double, inc, square])
    r = runner.run(g, {"x": 3})
    assert r.status is RunStatus.COMPLETED
    assert r.values == {"doubled": 6, "incremented": 7, "result": 49}


def test_linear_chain_node_order_does_not_matter(runner: Any) -> None:
    g = Graph([square, inc, double])
    r = runner.run(g, x=1)
    assert r["result"] == 9


def test_fan_out_fan_in(runner: Any) -> None:
    calls: list[str] = []

    @node(output_name="a")
    def left(x: int) -> int:
        calls.append("left")
        return x + 1

    @node(output_name="b")
    def right(x: int) -> int:
        calls.append("right")
        return x * 10

    @node(output_name="total")
    def join(a: int, b: int) -> int:
        calls.append("join")
        return a + b

    r = runner.run(Graph([left, right, join]), x=2)
    assert r["total"] == 3 + 20
    assert sorted(calls[:2]) == ["left", "right"]
    assert calls[2] == "join"
    assert len(calls) == 3


def test_sync_runner_runs_superstep_in_graph_order() -> None:
    order: list[str] = []

    @node(output_name="p")
    def second(x: int) -> int:
        order.append("second")
        return x

    @node(output_name="q")
    def first(x: int) -> int:
        order.append("first")
        return x

    SyncRunner().run(Graph([second, first]), x=1)
    assert order == ["second", "first"]


def test_tuple_outputs_unpacked(runner: Any) -> None:
    @node(output_name=("q", "r"))
    def divmod_(a: int, b: int) -> tuple[int, int]:
        return divmod(a, b)

    r = runner.run(Graph([divmod_]), a=17, b=5)
    assert r["q"] == 3
    assert r["r"] == 2


def test_single_output_keeps_whole_tuple(runner: Any) -> None:
    @node(output_name="pair")
    def make(a: int) -> tuple[int, int]:
        return (a, a)

    assert runner.run(Graph([make]), a=4)["pair"] == (4, 4)


def test_tuple_output_length_mismatch_is_value_error(runner: Any) -> None:
    @node(output_name=("q", "r"))
    def bad(a: int) -> tuple[int, ...]:
        return (a, a, a)

    with pytest.raises(ValueError, match="q"):
        runner.run(Graph([bad]), a=1)


def test_tuple_output_not_iterable_is_value_error(runner: Any) -> None:
    @node(output_name=("q", "r"))
    def bad(a: int) -> Any:
        return a

    with pytest.raises(ValueError):
        runner.run(Graph([bad]), a=1)


def test_no_output_node_result_is_dropped(runner: Any) -> None:
    seen: list[int] = []

    @node
    def sink(x: int) -> None:
        seen.append(x)

    r = runner.run(Graph([sink]), x=5)
    assert r.completed
    assert r.values == {}
    assert seen == [5]


def test_sync_generator_collected_to_list(runner: Any) -> None:
    @node(output_name="items")
    def gen(n: int) -> Any:
        yield from range(n)

    @node(output_name="total")
    def consume(items: list[int]) -> int:
        assert isinstance(items, list)
        return sum(items)

    r = runner.run(Graph([gen, consume]), n=4)
    assert r["items"] == [0, 1, 2, 3]
    assert type(r["items"]) is list
    assert r["total"] == 6


def test_async_generator_collected_to_list_on_async_runner() -> None:
    @node(output_name="items")
    async def agen(n: int) -> Any:
        for i in range(n):
            await asyncio.sleep(0)
            yield i * i

    r = asyncio.run(AsyncRunner().run(Graph([agen]), n=3))
    assert r["items"] == [0, 1, 4]
    assert type(r["items"]) is list


def test_generator_with_tuple_outputs_collects_then_unpacks(runner: Any) -> None:
    @node(output_name=("a", "b"))
    def gen() -> Any:
        yield 1
        yield 2

    r = runner.run(Graph([gen]))
    assert (r["a"], r["b"]) == (1, 2)


# ---------------------------------------------------------------------------
# value resolution


def test_mutable_default_deep_copied_per_execution(runner: Any) -> None:
    @node(output_name="out")
    def append(x: int, acc: list[int] = []) -> list[int]:  # noqa: B006
        acc.append(x)
        return acc

    g = Graph([append])
    assert runner.run(g, x=1)["out"] == [1]
    assert runner.run(g, x=2)["out"] == [2]
    # the declared default itself is untouched
    assert append.get_default_for("acc") == []


def test_nested_mutable_default_deep_copied(runner: Any) -> None:
    @node(output_name="out")
    def put(x: int, cfg: dict[str, list[int]] = {"seen": []}) -> dict[str, list[int]]:  # noqa: B006
        cfg["seen"].append(x)
        return cfg

    g = Graph([put])
    runner.run(g, x=1)
    assert runner.run(g, x=2)["out"] == {"seen": [2]}


_LOCK = threading.Lock()


def test_uncopyable_default_is_graph_config_error_when_used(runner: Any) -> None:
    @node(output_name="y")
    def f(x: int, guard: Any = _LOCK) -> int:
        return x

    with pytest.raises(GraphConfigError, match="bind"):
        runner.run(Graph([f]), x=1)


def test_uncopyable_default_not_an_error_when_value_given(runner: Any) -> None:
    @node(output_name="y")
    def f(x: int, guard: Any = _LOCK) -> int:
        return x

    other = threading.Lock()
    assert runner.run(Graph([f]), x=1, guard=other)["y"] == 1
    assert runner.run(Graph([f]).bind(guard=_LOCK), x=2)["y"] == 2


def test_clone_of_uncopyable_broadcast_is_graph_config_error(runner: Any) -> None:
    @node(output_name="y")
    def f(x: int, guard: Any) -> int:
        return x

    with pytest.raises(GraphConfigError):
        runner.map(Graph([f]), x=[1], guard=_LOCK, map_over="x", clone=True)
    res = runner.map(Graph([f]), x=[1], guard=_LOCK, map_over="x", clone=False)
    assert res["y"] == [1]


def test_default_used_when_not_provided_and_overridden_when_provided(runner: Any) -> None:
    @node(output_name="out")
    def add(x: int, y: int = 10) -> int:
        return x + y

    g = Graph([add])
    assert runner.run(g, x=1)["out"] == 11
    assert runner.run(g, x=1, y=2)["out"] == 3


def test_bound_value_used_and_not_copied(runner: Any) -> None:
    shared: list[int] = []

    @node(output_name="same")
    def check(x: int, bucket: list[int]) -> bool:
        bucket.append(x)
        return True

    g = Graph([check]).bind(bucket=shared)
    runner.run(g, x=1)
    runner.run(g, x=2)
    assert shared == [1, 2]


def test_provided_value_not_copied(runner: Any) -> None:
    obj: list[int] = []

    @node(output_name="is_same")
    def ident(v: list[int]) -> bool:
        return v is obj

    assert runner.run(Graph([ident]), v=obj)["is_same"] is True


def test_provided_beats_bound_beats_default(runner: Any) -> None:
    @node(output_name="out")
    def f(a: int = 1) -> int:
        return a

    g = Graph([f])
    assert runner.run(g)["out"] == 1
    gb = g.bind(a=2)
    assert runner.run(gb)["out"] == 2
    assert runner.run(gb, a=3)["out"] == 3


def test_values_and_kwargs_are_merged(runner: Any) -> None:
    @node(output_name="s")
    def add(a: int, b: int) -> int:
        return a + b

    assert runner.run(Graph([add]), {"a": 1}, b=2)["s"] == 3


def test_duplicate_key_in_values_and_kwargs_is_value_error(runner: Any) -> None:
    @node(output_name="s")
    def add(a: int, b: int) -> int:
        return a + b

    with pytest.raises(ValueError, match="'a'"):
        runner.run(Graph([add]), {"a": 1, "b": 2}, a=1)


@pytest.mark.parametrize("key", ["on_internal_override", "_parent_span_id"])
def test_reserved_kwargs_are_value_error(runner: Any, key: str) -> None:
    g = Graph([double])
    with pytest.raises(ValueError, match=key):
        runner.run(g, x=1, **{key: 1})


def test_reserved_name_can_go_through_values(runner: Any) -> None:
    @node(output_name="out")
    def f(on_internal_override: int) -> int:
        return on_internal_override + 1

    assert runner.run(Graph([f]), {"on_internal_override": 1})["out"] == 2


def test_max_concurrency_kwarg_reserved_on_sync_runner() -> None:
    @node(output_name="out")
    def f(max_concurrency: int) -> int:
        return max_concurrency

    g = Graph([f])
    with pytest.raises(ValueError, match="max_concurrency"):
        SyncRunner().run(g, max_concurrency=3)
    assert SyncRunner().run(g, {"max_concurrency": 3})["out"] == 3


def test_max_concurrency_is_an_option_on_async_runner() -> None:
    r = asyncio.run(AsyncRunner().run(Graph([double]), x=2, max_concurrency=1))
    assert r["doubled"] == 4


def test_select_passed_to_run_is_value_error(runner: Any) -> None:
    with pytest.raises(ValueError, match="select"):
        runner.run(Graph([double, inc]), x=1, select=["doubled"])


def test_select_none_passed_explicitly_is_still_value_error(runner: Any) -> None:
    with pytest.raises(ValueError, match="select"):
        runner.run(Graph([double]), x=1, select=None)


def test_entrypoint_passed_to_run_is_value_error(runner: Any) -> None:
    with pytest.raises(ValueError, match="entrypoint"):
        runner.run(Graph([double, inc]), x=1, entrypoint="inc")


def test_bad_on_missing_is_value_error(runner: Any) -> None:
    with pytest.raises(ValueError, match="on_missing"):
        runner.run(Graph([double]), x=1, on_missing="explode")


@pytest.mark.parametrize("handling", ["ignore", "RAISE", ""])
def test_bad_error_handling_is_value_error(runner: Any, handling: str) -> None:
    with pytest.raises(ValueError, match="error_handling"):
        runner.run(Graph([double]), x=1, error_handling=handling)


def test_bad_option_checked_even_with_continue(runner: Any) -> None:
    with pytest.raises(ValueError, match="on_missing"):
        runner.run(Graph([double]), x=1, on_missing="nope", error_handling="continue")


def test_workflow_id_with_slash_is_value_error(runner: Any) -> None:
    with pytest.raises(ValueError, match="/"):
        runner.run(Graph([double]), x=1, workflow_id="a/b")


def test_checks_happen_before_any_node_runs(runner: Any) -> None:
    calls: list[int] = []

    @node(output_name="y")
    def f(x: int) -> int:
        calls.append(x)
        return x

    g = Graph([f])
    with pytest.raises(ValueError):
        runner.run(g, x=1, on_missing="bad")
    with pytest.raises(ValueError):
        runner.run(g, x=1, select=["y"])
    with pytest.raises(MissingInputError):
        runner.run(g)
    assert calls == []


def test_option_check_precedes_input_validation(runner: Any) -> None:
    # on_missing (step 3) is checked before missing inputs (step 6)
    with pytest.raises(ValueError, match="on_missing"):
        runner.run(Graph([double]), on_missing="bad")
    # select (step 5) is checked before missing inputs (step 6)
    with pytest.raises(ValueError, match="select"):
        runner.run(Graph([double]), select=["doubled"])


def test_providing_internal_value_is_value_error(runner: Any) -> None:
    g = Graph([double, inc])
    with pytest.raises(ValueError, match="doubled"):
        runner.run(g, x=1, doubled=5)


def test_providing_internal_value_message_names_producer(runner: Any) -> None:
    g = Graph([double, inc])
    with pytest.raises(ValueError) as ei:
        runner.run(g, x=1, doubled=5)
    assert "double" in str(ei.value)
    assert "entrypoint" in str(ei.value)


def test_providing_output_of_sliced_away_node_is_allowed(runner: Any) -> None:
    g = Graph([double, inc]).with_entrypoint("inc")
    r = runner.run(g, doubled=5)
    assert r["incremented"] == 6
    # a provided value that is a graph output is reported like any other output
    assert r["doubled"] == 5


def test_providing_leaf_output_is_value_error_free(runner: Any) -> None:
    # A leaf output is not carried on a data edge: it is accepted (with a warning,
    # since it is not an input) and then overwritten by the node.
    with pytest.warns(UserWarning, match="result"):
        r = runner.run(Graph([square]), incremented=2, result=100)
    assert r["result"] == 4


def test_unknown_input_is_user_warning(runner: Any) -> None:
    with pytest.warns(UserWarning, match="bogus"):
        r = runner.run(Graph([double]), x=1, bogus=3)
    assert r.completed
    assert r["doubled"] == 2


def test_no_warning_for_known_inputs(runner: Any) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        runner.run(Graph([double]), x=1)


def test_missing_input_error_sorted_and_message(runner: Any) -> None:
    @node(output_name="out")
    def f(zeta: int, alpha: int, mid: int) -> int:
        return zeta + alpha + mid

    with pytest.raises(MissingInputError) as ei:
        runner.run(Graph([f]), mid=1)
    err = ei.value
    assert err.missing == ["alpha", "zeta"]
    assert "Missing required inputs: 'alpha', 'zeta'" in str(err)
    assert "mid" in err.provided
    assert err.message == str(err)


def test_missing_input_did_you_mean_hint(runner: Any) -> None:
    @node(output_name="out")
    def f(temperature: float) -> float:
        return temperature

    with pytest.raises(MissingInputError) as ei, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        runner.run(Graph([f]), temprature=1.0)
    assert "temprature" in str(ei.value)
    assert "did you mean" in str(ei.value).lower()


def test_missing_input_raised_even_with_continue(runner: Any) -> None:
    with pytest.raises(MissingInputError):
        runner.run(Graph([double]), error_handling="continue")


def test_bound_input_counts_as_provided(runner: Any) -> None:
    r = runner.run(Graph([double]).bind(x=4))
    assert r["doubled"] == 8


# ---------------------------------------------------------------------------
# RunResult contents


def test_values_are_graph_outputs_in_output_order(runner: Any) -> None:
    g = Graph([square, inc, double])
    r = runner.run(g, x=1)
    assert list(r.values) == [o for o in g.outputs if o in r.values]
    assert set(r.values) == {"result", "incremented", "doubled"}


def test_values_exclude_plain_inputs(runner: Any) -> None:
    r = runner.run(Graph([double]), x=1)
    assert "x" not in r.values


def test_values_include_gate_decision_and_exclude_emit(runner: Any) -> None:
    @node(output_name="y", emit="done")
    def produce(x: int) -> int:
        return x

    @route(targets=["big", END])
    def decide(y: int) -> Any:
        return "big" if y > 5 else END

    @node(output_name="msg", wait_for="done")
    def big(y: int) -> str:
        return f"big {y}"

    g = Graph([produce, decide, big])
    r = runner.run(g, x=10)
    assert r["_decide"] == "big"
    assert r["msg"] == "big 10"
    assert "done" not in r.values
    assert "done" in g.outputs
    r2 = runner.run(g, x=1)
    assert r2["_decide"] is END
    assert "msg" not in r2


def test_values_with_select(runner: Any) -> None:
    g = Graph([double, inc, square]).select("incremented")
    r = runner.run(g, x=1)
    assert r.values == {"incremented": 3}


def test_select_narrows_scope_so_unneeded_nodes_do_not_run(runner: Any) -> None:
    calls: list[str] = []

    @node(output_name="a")
    def fa(x: int) -> int:
        calls.append("a")
        return x

    @node(output_name="b")
    def fb(x: int) -> int:
        calls.append("b")
        return x

    r = runner.run(Graph([fa, fb]).select("a"), x=1)
    assert r.values == {"a": 1}
    assert calls == ["a"]


def _gated_selection() -> Graph:
    @ifelse(when_true="yes", when_false="no")
    def check(x: int) -> bool:
        return x > 0

    @node(output_name="y_out")
    def yes(x: int) -> str:
        return "yes"

    @node(output_name="n_out")
    def no(x: int) -> str:
        return "no"

    return Graph([check, yes, no]).select("y_out", "n_out")


def test_select_on_missing_ignore(runner: Any) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r = runner.run(_gated_selection(), x=1)
    assert r.completed
    assert r.values == {"y_out": "yes"}


def test_select_on_missing_warn(runner: Any) -> None:
    with pytest.warns(UserWarning, match="n_out"):
        r = runner.run(_gated_selection(), x=1, on_missing="warn")
    assert r.completed
    assert r.values == {"y_out": "yes"}


def test_select_on_missing_error_raises(runner: Any) -> None:
    with pytest.raises(ValueError, match="n_out"):
        runner.run(_gated_selection(), x=1, on_missing="error")


def test_select_on_missing_error_fails_run_under_continue(runner: Any) -> None:
    r = runner.run(_gated_selection(), x=1, on_missing="error", error_handling="continue")
    assert r.status is RunStatus.FAILED
    assert isinstance(r.error, ValueError)
    assert "n_out" in str(r.error)


def test_select_on_missing_error_not_triggered_when_all_present(runner: Any) -> None:
    g = Graph([double, inc]).select("doubled", "incremented")
    r = runner.run(g, x=1, on_missing="error")
    assert r.values == {"doubled": 2, "incremented": 3}


# ---------------------------------------------------------------------------
# RunResult API


def test_run_result_access(runner: Any) -> None:
    r = runner.run(Graph([double]), x=5)
    assert isinstance(r, RunResult)
    assert r["doubled"] == 10
    assert "doubled" in r
    assert "x" not in r
    assert r.get("doubled") == 10
    assert r.get("nope") is None
    assert r.get("nope", 7) == 7
    with pytest.raises(KeyError):
        r["nope"]


def test_run_result_status_flags(runner: Any) -> None:
    r = runner.run(Graph([double]), x=5)
    assert (r.completed, r.failed, r.paused) == (True, False, False)
    assert r.status == "completed"
    assert r.error is None and r.pause is None

    @node(output_name="y")
    def boom(x: int) -> int:
        raise RuntimeError("kaput")

    rf = runner.run(Graph([boom]), x=1, error_handling="continue")
    assert (rf.completed, rf.failed, rf.paused) == (False, True, False)
    assert rf.status is RunStatus.FAILED


def test_run_id_format(runner: Any) -> None:
    r1 = runner.run(Graph([double]), x=1)
    r2 = runner.run(Graph([double]), x=1)
    for r in (r1, r2):
        assert r.run_id.startswith("run-")
        hexpart = r.run_id[len("run-"):]
        assert len(hexpart) == 12
        int(hexpart, 16)
    assert r1.run_id != r2.run_id
    assert r1.workflow_id is None


def test_run_status_enum_values() -> None:
    assert RunStatus.COMPLETED.value == "completed"
    assert RunStatus.FAILED.value == "failed"
    assert RunStatus.PAUSED.value == "paused"
    assert RunStatus.PARTIAL.value == "partial"


def test_run_result_defaults() -> None:
    r = RunResult({"a": 1}, RunStatus.COMPLETED)
    assert r.run_id.startswith("run-") and len(r.run_id) == 16
    assert r.workflow_id is None and r.error is None and r.pause is None and r.log is None


def test_summary_uses_log(runner: Any) -> None:
    r = runner.run(Graph([double, inc]), x=1)
    assert r.log is not None
    assert r.summary() == r.log.summary()
    assert r.summary().startswith("2 nodes | ")
    assert "0 errors" in r.summary()


def test_summary_without_log() -> None:
    r = RunResult({}, RunStatus.FAILED, error=ValueError("bad thing"))
    assert r.summary() == "failed: ValueError: bad thing"
    assert RunResult({}, RunStatus.COMPLETED).summary() == "completed"
    assert RunResult({}, RunStatus.PAUSED).summary() == "paused"


def test_to_dict_completed(runner: Any) -> None:
    r = runner.run(Graph([double]), x=12345)
    d = r.to_dict()
    assert d["status"] == "completed"
    assert d["run_id"] == r.run_id
    assert d["workflow_id"] is None
    assert "log" in d
    assert "error" not in d
    assert "values" not in d
    # raw values are never included
    assert "24690" not in json.dumps(d)


def test_to_dict_failed_has_error_text(runner: Any) -> None:
    @node(output_name="y")
    def boom(x: int) -> int:
        raise KeyError("nope")

    r = runner.run(Graph([boom]), x=1, error_handling="continue")
    d = r.to_dict()
    assert d["status"] == "failed"
    assert d["error"] == "KeyError: 'nope'"
    json.dumps(d)


def test_to_dict_without_log() -> None:
    d = RunResult({"secret": 1}, RunStatus.COMPLETED, run_id="run-x").to_dict()
    assert d == {"status": "completed", "run_id": "run-x", "workflow_id": None}


def test_repr_basic() -> None:
    r = RunResult({"a": 1, "s": "hi"}, RunStatus.COMPLETED, run_id="run-abc")
    text = repr(r)
    assert text.startswith("RunResult(status=completed, values={")
    assert "'a': 1" in text
    assert "'s': 'hi'" in text
    assert "run_id='run-abc'" in text
    assert "workflow_id=None" in text
    assert "error=None" in text
    assert "pause=None" in text


def test_repr_compacts_long_string() -> None:
    long = "x" * 5000
    text = repr(RunResult({"s": long}, RunStatus.COMPLETED))
    assert "(len=5000)" in text
    assert len(text) < 1000


def test_repr_previews_long_sequence() -> None:
    text = repr(RunResult({"nums": list(range(1000))}, RunStatus.COMPLETED))
    assert "[0, 1, " in text
    assert "999" not in text
    assert "..." in text


def test_repr_total_capped() -> None:
    values = {f"key_{i}": "y" * 70 for i in range(500)}
    text = repr(RunResult(values, RunStatus.COMPLETED))
    assert len(text) <= 4000
    assert text.startswith("RunResult(status=completed")


def test_repr_failed_shows_error() -> None:
    text = repr(RunResult({}, RunStatus.FAILED, error=ValueError("x")))
    assert "status=failed" in text
    assert "ValueError" in text


def test_run_log_attached(runner: Any) -> None:
    r = runner.run(Graph([double, inc]), x=1)
    assert isinstance(r.log, RunLog)
    assert r.log.run_id == r.run_id
    assert [s.node_name for s in r.log.steps] == ["double", "inc"]


# ---------------------------------------------------------------------------
# structural checks and their order


class _CustomNode(HyperNode):
    """A HyperNode subclass no runner knows how to execute."""

    def __init__(self) -> None:
        self.name = "custom"
        self.inputs = ("x",)
        self.outputs = ("y",)
        self.data_outputs = ("y",)
        self.wait_for = ()

    @property
    def definition_hash(self) -> str:
        return "0" * 64

    @property
    def node_type(self) -> Any:
        return "FUNCTION"

    def with_name(self, name: str) -> Any:
        return self

    def with_inputs(self, mapping: Any = None, /, **kwargs: str) -> Any:
        return self

    def with_outputs(self, mapping: Any = None, /, **kwargs: str) -> Any:
        return self


def test_unknown_node_type_is_type_error_before_running(runner: Any) -> None:
    calls: list[int] = []

    @node(output_name="a")
    def first(x: int) -> int:
        calls.append(x)
        return x

    g = Graph([first, _CustomNode()])
    with pytest.raises(TypeError, match="custom"):
        runner.run(g, x=1, error_handling="continue")
    # check 2 (node type) comes before check 3 (options)
    with pytest.raises(TypeError, match="custom"):
        runner.run(g, x=1, on_missing="bad")
    assert calls == []


def test_incompatible_runner_checked_before_options() -> None:
    @node(output_name="z")
    async def anode(x: int) -> int:
        return x

    with pytest.raises(IncompatibleRunnerError):
        SyncRunner().run(Graph([anode]), x=1, on_missing="bad")
    with pytest.raises(IncompatibleRunnerError):
        SyncRunner().run(Graph([anode]), x=1, select=["z"])


def test_sync_map_max_concurrency_is_reserved() -> None:
    with pytest.raises(ValueError, match="max_concurrency"):
        SyncRunner().map(Graph([double]), x=[1], map_over="x", max_concurrency=2)


def test_map_rejects_graph_with_interrupt() -> None:
    @interrupt(output_name="answer")
    def ask(question: str) -> str | None:
        return None

    with pytest.raises(IncompatibleRunnerError) as ei:
        asyncio.run(AsyncRunner().map(Graph([ask]), question=["q"], map_over="question"))
    assert ei.value.capability == "supports_interrupts"


def test_sync_runner_rejects_interrupts() -> None:
    @interrupt(output_name="answer")
    def ask(question: str) -> str | None:
        return "auto"

    with pytest.raises(IncompatibleRunnerError) as ei:
        SyncRunner().run(Graph([ask]), question="q")
    assert ei.value.capability == "supports_interrupts"
