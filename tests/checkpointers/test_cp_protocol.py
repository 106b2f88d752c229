"""The store protocol every backend implements the same way (the conformance suite).

Runs carry an epoch (moved on by each claim) and a version (moved on by each write); a
claim is a compare-and-set on the version read, every write is fenced by the writer's
epoch and version. Memory, SQLite and PostgreSQL (the real local server) all run it.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from cp_helpers import T0, Backend, Writer, rec, start

from hypergraph_typed.checkpointers import (
    CheckpointPolicy,
    MemoryCheckpointer,
    PauseRecord,
    StepStatus,
    StoreCheckpointer,
    WorkflowStatus,
)
from hypergraph_typed.checkpointers.protocol import (
    AsyncRunStore,
    ClaimRun,
    CommitRun,
    CountRetries,
    Lease,
    ListChildren,
    LoadAndClaim,
    LoadRun,
    RunStore,
    StartRun,
)
from hypergraph_typed.exceptions import (
    CheckpointSerializationError,
    ConcurrentRunError,
    RunExistsError,
)


def _snap(store: StoreCheckpointer, wid: str) -> Any:
    snap = store.load_run(LoadRun(wid))
    assert snap is not None
    return snap


def _pause(node: str = "review", key: str = "decision", superstep: int = 1) -> PauseRecord:
    return PauseRecord(node_name=node, response_keys={key: key}, superstep=superstep,
                       value="the draft")


# --- commit_run ---------------------------------------------------------------------------------


def test_every_backend_implements_both_halves_of_the_protocol(store: StoreCheckpointer) -> None:
    assert isinstance(store, RunStore) and isinstance(store, AsyncRunStore)


def test_commit_writes_records_status_stats_inputs_and_pause(store: StoreCheckpointer) -> None:
    w = start(store, "w", inputs={"prompt": "p"})
    w.commit([rec("w", 0, "write", values={"draft": "d"}), rec("w", 0, "side", values={"n": 1})])
    lease = w.commit(
        [rec("w", 1, "review", status="paused")], status="paused", duration_ms=7.5,
        node_count=3, error_count=0, inputs={"extra": True}, pause=_pause(), final=True,
    )
    assert (lease.epoch, lease.version) == (1, 3)
    after = store.get_run("w")
    assert after is not None
    assert (after.status, after.duration_ms, after.node_count, after.error_count) == (
        WorkflowStatus.PAUSED, 7.5, 3, 0,
    )
    assert after.completed_at is None and (after.epoch, after.version) == (1, 3)
    assert after.pause == _pause() and after.pause.pending
    assert after.pause.response_key == "decision" and after.pause.value == "the draft"
    assert [(s.superstep, s.node_name, s.status) for s in store.steps("w")] == [
        (0, "write", StepStatus.COMPLETED), (0, "side", StepStatus.COMPLETED),
        (1, "review", StepStatus.PAUSED),
    ]
    assert store.get_inputs("w") == {"prompt": "p", "extra": True}
    w.commit(status="completed")
    done = store.get_run("w")
    assert done is not None and done.status is WorkflowStatus.COMPLETED
    assert done.completed_at is not None and done.duration_ms == 7.5
    assert done.pause == _pause()  # the last pause stays readable


def test_commit_checks_its_arguments(store: StoreCheckpointer) -> None:
    w = start(store, "w")
    with pytest.raises(ValueError, match="'ghost'"):
        store.commit_run(CommitRun(Lease("ghost", 1, 1)))
    with pytest.raises(ValueError, match="node 'a' belongs to run 'other'"):
        w.commit([rec("other", 0, "a")])
    with pytest.raises(ValueError, match="'finished'"):
        w.commit(status="finished")
    assert store.steps("w") == [] and store.steps("other") == []


def test_protocol_async_twins(store: StoreCheckpointer) -> None:
    async def scenario() -> None:
        lease = await store.start_run_async(StartRun("w", inputs={"i": 1}))
        snap = await store.load_run_async(LoadRun("w"))
        assert snap is not None and snap.inputs == {"i": 1}
        lease = await store.claim_run_async(ClaimRun("w", snap.run.epoch, snap.run.version))
        lease = await store.commit_run_async(CommitRun(
            lease, (rec("w", 0, "a", values={"x": 1}),), status=WorkflowStatus.COMPLETED,
        ))
        snap = await store.load_run_async(LoadRun("w"))
        assert snap is not None and snap.run.status is WorkflowStatus.COMPLETED
        assert [s.values for s in snap.steps] == [{"x": 1}]
        assert (snap.run.epoch, snap.run.version) == (lease.epoch, lease.version) == (2, 3)
        with pytest.raises(ConcurrentRunError):
            await store.commit_run_async(CommitRun(Lease("w", 1, 1)))
        with pytest.raises(ConcurrentRunError):
            await store.claim_run_async(ClaimRun("w", 1, 1))
        await store.start_run_async(StartRun("w/0", parent_run_id="w"))
        assert [r.id for r in await store.list_children_async(ListChildren("w"))] == ["w/0"]
        assert await store.count_retries_async(CountRetries("w")) == 0

    asyncio.run(scenario())


# --- claims ---------------------------------------------------------------------------------------


def test_claim_is_a_compare_and_set_on_the_version_read(store: StoreCheckpointer) -> None:
    start(store, "w")
    lease = store.claim_run(ClaimRun("w", 1, 1))
    assert (lease.epoch, lease.version) == (2, 2)
    run = store.get_run("w")
    assert run is not None and (run.epoch, run.version, run.status) == (2, 2, WorkflowStatus.ACTIVE)
    with pytest.raises(ConcurrentRunError) as info:
        store.claim_run(ClaimRun("w", 1, 1))
    err = info.value
    assert (err.workflow_id, err.expected_version, err.actual_version, err.epoch) == ("w", 1, 2, 2)
    assert "'w'" in str(err) and "another call" in str(err)
    with pytest.raises(ValueError, match="'ghost'"):
        store.claim_run(ClaimRun("ghost", 1, 1))


def test_a_snapshot_older_than_any_write_cannot_claim(store: StoreCheckpointer) -> None:
    """The deterministic double resume: Y reads after X claimed, before X wrote."""
    w = start(store, "w")
    w.commit([rec("w", 0, "draft", values={"d": 1}), rec("w", 1, "review", status="paused")],
             status="paused", pause=_pause(), final=True)
    x_snap = _snap(store, "w")
    x = Writer(store, store.claim_run(ClaimRun("w", x_snap.run.epoch, x_snap.run.version, {"decision": "yes"})))
    y_snap = _snap(store, "w")  # after X's claim, before X writes anything
    assert y_snap.run.status is WorkflowStatus.ACTIVE
    assert y_snap.run.pause.answer == {"decision": "yes"}
    x.commit([rec("w", 2, "review", values={"decision": "yes"})])
    x.commit([rec("w", 3, "publish", values={"out": "yes"})], status="completed", final=True)
    with pytest.raises(ConcurrentRunError):
        store.claim_run(ClaimRun("w", y_snap.run.epoch, y_snap.run.version, {"decision": "no"}))
    run = store.get_run("w")
    assert run is not None and run.status is WorkflowStatus.COMPLETED
    assert run.pause is not None and run.pause.answer == {"decision": "yes"}
    assert store.state("w")["out"] == "yes"


def test_claim_records_the_answers_on_the_pending_pause(store: StoreCheckpointer) -> None:
    w = start(store, "w")
    w.commit(status="paused", pause=_pause(), final=True)
    snap = _snap(store, "w")
    assert snap.run.pause is not None and snap.run.pause.pending
    store.claim_run(ClaimRun("w", snap.run.epoch, snap.run.version, {"decision": ["a", 1]}))
    run = store.get_run("w")
    assert run is not None and run.pause is not None
    assert run.pause.answer == {"decision": ["a", 1]} and not run.pause.pending


CONFIG = {"graph_struct_hash": "s1", "graph_code_hash": "c1"}


def _paused(store: StoreCheckpointer, wid: str = "w") -> Writer:
    w = start(store, wid, inputs={"prompt": "p"}, config=CONFIG)
    w.commit([rec(wid, 0, "draft", values={"d": 1}), rec(wid, 1, "review", status="paused")],
             status="paused", pause=_pause(), final=True)
    return w


def test_load_and_claim_reads_and_claims_a_matching_pause_at_once(
    store: StoreCheckpointer,
) -> None:
    _paused(store)
    before = _snap(store, "w")
    snap, lease = store.load_and_claim(LoadAndClaim("w", "review", CONFIG, {"decision": "yes"}))
    assert snap == before  # the state the claim was made on
    assert lease == Lease("w", before.run.epoch + 1, before.run.version + 1)
    run = store.get_run("w")
    assert run is not None and run.status is WorkflowStatus.ACTIVE
    assert (run.epoch, run.version) == (lease.epoch, lease.version)
    assert run.pause is not None and run.pause.answer == {"decision": "yes"}
    Writer(store, lease).commit([rec("w", 2, "review", values={"decision": "yes"})],
                                status="completed", final=True)
    assert store.state("w")["decision"] == "yes"


@pytest.mark.parametrize("mismatch", ["node", "config", "answered", "active", "absent"])
def test_load_and_claim_only_reads_a_run_that_does_not_match(
    store: StoreCheckpointer, mismatch: str
) -> None:
    """Any other run is read, not claimed, so the caller decides (and raises) as after
    a plain read; nothing is written."""
    node, config, wid = "review", CONFIG, "w"
    if mismatch != "absent":
        w = _paused(store)
    if mismatch == "node":
        node = "other"
    elif mismatch == "config":
        config = {**CONFIG, "graph_code_hash": "c2"}
    elif mismatch == "answered":
        snap = _snap(store, "w")
        store.claim_run(ClaimRun("w", snap.run.epoch, snap.run.version, {"decision": "no"}))
    elif mismatch == "active":
        w.lease = store.claim_run(ClaimRun("w", w.lease.epoch, w.lease.version))
    elif mismatch == "absent":
        wid = "ghost"
    before = store.load_run(LoadRun(wid))
    snap, lease = store.load_and_claim(LoadAndClaim(wid, node, config, {"decision": "yes"}))
    assert (snap, lease) == (before, None)
    assert store.load_run(LoadRun(wid)) == before


def test_load_and_claim_async_twin_and_the_two_step_default(store: StoreCheckpointer) -> None:
    """The async twin, and ``StoreCheckpointer``'s default (a read, then a compare-and-set
    claim), which a store that cannot do both in one transaction inherits."""
    _paused(store, "a")
    _paused(store, "b")
    request = LoadAndClaim("a", "review", CONFIG, {"decision": "yes"})
    snap, lease = asyncio.run(store.load_and_claim_async(request))
    assert snap is not None and lease == Lease("a", snap.run.epoch + 1, snap.run.version + 1)
    snap, lease = StoreCheckpointer.load_and_claim(
        store, LoadAndClaim("b", "review", CONFIG, {"decision": "no"}))
    assert snap is not None and lease is not None
    assert store.get_run("b").pause.answer == {"decision": "no"}  # type: ignore[union-attr]


def test_concurrent_load_and_claims_exactly_one_wins(backend: Backend) -> None:
    """Two connections race to answer one pause: one claims; the other reads a run that no
    longer matches, or read it before the claim, and then claims nothing (``None``, or
    ``ConcurrentRunError`` where the read and the claim are two steps)."""
    handles = [backend.open(), backend.open()]
    for round_ in range(10):
        wid = f"w{round_}"
        _paused(handles[0], wid)
        results = _race(2, lambda i, wid=wid: handles[i].load_and_claim(
            LoadAndClaim(wid, "review", CONFIG, {"decision": f"answer-{i}"})))
        claimed = [i for i, (kind, v) in enumerate(results) if kind == "ok" and v[1] is not None]
        assert len(claimed) == 1, (round_, results)
        kind, lost = results[1 - claimed[0]]
        assert (kind == "ok" and lost[1] is None) or isinstance(lost, ConcurrentRunError), lost
        run = handles[1].get_run(wid)
        assert run is not None and run.version == results[claimed[0]][1][1].version
        assert run.pause is not None and run.pause.answer == {"decision": f"answer-{claimed[0]}"}


def test_stale_lease_commit_writes_nothing(store: StoreCheckpointer) -> None:
    w = start(store, "w", inputs={"a": 1})
    w.commit([rec("w", 0, "a", values={"x": 1})])
    taken = store.claim_run(ClaimRun("w", w.lease.epoch, w.lease.version))  # someone else resumed it
    with pytest.raises(ConcurrentRunError, match="'w'") as info:
        w.commit([rec("w", 1, "b", values={"x": 2})], status="completed", node_count=9,
                 inputs={"a": 2}, pause=_pause())
    assert (info.value.epoch, info.value.expected_version) == (taken.epoch, 2)
    assert "another call claimed it" in str(info.value)
    run = store.get_run("w")
    assert run is not None and run.status is WorkflowStatus.ACTIVE and run.node_count == 0
    assert run.pause is None
    assert [s.node_name for s in store.steps("w")] == ["a"]
    assert store.get_inputs("w") == {"a": 1}
    Writer(store, taken).commit([rec("w", 1, "b", values={"x": 2})])
    assert store.state("w") == {"x": 2}


def test_a_lost_write_fences_the_writer_out(store: StoreCheckpointer) -> None:
    """Any write the writer did not make (here an out-of-band status change) moves the
    version on, so the writer's next commit fails instead of overwriting it."""
    w = start(store, "w")
    store.update_run_status_sync("w", "failed")
    with pytest.raises(ConcurrentRunError, match="written by someone else"):
        w.commit(status="completed")
    assert store.get_run("w").status is WorkflowStatus.FAILED  # type: ignore[union-attr]


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
    start(handles[0], "w")
    for round_ in range(10):
        snap = _snap(handles[0], "w")
        version = snap.run.version
        results = _race(2, lambda i, e=snap.run.epoch, v=version: handles[i].claim_run(
            ClaimRun("w", e, v)))
        wins = [v for kind, v in results if kind == "ok"]
        losses = [v for kind, v in results if kind == "err"]
        assert len(wins) == 1 and wins[0].version == version + 1, (round_, results)
        assert len(losses) == 1 and isinstance(losses[0], ConcurrentRunError)
        assert _snap(handles[1], "w").run.version == version + 1


def test_concurrent_starts_exactly_one_wins(backend: Backend) -> None:
    handles = [backend.open(), backend.open()]
    for i in range(5):
        wid = f"fresh-{i}"
        results = _race(2, lambda k, wid=wid: handles[k].start_run(
            StartRun(wid, graph_name=f"g{k}", inputs={"k": k})))
        kinds = sorted(kind for kind, _ in results)
        assert kinds == ["err", "ok"], results
        err = next(v for kind, v in results if kind == "err")
        assert isinstance(err, RunExistsError) and err.workflow_id == wid
        winner = next(i for i, (kind, _) in enumerate(results) if kind == "ok")
        snap = _snap(handles[0], wid)
        assert snap.run.graph_name == f"g{winner}" and snap.inputs == {"k": winner}


def test_fencing_stops_the_older_writer(backend: Backend) -> None:
    a, b = backend.open(), backend.open()
    start(a, "w")
    wa = Writer(a, a.claim_run(ClaimRun("w", 1, 1)))
    wa.commit([rec("w", 0, "one", values={"v": "a"})])
    snap_b = _snap(b, "w")
    wb = Writer(b, b.claim_run(ClaimRun("w", snap_b.run.epoch, snap_b.run.version)))
    with pytest.raises(ConcurrentRunError):
        wa.commit([rec("w", 1, "two", values={"v": "a2"})])
    wb.commit([rec("w", 1, "two", values={"v": "b"})], status="completed")
    assert a.state("w") == {"v": "b"}
    assert [s.node_name for s in a.steps("w")] == ["one", "two"]


def test_concurrent_commits_from_threads_on_one_store(store: StoreCheckpointer) -> None:
    """One checkpointer object shared by threads (each commits its own workflow)."""
    writers = [start(store, f"w{i}") for i in range(4)]

    def work(i: int) -> int:
        for ss in range(15):
            writers[i].commit([rec(f"w{i}", ss, "n", values={"ss": ss})])
        return i

    results = _race(4, work)
    assert [kind for kind, _ in results] == ["ok"] * 4, results
    for i in range(4):
        assert len(store.steps(f"w{i}")) == 15 and store.state(f"w{i}") == {"ss": 14}


def test_start_with_replace_resets_the_run_and_fences_its_old_writer(
    store: StoreCheckpointer,
) -> None:
    old = start(store, "m/0", parent_run_id="m", inputs={"x": 1})
    old.commit([rec("m/0", 0, "a", values={"y": 1})], status="failed", error_count=1)
    lease = store.start_run(StartRun("m/0", parent_run_id="m", inputs={"x": 2}, replace=True))
    assert lease.epoch == 2
    snap = _snap(store, "m/0")
    assert snap.steps == () and snap.inputs == {"x": 2}
    assert (snap.run.status, snap.run.error_count) == (WorkflowStatus.ACTIVE, 0)
    with pytest.raises(ConcurrentRunError):
        old.commit(status="completed")
    assert [r.id for r in store.list_children(ListChildren("m"))] == ["m/0"]


def test_text_any_database_can_hold_is_stored_safely(store: StoreCheckpointer) -> None:
    """A node error holding NUL or an unpaired surrogate is recorded, not a driver error."""
    w = start(store, "w", graph_name="g\x00raph")
    w.commit([rec("w", 0, "n", status="failed", error="ValueError: a\x00b \ud800 c")],
             status="failed", error_count=1, final=True)
    (step,) = store.steps("w")
    assert step.error == "ValueError: a\\0b \\ud800 c"
    run = store.get_run("w")
    assert run is not None and run.status is WorkflowStatus.FAILED
    assert run.graph_name == "g\\0raph"


# --- serialization errors ----------------------------------------------------------------------


def test_unserializable_output_names_node_and_output_and_writes_nothing(
    store: StoreCheckpointer,
) -> None:
    w = start(store, "w", inputs={"a": 1})
    bad = threading.Lock()
    with pytest.raises(CheckpointSerializationError) as info:
        w.commit(
            [rec("w", 0, "fine", values={"ok": 1}),
             rec("w", 0, "fetch", values={"page": "x", "client": bad})],
            status="completed", node_count=2, inputs={"b": 2},
        )
    err = info.value
    assert isinstance(err, TypeError)
    assert (err.run_id, err.node_name, err.output_name, err.superstep) == ("w", "fetch", "client", 0)
    assert "'client'" in str(err) and "'fetch'" in str(err)
    assert store.steps("w") == []
    run = store.get_run("w")
    assert run is not None and run.status is WorkflowStatus.ACTIVE and run.node_count == 0
    assert store.get_inputs("w") == {"a": 1}


def test_unserializable_input_is_named_and_nothing_is_created(store: StoreCheckpointer) -> None:
    with pytest.raises(CheckpointSerializationError, match="input 'conn'") as info:
        start(store, "w2", inputs={"ok": 1, "conn": threading.Lock()})
    assert info.value.node_name is None and info.value.output_name == "conn"
    assert store.get_run("w2") is None and store.get_inputs("w2") == {}
    w = start(store, "w")
    with pytest.raises(CheckpointSerializationError, match="input 'conn'"):
        w.commit(inputs={"conn": threading.Lock()})
    assert store.get_inputs("w") == {}


def test_unserializable_pause_value_writes_nothing(store: StoreCheckpointer) -> None:
    w = start(store, "w")
    bad = PauseRecord(node_name="ask", response_keys={"a": "a"}, superstep=0,
                      value=threading.Lock())
    with pytest.raises(CheckpointSerializationError, match="'ask'"):
        w.commit([rec("w", 0, "ask", status="paused")], status="paused", pause=bad)
    run = store.get_run("w")
    assert run is not None and run.pause is None and store.steps("w") == []


def test_unserializable_save_step(store: StoreCheckpointer) -> None:
    start(store, "w")
    with pytest.raises(CheckpointSerializationError, match="output 'o' of node 'n'"):
        store.save_step_sync(rec("w", 0, "n", values={"o": threading.Lock()}))
    assert store.steps("w") == []


def test_naive_timestamps_are_refused(store: StoreCheckpointer) -> None:
    w = start(store, "w")
    with pytest.raises(ValueError, match="timezone-aware"):
        w.commit([rec("w", 0, "n", created_at=datetime(2024, 1, 1))])
    assert store.steps("w") == []


# --- retention ------------------------------------------------------------------------------------


def test_retention_latest(backend: Backend) -> None:
    store = backend.open(policy=CheckpointPolicy(retention="latest"))
    w = start(store, "w")
    other = start(store, "other")
    for ss in range(4):
        w.commit([rec("w", ss, "loop", values={"i": ss})])
        if ss % 2 == 0:
            w.commit([rec("w", ss, "even", values={"e": ss})])
    other.commit([rec("other", 0, "loop", values={"i": -1})])
    store.save_step_sync(rec("w", 4, "even", values={"e": 4}))
    assert sorted((s.node_name, s.superstep) for s in store.steps("w")) == [
        ("even", 4), ("loop", 3),
    ]
    assert store.state("w") == {"i": 3, "e": 4}
    assert [s.superstep for s in store.steps("other")] == [0]  # other runs are untouched


def test_retention_windowed(backend: Backend) -> None:
    store = backend.open(policy=CheckpointPolicy(retention="windowed", window=2))
    w = start(store, "w")
    for ss in range(5):
        w.commit([rec("w", ss, f"n{ss}", values={"i": ss})])
    assert [s.superstep for s in store.steps("w")] == [3, 4]


def test_memory_honours_a_replaced_policy() -> None:
    cp = MemoryCheckpointer()
    w = start(cp, "w")
    w.commit([rec("w", 0, "a")])
    w.commit([rec("w", 1, "a")])
    cp.policy = CheckpointPolicy(retention="latest")
    w.commit([rec("w", 2, "a")])
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
    start(store, "old", inputs={"a": 1}).commit([rec("old", 0, "n", values={"x": 1})])
    busy = start(store, "busy")
    clock.now = T0 + timedelta(minutes=50)
    busy.commit([rec("busy", 0, "n")])  # keeps "busy" alive
    clock.now = T0 + timedelta(minutes=70)
    assert {r.id for r in store.runs()} == {"busy"}  # listing purges "old"
    assert store.get_run("old") is None and store.steps("old") == []
    assert store.get_inputs("old") == {}
    clock.now = T0 + timedelta(minutes=115)
    later = start(store, "later")  # a new run purges too
    assert {r.id for r in store.runs()} == {"later"}
    # a run that is written to is never purged by its own write
    clock.now = T0 + timedelta(hours=9)
    later.commit([rec("later", 0, "n")])
    assert store.get_run("later") is not None
    clock.now = T0 + timedelta(hours=11)
    assert store.purge_expired() == 1 and store.runs() == []


def test_purge_without_ttl_is_a_no_op(store: StoreCheckpointer) -> None:
    start(store, "w")
    assert store.purge_expired() == 0 and store.get_run("w") is not None
