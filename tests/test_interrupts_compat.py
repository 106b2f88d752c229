"""Runner compatibility: only AsyncRunner.run supports interrupts, at every nesting depth."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from hypergraph_typed import (
    AsyncRunner,
    Graph,
    GraphConfigError,
    IncompatibleRunnerError,
    SyncRunner,
    interrupt,
    node,
)

CALLS: list[str] = []


@node(output_name="x")
def prepare(a: int) -> int:
    CALLS.append("prepare")
    return a


@interrupt(output_name="y")
def approval(x: int) -> int | None:
    return None


def nest(depth: int) -> tuple[Graph, str]:
    """A graph with the interrupt ``depth`` levels down (0 = top level) and its path."""
    g = Graph([prepare, approval], name="level0")
    path = "approval"
    for level in range(1, depth + 1):
        g = Graph([g.as_node()], name=f"level{level}")
        path = f"level{level - 1}/{path}"
    return g, path


DEPTHS = [0, 1, 2, 3]


@pytest.fixture(autouse=True)
def _clear() -> None:
    CALLS.clear()


@pytest.mark.parametrize("depth", DEPTHS)
@pytest.mark.parametrize("error_handling", ["raise", "continue"])
def test_sync_runner_rejects_interrupts_at_any_depth(depth: int, error_handling: Any) -> None:
    g, path = nest(depth)
    with pytest.raises(IncompatibleRunnerError) as ei:
        SyncRunner().run(g, {"a": 1}, error_handling=error_handling)
    assert ei.value.capability == "supports_interrupts"
    assert ei.value.node_name == path
    assert "AsyncRunner" in str(ei.value) and path in str(ei.value)
    assert CALLS == []  # rejected before any node ran


def test_sync_runner_capabilities() -> None:
    assert SyncRunner().capabilities.supports_interrupts is False


@pytest.mark.parametrize("depth", DEPTHS)
def test_sync_map_rejects_interrupts(depth: int) -> None:
    g, _ = nest(depth)
    with pytest.raises(IncompatibleRunnerError):
        SyncRunner().map(g, {"a": [1, 2]}, map_over="a")
    assert CALLS == []


@pytest.mark.parametrize("depth", DEPTHS)
def test_async_map_rejects_interrupts(depth: int) -> None:
    g, path = nest(depth)
    with pytest.raises(IncompatibleRunnerError) as ei:
        asyncio.run(AsyncRunner().map(g, {"a": [1, 2]}, map_over="a"))
    assert ei.value.capability == "supports_interrupts"
    assert ei.value.node_name == path
    assert "map()" in str(ei.value)
    assert CALLS == []


@pytest.mark.parametrize("depth", DEPTHS)
def test_async_map_rejects_even_with_handlers_that_resolve(depth: int) -> None:
    @interrupt(output_name="y")
    def auto(x: int) -> int:
        return x

    g = Graph([prepare, auto], name="auto_graph")
    for level in range(depth):
        g = Graph([g.as_node()], name=f"wrap{level}")
    with pytest.raises(IncompatibleRunnerError):
        asyncio.run(AsyncRunner().map(g, {"a": [1]}, map_over="a"))


@pytest.mark.parametrize("depth", DEPTHS)
def test_map_over_rejected_when_outer_graph_is_built(depth: int) -> None:
    g, path = nest(depth)
    gn = g.as_node().map_over("a")  # declaring is fine; building the graph is not
    with pytest.raises(GraphConfigError) as ei:
        Graph([gn])
    msg = str(ei.value)
    assert "map_over" in msg and path in msg and "level" in msg


def test_async_run_supports_every_depth() -> None:
    for depth in DEPTHS:
        g, path = nest(depth)
        r = asyncio.run(AsyncRunner().run(g, {"a": 1}))
        assert r.paused and r.pause.node_name == path
        r = asyncio.run(AsyncRunner().run(g, {"a": 1, r.pause.response_key: 5}))
        assert r.completed and r["y"] == 5


def test_map_without_interrupts_still_works() -> None:
    g = Graph([prepare])
    assert asyncio.run(AsyncRunner().map(g, {"a": [1, 2]}, map_over="a"))["x"] == [1, 2]


def test_plan_marks_interrupt_slots() -> None:
    g, _ = nest(0)
    plan = g.compile()
    assert plan.answer_slots == {"y": plan.slot_index["y"]}
    interrupt_plan = next(n for n in plan.nodes if n.kind_name == "interrupt")
    assert interrupt_plan.out_slots == (plan.slot_index["y"],)
    assert plan.first_interrupt == "approval"
    assert g.compile() is plan  # compiled once; resuming reuses it


def test_plan_maps_nested_resume_keys() -> None:
    inner = Graph([approval], name="inner")
    mid = Graph([inner.as_node().with_outputs(y="verdict")], name="mid")
    top = Graph([prepare, mid.as_node()])
    plan = top.compile()
    assert plan.nested_resume == {"mid.inner.verdict": ("mid", "inner.verdict")}
    assert mid.compile().nested_resume == {"inner.verdict": ("inner", "y")}
    assert plan.first_interrupt == "mid/inner/approval"
    assert "mid.inner.verdict" in plan.resume_keys
