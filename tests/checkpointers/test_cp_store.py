"""Behaviour every backend shares: runs, steps, state, queries, lineage, fork and retry."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta

import pytest
from cp_helpers import T0, Backend, at, rec, start

from hypergraph_typed._sentinels import END
from hypergraph_typed.checkpointers import (
    Checkpoint,
    LineageView,
    PauseRecord,
    RunTable,
    StepStatus,
    StepTable,
    StoreCheckpointer,
    WorkflowStatus,
)
from hypergraph_typed.checkpointers.protocol import LoadRun, RunSnapshot, StartRun
from hypergraph_typed.exceptions import ConcurrentRunError, RunExistsError

# --- creating runs ------------------------------------------------------------------------------


def test_start_run(store: StoreCheckpointer) -> None:
    lease = start(store,
        "w1", graph_name="g", config={"graph_struct_hash": "s", "graph_code_hash": "c"},
        inputs={"x": 1, "msgs": ["hi"]},
    ).lease
    assert (lease.workflow_id, lease.epoch, lease.version) == ("w1", 1, 1)
    run = store.get_run("w1")
    assert run is not None
    assert (run.id, run.status, run.epoch, run.version, run.graph_name) == (
        "w1", WorkflowStatus.ACTIVE, 1, 1, "g")
    assert run.config == {"graph_struct_hash": "s", "graph_code_hash": "c"}
    assert run.created_at.tzinfo is not None and run.completed_at is None
    assert store.get_run("w1") == run
    assert store.get_inputs("w1") == {"x": 1, "msgs": ["hi"]}
    with pytest.raises(RunExistsError, match="'w1'") as info:
        start(store, "w1", inputs={"x": 2})
    assert isinstance(info.value, ConcurrentRunError) and info.value.workflow_id == "w1"
    assert store.get_inputs("w1") == {"x": 1, "msgs": ["hi"]}
    assert store.get_run("w1") == run  # untouched by the failed insert


def test_create_run_upsert_resets_stats_and_keeps_created_at(store: StoreCheckpointer) -> None:
    first = store.create_run_sync("w", graph_name="g1", config={"v": 1})
    assert (first.epoch, first.version) == (1, 1) and first.status is WorkflowStatus.ACTIVE
    store.update_run_status_sync("w", "failed", duration_ms=5.0, node_count=3, error_count=1)
    failed = store.get_run("w")
    assert failed is not None and failed.completed_at is not None
    again = store.create_run_sync("w", graph_name="g2", forked_from="src", fork_superstep=2,
                                  retry_of="src", retry_index=1, parent_run_id="p",
                                  config={"v": 2})
    assert again.status is WorkflowStatus.ACTIVE
    assert (again.duration_ms, again.node_count, again.error_count, again.completed_at) == (
        None, 0, 0, None,
    )
    assert (again.graph_name, again.forked_from, again.fork_superstep) == ("g2", "src", 2)
    assert (again.retry_of, again.retry_index, again.parent_run_id) == ("src", 1, "p")
    assert again.config == {"v": 2}
    assert again.created_at == first.created_at
    assert again.epoch == 2  # taking a run over fences its previous writer
    assert again.version == 3  # create, status, create again
    assert store.get_run("w") == again


def test_create_run_async_twins(store: StoreCheckpointer) -> None:
    async def scenario() -> None:
        run = await store.create_run("a", graph_name="g")
        assert run.status is WorkflowStatus.ACTIVE
        lease = await store.start_run_async(StartRun("b", inputs={"k": "v"}))
        assert (lease.epoch, lease.version) == (1, 1)
        snap = await store.load_run_async(LoadRun("b"))
        assert snap is not None and snap.inputs == {"k": "v"}
        await store.update_run_status("a", WorkflowStatus.COMPLETED, node_count=2)
        got = await store.get_run_async("a")
        assert got is not None and got.status is WorkflowStatus.COMPLETED and got.node_count == 2
        assert await store.get_run_async("zzz") is None

    asyncio.run(scenario())


# --- run status ---------------------------------------------------------------------------------


def test_update_run_status(store: StoreCheckpointer) -> None:
    start(store, "w")
    store.update_run_status_sync("w", WorkflowStatus.PAUSED, duration_ms=3.5, node_count=2)
    run = store.get_run("w")
    assert run is not None
    assert (run.status, run.duration_ms, run.node_count, run.error_count) == (
        WorkflowStatus.PAUSED, 3.5, 2, 0,
    )
    assert run.completed_at is None
    store.update_run_status_sync("w", "completed", error_count=1)  # None leaves others alone
    run = store.get_run("w")
    assert run is not None
    assert (run.status, run.duration_ms, run.node_count, run.error_count) == (
        WorkflowStatus.COMPLETED, 3.5, 2, 1,
    )
    assert run.completed_at is not None and run.completed_at >= run.created_at
    with pytest.raises(ValueError, match="'w2'"):
        store.update_run_status_sync("w2", "completed")
    with pytest.raises(ValueError, match="'done'"):
        store.update_run_status_sync("w", "done")


# --- steps --------------------------------------------------------------------------------------


def test_save_step_upserts_by_run_superstep_node(store: StoreCheckpointer) -> None:
    start(store, "w")
    store.save_step_sync(rec("w", 0, "a", status="paused"))
    store.save_step_sync(rec("w", 0, "a", values={"x": 1}, duration_ms=4.0))
    store.save_step_sync(rec("w", 1, "a", values={"x": 2}))
    steps = store.steps("w")
    assert isinstance(steps, StepTable)
    assert [(s.superstep, s.status, s.values) for s in steps] == [
        (0, StepStatus.COMPLETED, {"x": 1}), (1, StepStatus.COMPLETED, {"x": 2}),
    ]
    assert steps[0].duration_ms == 4.0


def test_step_fields_round_trip(store: StoreCheckpointer) -> None:
    start(store, "w")
    original = rec(
        "w", 3, "review", index=7, status="failed", values={"a": [1, {"b": None}], "s": "ü"},
        duration_ms=12.25, cached=True, decision=["x", "y"], error="ValueError: bad",
        node_type="InterruptNode", created_at=at(1), completed_at=at(2), child_run_id="w/review",
        input_versions={"draft": 3, "x": 1},
    )
    store.save_step_sync(original)
    (got,) = store.steps("w")
    assert got == original
    assert got.created_at.utcoffset() == timedelta(0)


def test_end_is_stored_as_text(store: StoreCheckpointer) -> None:
    start(store, "w").commit([
        rec("w", 0, "gate", values={"_gate": END}, decision=END),
        rec("w", 0, "multi", values={"_multi": [END, "b"]}, decision=[END, "b"]),
    ])
    gate, multi = store.steps("w")
    assert gate.values == {"_gate": "END"} and gate.decision == "END"
    assert multi.values == {"_multi": ["END", "b"]} and multi.decision == ["END", "b"]


def test_step_order_completed_then_created_then_insertion(store: StoreCheckpointer) -> None:
    start(store, "w")
    store.save_step_sync(rec("w", 0, "late", created_at=at(0), completed_at=at(9)))
    store.save_step_sync(rec("w", 0, "paused", status="paused", created_at=at(5)))
    store.save_step_sync(rec("w", 0, "early", created_at=at(1), completed_at=at(2)))
    store.save_step_sync(rec("w", 1, "tie2", created_at=at(3), completed_at=at(6)))
    store.save_step_sync(rec("w", 1, "tie1", created_at=at(2), completed_at=at(6)))
    store.save_step_sync(rec("w", 2, "same_b", created_at=at(7), completed_at=at(7)))
    store.save_step_sync(rec("w", 2, "same_a", created_at=at(7), completed_at=at(7)))
    assert [s.node_name for s in store.steps("w")] == [
        "early", "paused", "tie1", "tie2", "same_b", "same_a", "late",
    ]


def _three_supersteps(store: StoreCheckpointer) -> None:
    w = start(store, "w", graph_name="g")
    w.commit([rec("w", 0, "a", values={"x": 1, "keep": "a"}, created_at=at(0))])
    w.commit([rec("w", 1, "b", values={"x": 2}, created_at=at(1))])
    w.commit([rec("w", 2, "c", values={"x": 3, "y": 9}, created_at=at(2)),
              rec("w", 2, "d", status="paused", created_at=at(2))])


def test_superstep_filters_and_state_folding(store: StoreCheckpointer) -> None:
    _three_supersteps(store)
    assert [s.node_name for s in store.steps("w", superstep=1)] == ["a", "b"]
    assert store.state("w") == {"x": 3, "keep": "a", "y": 9}
    assert store.state("w", superstep=0) == {"x": 1, "keep": "a"}
    assert store.state("w", superstep=1) == {"x": 2, "keep": "a"}
    assert store.values("w") == {"x": 3, "keep": "a", "y": 9}
    assert store.values("w", key="y") == {"y": 9}
    assert store.values("w", key="nope") == {}
    assert store.steps("unknown") == [] and store.state("unknown") == {}

    cp = store.checkpoint("w", superstep=1)
    assert isinstance(cp, Checkpoint)
    assert cp.values == {"x": 2, "keep": "a"} and len(cp.steps) == 2
    assert (cp.source_run_id, cp.source_superstep) == ("w", 1)
    assert store.checkpoint("w").source_superstep == 2

    async def scenario() -> None:
        assert await store.get_state("w", superstep=0) == {"x": 1, "keep": "a"}
        assert [s.node_name for s in await store.get_steps("w", superstep=0)] == ["a"]
        full = await store.get_checkpoint("w")
        assert full.values == store.state("w") and len(full.steps) == 4

    asyncio.run(scenario())


def test_stored_values_are_snapshots(store: StoreCheckpointer) -> None:
    w = start(store, "w")
    messages = [{"role": "user", "content": "hi"}]
    w.commit([rec("w", 0, "a", values={"messages": messages})])
    messages.append({"role": "assistant", "content": "later"})
    got = store.state("w")["messages"]
    assert got == [{"role": "user", "content": "hi"}]
    got.append("mutated by a reader")
    assert store.state("w")["messages"] == [{"role": "user", "content": "hi"}]


def test_a_reader_cannot_change_a_stored_pause(store: StoreCheckpointer) -> None:
    """Every read gets a pause of its own: changing it changes nothing stored."""
    w = start(store, "w")
    w.commit(status="paused", pause=PauseRecord(
        node_name="review", response_keys={"decision": "decision"}, superstep=0,
        value="draft text", values={"draft": "draft text"},
    ))
    run = store.get_run("w")
    assert run is not None and run.pause is not None
    run.pause.values["draft"] = "changed by a reader"  # type: ignore[index]
    again = store.get_run("w")
    assert again is not None and again.pause is not None
    assert again.pause.values == {"draft": "draft text"}


# --- inputs and resume ----------------------------------------------------------------------------


def test_inputs_merge_newer_key_wins(store: StoreCheckpointer) -> None:
    w = start(store, "w", inputs={"a": 1, "b": [1]})
    w.commit(inputs={"b": [2], "c": "x"})
    assert store.get_inputs("w") == {"a": 1, "b": [2], "c": "x"}
    assert store.get_inputs("other") == {}


def test_load_run_is_one_snapshot(store: StoreCheckpointer) -> None:
    assert store.load_run(LoadRun("none")) is None
    _three_supersteps(store)
    snap = store.load_run(LoadRun("w"))
    assert isinstance(snap, RunSnapshot)
    assert snap.run == store.get_run("w")
    assert list(snap.steps) == list(store.steps("w"))
    assert snap.inputs == {}

    async def scenario() -> None:
        assert await store.load_run_async(LoadRun("w")) == snap

    asyncio.run(scenario())


# --- listing ----------------------------------------------------------------------------------------


def _family(store: StoreCheckpointer) -> None:
    start(store, "old", graph_name="g1")
    store.update_run_status_sync("old", "completed")
    start(store, "mid", graph_name="g2")
    store.update_run_status_sync("mid", "failed")
    start(store, "mid/child", graph_name="inner", parent_run_id="mid")
    start(store, "new", graph_name="g1")


def test_runs_filters_newest_first(store: StoreCheckpointer) -> None:
    _family(store)
    everything = store.runs()
    assert isinstance(everything, RunTable)
    assert [r.id for r in everything] == ["new", "mid/child", "mid", "old"]
    assert [r.id for r in store.runs(status="completed")] == ["old"]
    assert [r.id for r in store.runs(status=WorkflowStatus.FAILED)] == ["mid"]
    assert [r.id for r in store.runs(graph_name="g1")] == ["new", "old"]
    assert [r.id for r in store.runs(parent_run_id=None)] == ["new", "mid", "old"]
    assert [r.id for r in store.runs(parent_run_id="mid")] == ["mid/child"]
    assert [r.id for r in store.runs(limit=2)] == ["new", "mid/child"]
    assert len(store.runs(limit=None)) == 4
    assert store.runs(limit=0) == []
    since = store.get_run("mid/child").created_at  # type: ignore[union-attr]
    assert [r.id for r in store.runs(since=since)] == ["new", "mid/child"]
    assert store.runs(since=T0 + timedelta(days=365 * 100)) == []
    with pytest.raises(ValueError, match="limit"):
        store.runs(limit=-1)
    with pytest.raises(ValueError, match="timezone-aware"):
        store.runs(since=T0.replace(tzinfo=None))
    with pytest.raises(ValueError, match="'sleeping'"):
        store.runs(status="sleeping")


def test_list_runs_async(store: StoreCheckpointer) -> None:
    _family(store)

    async def scenario() -> None:
        assert [r.id for r in await store.list_runs()] == ["new", "mid/child", "mid", "old"]
        assert [r.id for r in await store.list_runs(parent_run_id="mid")] == ["mid/child"]
        assert [r.id for r in await store.list_runs(status="failed")] == ["mid"]
        assert [r.id for r in await store.list_runs(limit=1)] == ["new"]
        assert len(await store.list_runs(limit=None)) == 4

    asyncio.run(scenario())


# --- search and stats -------------------------------------------------------------------------------


def test_search(store: StoreCheckpointer) -> None:
    start(store, "w").commit([
        rec("w", 0, "fetch_page", completed_at=at(1)),
        rec("w", 0, "parse", status="failed", error="ValueError: bad HTML page", completed_at=at(2)),
        rec("w", 1, "Fetch_Again", completed_at=at(3)),
        rec("w", 1, "odd_100%", completed_at=at(4)),
    ])
    found = store.search("fetch")
    assert isinstance(found, StepTable)
    assert [s.node_name for s in found] == ["Fetch_Again", "fetch_page"]  # newest first
    assert [s.node_name for s in store.search("page")] == ["parse", "fetch_page"]
    assert [s.node_name for s in store.search("page", field="error")] == ["parse"]
    assert [s.node_name for s in store.search("page", field="node_name")] == ["fetch_page"]
    assert [s.node_name for s in store.search("bad html")] == ["parse"]  # every word must match
    assert store.search("bad fetch") == []
    assert [s.node_name for s in store.search("100%")] == ["odd_100%"]  # no wildcards
    assert store.search("_") != [] and store.search("%") != []
    assert [s.node_name for s in store.search("fetch", limit=1)] == ["Fetch_Again"]
    with pytest.raises(ValueError, match="field"):
        store.search("x", field="values")
    with pytest.raises(ValueError, match="at least one word"):
        store.search("   ")

    async def scenario() -> None:
        assert [s.node_name for s in await store.search_async("parse")] == ["parse"]

    asyncio.run(scenario())


def test_stats(store: StoreCheckpointer) -> None:
    w = start(store, "w")
    w.commit([
        rec("w", 0, "a", duration_ms=10, node_type="FunctionNode"),
        rec("w", 0, "b", duration_ms=1, cached=True, node_type="FunctionNode"),
    ])
    w.commit([
        rec("w", 1, "a", duration_ms=30, status="failed", error="boom", node_type="FunctionNode"),
    ])
    stats = store.stats("w")
    assert list(stats) == ["a", "b"]  # most expensive first
    assert stats["a"] == {"node_type": "FunctionNode", "steps": 2, "total_ms": 40.0,
                          "avg_ms": 20.0, "max_ms": 30.0, "errors": 1, "cache_hits": 0}
    assert stats["b"]["cache_hits"] == 1 and stats["b"]["steps"] == 1
    assert store.stats("nothing") == {}


# --- fork, retry, lineage -----------------------------------------------------------------------


def test_fork_workflow(store: StoreCheckpointer) -> None:
    _three_supersteps(store)
    wid, cp = store.fork_workflow("w")
    assert re.fullmatch(r"w-fork-[0-9a-f]{6}", wid)
    assert cp.values == store.state("w") and cp.source_run_id == "w"
    assert cp.source_superstep == 2 and (cp.retry_of, cp.retry_index) == (None, None)
    wid2, cp2 = store.fork_workflow("w", workflow_id="mine", superstep=0)
    assert wid2 == "mine" and cp2.values == {"x": 1, "keep": "a"} and cp2.source_superstep == 0
    assert store.get_run("mine") is None  # forking only prepares; the runner creates the run
    with pytest.raises(ValueError, match="'ghost'"):
        store.fork_workflow("ghost")

    async def scenario() -> None:
        awid, acp = await store.fork_workflow_async("w", superstep=1)
        assert awid.startswith("w-fork-") and acp.values == {"x": 2, "keep": "a"}
        with pytest.raises(ValueError, match="'ghost'"):
            await store.fork_workflow_async("ghost")

    asyncio.run(scenario())


def test_retry_workflow_numbers_retries(store: StoreCheckpointer) -> None:
    _three_supersteps(store)
    wid, cp = store.retry_workflow("w")
    assert (wid, cp.retry_of, cp.retry_index, cp.source_run_id) == ("w-retry-1", "w", 1, "w")
    assert cp.values == store.state("w")
    start(store, wid, retry_of="w", retry_index=1, forked_from="w")
    wid2, cp2 = store.retry_workflow("w", workflow_id="custom")
    assert (wid2, cp2.retry_index) == ("custom", 2)
    with pytest.raises(ValueError, match="'ghost'"):
        store.retry_workflow("ghost")

    async def scenario() -> None:
        awid, acp = await store.retry_workflow_async("w")
        assert (awid, acp.retry_index) == ("w-retry-2", 2)
        with pytest.raises(ValueError, match="'ghost'"):
            await store.retry_workflow_async("ghost")

    asyncio.run(scenario())


def test_lineage_tree(store: StoreCheckpointer) -> None:
    start(store, "root").commit([rec("root", 0, "a", values={"x": 1})])
    start(store, "f1", forked_from="root", fork_superstep=0)
    start(store, "r1", forked_from="root", retry_of="root", retry_index=1)
    start(store, "f1a", forked_from="f1")
    start(store, "f1b", forked_from="f1")
    start(store, "unrelated")
    view = store.lineage("f1a")
    assert isinstance(view, LineageView)
    assert (view.root_run_id, view.selected_run_id) == ("root", "f1a")
    assert [(r.run.id, r.depth, r.lane, r.is_selected) for r in view] == [
        ("root", 0, 0, False),
        ("f1", 1, 0, False),
        ("f1a", 2, 0, True),
        ("f1b", 2, 1, False),
        ("r1", 1, 2, False),
    ]
    assert view.steps_by_run is not None and [s.node_name for s in view.steps_by_run["root"]] == [
        "a"
    ]
    assert store.lineage("root", include_steps=False).steps_by_run is None
    assert len(store.lineage("root", max_runs=2)) == 2
    assert [r.run.id for r in store.lineage("unrelated")] == ["unrelated"]
    with pytest.raises(ValueError, match="'ghost'"):
        store.lineage("ghost")


def test_repr_counts(backend: Backend) -> None:
    store = backend.open()
    start(store, "w").commit([rec("w", 0, "a"), rec("w", 0, "b")])
    text = repr(store)
    assert text.startswith(type(store).__name__ + ": ")
    assert text.endswith("1 run | 2 steps")
