"""Checkpointed runs: writing each superstep's step records, and rebuilding run state.

A ``CheckpointSession`` belongs to one top-level ``run()`` call on one workflow. Nodes
are staged while a superstep runs; a superstep's records are sealed when it ends
and written (with, on the first write, the run's inputs) in one transaction, fenced by
the run's claim, before the next superstep starts; the last superstep's records go in
the same transaction as the run's final status. ``restore`` replays completed step records onto a fresh
scheduler, which rebuilds values, versions, "has run" flags and gate decisions exactly
as the live run had them.
"""

from __future__ import annotations

import secrets
import time
from datetime import datetime, timezone
from typing import Any

from hypergraph_typed._sentinels import END, MISSING
from hypergraph_typed.checkpointers.types import StepRecord, StepStatus, WorkflowStatus
from hypergraph_typed.compiler.plan import GATE, GRAPH, ExecutionPlan, NodePlan
from hypergraph_typed.exceptions import (
    ConcurrentRunError,
    GraphChangedError,
    InputOverrideRequiresForkError,
    WorkflowAlreadyCompletedError,
)
from hypergraph_typed.runtime import prepare as prep
from hypergraph_typed.runtime.features import outputs_dict
from hypergraph_typed.runtime.results import RunStatus
from hypergraph_typed.runtime.scheduler import Scheduler

_WORKFLOW_STATUS = {
    RunStatus.COMPLETED: WorkflowStatus.COMPLETED,
    RunStatus.FAILED: WorkflowStatus.FAILED,
    RunStatus.PAUSED: WorkflowStatus.PAUSED,
}


class CheckpointSession:
    """Step writer for one checkpointed call (see module docstring)."""

    __slots__ = (
        "_sealed", "_staged", "at_exit", "checkpointer", "child_counts", "claim", "error_count", "inputs", "next_index",
        "node_count", "plan", "started", "workflow_id",
    )

    def __init__(
        self, checkpointer: Any, plan: ExecutionPlan, workflow_id: str, claim: int, *,
        next_index: int = 0, node_count: int = 0, error_count: int = 0,
        inputs: dict[str, Any] | None = None, steps: list[StepRecord] | None = None,
    ) -> None:
        self.checkpointer = checkpointer
        self.plan = plan
        self.workflow_id = workflow_id
        self.claim = claim
        self.next_index = next_index
        self.node_count = node_count
        self.error_count = error_count
        self.inputs = inputs or None
        self._staged: list[tuple[Any, ...]] = []
        self._sealed: list[StepRecord] = []
        self.started = False
        # GraphNode visits so far, by node: a nested run is persisted as the child run
        # "{workflow}/{node}" ("/{n}" appended for the n-th later visit in a cycle).
        self.child_counts: dict[str, int] = {}
        for rec in steps or ():
            if rec.child_run_id is not None and rec.status is StepStatus.COMPLETED:
                self.child_counts[rec.node_name] = self.child_counts.get(rec.node_name, 0) + 1
        # durability="exit": everything is written once, when the call ends.
        policy = getattr(checkpointer, "policy", None)
        self.at_exit = getattr(policy, "durability", None) == "exit"

    def child_id(self, node_name: str) -> str:
        count = self.child_counts.get(node_name, 0)
        base = f"{self.workflow_id}/{node_name}"
        return base if count == 0 else f"{base}/{count}"

    def stage(
        self, np: NodePlan, status: str, seconds: float, out: Any, *,
        error: BaseException | None = None, cached: bool = False, decision: Any = None,
    ) -> None:
        child = None
        if np.kind == GRAPH and np.node.map_config is None:
            child = self.child_id(np.name)
            if status == "completed":
                self.child_counts[np.name] = self.child_counts.get(np.name, 0) + 1
        self._staged.append((np, status, seconds, out, error, cached, decision, child))

    def _records(self, sched: Scheduler, superstep: int) -> list[StepRecord]:
        staged = sorted(self._staged, key=lambda s: s[0].index)  # graph node order
        self._staged = []
        now = datetime.now(timezone.utc)
        records = []
        for np, status, seconds, out, error, cached, decision, child in staged:
            versions: dict[str, int] = {}
            consumed = sched.consumed[np.index]
            if consumed is not None:
                versions.update(zip(np.node.inputs, consumed))
            waited = sched.wait_consumed[np.index]
            if waited is not None:
                versions.update(zip(np.node.wait_for, waited))
            records.append(StepRecord(
                run_id=self.workflow_id, superstep=superstep, node_name=np.name,
                index=self.next_index, status=StepStatus(status), input_versions=versions,
                values=outputs_dict(np, out) if status == "completed" else None,
                duration_ms=round(seconds * 1000, 3), cached=cached, decision=decision,
                error=None if error is None else f"{type(error).__name__}: {error}",
                node_type=type(np.node).__name__, created_at=now,
                completed_at=now if status != "paused" else None, child_run_id=child,
            ))
            self.next_index += 1
            self.node_count += 1
            self.error_count += status == "failed"
        return records

    def _take_inputs(self) -> dict[str, Any] | None:
        inputs, self.inputs = self.inputs, None
        return inputs

    def _status(self) -> WorkflowStatus | None:
        """ACTIVE on the first write of this call (a resumed run stops looking paused)."""
        if self.started:
            return None
        self.started = True
        return WorkflowStatus.ACTIVE

    # A finished superstep's records are sealed at its end and written before the next
    # superstep starts, or with the final status in one transaction when the call ends.
    def seal(self, sched: Scheduler, superstep: int) -> None:
        self._sealed.extend(self._records(sched, superstep))

    def _write_args(self) -> dict[str, Any] | None:
        if self.at_exit or not (self._sealed or self.inputs or not self.started):
            return None
        records, self._sealed = self._sealed, []
        return {
            "claim": self.claim, "inputs": self._take_inputs(), "status": self._status(),
            "records": records,
        }

    def write_sync(self) -> None:
        args = self._write_args()
        if args is not None:
            records = args.pop("records")
            self.checkpointer.commit_superstep(self.workflow_id, records, **args)

    async def write_async(self) -> None:
        args = self._write_args()
        if args is not None:
            records = args.pop("records")
            await self.checkpointer.commit_superstep_async(self.workflow_id, records, **args)

    def _final(self, status: RunStatus, seconds: float) -> dict[str, Any]:
        self.started = True
        records, self._sealed = self._sealed, []
        return {
            "records": records, "claim": self.claim, "status": _WORKFLOW_STATUS[status],
            "duration_ms": round(seconds * 1000, 3), "node_count": self.node_count,
            "error_count": self.error_count, "inputs": self._take_inputs(),
        }

    def finish_sync(self, status: RunStatus, seconds: float, error: BaseException | None) -> None:
        args = self._final(status, seconds)
        self.checkpointer.commit_superstep(self.workflow_id, args.pop("records"), **args)

    async def finish_async(
        self, status: RunStatus, seconds: float, error: BaseException | None
    ) -> None:
        args = self._final(status, seconds)
        await self.checkpointer.commit_superstep_async(
            self.workflow_id, args.pop("records"), **args
        )


def _decision(value: Any) -> Any:
    """Stored decisions come back in serialized form: ``"END"`` is ``END`` again."""
    if value == "END":
        return END
    if isinstance(value, list):
        return [_decision(v) for v in value]
    return value


def restore(
    plan: ExecutionPlan, steps: list[StepRecord], inputs: dict[str, Any],
    state: dict[str, Any] | None = None,
) -> tuple[Scheduler, int]:
    """A scheduler in the state the stored steps left, and the next superstep number.

    Inputs enter as the run's initial values; each completed step is then committed
    again, in order, with its recorded input versions. ``state`` (a checkpoint's folded
    values) fills any value the replay did not produce, e.g. outputs of nodes that a
    different graph version ran.
    """
    slot_index = plan.slot_index
    initial = {slot_index[k]: v for k, v in inputs.items() if k in slot_index}
    sched = Scheduler(plan, initial, restored=True)
    by_name = {np.name: np for np in plan.nodes}
    last = -1
    for rec in sorted(steps, key=lambda r: r.index):
        last = max(last, rec.superstep)
        if rec.status is not StepStatus.COMPLETED:
            continue
        np = by_name.get(rec.node_name)
        if np is None:
            continue
        n = np.index
        iv = rec.input_versions
        sched.consumed[n] = [iv.get(name, 0) for name in np.node.inputs]
        if np.wait_slots:
            sched.wait_consumed[n] = [iv.get(name, 0) for name in np.node.wait_for]
        values = rec.values or {}
        if np.kind == GATE:
            decision = _decision(values.get(np.node.data_outputs[0], rec.decision))
            sched.commit_gate(n, decision, np.node.selected_targets(decision))
        else:
            sched.commit(n, tuple(values.get(o, MISSING) for o in np.node.data_outputs))
    if state:
        for name, v in state.items():
            s = slot_index.get(name)
            if s is not None and sched.values[s] is MISSING:
                sched.values[s] = v
                sched.versions[s] = 1
    sched.candidates = set(range(len(plan.nodes)))
    return sched, last + 1


def override(sched: Scheduler, plan: ExecutionPlan, values: dict[str, Any]) -> None:
    """Runtime values on top of restored state: a new version, and their consumers run again.

    Graph inputs are not staleness sources in a live run (they never change mid-run), so
    consumers are reset to "not run yet" explicitly.
    """
    for name, v in values.items():
        s = plan.slot_index.get(name)
        if s is None:
            continue
        sched.values[s] = v
        sched.versions[s] += 1
        for n in plan.slot_readers[s]:
            sched.ran[n] = False
            sched.consumed[n] = None


def new_workflow_id() -> str:
    return f"run-{time.strftime('%Y%m%d')}-{secrets.token_hex(3)}"


def graph_config(plan: ExecutionPlan) -> dict[str, Any]:
    """The run config every checkpointed run stores (hashes computed once per plan)."""
    config: dict[str, Any] | None = plan.memo.get("graph_config")
    if config is None:
        config = plan.memo["graph_config"] = {
            "graph_struct_hash": plan.graph.structural_hash,
            "graph_code_hash": plan.graph.definition_hash,
        }
    return dict(config)


def split_values(
    plan: ExecutionPlan, values: dict[str, Any], *, fresh: bool = False
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(interrupt answers incl. nested dot keys, everything else).

    On a fresh run, a value an entrypoint reads is an input even if an interrupt also
    produces it (``plan.seed_answers``): it starts the cycle.
    """
    answers = {
        k: v for k, v in values.items()
        if (k in plan.resume_keys or "." in k) and not (fresh and k in plan.seed_answers)
    }
    return answers, {k: v for k, v in values.items() if k not in answers}


def check_resume(
    plan: ExecutionPlan, run: Any, values: dict[str, Any], steps: list[StepRecord]
) -> None:
    """The spec's checks, in order, before an existing workflow may resume.

    Beyond the spec, an answer must meet a question: answers for a workflow that is
    running right now, or for an interrupt that is not waiting, are refused rather than
    silently dropped.
    """
    wid = run.id
    stored = (run.config or {}).get("graph_struct_hash")
    if stored is not None and stored != graph_config(plan)["graph_struct_hash"]:
        raise GraphChangedError(
            f"Workflow {wid!r} was created by a graph with a different structure (nodes or "
            "wiring changed since). Start a new workflow_id, or resume with the original graph",
            workflow_id=wid,
        )
    _, others = split_values(plan, values)
    if others:
        raise InputOverrideRequiresForkError(
            f"Workflow {wid!r} already exists; run() may only pass interrupt answers "
            f"({sorted(plan.resume_keys)}) when resuming, got {sorted(others)}. To change "
            "inputs, fork: run(..., fork_from=" + repr(wid) + ") or override_workflow=True",
            workflow_id=wid,
        )
    if run.status is WorkflowStatus.COMPLETED:
        raise WorkflowAlreadyCompletedError(
            f"Workflow {wid!r} has already completed; start a new workflow_id, or fork it "
            f"with run(..., fork_from={wid!r})",
            workflow_id=wid,
        )
    if values:
        _check_answers_meet_questions(plan, run, values, steps)


def _check_answers_meet_questions(
    plan: ExecutionPlan, run: Any, answers: dict[str, Any], steps: list[StepRecord]
) -> None:
    wid = run.id
    if run.status is WorkflowStatus.ACTIVE:
        raise ConcurrentRunError(
            f"Workflow {wid!r} is being run right now (status active), so it is not waiting "
            f"for {sorted(answers)}. Wait for that run to pause, then answer; if its process "
            "died, resume it once without answers to finish the interrupted step",
            workflow_id=wid,
        )
    last: dict[str, StepStatus] = {}
    for rec in sorted(steps, key=lambda r: r.index):
        last[rec.node_name] = rec.status
    pending = {name for name, status in last.items() if status is StepStatus.PAUSED}
    owners = plan.answer_owner
    for key in answers:
        owner = owners.get(key)
        if owner is not None and owner not in pending:
            waiting = sorted(k for k, o in owners.items() if o in pending)
            raise ValueError(
                f"Workflow {wid!r} is not waiting for {key!r} (node {owner!r} is not paused); "
                + (f"it is waiting for {waiting}" if waiting else "nothing is pending")
                + ". Pass the answer under the pending response_key"
            )


def resume_prepared(
    plan: ExecutionPlan, inputs: dict[str, Any], answers: dict[str, Any]
) -> prep.Prepared:
    """What a resumed call feeds the scheduler: only the answers; state comes from steps."""
    by_slot: dict[int, Any] = {}
    nested: dict[str, dict[str, Any]] = {}
    for key, v in answers.items():
        target = plan.nested_resume.get(key)
        if target is not None:
            nested.setdefault(target[0], {})[target[1]] = v
        elif key in plan.answer_slots:
            by_slot[plan.answer_slots[key]] = v
    return prep.Prepared({}, by_slot, nested, {**inputs, **answers})
