"""The runtime's fast path: commit_superstep, claims (fencing), serialization, retention, ttl."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from cp_helpers import T0, Backend, rec

from hypergraph_typed.checkpointers import (
    CheckpointPolicy,
    MemoryCheckpointer,
    StepStatus,
    StoreCheckpointer,
    WorkflowStatus,
)
from hypergraph_typed.exceptions import CheckpointSerializationError, ConcurrentRunError

# --- commit_superstep ---------------------------------------------------------------------------


def test_commit_writes_records_status_stats_and_inputs(store: StoreCheckpointer) -> None:
    run = store.create_run_new("w", inputs={"prompt": "p"})
    store.commit_superstep(
        "w",
        [rec("w", 0, "write", values={"draft": "d"}), rec("w", 0, "side", values={"n": 1})],
        claim=run.claim,
    )
    store.commit_superstep(
        "w", [rec("w", 1, "review", status="paused")], claim=run.claim,
        status=WorkflowStatus.PAUSED, duration_ms=7.5, node_count=3, error_count=0,
        inputs={"extra": True},
    )
    after = store.get_run("w")
    assert after is not None
    assert (after.status, after.duration_ms, after.node_count, after.error_count) == (
        WorkflowStatus.PAUSED, 7.5, 3, 0,
    )
    assert after.completed_at is None and after.claim == 1
    assert [(s.superstep, s.node_name, s.status) for s in store.steps("w")] == [
        (0, "write", StepStatus.COMPLETED), (0, "side", StepStatus.COMPLETED),
        (1, "review", StepStatus.PAUSED),
    ]
    assert store.get_inputs("w") == {"prompt": "p", "extra": True}
    store.commit_superstep("w", [], claim=1, status="completed")
    done = store.get_run("w")
    assert done is not None and done.status is WorkflowStatus.COMPLETED
    assert done.completed_at is not None and done.duration_ms == 7.5


def test_commit_checks_its_arguments(store: StoreCheckpointer) -> None:
    store.create_run_new("w")
    with pytest.raises(ValueError, match="'ghost'"):
        store.commit_superstep("ghost", [], claim=1)
    with pytest.raises(ValueError, match="node 'a' belongs to run 'other'"):
        store.commit_superstep("w", [rec("other", 0, "a")], claim=1)
    with pytest.raises(ValueError, match="'finished'"):
        store.commit_superstep("w", [], claim=1, status="finished")
    assert store.steps("w") == [] and store.steps("other") == []


def test_commit_async(store: StoreCheckpointer) -> None:
    async def scenario() -> None:
        run = await store.create_run_new_async("w")
        claim = await store.claim_run_async("w", run.claim)
        await store.commit_superstep_async(
            "w", [rec("w", 0, "a", values={"x": 1})], claim=claim, status="completed",
            inputs={"i": 1},
        )
        loaded, steps, inputs = await store.load_for_resume_async("w")
        assert loaded is not None and loaded.status is WorkflowStatus.COMPLETED
        assert [s.values for s in steps] == [{"x": 1}] and inputs == {"i": 1}
        with pytest.raises(ConcurrentRunError):
            await store.commit_superstep_async("w", [rec("w", 1, "b")], claim=run.claim)
        with pytest.raises(ConcurrentRunError):
            await store.claim_run_async("w", run.claim)

    asyncio.run(scenario())


# --- claims -------------------------------------------------------------------------------------


def test_claim_run_compare_and_swap(store: StoreCheckpointer) -> None:
    store.create_run_new("w")
    assert store.claim_run("w", 1) == 2
    assert store.get_run("w").claim == 2  # type: ignore[union-attr]
    with pytest.raises(ConcurrentRunError) as info:
        store.claim_run("w", 1)
    err = info.value
    assert (err.workflow_id, err.expected_claim, err.actual_claim) == ("w", 1, 2)
    assert "'w'" in str(err) and "another process" in str(err)
    assert store.get_run("w").claim == 2  # type: ignore[union-attr]
    with pytest.raises(ValueError, match="'ghost'"):
        store.claim_run("ghost", 1)


def test_stale_claim_commit_writes_nothing(store: StoreCheckpointer) -> None:
    store.create_run_new("w", inputs={"a": 1})
    store.commit_superstep("w", [rec("w", 0, "a", values={"x": 1})], claim=1)
    new_claim = store.claim_run("w", 1)  # someone else resumed the workflow
    with pytest.raises(ConcurrentRunError, match="'w'") as info:
        store.commit_superstep(
            "w", [rec("w", 1, "b", values={"x": 2})], claim=1, status="completed",
            node_count=9, inputs={"a": 2},
        )
    assert (info.value.expected_claim, info.value.actual_claim) == (1, new_claim)
    run = store.get_run("w")
    assert run is not None and run.status is WorkflowStatus.ACTIVE and run.node_count == 0
    assert [s.node_name for s in store.steps("w")] == ["a"]
    assert store.get_inputs("w") == {"a": 1}
    store.commit_superstep("w", [rec("w", 1, "b", values={"x": 2})], claim=new_claim)
    assert store.state("w") == {"x": 2}


def _race(n: int, fn: Callable[[int], Any]) -> list[tuple[str, Any]]:
    """Run ``fn(i)`` in ``n`` threads released together; collect ("ok"|"err", value)."""
    barrier = threading.Barrier(n)
    results: list[tuple[str, Any]] = [("none", None)] * n

    def work(i: int) -> None:
        barrier.wait()
        try:
            results[i] = ("ok", fn(i))
        except Exception as exc:
            results[i] = ("err", exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_concurrent_claims_exactly_one_wins(backend: Backend) -> None:
    """Two connections (two checkpointers on the same storage) race for the same claim."""
    handles = [backend.open(), backend.open()]
    handles[0].create_run_new("w")
    for round_ in range(10):
        expected = handles[0].get_run("w").claim  # type: ignore[union-attr]
        results = _race(2, lambda i, e=expected: handles[i].claim_run("w", e))
        wins = [v for kind, v in results if kind == "ok"]
        losses = [v for kind, v in results if kind == "err"]
        assert wins == [expected + 1], (round_, results)
        assert len(losses) == 1 and isinstance(losses[0], ConcurrentRunError)
        assert handles[1].get_run("w").claim == expected + 1  # type: ignore[union-attr]


def test_concurrent_create_run_new_exactly_one_wins(backend: Backend) -> None:
    handles = [backend.open(), backend.open()]
    for i in range(5):
        wid = f"fresh-{i}"
        results = _race(2, lambda k, wid=wid: handles[k].create_run_new(wid, graph_name=f"g{k}"))
        kinds = sorted(kind for kind, _ in results)
        assert kinds == ["err", "ok"], results
        err = next(v for kind, v in results if kind == "err")
        assert isinstance(err, ConcurrentRunError) and err.workflow_id == wid
        winner = next(v for kind, v in results if kind == "ok")
        assert handles[0].get_run(wid) == winner


def test_fencing_stops_the_older_writer(backend: Backend) -> None:
    a, b = backend.open(), backend.open()
    a.create_run_new("w")
    claim_a = a.claim_run("w", 1)
    a.commit_superstep("w", [rec("w", 0, "one", values={"v": "a"})], claim=claim_a)
    claim_b = b.claim_run("w", b.get_run("w").claim)  # type: ignore[union-attr]
    with pytest.raises(ConcurrentRunError):
        a.commit_superstep("w", [rec("w", 1, "two", values={"v": "a2"})], claim=claim_a)
    b.commit_superstep("w", [rec("w", 1, "two", values={"v": "b"})], claim=claim_b,
                       status="completed")
    assert a.state("w") == {"v": "b"}
    assert [s.node_name for s in a.steps("w")] == ["one", "two"]


def test_concurrent_commits_from_threads_on_one_store(store: StoreCheckpointer) -> None:
    """One checkpointer object shared by threads (each commits its own workflow)."""
    for i in range(4):
        store.create_run_new(f"w{i}")

    def work(i: int) -> int:
        for ss in range(15):
            store.commit_superstep(f"w{i}", [rec(f"w{i}", ss, "n", values={"ss": ss})], claim=1)
        return i

    results = _race(4, work)
    assert [kind for kind, _ in results] == ["ok"] * 4, results
    for i in range(4):
        assert len(store.steps(f"w{i}")) == 15 and store.state(f"w{i}") == {"ss": 14}


# --- serialization errors ----------------------------------------------------------------------


def test_unserializable_output_names_node_and_output_and_writes_nothing(
    store: StoreCheckpointer,
) -> None:
    store.create_run_new("w", inputs={"a": 1})
    bad = threading.Lock()
    with pytest.raises(CheckpointSerializationError) as info:
        store.commit_superstep(
            "w",
            [rec("w", 0, "fine", values={"ok": 1}),
             rec("w", 0, "fetch", values={"page": "x", "client": bad})],
            claim=1, status="completed", node_count=2, inputs={"b": 2},
        )
    err = info.value
    assert isinstance(err, TypeError)
    assert (err.run_id, err.node_name, err.output_name, err.superstep) == ("w", "fetch", "client", 0)
    assert "'client'" in str(err) and "'fetch'" in str(err)
    assert store.steps("w") == []
    run = store.get_run("w")
    assert run is not None and run.status is WorkflowStatus.ACTIVE and run.node_count == 0
    assert store.get_inputs("w") == {"a": 1}


def test_unserializable_input_is_named(store: StoreCheckpointer) -> None:
    store.create_run_new("w")
    with pytest.raises(CheckpointSerializationError, match="input 'conn'") as info:
        store.save_inputs("w", {"ok": 1, "conn": threading.Lock()})
    assert info.value.node_name is None and info.value.output_name == "conn"
    assert store.get_inputs("w") == {}
    with pytest.raises(CheckpointSerializationError, match="input 'conn'"):
        store.create_run_new("w2", inputs={"conn": threading.Lock()})
    assert store.get_run("w2") is None


def test_unserializable_save_step(store: StoreCheckpointer) -> None:
    store.create_run_new("w")
    with pytest.raises(CheckpointSerializationError, match="output 'o' of node 'n'"):
        store.save_step_sync(rec("w", 0, "n", values={"o": threading.Lock()}))
    assert store.steps("w") == []


def test_naive_timestamps_are_refused(store: StoreCheckpointer) -> None:
    store.create_run_new("w")
    with pytest.raises(ValueError, match="timezone-aware"):
        store.commit_superstep("w", [rec("w", 0, "n", created_at=datetime(2024, 1, 1))], claim=1)
    assert store.steps("w") == []


# --- retention ------------------------------------------------------------------------------------


def test_retention_latest(backend: Backend) -> None:
    store = backend.open(policy=CheckpointPolicy(retention="latest"))
    store.create_run_new("w")
    store.create_run_new("other")
    for ss in range(4):
        store.commit_superstep("w", [rec("w", ss, "loop", values={"i": ss})], claim=1)
        if ss % 2 == 0:
            store.commit_superstep("w", [rec("w", ss, "even", values={"e": ss})], claim=1)
    store.commit_superstep("other", [rec("other", 0, "loop", values={"i": -1})], claim=1)
    store.save_step_sync(rec("w", 4, "even", values={"e": 4}))
    assert sorted((s.node_name, s.superstep) for s in store.steps("w")) == [
        ("even", 4), ("loop", 3),
    ]
    assert store.state("w") == {"i": 3, "e": 4}
    assert [s.superstep for s in store.steps("other")] == [0]  # other runs are untouched


def test_retention_windowed(backend: Backend) -> None:
    store = backend.open(policy=CheckpointPolicy(retention="windowed", window=2))
    store.create_run_new("w")
    for ss in range(5):
        store.commit_superstep("w", [rec("w", ss, f"n{ss}", values={"i": ss})], claim=1)
    assert [s.superstep for s in store.steps("w")] == [3, 4]


def test_memory_honours_a_replaced_policy() -> None:
    cp = MemoryCheckpointer()
    cp.create_run_new("w")
    cp.commit_superstep("w", [rec("w", 0, "a")], claim=1)
    cp.commit_superstep("w", [rec("w", 1, "a")], claim=1)
    cp.policy = CheckpointPolicy(retention="latest")
    cp.commit_superstep("w", [rec("w", 2, "a")], claim=1)
    assert [s.superstep for s in cp.steps("w")] == [2]


# --- ttl ------------------------------------------------------------------------------------------


class _Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


def test_ttl_purges_idle_runs_on_write_and_list(backend: Backend) -> None:
    store = backend.open(policy=CheckpointPolicy(ttl=timedelta(hours=1)))
    clock = _Clock()
    store._clock = clock  # type: ignore[attr-defined]
    store.create_run_new("old", inputs={"a": 1})
    store.commit_superstep("old", [rec("old", 0, "n", values={"x": 1})], claim=1)
    store.create_run_new("busy")
    clock.now = T0 + timedelta(minutes=50)
    store.commit_superstep("busy", [rec("busy", 0, "n")], claim=1)  # keeps "busy" alive
    clock.now = T0 + timedelta(minutes=70)
    assert {r.id for r in store.runs()} == {"busy"}  # listing purges "old"
    assert store.get_run("old") is None and store.steps("old") == []
    assert store.get_inputs("old") == {}
    clock.now = T0 + timedelta(minutes=115)
    store.create_run_new("later")  # a write purges too
    assert {r.id for r in store.runs()} == {"later"}
    # a run that is written to is never purged by its own write
    clock.now = T0 + timedelta(hours=9)
    store.commit_superstep("later", [rec("later", 0, "n")], claim=1)
    assert store.get_run("later") is not None
    clock.now = T0 + timedelta(hours=11)
    assert store.purge_expired() == 1 and store.runs() == []


def test_purge_without_ttl_is_a_no_op(store: StoreCheckpointer) -> None:
    store.create_run_new("w")
    assert store.purge_expired() == 0 and store.get_run("w") is not None
