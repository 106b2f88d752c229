"""``map(..., workflow_id=W)`` with a checkpointer: a parent run and one child run per item.

The parent run ``W`` is created (or claimed again); item ``i`` runs as ``"W/{i}"`` with
``parent_run_id=W`` and the item's input signature in its config. Repeating the call
skips items whose child run completed, matched by signature first and by index second;
every other item runs again from scratch. The flows are generators of checkpointer calls,
driven sync or async like ``checkpointed_start``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Generator
from typing import Any

import attrs

from hypergraph_typed.checkpointers.types import WorkflowStatus
from hypergraph_typed.compiler.plan import ExecutionPlan
from hypergraph_typed.runtime import persist
from hypergraph_typed.runtime.checkpointed_start import Call
from hypergraph_typed.runtime.results import MapResult, RunResult, RunStatus


def item_signature(values: dict[str, Any]) -> str:
    """A stable digest of an item's inputs (JSON, ``repr`` for what JSON cannot encode)."""
    text = json.dumps(sorted(values.items()), default=repr, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


@attrs.define
class MapStore:
    """The parent run of one persisted ``map()`` call and its completed children."""

    checkpointer: Any
    plan: ExecutionPlan
    workflow_id: str
    claim: int
    done_by_signature: dict[str, str]
    done_by_index: dict[int, str]


def begin(cp: Any, plan: ExecutionPlan, wid: str) -> Generator[Call, Any, MapStore]:
    run = yield "get_run", (wid,), {}
    by_sig: dict[str, str] = {}
    by_index: dict[int, str] = {}
    if run is None:
        run = yield "create_run_new", (wid,), {
            "graph_name": plan.graph_name, "config": persist.graph_config(plan),
        }
        return MapStore(cp, plan, wid, run.claim, by_sig, by_index)
    claim = yield "claim_run", (wid, run.claim), {}
    children = yield "runs|list_runs", (), {"parent_run_id": wid, "limit": None}
    for child in children:
        if child.status is not WorkflowStatus.COMPLETED:
            continue
        sig = (child.config or {}).get("map_item_signature")
        if sig is not None:
            by_sig.setdefault(sig, child.id)
        tail = child.id.rsplit("/", 1)[-1]
        if tail.isdigit():
            by_index.setdefault(int(tail), child.id)
    return MapStore(cp, plan, wid, claim, by_sig, by_index)


@attrs.frozen
class Skip:
    """A completed child: its stored state stands in for the item's result."""

    child_id: str
    state: dict[str, Any]

    def result(self, plan: ExecutionPlan) -> RunResult:
        names = {name for name, _ in plan.result_slots}
        values = {k: v for k, v in self.state.items() if k in names}
        return RunResult(values, RunStatus.COMPLETED, self.child_id, self.child_id, None, None, None)


def item(
    store: MapStore, index: int, values: dict[str, Any]
) -> Generator[Call, Any, Skip | persist.CheckpointSession]:
    """Skip a completed item, or (re)create its child run and return its step writer."""
    sig = item_signature(values)
    done = store.done_by_signature.get(sig) or store.done_by_index.get(index)
    if done is not None:
        state = yield "state|get_state", (done,), {}
        return Skip(done, state)
    plan = store.plan
    child_id = f"{store.workflow_id}/{index}"
    config = {**persist.graph_config(plan), "map_item_signature": sig}
    lineage = {"graph_name": plan.graph_name, "parent_run_id": store.workflow_id, "config": config}
    existing = yield "get_run", (child_id,), {}
    if existing is None:
        run = yield "create_run_new", (child_id,), lineage
    else:  # from scratch: the upsert resets the run and moves its claim on
        run = yield "create_run_sync|create_run", (child_id,), lineage
    _, others = persist.split_values(plan, values, fresh=True)
    return persist.CheckpointSession(store.checkpointer, plan, child_id, run.claim, inputs=others)


def end(store: MapStore, result: MapResult | None) -> Call:
    """The parent's final status: FAILED if map raised, else COMPLETED (items cannot pause)."""
    failed = 0 if result is None else sum(1 for r in result.results if r.failed)
    status = WorkflowStatus.FAILED if result is None else WorkflowStatus.COMPLETED
    return "commit_superstep", (store.workflow_id, []), {
        "claim": store.claim, "status": status, "error_count": failed,
        "node_count": 0 if result is None else len(result.results),
    }
