"""``map(..., workflow_id=W)`` with a checkpointer: a parent run and one child run per item.

The parent run ``W`` is created (or claimed again); item ``i`` runs as ``"W/{i}"`` with
``parent_run_id=W`` and the item's input signature in its config. Repeating the call
skips items whose child run completed, matched by signature first and by index second;
every other item runs again from scratch (its child run is reset, which fences out any
writer of the previous attempt).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import attrs

from hypergraph_typed.checkpointers._derive import fold_state
from hypergraph_typed.checkpointers._records import WorkflowStatus
from hypergraph_typed.checkpointers.policy import CheckpointPolicy
from hypergraph_typed.checkpointers.protocol import (
    ClaimRun,
    CommitRun,
    Lease,
    ListChildren,
    LoadRun,
    StartRun,
)
from hypergraph_typed.compiler.plan import ExecutionPlan
from hypergraph_typed.runtime.durable import DurableRun, split_values
from hypergraph_typed.runtime.effects import Flow
from hypergraph_typed.runtime.results import MapResult, RunResult, RunStatus


def item_signature(values: dict[str, Any]) -> str:
    """A stable digest of an item's inputs (JSON, ``repr`` for what JSON cannot encode)."""
    text = json.dumps(sorted(values.items()), default=repr, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


@attrs.define
class MapStore:
    """The parent run of one persisted ``map()`` call and what its children left."""

    plan: ExecutionPlan
    policy: CheckpointPolicy
    lease: Lease
    done_by_signature: dict[str, str]
    done_by_index: dict[int, str]
    existing: set[str]


@attrs.frozen
class Skip:
    """A completed child: its stored state stands in for the item's result."""

    child_id: str
    state: dict[str, Any]

    def result(self, plan: ExecutionPlan) -> RunResult:
        names = {name for name, _ in plan.result_slots}
        values = {k: v for k, v in self.state.items() if k in names}
        return RunResult(values, RunStatus.COMPLETED, self.child_id, self.child_id, None, None, None)


def begin(
    plan: ExecutionPlan, wid: str, policy: CheckpointPolicy, parent_run_id: str | None = None,
) -> Flow[MapStore]:
    """Create the parent run, or claim it again and look at its children.

    ``parent_run_id``: a mapped GraphNode inside a checkpointed run, whose map run is a
    child of that run.
    """
    snap = yield LoadRun(wid)
    if snap is None:
        lease = yield StartRun(wid, graph_name=plan.graph_name, parent_run_id=parent_run_id,
                               config=plan.run_config)
        return MapStore(plan, policy, lease, {}, {}, set())
    lease = yield ClaimRun(wid, snap.run.epoch, snap.run.version)
    children = yield ListChildren(wid)
    by_sig: dict[str, str] = {}
    by_index: dict[int, str] = {}
    for child in children:
        if child.status is not WorkflowStatus.COMPLETED:
            continue
        sig = (child.config or {}).get("map_item_signature")
        if sig is not None:
            by_sig.setdefault(sig, child.id)
        tail = child.id.rsplit("/", 1)[-1]
        if tail.isdigit():
            by_index.setdefault(int(tail), child.id)
    return MapStore(plan, policy, lease, by_sig, by_index, {c.id for c in children})


def item(store: MapStore, index: int, values: dict[str, Any]) -> Flow[Skip | DurableRun]:
    """Skip a completed item, or (re)start its child run and return its writer."""
    sig = item_signature(values)
    done = store.done_by_signature.get(sig) or store.done_by_index.get(index)
    if done is not None:
        snap = yield LoadRun(done)
        return Skip(done, {} if snap is None else fold_state(snap.steps))
    plan = store.plan
    child_id = f"{store.lease.workflow_id}/{index}"
    _, others = split_values(plan, values, fresh=True)
    lease = yield StartRun(
        child_id, graph_name=plan.graph_name, parent_run_id=store.lease.workflow_id,
        config={**plan.run_config, "map_item_signature": sig}, inputs=others,
        replace=child_id in store.existing,
    )
    return DurableRun(plan, lease, store.policy)


def end(store: MapStore, result: MapResult | None) -> Flow[None]:
    """The parent's final status: FAILED if map raised, else COMPLETED (items cannot pause)."""
    failed = 0 if result is None else sum(1 for r in result.results if r.failed)
    status = WorkflowStatus.FAILED if result is None else WorkflowStatus.COMPLETED
    store.lease = yield CommitRun(
        store.lease, status=status, error_count=failed,
        node_count=0 if result is None else len(result.results), final=True,
    )
