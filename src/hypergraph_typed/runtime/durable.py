"""Checkpointed runs: how a call starts (fresh, resume, fork, retry) and how it is written.

Everything goes through the store protocol (``checkpointers.protocol``) as requests the
flows yield; the runner's driver sends them. The rules, in the order a call meets them:

* **Start.** A new run is created together with its inputs in one transaction, after
  the inputs were checked (required inputs, types under ``type_check="edges"``) and
  before any node runs; serialization happens before the transaction opens. A failed
  start leaves nothing behind.
* **Resume.** The run is read as one snapshot, checked (graph unchanged, only answers
  given, not completed, the answers meet the pending pause), then claimed by
  compare-and-set on the version read, with the answers recorded in the same
  transaction, before any node runs. A caller that read an older version, or came
  second, gets ``ConcurrentRunError`` and nothing happens.
* **Writes.** Every write is fenced by the writer's lease (epoch and version). Each
  superstep's records are written in one transaction before the next superstep starts,
  so a node that finished is never run again after a crash; the last superstep goes
  with the call's final status. A superstep that ran no user code (only interrupts
  that took a supplied answer, which the claim already recorded) is written with the
  next write instead. With ``durability="exit"`` everything is written once, at the end.
* **Answers are consumed once.** A pause answered by a claim is recorded with its
  answer; a later call that delivers the same answer again (a retry after a crash)
  resumes the run with the stored answer, a different one is refused.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta, timezone
from typing import Any

import attrs

from hypergraph_typed._ids import random_hex
from hypergraph_typed.checkpointers._derive import fold_state, fork_id, last_superstep, retry_id
from hypergraph_typed.checkpointers._records import (
    Checkpoint,
    PauseRecord,
    StepRecord,
    StepStatus,
    WorkflowStatus,
)
from hypergraph_typed.checkpointers.base import unknown_source
from hypergraph_typed.checkpointers.policy import CheckpointPolicy
from hypergraph_typed.checkpointers.protocol import (
    ClaimRun,
    CommitRun,
    CountRetries,
    Lease,
    LoadAndClaim,
    LoadRun,
    RunSnapshot,
    StartRun,
)
from hypergraph_typed.compiler.plan import GRAPH, INTERRUPT, ExecutionPlan, NodePlan
from hypergraph_typed.exceptions import (
    AnswerConflictError,
    ConcurrentRunError,
    GraphChangedError,
    InputOverrideRequiresForkError,
    RunExistsError,
    WorkflowAlreadyCompletedError,
    WorkflowForkError,
)
from hypergraph_typed.runtime import logs
from hypergraph_typed.runtime import prepare as prep
from hypergraph_typed.runtime.effects import Flow
from hypergraph_typed.runtime.features import outputs_dict
from hypergraph_typed.runtime.restore import check_seed_inputs, override, restore
from hypergraph_typed.runtime.results import PauseInfo, RunStatus
from hypergraph_typed.runtime.scheduler import Scheduler
from hypergraph_typed.runtime.typecheck import check_prepared

# A repeated answer takes over an active run once it has not been written for this long
# (its process is then taken for dead); see ``_check_not_running``.
STALE_AFTER = timedelta(seconds=30)

_WORKFLOW_STATUS = {
    RunStatus.COMPLETED: WorkflowStatus.COMPLETED,
    RunStatus.FAILED: WorkflowStatus.FAILED,
    RunStatus.PAUSED: WorkflowStatus.PAUSED,
}
_STEP_STATUS = {
    "completed": StepStatus.COMPLETED,
    "failed": StepStatus.FAILED,
    "paused": StepStatus.PAUSED,
}

class DurableRun:
    """The writer of one call on one stored run (top-level or a nested child run).

    Nodes are staged while a superstep runs and sealed into step records when it ends;
    ``flush`` writes the sealed records before the next superstep starts (when ``due``:
    not with ``durability="exit"``, nor before a superstep of interrupts only),
    ``finish`` writes what is left with the final status and, for a pause, the pause
    record. Each write is fenced by ``lease``, which moves on.
    """

    __slots__ = (
        "_redo_free", "_sealed", "_staged", "at_exit", "child_counts", "error_count",
        "lease", "next_index", "node_count", "plan", "source_children", "sync_commits",
    )

    def __init__(
        self, plan: ExecutionPlan, lease: Lease, policy: CheckpointPolicy, *,
        next_index: int = 0, node_count: int = 0, error_count: int = 0,
        steps: Sequence[StepRecord] = (),
    ) -> None:
        self.plan: ExecutionPlan = plan
        self.lease: Lease = lease
        self.next_index: int = next_index
        self.node_count: int = node_count
        self.error_count: int = error_count
        self.at_exit: bool = policy.durability == "exit"
        # durability="sync": every commit is durable before the next superstep starts;
        # otherwise only each call's last one (which makes the whole chain durable).
        self.sync_commits: bool = policy.durability == "sync"
        self._staged: list[tuple[Any, ...]] = []
        # Whether every sealed record could be rebuilt after a crash without running
        # user code (interrupts answered from the claim's recorded answers).
        self._redo_free = True
        self._sealed: list[StepRecord] = []
        # GraphNode visits so far, by node: a nested run is persisted as the child run
        # "{workflow}/{node}", then "{workflow}/{node}/2", "/3", ... for the later
        # visits in a cycle ("#2", "#3", ... for a map_over node; see ``child_id``).
        self.child_counts: dict[str, int] = {}
        for rec in steps:
            if rec.child_run_id is not None and rec.status is StepStatus.COMPLETED:
                self.child_counts[rec.node_name] = self.child_counts.get(rec.node_name, 0) + 1
        # A run started from a checkpoint (fork, retry): the source's child run of each
        # nested pause it continues, so the new child starts from it (``forked_from``).
        self.source_children: dict[str, str] = {}

    @property
    def workflow_id(self) -> str:
        """The id of the stored run this writer writes to."""
        return self.lease.workflow_id

    def child_id(self, np: NodePlan) -> str:
        """The child run id of the next visit of GraphNode ``np``: ``W/node`` first, then
        ``W/node/2``, ``W/node/3``, ... in a cycle (``W/node#2``, ... for a ``map_over``
        node, whose items are ``W/node/0``, ``W/node/1``, ...)."""
        count = self.child_counts.get(np.name, 0)
        base = f"{self.lease.workflow_id}/{np.name}"
        if count == 0:
            return base
        sep = "/" if np.graph_call is None else np.graph_call.visit_sep
        return f"{base}{sep}{count + 1}"

    def stage(
        self, np: NodePlan, status: str, seconds: float, out: Any, *,
        error: BaseException | None = None, cached: bool = False, decision: Any = None,
        answered: bool = False,
    ) -> None:
        """Record a node's outcome; ``answered``: an interrupt that took a supplied answer."""
        if not answered:
            self._redo_free = False
        child = None
        if np.kind == GRAPH and np.graph_call is not None:
            child = self.child_id(np)
            if status == "completed":
                self.child_counts[np.name] = self.child_counts.get(np.name, 0) + 1
        self._staged.append((np, status, seconds, out, error, cached, decision, child))

    def seal(self, sched: Scheduler, superstep: int) -> None:
        """Turn the staged nodes of ``superstep`` into step records, in graph node order."""
        staged = self._staged
        if not staged:
            return
        if len(staged) > 1:
            staged.sort(key=lambda s: s[0].index)
        self._staged = []
        now = datetime.now(timezone.utc)
        wid = self.lease.workflow_id
        sealed = self._sealed
        for np, status, seconds, out, error, cached, decision, child in staged:
            versions: dict[str, int] = {}
            consumed = sched.consumed[np.index]
            if consumed is not None:
                versions.update(zip(np.node.inputs, consumed))
            waited = sched.wait_consumed[np.index]
            if waited is not None:
                versions.update(zip(np.node.wait_for, waited))
            sealed.append(StepRecord(
                run_id=wid, superstep=superstep, node_name=np.name, index=self.next_index,
                status=_STEP_STATUS[status], input_versions=versions,
                values=outputs_dict(np, out) if status == "completed" else None,
                duration_ms=round(seconds * 1000, 3), cached=cached, decision=decision,
                error=None if error is None else f"{type(error).__name__}: {error}",
                node_type=type(np.node).__name__, created_at=now,
                completed_at=now if status != "paused" else None, child_run_id=child,
            ))
            self.next_index += 1
            self.node_count += 1
            self.error_count += status == "failed"

    def due(self, nodes: Sequence[NodePlan], ready: Sequence[int]) -> bool:
        """Whether the supersteps sealed since the last write must be written (``flush``)
        before the superstep of ``ready`` starts.

        Not with ``durability="exit"``, nor when every sealed record can be rebuilt
        without user code. Nor before a superstep of interrupts only: an interrupt's
        handler only decides whether to ask, so the write waits for the next one
        (usually the pause, which then stores both supersteps in one transaction); if
        the process dies inside such a handler, the superstep before it runs again on
        resume. ``durability="sync"`` always writes first.
        """
        if self.at_exit or not self._sealed:
            return False
        if self.sync_commits:
            return True
        return not self._redo_free and not all(nodes[n].kind == INTERRUPT for n in ready)

    def flush(self) -> Flow[None]:
        """Write the supersteps sealed since the last write (when ``due``)."""
        records, self._sealed = self._sealed, []
        self._redo_free = True
        self.lease = yield CommitRun(self.lease, tuple(records), final=self.sync_commits)
        logs.written(self.lease.workflow_id, len(records), None, self.lease.version)

    def finish(
        self, status: RunStatus, seconds: float, pause: PauseInfo | None = None,
        superstep: int = 0,
    ) -> Flow[None]:
        """The call's last write: remaining records, status, statistics, the pause."""
        records, self._sealed = self._sealed, []
        self._redo_free = True
        record = None
        if pause is not None:
            n = self.plan.node_index.get(pause.node_name)  # None for a nested pause
            inputs = () if n is None else self.plan.nodes[n].node.inputs
            record = PauseRecord(
                node_name=pause.node_name, response_keys=pause.response_keys,
                superstep=superstep, value=pause.value, values=pause.values,
                input_name=inputs[0] if inputs else None,
            )
        self.lease = yield CommitRun(
            self.lease, tuple(records), status=_WORKFLOW_STATUS[status],
            duration_ms=round(seconds * 1000, 3), node_count=self.node_count,
            error_count=self.error_count, pause=record, final=True,
        )
        logs.written(self.lease.workflow_id, len(records), _WORKFLOW_STATUS[status],
                     self.lease.version)


@attrs.frozen
class Begin:
    """What the run loop needs to start a checkpointed call."""

    session: DurableRun
    prepared: prep.Prepared
    sched: Scheduler | None
    superstep: int


def new_workflow_id() -> str:
    """A fresh id for a checkpointed run started without one: ``run-``, the date, six hex
    digits (as hypergraph makes them; ``start`` draws again if one is taken)."""
    return f"run-{time.strftime('%Y%m%d')}-{random_hex(6)}"


def split_values(
    plan: ExecutionPlan, values: Mapping[str, Any], *, fresh: bool = False
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


def start(
    plan: ExecutionPlan, merged: dict[str, Any], policy: CheckpointPolicy,
    *, checkpoint: Checkpoint | None, workflow_id: str | None, override_workflow: bool,
    fork_from: str | None, retry_from: str | None,
) -> Flow[Begin]:
    """The rules of a checkpointed ``run()`` (resume, fork, retry, fresh), in the spec's order."""
    wid = workflow_id or new_workflow_id()
    src_inputs: dict[str, Any] = {}
    # a checkpoint the caller built records no fork superstep; forks and retries do
    given_checkpoint = checkpoint is not None
    if fork_from is not None or retry_from is not None:
        src = fork_from if fork_from is not None else retry_from
        assert src is not None
        source = yield LoadRun(src)
        if source is None:
            raise unknown_source(src, "retry" if retry_from is not None else "fork")
        index = None
        if retry_from is not None:
            index = 1 + (yield CountRetries(src))
            wid = workflow_id or retry_id(src, index)
        else:
            wid = workflow_id or fork_id(src)
        checkpoint = checkpoint_of(source, retry_index=index)
        src_inputs = source.inputs
    elif checkpoint is None:
        begun = yield from _start_if_new(plan, merged, wid, policy)
        if begun is not None:
            return begun
        if workflow_id is None:
            # A generated id names a new run, never someone else's: draw until it is free.
            while (yield LoadRun(wid)) is not None:
                wid = new_workflow_id()
            return (yield from fresh(plan, merged, wid, policy))
        answering = None if override_workflow else answers_for_one_pause(plan, merged, wid)
        if answering is None:
            snap = yield LoadRun(wid)
        else:
            snap, lease = yield answering
            if lease is not None:  # claimed: the checks below would all have passed
                assert snap is not None
                return resumed(plan, snap, lease, resume_prepared(plan, snap.inputs, merged),
                               merged, policy)
        if snap is not None and override_workflow:
            src_inputs = snap.inputs
            checkpoint = checkpoint_of(snap)
            wid = fork_id(wid)
        elif snap is not None:
            claim_answers, feed = resume_answers(plan, snap, merged)
            return (yield from resume(plan, snap, claim_answers, feed, policy))
    if checkpoint is not None:
        return (yield from _from_checkpoint(plan, merged, policy, wid, checkpoint,
                                            src_inputs, record_superstep=not given_checkpoint))
    return (yield from fresh(plan, merged, wid, policy))


def start_child(
    plan: ExecutionPlan, child_id: str, parent_id: str, inputs: dict[str, Any],
    answers: dict[str, Any], policy: CheckpointPolicy, *, source: str | None = None,
) -> Flow[Begin]:
    """A GraphNode's own run inside a checkpointed run: fresh, or resumed in place.

    A child that already completed (its parent stopped before recording it) is resumed
    too: nothing is ready, so the run returns its stored results. In a fork or retry,
    ``source`` is the source's child run of the nested pause being continued: the new
    child starts from its checkpoint (``forked_from`` set), so inner nodes that ran are
    not run again; inputs that differ from the source's override it.
    """
    snap = yield LoadRun(child_id)
    if snap is None and source is not None:
        origin = yield LoadRun(source)
        if origin is not None:
            changed = {k: v for k, v in inputs.items() if not _same(origin.inputs, k, v)}
            return (yield from _from_checkpoint(
                plan, {**changed, **answers}, policy, child_id, checkpoint_of(origin),
                origin.inputs, parent=parent_id,
            ))
    if snap is None:
        return (yield from fresh(plan, {**inputs, **answers}, child_id, policy,
                                 parent=parent_id))
    feed: dict[str, Any]
    claim_answers: dict[str, Any] | None
    if snap.run.status is WorkflowStatus.COMPLETED:
        claim_answers, feed = None, {}
    else:
        claim_answers, feed = resume_answers(plan, snap, answers)
    return (yield from resume(plan, snap, claim_answers, feed, policy))


def _start_if_new(
    plan: ExecutionPlan, merged: dict[str, Any], wid: str, policy: CheckpointPolicy,
) -> Flow[Begin | None]:
    """A call that passes graph inputs most likely starts a new workflow: try that first
    (one write instead of a read and a write). ``None`` when it is not new after all,
    or when its values would not start a run; the caller then reads the workflow."""
    _, others = split_values(plan, merged, fresh=True)
    if not others:
        return None  # only answers: a resume
    caught: list[warnings.WarningMessage] = []
    try:
        if plan.quiet_keys.issuperset(merged):
            prepared = _checked(plan, merged)  # no key to warn about
        else:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                prepared = _checked(plan, merged)
    except Exception:
        return None  # let the rules for an existing workflow speak first
    try:
        lease = yield StartRun(
            wid, graph_name=plan.graph_name, config=plan.run_config, inputs=others,
        )
    except RunExistsError:
        return None
    for w in caught:  # the run is new: its input warnings hold
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return Begin(DurableRun(plan, lease, policy), prepared, None, 0)


def _checked(plan: ExecutionPlan, values: dict[str, Any]) -> prep.Prepared:
    """The run's start from ``values``, its inputs checked (required, types)."""
    prepared = prep.prepare(plan, values)
    check_prepared(plan, prepared)
    return prepared


def fresh(
    plan: ExecutionPlan, values: dict[str, Any], wid: str, policy: CheckpointPolicy,
    *, parent: str | None = None,
) -> Flow[Begin]:
    """A new run: inputs checked, then created with them in one transaction."""
    prepared = _checked(plan, values)
    _, others = split_values(plan, values, fresh=True)
    lease = yield StartRun(
        wid, graph_name=plan.graph_name, parent_run_id=parent, config=plan.run_config,
        inputs=others,
    )
    return Begin(DurableRun(plan, lease, policy), prepared, None, 0)


def answers_for_one_pause(
    plan: ExecutionPlan, values: Mapping[str, Any], wid: str
) -> LoadAndClaim | None:
    """The common resume as one store operation: ``values`` are answers to one top-level
    interrupt, so if the run waits there, unanswered, and was created by this graph
    (same config), every check of ``resume_answers`` passes and the claim can go with
    the read. ``None`` when a check needs the snapshot first (nested answers, answers to
    several interrupts, run-time edge checks of the answers)."""
    if not values or plan.edge_checks is not None:
        return None
    owners = {plan.answer_owner.get(k) if "." not in k else None for k in values}
    if len(owners) != 1:
        return None
    (owner,) = owners
    if owner is None:
        return None
    return LoadAndClaim(wid, owner, plan.run_config, dict(values))


def resume(
    plan: ExecutionPlan, snap: RunSnapshot, claim_answers: dict[str, Any] | None,
    feed: dict[str, Any], policy: CheckpointPolicy,
) -> Flow[Begin]:
    """Claim the run (compare-and-set on the snapshot's version), then restore it."""
    prepared = resume_prepared(plan, snap.inputs, feed)
    check_prepared(plan, prepared)
    run = snap.run
    lease = yield ClaimRun(run.id, run.epoch, run.version, claim_answers)
    return resumed(plan, snap, lease, prepared, feed, policy)


def resumed(
    plan: ExecutionPlan, snap: RunSnapshot, lease: Lease, prepared: prep.Prepared,
    feed: Mapping[str, Any], policy: CheckpointPolicy,
) -> Begin:
    """A claimed run restored from ``snap`` (its state before the claim)."""
    run = snap.run
    sched, superstep = restore(plan, snap.steps, snap.inputs)
    logs.resumed(run.id, run.status.value, superstep, feed)
    session = DurableRun(
        plan, lease, policy, next_index=1 + max((s.index for s in snap.steps), default=-1),
        node_count=run.node_count, error_count=run.error_count, steps=snap.steps,
    )
    return Begin(session, prepared, sched, superstep)


def _same(stored: Mapping[str, Any], name: str, value: Any) -> bool:
    """Whether ``value`` is the stored input ``name`` (values that cannot say: no)."""
    if name not in stored:
        return False
    try:
        return bool(stored[name] == value)
    except Exception:
        return False


def _from_checkpoint(
    plan: ExecutionPlan, merged: dict[str, Any], policy: CheckpointPolicy,
    wid: str, checkpoint: Checkpoint, src_inputs: dict[str, Any], *,
    parent: str | None = None, record_superstep: bool = True,
) -> Flow[Begin]:
    """A new lineage from a checkpoint: runtime values override the restored state."""
    answers, others = split_values(plan, merged)
    prepared = resume_prepared(plan, src_inputs, answers)
    check_prepared(plan, prep.Prepared({}, prepared.answers, {}, {**prepared.provided, **others}))
    sched, superstep = restore(plan, checkpoint.steps, src_inputs, checkpoint.values)
    override(sched, plan, others)
    check_seed_inputs(sched, plan, [*src_inputs, *others])
    try:
        lease = yield StartRun(
            wid, graph_name=plan.graph_name, parent_run_id=parent,
            forked_from=checkpoint.source_run_id,
            fork_superstep=checkpoint.source_superstep if record_superstep else None,
            retry_of=checkpoint.retry_of, retry_index=checkpoint.retry_index,
            config=plan.run_config, inputs={**src_inputs, **others},
        )
    except RunExistsError:
        raise WorkflowForkError(
            f"Workflow {wid!r} already exists; a run from a checkpoint starts a new "
            "lineage. Pass a new workflow_id (or none, to generate one)"
        ) from None
    logs.from_checkpoint(wid, checkpoint.source_run_id, checkpoint.retry_index)
    session = DurableRun(plan, lease, policy)
    session.source_children = _paused_children(checkpoint.steps)
    return Begin(session, prepared, sched, superstep)


def _paused_children(steps: Sequence[StepRecord]) -> dict[str, str]:
    """Node name -> child run of the source's nested pauses (the latest per node)."""
    children: dict[str, str] = {}
    for rec in steps:
        if rec.child_run_id is not None:
            if rec.status is StepStatus.PAUSED:
                children[rec.node_name] = rec.child_run_id
            else:
                children.pop(rec.node_name, None)
    return children


def checkpoint_of(snap: RunSnapshot, *, retry_index: int | None = None) -> Checkpoint:
    """The latest state of a stored run, as the seed of a fork or retry."""
    steps = list(snap.steps)
    return Checkpoint(
        values=fold_state(steps), steps=steps, source_run_id=snap.run.id,
        source_superstep=last_superstep(steps),
        retry_of=snap.run.id if retry_index is not None else None, retry_index=retry_index,
    )


def resume_prepared(
    plan: ExecutionPlan, inputs: Mapping[str, Any], answers: Mapping[str, Any]
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
        elif "." in key:
            prep.warn_unknown_resume_key(plan, key)
    return prep.Prepared({}, by_slot, nested, {**inputs, **answers})


# --- resume checks ---------------------------------------------------------------------


def resume_answers(
    plan: ExecutionPlan, snap: RunSnapshot, values: Mapping[str, Any]
) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    """The spec's checks before an existing workflow resumes, then the answers to use.

    Returns (answers the claim records on the pending pause, or ``None``; answers the
    resumed call feeds its interrupts). An answer must meet a question: answers for a
    workflow that is running, or for an interrupt that is not waiting, are refused
    rather than dropped; an answer already recorded is used again, not applied twice.
    """
    run = snap.run
    wid = run.id
    stored = (run.config or {}).get("graph_struct_hash")
    if stored is not None and stored != plan.run_config["graph_struct_hash"]:
        raise GraphChangedError(
            f"Workflow {wid!r} was created by a graph with a different structure (nodes or "
            "wiring changed since). Start a new workflow_id, or resume with the original graph",
            workflow_id=wid,
        )
    given, others = split_values(plan, values)
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
    pause = run.pause
    open_answer = (
        pause.answer if pause is not None and pause.answer is not None
        and not _answered_since(snap, pause) else None
    )
    if not given:
        return None, dict(open_answer or {})
    if run.status is WorkflowStatus.PAUSED and pause is not None and pause.pending:
        _check_keys(plan, wid, given, pause)
        return dict(given), dict(given)
    if open_answer is not None and pause is not None:
        if _same_answers(given, open_answer):
            _check_not_running(run, given)
            return None, dict(open_answer)  # delivered again after a crash
        raise AnswerConflictError(
            f"Workflow {wid!r}: the pause at {pause.node_name!r} was already answered by "
            f"another call ({sorted(open_answer)}) with a different value, so this answer "
            "was not applied. Read the workflow's current pause "
            "(checkpointer.get_run(...).pause) and answer that one.",
            workflow_id=wid, epoch=run.epoch,
        )
    if run.status is WorkflowStatus.ACTIVE:
        raise ConcurrentRunError(
            f"Workflow {wid!r} is being run right now (status active), so it is not waiting "
            f"for {sorted(given)}. Wait for that run to pause, then answer; if its process "
            "died, resume it once without answers to finish the interrupted step",
            workflow_id=wid, epoch=run.epoch,
        )
    waiting = "" if pause is None or not pause.pending else f"; it waits for {pause.response_key!r}"
    raise ValueError(
        f"Workflow {wid!r} is not waiting for {sorted(given)} (status {run.status.value}, "
        f"nothing pending{waiting}). Pass the answer under the pending response_key, or "
        "resume without answers"
    )


def _check_not_running(run: Any, given: Mapping[str, Any]) -> None:
    """A repeated answer takes an active run over only once it looks abandoned.

    The first delivery's call may still be running it (a client retrying a request
    that is merely slow): only when the run has not been written for ``STALE_AFTER``
    is its process taken for dead, and the run resumed with the recorded answer.
    """
    if run.status is not WorkflowStatus.ACTIVE or run.updated_at is None:
        return
    idle = datetime.now(timezone.utc) - run.updated_at
    if idle < STALE_AFTER:
        raise ConcurrentRunError(
            f"Workflow {run.id!r} is being resumed right now with this answer "
            f"({sorted(given)}; last written {idle.total_seconds():.1f}s ago). If that "
            f"process died, deliver the answer again once the run has been idle for "
            f"{STALE_AFTER.total_seconds():g}s, or resume it without answers now",
            workflow_id=run.id, epoch=run.epoch,
        )


def _check_keys(
    plan: ExecutionPlan, wid: str, given: Mapping[str, Any], pause: PauseRecord
) -> None:
    keys = set(pause.response_keys.values())
    for key in given:
        if key in keys:
            continue
        owner = plan.answer_owner.get(key)
        if owner is None:
            continue  # an unknown nested path: warned about, then ignored
        raise ValueError(
            f"Workflow {wid!r} is not waiting for {key!r} (node {owner!r} is not paused); "
            f"it is waiting for {sorted(keys)} at {pause.node_name!r}. Pass the answer "
            "under the pending response_key"
        )


def _answered_since(snap: RunSnapshot, pause: PauseRecord) -> bool:
    """Whether the paused node (its top-level node, if nested) completed after the pause."""
    top = pause.node_name.split("/", 1)[0]
    return any(
        s.node_name == top and s.status is StepStatus.COMPLETED and s.superstep > pause.superstep
        for s in snap.steps
    )


def _normal(value: Any) -> Any:
    """Compare answers as a store gives them back (tuples come back as lists)."""
    if isinstance(value, (list, tuple)):
        return [_normal(v) for v in value]
    if isinstance(value, dict):
        return {k: _normal(v) for k, v in value.items()}
    return value


def _same_answers(given: Mapping[str, Any], stored: Mapping[str, Any]) -> bool:
    try:
        return all(k in stored and _normal(stored[k]) == _normal(v) for k, v in given.items())
    except Exception:
        return False

