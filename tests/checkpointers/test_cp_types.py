"""Persisted types, tables, policy and serializers: fields, defaults, reprs, to_dict."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta, timezone
from pathlib import Path
from typing import Any

import attrs
import pytest
from cp_helpers import T0, at, rec, start

import hypergraph_typed.checkpointers as cps
from hypergraph_typed.checkpointers import (
    Checkpoint,
    Checkpointer,
    CheckpointPolicy,
    JsonSerializer,
    LineageRow,
    LineageView,
    MemoryCheckpointer,
    PauseRecord,
    PostgresCheckpointer,
    Run,
    RunInspector,
    RunTable,
    SqliteCheckpointer,
    SqliteRunInspector,
    StepRecord,
    StepStatus,
    StepTable,
    SyncCheckpointerProtocol,
    WorkflowStatus,
)

# --- enums ----------------------------------------------------------------------------------


def test_enum_values_are_strings() -> None:
    assert [s.value for s in StepStatus] == ["completed", "failed", "paused"]
    assert [s.value for s in WorkflowStatus] == ["active", "paused", "completed", "failed"]
    assert StepStatus.PAUSED == "paused"
    assert WorkflowStatus("failed") is WorkflowStatus.FAILED


# --- StepRecord -------------------------------------------------------------------------------


def test_step_record_defaults() -> None:
    s = StepRecord(
        run_id="r", superstep=0, node_name="fetch", index=0, status=StepStatus.COMPLETED,
        input_versions={"x": 1},
    )
    assert (s.values, s.duration_ms, s.cached, s.decision, s.error) == (None, 0.0, False, None, None)
    assert (s.node_type, s.completed_at, s.child_run_id) == (None, None, None)
    assert s.created_at.tzinfo is timezone.utc


def test_step_record_is_frozen_and_converts_status() -> None:
    s = rec("r", 0, "a", status="failed")
    assert s.status is StepStatus.FAILED
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        s.superstep = 3  # type: ignore[misc]
    with pytest.raises(ValueError):
        rec("r", 0, "a", status="exploded")


def test_step_record_repr() -> None:
    s = rec("r", 0, "fetch", index=0, duration_ms=12.3)
    assert repr(s) == "Step [0] fetch | completed | 12ms | superstep 0"
    slow = rec("r", 4, "train", index=9, status="failed", duration_ms=1500)
    assert repr(slow) == "Step [9] train | failed | 1.5s | superstep 4"
    assert "2m05s" in repr(rec("r", 0, "x", duration_ms=125_000))


def test_step_record_to_dict_is_json_ready() -> None:
    s = rec(
        "r", 2, "gate", index=5, values={"_gate": "END"}, duration_ms=1.0, cached=True,
        decision="END", node_type="RouteNode", created_at=at(0), completed_at=at(1),
        child_run_id="r/gate", input_versions={"x": 2},
    )
    d = s.to_dict()
    assert d == {
        "run_id": "r", "superstep": 2, "node_name": "gate", "index": 5, "status": "completed",
        "input_versions": {"x": 2}, "values": {"_gate": "END"}, "duration_ms": 1.0,
        "cached": True, "decision": "END", "error": None, "node_type": "RouteNode",
        "created_at": "2024-05-01T12:00:00+00:00", "completed_at": "2024-05-01T12:00:01+00:00",
        "child_run_id": "r/gate",
    }
    json.dumps(d)


# --- Run / Checkpoint -------------------------------------------------------------------------


def test_run_defaults_and_status_conversion() -> None:
    r = Run(id="w", status="paused")  # type: ignore[arg-type]
    assert r.status is WorkflowStatus.PAUSED
    assert (r.graph_name, r.duration_ms, r.node_count, r.error_count) == (None, None, 0, 0)
    assert (r.parent_run_id, r.forked_from, r.fork_superstep) == (None, None, None)
    assert (r.retry_of, r.retry_index, r.config, r.completed_at) == (None, None, None, None)
    assert (r.epoch, r.version, r.pause) == (0, 0, None)
    assert r.created_at.tzinfo is timezone.utc
    with pytest.raises(ValueError):
        Run(id="w", status="sleeping")  # type: ignore[arg-type]


def test_run_repr_variants() -> None:
    failed = Run(
        id="id", status=WorkflowStatus.FAILED, graph_name="graph", duration_ms=820,
        node_count=4, error_count=1, forked_from="X", fork_superstep=3,
    )
    assert repr(failed) == "Run: id (graph) | failed | 820ms | 4 steps, 1 error, fork of X@3"
    retry = Run(
        id="j-retry-2", status=WorkflowStatus.COMPLETED, node_count=1, error_count=2,
        forked_from="j", retry_of="j", retry_index=2,
    )
    assert repr(retry) == "Run: j-retry-2 | completed | 1 step, 2 errors, retry #2 of j"
    child = Run(id="w/inner", status=WorkflowStatus.ACTIVE, parent_run_id="w")
    assert repr(child) == "Run: w/inner | active | 0 steps, child of w"


def test_run_to_dict() -> None:
    r = Run(
        id="w", status=WorkflowStatus.COMPLETED, graph_name="g", duration_ms=5.0, node_count=3,
        config={"graph_struct_hash": "s", "graph_code_hash": "c"}, created_at=T0,
        completed_at=at(2), epoch=4, version=9,
        pause=PauseRecord(node_name="inner/ask", response_keys={"q": "inner.q"}, superstep=2,
                          value="why?", answer={"inner.q": "because"}),
    )
    d = r.to_dict()
    assert d["status"] == "completed" and (d["epoch"], d["version"]) == (4, 9)
    assert d["pause"] == {
        "node_name": "inner/ask", "response_keys": {"q": "inner.q"}, "superstep": 2,
        "value": "why?", "values": None, "answer": {"inner.q": "because"},
    }
    assert d["created_at"] == "2024-05-01T12:00:00+00:00"
    assert d["completed_at"] == "2024-05-01T12:00:02+00:00"
    assert d["config"] == {"graph_struct_hash": "s", "graph_code_hash": "c"}
    assert set(d) == {f.name for f in Run.__dataclass_fields__.values()}
    json.dumps(d)


def test_checkpoint_repr() -> None:
    steps = [rec("X", i, f"n{i}") for i in range(4)]
    cp = Checkpoint(values={"a": 1, "b": 2, "c": 3}, steps=steps, source_run_id="X",
                    source_superstep=2)
    assert repr(cp) == "Checkpoint from X@2: 3 values, 4 steps"
    assert repr(Checkpoint(values={"a": 1}, steps=[])) == "Checkpoint: 1 value, 0 steps"
    assert (cp.retry_of, cp.retry_index) == (None, None)


# --- tables -----------------------------------------------------------------------------------


def test_run_table() -> None:
    runs = [Run(id="a", status=WorkflowStatus.ACTIVE), Run(id="bb", status=WorkflowStatus.FAILED)]
    table = RunTable(runs, steps_by_run={"a": []})
    assert isinstance(table, list) and list(table) == runs
    assert table.steps_by_run == {"a": []}
    lines = repr(table).splitlines()
    assert lines[0] == "RunTable: 2 runs"
    assert lines[1].split() == ["id", "status", "graph", "duration", "steps", "errors", "created"]
    assert lines[3].startswith("bb  failed")
    assert repr(RunTable()) == "RunTable: 0 runs" and RunTable().steps_by_run is None


def test_step_table() -> None:
    table = StepTable([rec("r", 0, "fetch", duration_ms=3), rec("r", 1, "boom", status="failed",
                                                              error="bad")])
    lines = repr(table).splitlines()
    assert lines[0] == "StepTable: 2 steps"
    assert lines[2].split() == ["0", "0", "fetch", "completed", "3ms"]
    assert lines[3].split() == ["1", "1", "boom", "failed", "0ms", "bad"]
    assert repr(StepTable()) == "StepTable: 0 steps"


def test_lineage_types() -> None:
    root = Run(id="root", status=WorkflowStatus.COMPLETED)
    fork = Run(id="root-fork-1", status=WorkflowStatus.ACTIVE, forked_from="root")
    row = LineageRow(0, root, 0)
    assert row.is_selected is False
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        row.depth = 2  # type: ignore[misc]
    view = LineageView(
        [row, LineageRow(0, fork, 1, is_selected=True)], selected_run_id="root-fork-1",
        root_run_id="root",
    )
    assert isinstance(view, list) and len(view) == 2
    assert (view.selected_run_id, view.root_run_id, view.steps_by_run) == (
        "root-fork-1", "root", None,
    )
    lines = repr(view).splitlines()
    assert lines[0] == "LineageView: 2 runs | root root | selected root-fork-1"
    assert lines[2].split()[:4] == ["*", "root", "completed", "root"]
    assert lines[3].split()[:6] == ["@", "root-fork-1", "active", "fork", "of", "root"]


# --- policy -----------------------------------------------------------------------------------


def test_policy_defaults() -> None:
    p = CheckpointPolicy()
    assert (p.durability, p.retention, p.window, p.ttl) == ("async", "full", None, None)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"durability": "exit"}, "retention='latest'"),
        ({"durability": "exit", "retention": "windowed", "window": 2}, "retention='latest'"),
        ({"retention": "windowed"}, "needs window"),
        ({"retention": "windowed", "window": 0}, "positive int"),
        ({"retention": "windowed", "window": -3}, "positive int"),
        ({"retention": "windowed", "window": 2.5}, "positive int"),
        ({"retention": "windowed", "window": True}, "positive int"),
        ({"retention": "latest", "window": 3}, "only applies"),
        ({"window": 3}, "only applies"),
        ({"ttl": timedelta(0)}, "positive"),
        ({"ttl": timedelta(seconds=-1)}, "positive"),
        ({"ttl": 60}, "timedelta"),
        ({"durability": "eventually"}, "durability must be one of"),
        ({"retention": "some"}, "retention must be one of"),
    ],
)
def test_policy_validation(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        CheckpointPolicy(**kwargs)


def test_policy_valid_combinations() -> None:
    assert CheckpointPolicy(durability="exit", retention="latest").retention == "latest"
    assert CheckpointPolicy(retention="windowed", window=3).window == 3
    assert CheckpointPolicy(durability="sync", ttl=timedelta(days=1)).ttl == timedelta(days=1)


def test_constructor_policy_shortcuts(tmp_path: Path) -> None:
    cp = SqliteCheckpointer(tmp_path / "a.db", durability="sync", retention="latest")
    assert (cp.policy.durability, cp.policy.retention) == ("sync", "latest")
    with pytest.raises(ValueError, match="not both"):
        SqliteCheckpointer(tmp_path / "a.db", policy=CheckpointPolicy(), durability="sync")
    with pytest.raises(ValueError, match="not both"):
        PostgresCheckpointer("dbname=x", policy=CheckpointPolicy(), retention="latest")
    with pytest.raises(ValueError, match="retention='latest'"):
        SqliteCheckpointer(tmp_path / "a.db", durability="exit")
    assert not (tmp_path / "a.db").exists()  # nothing is opened before first use
    assert isinstance(SqliteCheckpointer(tmp_path / "b.db").serializer, JsonSerializer)
    assert MemoryCheckpointer().policy == CheckpointPolicy()


# --- protocols, base class, modules ------------------------------------------------------------


def test_sync_protocol(tmp_path: Path) -> None:
    assert isinstance(MemoryCheckpointer(), SyncCheckpointerProtocol)
    assert isinstance(SqliteCheckpointer(tmp_path / "p.db"), SyncCheckpointerProtocol)
    assert isinstance(PostgresCheckpointer("dbname=x"), SyncCheckpointerProtocol)
    assert not isinstance(object(), SyncCheckpointerProtocol)


class _DictCheckpointer(Checkpointer):
    """The smallest user-written checkpointer: only the abstract async methods."""

    def __init__(self) -> None:
        super().__init__()
        self.runs: dict[str, Run] = {}
        self.steps: list[StepRecord] = []

    async def save_step(self, record: StepRecord) -> None:
        self.steps.append(record)

    async def create_run(self, run_id: str, **kwargs: Any) -> Run:  # type: ignore[override]
        self.runs[run_id] = Run(id=run_id, status=WorkflowStatus.ACTIVE, **kwargs)
        return self.runs[run_id]

    async def update_run_status(self, run_id: str, status: Any, **kwargs: Any) -> None:
        pass

    async def get_state(self, run_id: str, *, superstep: int | None = None) -> dict[str, Any]:
        return {}

    async def get_steps(self, run_id: str, *, superstep: int | None = None) -> list[StepRecord]:
        return [s for s in self.steps if s.run_id == run_id
                and (superstep is None or s.superstep <= superstep)]

    async def get_run_async(self, run_id: str) -> Run | None:
        return self.runs.get(run_id)

    async def list_runs(self, *, status: Any = None, parent_run_id: Any = None,
                        limit: int | None = 100) -> list[Run]:
        return list(self.runs.values())


def test_checkpointer_base_provided_methods() -> None:
    async def scenario() -> None:
        cp = _DictCheckpointer()
        assert cp.policy == CheckpointPolicy()
        await cp.create_run("src")
        await cp.save_step(rec("src", 0, "a", values={"x": 1}))
        await cp.save_step(rec("src", 1, "b", values={"x": 2, "y": 3}))
        checkpoint = await cp.get_checkpoint("src", superstep=0)
        assert checkpoint.values == {"x": 1} and checkpoint.source_superstep == 0
        assert (await cp.get_checkpoint("src")).source_superstep == 1
        wid, fork = await cp.fork_workflow_async("src")
        assert wid.startswith("src-fork-") and len(wid) == len("src-fork-") + 6
        assert fork.values == {"x": 2, "y": 3}
        with pytest.raises(ValueError, match="'nope'"):
            await cp.fork_workflow_async("nope")
        await cp.create_run("src-retry-1", retry_of="src")
        rid, retry = await cp.retry_workflow_async("src")
        assert (rid, retry.retry_of, retry.retry_index) == ("src-retry-2", "src", 2)
        with pytest.raises(ValueError, match="'nope'"):
            await cp.retry_workflow_async("nope")
        assert await cp.search_async("anything") == []
        await cp.initialize()
        await cp.close()
        cp.close()  # also fine without await

    asyncio.run(scenario())
    with pytest.raises(TypeError):
        Checkpointer()  # type: ignore[abstract]


def test_alias_modules_export_the_same_objects() -> None:
    from hypergraph_typed.checkpointers import base, memory, serializers, sqlite, types

    assert types.StepRecord is StepRecord and types.Run is Run and types.RunTable is RunTable
    assert types.CheckpointPolicy is CheckpointPolicy
    assert base.Checkpointer is Checkpointer
    assert memory.MemoryCheckpointer is MemoryCheckpointer
    assert sqlite.SqliteCheckpointer is SqliteCheckpointer
    assert serializers.JsonSerializer is JsonSerializer
    required = {
        "Checkpointer", "CheckpointPolicy", "Checkpoint", "JsonSerializer", "LineageRow",
        "LineageView", "MemoryCheckpointer", "PickleSerializer", "Run", "RunInspector",
        "RunTable", "Serializer", "SqliteCheckpointer", "SqliteRunInspector", "StepRecord",
        "StepStatus", "StepTable", "SyncCheckpointerProtocol", "WorkflowStatus",
    }
    assert required <= set(cps.__all__)


def test_sqlite_run_inspector(tmp_path: Path) -> None:
    cp = SqliteCheckpointer(tmp_path / "i.db")
    try:
        start(cp, "w", graph_name="g").commit([rec("w", 0, "a", values={"x": 1}, duration_ms=2)])
        inspector = SqliteRunInspector(cp)
        assert isinstance(inspector, RunInspector)
        assert inspector.db_path == str(tmp_path / "i.db")
        with pytest.raises(attrs.exceptions.FrozenInstanceError):
            inspector.checkpointer = cp  # type: ignore[misc]
        assert inspector.get_run("w") == cp.get_run("w")
        assert [r.id for r in inspector.runs()] == ["w"]
        assert inspector.state("w") == {"x": 1} == inspector.values("w")
        assert inspector.values("w", key="x") == {"x": 1}
        assert [s.node_name for s in inspector.steps("w")] == ["a"]
        assert inspector.checkpoint("w").values == {"x": 1}
        assert inspector.stats("w")["a"]["steps"] == 1
        assert [s.node_name for s in inspector.search("a")] == ["a"]
        assert inspector.lineage("w").root_run_id == "w"
        assert not hasattr(inspector, "commit_run")
    finally:
        cp.close()
