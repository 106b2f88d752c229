"""Spec 04: interrupts inside nested graphs: pause propagation, dotted resume keys, depth."""

from __future__ import annotations

import asyncio
import warnings
from typing import Any

import pytest

from hypergraph_typed import END, AsyncRunner, Graph, interrupt, node, route


def run(graph: Graph, values: dict[str, Any] | None = None, **kwargs: Any) -> Any:
    return asyncio.run(AsyncRunner().run(graph, values, **kwargs))


@interrupt(output_name="y")
def approval(x: int) -> int | None:
    return None


@node(output_name="x")
def produce(a: int) -> int:
    return a + 1


@node(output_name="z")
def consume(y: int) -> int:
    return y * 10


INNER = Graph([approval], name="inner")


def test_pause_propagates_with_prefixed_node_name() -> None:
    outer = Graph([produce, INNER.as_node(), consume])
    r = run(outer, {"a": 1})
    assert r.paused
    assert r.pause.node_name == "inner/approval"
    assert r.pause.output_param == "y"
    assert r.pause.response_key == "inner.y"
    assert r.pause.response_keys == {"y": "inner.y"}
    assert r.pause.value == 2
    assert r.values == {"x": 2}


def test_resume_with_dotted_key() -> None:
    outer = Graph([produce, INNER.as_node(), consume])
    r = run(outer, {"a": 1, "inner.y": 7})
    assert r.completed
    assert r.values == {"x": 2, "y": 7, "z": 70}


def test_dotted_key_is_accepted_without_warning() -> None:
    outer = Graph([produce, INNER.as_node(), consume])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        run(outer, {"a": 1, "inner.y": 7})


def test_nested_log_names_pause_by_path() -> None:
    outer = Graph([produce, INNER.as_node(), consume])
    r = run(outer, {"a": 1})
    last = r.log.steps[-1]
    assert (last.node_name, last.status) == ("inner/approval", "paused")
    assert last.log is not None and last.log.steps[0].status == "paused"
    r = run(outer, {"a": 1, "inner.y": 7})
    inner_step = next(s for s in r.log.steps if s.node_name == "inner")
    assert inner_step.log.steps[0].node_name == "approval"
    assert inner_step.log.steps[0].status == "completed"


def test_renamed_output_changes_resume_key() -> None:
    outer = Graph([produce, INNER.as_node().with_outputs(y="verdict")])
    r = run(outer, {"a": 1})
    assert r.pause.output_param == "verdict"
    assert r.pause.response_key == "inner.verdict"
    r = run(outer, {"a": 1, "inner.verdict": 3})
    assert r.completed and r.values == {"x": 2, "verdict": 3}


def test_renamed_graph_node() -> None:
    outer = Graph([produce, INNER.as_node(name="review")])
    r = run(outer, {"a": 1})
    assert r.pause.node_name == "review/approval"
    assert r.pause.response_key == "review.y"
    assert run(outer, {"a": 1, "review.y": 5})["y"] == 5


@pytest.mark.parametrize("depth", [2, 3, 4])
def test_any_depth(depth: int) -> None:
    g = INNER
    names = ["inner"]
    for level in range(1, depth):
        name = f"level{level}"
        g = Graph([g.as_node()], name=name)
        names.insert(0, name)
    top = Graph([produce, g.as_node()])
    r = run(top, {"a": 1})
    assert r.pause.node_name == "/".join([*names, "approval"])
    assert r.pause.response_key == ".".join([*names, "y"])
    r = run(top, {"a": 1, r.pause.response_key: 9})
    assert r.completed and r["y"] == 9


def test_depth_two_with_renames_at_each_boundary() -> None:
    mid = Graph([INNER.as_node().with_outputs(y="decision")], name="mid")
    top = Graph([produce, mid.as_node().with_outputs(decision="final")])
    r = run(top, {"a": 1})
    assert r.pause.node_name == "mid/inner/approval"
    assert r.pause.response_key == "mid.inner.decision"
    r = run(top, {"a": 1, "mid.inner.decision": 4})
    assert r.completed and r["final"] == 4


def test_multi_output_nested_response_keys() -> None:
    @interrupt(output_name=("p", "q"))
    def ask(x: int) -> Any:
        return None

    outer = Graph([produce, Graph([ask], name="form").as_node()])
    r = run(outer, {"a": 1})
    assert r.pause.output_params == ("p", "q")
    assert r.pause.response_keys == {"p": "form.p", "q": "form.q"}
    assert run(outer, {"a": 1, "form.p": 1}).paused
    r = run(outer, {"a": 1, "form.p": 1, "form.q": 2})
    assert r.completed and (r["p"], r["q"]) == (1, 2)


def test_inner_handler_auto_resolves() -> None:
    @interrupt(output_name="y")
    def auto(x: int) -> int:
        return x * 2

    outer = Graph([produce, Graph([auto], name="inner").as_node(), consume])
    assert run(outer, {"a": 1}).values == {"x": 2, "y": 4, "z": 40}


def test_inner_handler_error_fails_outer_run() -> None:
    @interrupt(output_name="y")
    def n(x: int) -> int:
        raise ValueError("broken")

    outer = Graph([produce, Graph([n], name="inner").as_node()])
    with pytest.raises(RuntimeError, match="Handler for InterruptNode 'n' failed: ValueError: broken"):
        run(outer, {"a": 1})


def test_nested_pause_alongside_other_ready_nodes() -> None:
    @node(output_name="side")
    def side(x: int) -> int:
        return -x

    g = Graph([INNER.as_node(), side])
    r = run(g, {"x": 1})
    assert r.paused and r.pause.node_name == "inner/approval"
    assert r.values == {"side": -1}
    r = run(g, {"x": 1, "inner.y": 3})
    assert r.completed and r.values == {"y": 3, "side": -1}


def test_unknown_nested_key_warns_and_lists_known_keys() -> None:
    outer = Graph([produce, INNER.as_node()])
    with pytest.warns(UserWarning, match=r"inner\.y"):
        r = run(outer, {"a": 1, "inner.nope": 1})
    assert r.paused


def test_nested_interrupt_in_cycle_asks_again() -> None:
    @node(output_name="count")
    def counter(count: int, y: int) -> int:
        return count + 1

    @route(targets=["mkx", END])
    def again(count: int) -> Any:
        return END if count >= 3 else "mkx"

    @node(output_name="x")
    def mkx(count: int) -> int:
        return count * 10

    g = Graph([mkx, INNER.as_node(), counter, again], entrypoint="mkx")
    r = run(g, {"count": 0})
    assert r.pause.node_name == "inner/approval" and r.pause.value == 0
    # the answer serves the first visit; the loop comes back and the inner graph asks again
    r = run(g, {"count": 0, "inner.y": 1})
    assert r.paused and r.pause.value == 10
    assert r.values["count"] == 1
    assert [s.node_name for s in r.log.steps] == [
        "mkx", "inner", "counter", "again", "mkx", "inner/approval",
    ]
    # resuming from a later state: the loop ends after the answered visit
    r = run(g, {"count": 2, "inner.y": 1})
    assert r.completed and r["count"] == 3
