"""Spec 03: async nodes, concurrency within a superstep, max_concurrency, capabilities."""

from __future__ import annotations

import asyncio
import inspect
from typing import Any

import pytest

from hypergraph_typed import (
    AsyncRunner,
    BaseRunner,
    Graph,
    IncompatibleRunnerError,
    SyncRunner,
    node,
    route,
)
from hypergraph_typed.runners import RunnerCapabilities


class Gauge:
    """Counts how many calls are inside a section at once."""

    def __init__(self) -> None:
        self.active = 0
        self.peak = 0
        self.events: list[tuple[str, str]] = []

    async def section(self, name: str, pauses: int = 3) -> None:
        self.active += 1
        self.peak = max(self.peak, self.active)
        self.events.append(("start", name))
        for _ in range(pauses):
            await asyncio.sleep(0.001)
        self.events.append(("end", name))
        self.active -= 1


def _parallel_graph(gauge: Gauge, width: int) -> Graph:
    def make(i: int) -> Any:
        async def work(x: int) -> int:
            await gauge.section(f"n{i}")
            return x + i

        return node(work, output_name=f"out{i}").with_name(f"n{i}")

    return Graph([make(i) for i in range(width)])


# ---------------------------------------------------------------------------
# async nodes


def test_async_node_result() -> None:
    @node(output_name="y")
    async def slow_double(x: int) -> int:
        await asyncio.sleep(0)
        return x * 2

    @node(output_name="z")
    def plus_one(y: int) -> int:
        return y + 1

    r = asyncio.run(AsyncRunner().run(Graph([slow_double, plus_one]), x=4))
    assert r.values == {"y": 8, "z": 9}


def test_async_runner_run_and_map_are_coroutines() -> None:
    @node(output_name="y")
    def f(x: int) -> int:
        return x

    g = Graph([f])
    runner = AsyncRunner()
    coro = runner.run(g, x=1)
    assert inspect.iscoroutine(coro)
    assert asyncio.run(coro)["y"] == 1
    coro2 = runner.map(g, x=[1, 2], map_over="x")
    assert inspect.iscoroutine(coro2)
    assert asyncio.run(coro2)["y"] == [1, 2]


def test_async_runner_mixes_sync_and_async_nodes_in_one_superstep() -> None:
    @node(output_name="a")
    async def fa(x: int) -> int:
        await asyncio.sleep(0)
        return x + 1

    @node(output_name="b")
    def fb(x: int) -> int:
        return x + 2

    @node(output_name="c")
    def fc(a: int, b: int) -> int:
        return a * b

    r = asyncio.run(AsyncRunner().run(Graph([fa, fb, fc]), x=1))
    assert r["c"] == 2 * 3


def test_async_tuple_outputs() -> None:
    @node(output_name=("lo", "hi"))
    async def bounds(xs: list[int]) -> tuple[int, int]:
        return min(xs), max(xs)

    r = asyncio.run(AsyncRunner().run(Graph([bounds]), xs=[3, 1, 2]))
    assert (r["lo"], r["hi"]) == (1, 3)


def test_async_node_exception_original_reraised() -> None:
    err = LookupError("async boom")

    @node(output_name="y")
    async def fail(x: int) -> int:
        await asyncio.sleep(0)
        raise err

    with pytest.raises(LookupError) as ei:
        asyncio.run(AsyncRunner().run(Graph([fail]), x=1))
    assert ei.value is err


def test_gate_after_async_node_on_async_runner() -> None:
    @node(output_name="score")
    async def score(x: int) -> int:
        return x * 10

    @route(targets=["hi", "lo"])
    def pick(score: int) -> str:
        return "hi" if score > 50 else "lo"

    @node(output_name="res")
    async def hi(score: int) -> str:
        return "hi"

    @node(output_name="res2")
    async def lo(score: int) -> str:
        return "lo"

    r = asyncio.run(AsyncRunner().run(Graph([score, pick, hi, lo]), x=9))
    assert r.values == {"score": 90, "_pick": "hi", "res": "hi"}


# ---------------------------------------------------------------------------
# concurrency


def test_nodes_in_one_superstep_overlap() -> None:
    gauge = Gauge()
    r = asyncio.run(AsyncRunner().run(_parallel_graph(gauge, 2), x=0))
    assert r.values == {"out0": 0, "out1": 1}
    assert gauge.peak == 2
    # both started before either finished
    kinds = [k for k, _ in gauge.events]
    assert kinds[:2] == ["start", "start"]


def test_mutual_handshake_proves_concurrency() -> None:
    """Each node waits for the other to have started: only possible if they overlap."""

    async def scenario() -> Any:
        a_started = asyncio.Event()
        b_started = asyncio.Event()

        @node(output_name="a")
        async def fa(x: int) -> str:
            a_started.set()
            await b_started.wait()
            return "a"

        @node(output_name="b")
        async def fb(x: int) -> str:
            b_started.set()
            await a_started.wait()
            return "b"

        return await asyncio.wait_for(AsyncRunner().run(Graph([fa, fb]), x=0), 30)

    r = asyncio.run(scenario())
    assert r.values == {"a": "a", "b": "b"}


def test_results_from_one_superstep_recorded_in_same_superstep() -> None:
    gauge = Gauge()
    r = asyncio.run(AsyncRunner().run(_parallel_graph(gauge, 3), x=0))
    assert {s.superstep for s in r.log.steps} == {0}
    assert [s.node_name for s in r.log.steps] == ["n0", "n1", "n2"]


def test_sync_runner_does_not_overlap_calls() -> None:
    active = 0
    peak = 0

    def make(i: int) -> Any:
        def work(x: int) -> int:
            nonlocal active, peak
            active += 1
            peak = max(peak, active)
            active -= 1
            return x

        return node(work, output_name=f"o{i}").with_name(f"w{i}")

    SyncRunner().run(Graph([make(i) for i in range(3)]), x=1)
    assert peak == 1


@pytest.mark.parametrize(("limit", "expected_peak"), [(1, 1), (2, 2), (None, 5)])
def test_max_concurrency_caps_concurrent_calls(limit: int | None, expected_peak: int) -> None:
    gauge = Gauge()
    r = asyncio.run(AsyncRunner().run(_parallel_graph(gauge, 5), x=0, max_concurrency=limit))
    assert r.completed
    assert len(r.values) == 5
    assert gauge.peak == expected_peak


def test_max_concurrency_shared_by_map_items() -> None:
    gauge = Gauge()

    @node(output_name="y")
    async def work(x: int) -> int:
        await gauge.section(str(x))
        return x * 2

    res = asyncio.run(
        AsyncRunner().map(Graph([work]), x=list(range(6)), map_over="x", max_concurrency=2)
    )
    assert res["y"] == [0, 2, 4, 6, 8, 10]
    assert gauge.peak == 2


def test_map_items_run_concurrently_without_limit() -> None:
    gauge = Gauge()

    @node(output_name="y")
    async def work(x: int) -> int:
        await gauge.section(str(x))
        return x

    res = asyncio.run(AsyncRunner().map(Graph([work]), x=[1, 2, 3, 4], map_over="x"))
    assert res["y"] == [1, 2, 3, 4]
    assert gauge.peak == 4


def test_max_concurrency_shared_by_nested_graphs() -> None:
    gauge = Gauge()

    def inner(name: str) -> Graph:
        async def work(x: int) -> int:
            await gauge.section(name)
            return x

        async def work2(x: int) -> int:
            await gauge.section(name + "2")
            return x

        return Graph(
            [
                node(work, output_name="y").with_name("w1"),
                node(work2, output_name="y2").with_name("w2"),
            ],
            name=name,
        )

    left = inner("left").as_node().with_outputs(y="ly", y2="ly2")
    right = inner("right").as_node().with_outputs(y="ry", y2="ry2")
    g = Graph([left, right])
    r = asyncio.run(AsyncRunner().run(g, x=1, max_concurrency=1))
    assert r.values == {"ly": 1, "ly2": 1, "ry": 1, "ry2": 1}
    assert gauge.peak == 1

    gauge.peak = 0
    asyncio.run(AsyncRunner().run(g, x=1))
    assert gauge.peak == 4


def test_max_concurrency_invalid_value() -> None:
    @node(output_name="y")
    def f(x: int) -> int:
        return x

    with pytest.raises(ValueError, match="max_concurrency"):
        asyncio.run(AsyncRunner().run(Graph([f]), x=1, max_concurrency=0))


def test_max_concurrency_map_over_10000_items_needs_limit() -> None:
    @node(output_name="y")
    def f(x: int) -> int:
        return x

    with pytest.raises(ValueError, match="max_concurrency"):
        asyncio.run(AsyncRunner().map(Graph([f]), x=list(range(10_001)), map_over="x"))


# ---------------------------------------------------------------------------
# SyncRunner with async nodes


def test_sync_runner_rejects_async_node_before_running_anything() -> None:
    calls: list[str] = []

    @node(output_name="a")
    def first(x: int) -> int:
        calls.append("first")
        return x

    @node(output_name="b")
    async def second(a: int) -> int:
        return a

    @node(output_name="c")
    async def third(b: int) -> int:
        return b

    with pytest.raises(IncompatibleRunnerError) as ei:
        SyncRunner().run(Graph([first, second, third]), x=1)
    assert ei.value.capability == "supports_async_nodes"
    assert ei.value.node_name == "second"
    assert "second" in str(ei.value)
    assert calls == []


def test_sync_runner_rejects_async_node_regardless_of_error_handling() -> None:
    @node(output_name="b")
    async def anode(x: int) -> int:
        return x

    with pytest.raises(IncompatibleRunnerError):
        SyncRunner().run(Graph([anode]), x=1, error_handling="continue")


def test_sync_runner_rejects_async_generator() -> None:
    @node(output_name="items")
    async def agen(x: int) -> Any:
        yield x

    with pytest.raises(IncompatibleRunnerError) as ei:
        SyncRunner().run(Graph([agen]), x=1)
    assert ei.value.node_name == "agen"
    assert ei.value.capability == "supports_async_nodes"


def test_sync_runner_map_rejects_async_node() -> None:
    @node(output_name="b")
    async def anode(x: int) -> int:
        return x

    with pytest.raises(IncompatibleRunnerError) as ei:
        SyncRunner().map(Graph([anode]), x=[1, 2], map_over="x")
    assert ei.value.capability == "supports_async_nodes"


def test_sync_runner_rejects_graph_node_with_async_inner_before_running() -> None:
    """A GraphNode counts as async when its inner graph is async (checked up front)."""
    calls: list[str] = []

    @node(output_name="a")
    def first(x: int) -> int:
        calls.append("first")
        return x

    @node(output_name="b")
    async def inner_async(a: int) -> int:
        return a

    inner = Graph([inner_async], name="inner")
    g = Graph([first, inner.as_node()])
    assert g.has_async_nodes
    with pytest.raises(IncompatibleRunnerError) as ei:
        SyncRunner().run(g, x=1, error_handling="continue")
    assert ei.value.capability == "supports_async_nodes"
    assert ei.value.node_name == "inner"
    assert calls == []


def test_async_runner_runs_graph_node_with_async_inner() -> None:
    @node(output_name="b")
    async def inner_async(a: int) -> int:
        await asyncio.sleep(0)
        return a + 1

    g = Graph([Graph([inner_async], name="inner").as_node()])
    assert asyncio.run(AsyncRunner().run(g, a=1))["b"] == 2


# ---------------------------------------------------------------------------
# capabilities


def test_sync_runner_capabilities() -> None:
    caps = SyncRunner().capabilities
    assert isinstance(caps, RunnerCapabilities)
    assert caps == RunnerCapabilities(
        supports_cycles=True,
        supports_async_nodes=False,
        supports_streaming=False,
        returns_coroutine=False,
        supports_interrupts=False,
        supports_checkpointing=False,
    )


def test_async_runner_capabilities() -> None:
    caps = AsyncRunner().capabilities
    assert caps.supports_cycles is True
    assert caps.supports_async_nodes is True
    assert caps.returns_coroutine is True
    assert caps.supports_interrupts is True
    assert caps.supports_streaming is False
    assert caps.supports_checkpointing is False


def test_capabilities_defaults() -> None:
    caps = RunnerCapabilities()
    assert caps.supports_cycles is True
    assert not (
        caps.supports_async_nodes
        or caps.returns_coroutine
        or caps.supports_interrupts
        or caps.supports_streaming
        or caps.supports_checkpointing
    )


def test_runners_derive_from_abstract_base() -> None:
    assert isinstance(SyncRunner(), BaseRunner)
    assert isinstance(AsyncRunner(), BaseRunner)
    with pytest.raises(TypeError):
        BaseRunner()  # type: ignore[abstract]
