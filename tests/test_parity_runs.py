"""Runs and checkpoints behave as in hypergraph: ids, child runs, forks from checkpoints,
failed runs resumed downstream, store checks, lazy SQLite initialization, emit versions."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import Any

import pytest

from hypergraph_typed import END, AsyncRunner, Graph, SyncRunner, interrupt, node, route
from hypergraph_typed.checkpointers import MemoryCheckpointer, SqliteCheckpointer, StepStatus
from hypergraph_typed.exceptions import MissingInputError


@node(output_name="y")
def add_one(x: int) -> int:
    return x + 1


def test_run_result_carries_the_given_workflow_id_without_a_checkpointer() -> None:
    assert SyncRunner().run(Graph([add_one]), {"x": 1}, workflow_id="mine").workflow_id == "mine"
    result = asyncio.run(AsyncRunner().run(Graph([add_one]), {"x": 1}, workflow_id="also"))
    assert result.workflow_id == "also"
    assert SyncRunner().run(Graph([add_one]), {"x": 1}).workflow_id is None


# -- child runs --------------------------------------------------------------------------------


@node(output_name="z")
def double(y: int) -> int:
    return y * 2


@node(output_name="y")
def bump(z: int) -> int:
    return z + 1


@route(targets=["inner", END])
def again(y: int) -> object:
    return END if y >= 20 else "inner"


def test_a_nested_graph_in_a_cycle_numbers_its_child_runs() -> None:
    store = MemoryCheckpointer()
    graph = Graph([Graph([double], name="inner").as_node(), bump, again], name="outer",
                  entrypoint="inner")
    result = SyncRunner(checkpointer=store).run(graph, {"y": 1}, workflow_id="W")
    assert result.values["y"] == 31  # 1 -> 3 -> 7 -> 15 -> 31
    children = [r.id for r in sorted(store.runs(parent_run_id="W"), key=lambda r: r.created_at)]
    assert children == ["W/inner", "W/inner/2", "W/inner/3", "W/inner/4"]
    assert [s.child_run_id for s in store.steps("W") if s.node_name == "inner"] == children


@node(output_name="y")
def square_item(x: int) -> int:
    return x * x


@node(output_name="x")
def grow(y: list[int]) -> list[int]:
    return [v + 1 for v in y]


@route(targets=["sq", END])
def until_large(x: list[int]) -> object:
    return END if x[0] > 20 else "sq"


def test_a_mapped_nested_graph_in_a_cycle_never_reuses_an_item_id(tmp_path: Path) -> None:
    """The second visit of a map_over node is "W/sq#2": "W/sq/2" is item 2 of the first."""
    store = SqliteCheckpointer(tmp_path / "m.db")
    mapped = Graph([square_item], name="sq").as_node().map_over("x")
    graph = Graph([mapped, grow, until_large], name="outer", entrypoint="sq")
    result = SyncRunner(checkpointer=store).run(graph, {"x": [1, 2, 3]}, workflow_id="W")
    assert result["y"] == SyncRunner().run(graph, {"x": [1, 2, 3]})["y"] == [25, 676, 10201]
    visits = [r.id for r in sorted(store.runs(parent_run_id="W"), key=lambda r: r.created_at)]
    assert visits == ["W/sq", "W/sq#2", "W/sq#3"]
    assert [s.child_run_id for s in store.steps("W") if s.node_name == "sq"] == visits
    for visit, first in zip(visits, [1, 2, 5]):
        items = {r.id: r for r in store.runs(parent_run_id=visit)}
        assert sorted(items) == [f"{visit}/{i}" for i in range(3)]
        assert store.state(f"{visit}/0")["y"] == first * first


@node(output_name="squared")
def square(v: int) -> int:
    return v * v


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_map_over_in_a_checkpointed_run_makes_child_runs_per_item(kind: str) -> None:
    store = MemoryCheckpointer()
    graph = Graph([Graph([square], name="mapper").as_node(name="each").map_over("v")])
    runner: Any = SyncRunner(checkpointer=store) if kind == "sync" else AsyncRunner(
        checkpointer=store)
    call = runner.run(graph, {"v": [1, 2, 3]}, workflow_id="M")
    result = asyncio.run(call) if asyncio.iscoroutine(call) else call
    assert result.values == {"squared": [1, 4, 9]}
    runs = {r.id: r for r in store.runs(limit=None)}
    assert sorted(runs) == ["M", "M/each", "M/each/0", "M/each/1", "M/each/2"]
    assert runs["M/each"].parent_run_id == "M"
    assert {runs[f"M/each/{i}"].parent_run_id for i in range(3)} == {"M/each"}
    assert [store.state(f"M/each/{i}") for i in range(3)] == [
        {"squared": 1}, {"squared": 4}, {"squared": 9}]
    assert [s.child_run_id for s in store.steps("M")] == ["M/each"]


drafted: list[str] = []


@node(output_name="draft")
def write(topic: str) -> str:
    drafted.append(topic)
    return f"about {topic}"


@interrupt(output_name="verdict")
def approve(draft: str) -> str | None:
    return None


@node(output_name="done")
def publish(verdict: str) -> str:
    return verdict.upper()


def test_children_of_a_forked_or_retried_nested_pause_carry_forked_from(tmp_path: Path) -> None:
    drafted.clear()
    store = SqliteCheckpointer(tmp_path / "runs.db")
    graph = Graph([Graph([write, approve], name="review").as_node(), publish])
    runner = AsyncRunner(checkpointer=store)

    async def scenario() -> None:
        paused = await runner.run(graph, {"topic": "t"}, workflow_id="W")
        assert paused.paused and paused.pause is not None
        assert paused.pause.response_key == "review.verdict"
        forked = await runner.run(graph, {"review.verdict": "ok"}, fork_from="W",
                                  workflow_id="F")
        assert forked.values["done"] == "OK"
        retried = await runner.run(graph, {"review.verdict": "fine"}, retry_from="W")
        assert retried.values["done"] == "FINE"
        assert retried.workflow_id is not None
        for parent in ("F", retried.workflow_id):
            child = store.get_run(f"{parent}/review")
            assert child is not None and child.parent_run_id == parent
            assert child.forked_from == "W/review"

    asyncio.run(scenario())
    assert drafted == ["t"]  # the forks continued the source child; nothing was redrafted
    store.close()


# -- checkpoints and failed runs -----------------------------------------------------------


@node(output_name="b")
def scale(y: int, factor: int) -> int:
    return y * factor


def test_a_checkpoint_run_whose_pending_node_lacks_an_input_names_it() -> None:
    store = MemoryCheckpointer()
    runner = SyncRunner(checkpointer=store)
    runner.run(Graph([add_one]), {"x": 1}, workflow_id="S")
    checkpoint = store.checkpoint("S")
    graph = Graph([add_one, scale])
    with pytest.raises(MissingInputError, match="missing required seed inputs: 'factor'") as info:
        runner.run(graph, {}, checkpoint=checkpoint, workflow_id="C")
    assert info.value.missing == ["factor"]
    assert store.get_run("C") is None  # nothing was started
    result = runner.run(graph, {"factor": 4}, checkpoint=checkpoint, workflow_id="C")
    assert result.values == {"y": 2, "b": 8}


def test_run_from_a_checkpoint_records_no_fork_superstep() -> None:
    store = MemoryCheckpointer()
    runner = SyncRunner(checkpointer=store)
    runner.run(Graph([add_one]), {"x": 1}, workflow_id="S")
    runner.run(Graph([add_one]), {}, checkpoint=store.checkpoint("S"), workflow_id="C")
    run = store.get_run("C")
    assert run is not None and (run.forked_from, run.fork_superstep) == ("S", None)
    runner.run(Graph([add_one]), {}, fork_from="S", workflow_id="F")
    fork = store.get_run("F")
    assert fork is not None and (fork.forked_from, fork.fork_superstep) == ("S", 0)


failing = {"on": True}


@node(output_name="c")
def flaky(b: int) -> int:
    if failing["on"]:
        raise ValueError("boom")
    return b + 100


@node(output_name="b")
def make(x: int) -> int:
    return x * 10


def test_resuming_a_failed_run_with_an_entrypoint_graph_runs_the_failed_node() -> None:
    store = MemoryCheckpointer()
    runner = SyncRunner(checkpointer=store)
    graph = Graph([make, flaky])
    failing["on"] = True
    assert runner.run(graph, {"x": 1}, workflow_id="R", error_handling="continue").failed
    failing["on"] = False
    result = runner.run(graph.with_entrypoint("flaky"), {}, workflow_id="R")
    assert result.completed and result.values["c"] == 110
    assert [(s.node_name, s.status) for s in store.steps("R")] == [
        ("make", StepStatus.COMPLETED), ("flaky", StepStatus.FAILED),
        ("flaky", StepStatus.COMPLETED),
    ]


# -- stores --------------------------------------------------------------------------------


class AsyncOnlyStore:
    async def load_run_async(self, request: Any) -> None:
        return None


def test_sync_runner_with_a_store_without_sync_methods_is_a_type_error() -> None:
    with pytest.raises(TypeError, match=r"SyncRunner.*AsyncOnlyStore lacks load_run, start_run"):
        SyncRunner(checkpointer=AsyncOnlyStore())  # type: ignore[arg-type]


class CountingSqlite(SqliteCheckpointer):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.initialized = 0

    def initialize(self) -> Any:
        self.initialized += 1
        return super().initialize()


def test_sqlite_opens_through_initialize_once_under_concurrent_first_calls(
    tmp_path: Path,
) -> None:
    store = CountingSqlite(tmp_path / "runs.db")
    barrier = threading.Barrier(8)
    errors: list[BaseException] = []

    def first_call(i: int) -> None:
        barrier.wait()
        try:
            store.create_run_sync(f"w{i}")
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=first_call, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert store.initialized == 1
    assert len(store.runs()) == 8
    store.close()


# -- emit versions -------------------------------------------------------------------------


@node(output_name="n", emit="tick")
def step(n: int) -> int:
    return n + 1


seen: list[int] = []


@node(output_name="log_size", wait_for="tick")
def log(n: int) -> int:
    seen.append(n)
    return len(seen)


@route(targets=["step", END])
def until_three(n: int) -> object:
    return END if n >= 3 else "step"


def test_every_emit_is_a_new_version_that_wakes_its_waiters() -> None:
    seen.clear()
    graph = Graph([step, log, until_three], entrypoint="step")
    result = SyncRunner().run(graph, {"n": 0})
    assert result.values["n"] == 3
    assert seen == [1, 2, 3]  # the signal's value never changes; each emit still counts
