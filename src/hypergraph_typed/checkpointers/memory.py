"""``MemoryCheckpointer``: runs and steps in process memory (tests, notebooks, one process).

Values are deep-copied on the way in and out, so a node that later mutates a list it
returned cannot rewrite history, and a reader cannot corrupt the store. A value that
cannot be deep-copied is refused with ``CheckpointSerializationError``, like a value a
persistent store cannot serialize.
"""

from __future__ import annotations

import copy
import dataclasses
import threading
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

import attrs

from hypergraph_typed._sentinels import END
from hypergraph_typed.checkpointers import _format
from hypergraph_typed.checkpointers._records import Run, StepRecord, WorkflowStatus, utcnow
from hypergraph_typed.checkpointers._tables import StepTable
from hypergraph_typed.checkpointers.policy import CheckpointPolicy
from hypergraph_typed.checkpointers.store import (
    UNSET,
    ParentFilter,
    ResumeState,
    StoreCheckpointer,
    check_aware,
    check_records,
    claim_moved_error,
    completed_like,
    run_exists_error,
    unknown_run_error,
    workflow_status,
)
from hypergraph_typed.exceptions import CheckpointSerializationError

# (superstep, node_name) -> (insertion seq, record)
_Steps = dict[tuple[int, str], tuple[int, StepRecord]]


def _store_copy(
    value: Any, *, run_id: str, node: str | None, name: str, superstep: int | None
) -> Any:
    """Deep copy for storage; ``END`` anywhere becomes ``"END"``."""
    try:
        return copy.deepcopy(value, {id(END): "END"})
    except Exception as exc:
        where = f"output {name!r} of node {node!r}" if node is not None else f"input {name!r}"
        raise CheckpointSerializationError(
            f"cannot checkpoint {where} in run {run_id!r}: the {type(value).__name__} value "
            f"cannot be copied ({exc}). Store plain data (or a copyable object) instead.",
            run_id=run_id,
            node_name=node,
            output_name=name,
            superstep=superstep,
        ) from exc


def _decision(value: Any) -> Any:
    if value is END:
        return "END"
    if isinstance(value, (list, tuple)):
        return ["END" if d is END else d for d in value]
    return value


def _stored_record(record: StepRecord) -> StepRecord:
    what = f"step {record.node_name!r} of run {record.run_id!r}"
    check_aware(record.created_at, f"created_at of {what}")
    if record.completed_at is not None:
        check_aware(record.completed_at, f"completed_at of {what}")
    values = record.values
    if values is not None:
        values = {
            k: _store_copy(
                v, run_id=record.run_id, node=record.node_name, name=k, superstep=record.superstep
            )
            for k, v in values.items()
        }
    return attrs.evolve(
        record,
        values=values,
        decision=_decision(record.decision),
        input_versions=dict(record.input_versions),
    )


def _out(record: StepRecord) -> StepRecord:
    if not record.values:
        return record
    return attrs.evolve(record, values=copy.deepcopy(record.values))


class _RunSlot:
    """A run plus what the store keeps beside it."""

    __slots__ = ("inputs", "run", "seq", "updated_at")

    def __init__(self, run: Run, seq: int, updated_at: datetime) -> None:
        self.run = run
        self.seq = seq
        self.updated_at = updated_at
        self.inputs: dict[str, Any] = {}


class MemoryCheckpointer(StoreCheckpointer):
    """An in-process store with the full sync and async surface (SyncRunner works with it)."""

    def __init__(self, *, policy: CheckpointPolicy | None = None) -> None:
        super().__init__(policy)
        self._lock = threading.Lock()
        self._runs: dict[str, _RunSlot] = {}
        self._steps: dict[str, _Steps] = {}
        self._seq = 0
        self._clock: Callable[[], datetime] = utcnow

    def __repr__(self) -> str:
        runs, steps = self._counts()
        return (
            f"MemoryCheckpointer: {_format.plural(runs, 'run')} | "
            f"{_format.plural(steps, 'step')}"
        )

    # --- helpers (call with the lock held) ------------------------------------------------

    def _next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def _ordered(self, run_id: str, superstep: int | None) -> list[StepRecord]:
        steps = self._steps.get(run_id)
        if not steps:
            return []
        entries = [
            (rec.completed_at or rec.created_at, rec.created_at, seq, rec)
            for (ss, _), (seq, rec) in steps.items()
            if superstep is None or ss <= superstep
        ]
        entries.sort(key=lambda e: e[:3])
        return [_out(e[3]) for e in entries]

    def _purge(self, keep: str | None) -> int:
        ttl = self.policy.ttl
        if ttl is None:
            return 0
        cutoff = self._clock() - ttl
        dead = [rid for rid, s in self._runs.items() if s.updated_at < cutoff and rid != keep]
        for rid in dead:
            del self._runs[rid]
            self._steps.pop(rid, None)
        return len(dead)

    def _retain(self, steps: _Steps, nodes: set[str]) -> None:
        policy = self.policy
        if policy.retention == "latest":
            newest: dict[str, int] = {}
            for ss, node in steps:
                if node in nodes and ss > newest.get(node, -1):
                    newest[node] = ss
            for key in [k for k in steps if k[1] in nodes and k[0] < newest[k[1]]]:
                del steps[key]
        elif policy.retention == "windowed" and steps:
            assert policy.window is not None
            floor = max(ss for ss, _ in steps) - policy.window
            for key in [k for k in steps if k[0] <= floor]:
                del steps[key]

    def _put_steps(self, run_id: str, records: Sequence[StepRecord]) -> None:
        if not records:
            return
        steps = self._steps.setdefault(run_id, {})
        for rec in records:
            key = (rec.superstep, rec.node_name)
            old = steps.get(key)
            steps[key] = (old[0] if old is not None else self._next_seq(), rec)
        if self.policy.retention != "full":
            self._retain(steps, {r.node_name for r in records})

    def _slot(self, run_id: str, action: str) -> _RunSlot:
        slot = self._runs.get(run_id)
        if slot is None:
            raise unknown_run_error(action, run_id)
        return slot

    @staticmethod
    def _copy_inputs(run_id: str, values: Mapping[str, Any]) -> dict[str, Any]:
        return {
            k: _store_copy(v, run_id=run_id, node=None, name=k, superstep=None)
            for k, v in values.items()
        }

    # --- reads ----------------------------------------------------------------------------

    def get_run(self, run_id: str) -> Run | None:
        with self._lock:
            slot = self._runs.get(run_id)
            return None if slot is None else slot.run

    def steps(self, run_id: str, *, superstep: int | None = None) -> StepTable:
        with self._lock:
            return StepTable(self._ordered(run_id, superstep))

    def get_inputs(self, run_id: str) -> dict[str, Any]:
        with self._lock:
            slot = self._runs.get(run_id)
            return {} if slot is None else copy.deepcopy(slot.inputs)

    def load_for_resume(self, run_id: str) -> ResumeState:
        with self._lock:
            slot = self._runs.get(run_id)
            if slot is None:
                return None, [], {}
            return slot.run, self._ordered(run_id, None), copy.deepcopy(slot.inputs)

    def _query_runs(
        self,
        *,
        status: WorkflowStatus | None,
        graph_name: str | None,
        since: datetime | None,
        parent_run_id: ParentFilter,
        limit: int | None,
    ) -> list[Run]:
        with self._lock:
            self._purge(None)
            slots = sorted(
                self._runs.values(), key=lambda s: (s.run.created_at, s.seq), reverse=True
            )
        out: list[Run] = []
        for slot in slots:
            if limit is not None and len(out) >= limit:
                break
            run = slot.run
            if status is not None and run.status is not status:
                continue
            if graph_name is not None and run.graph_name != graph_name:
                continue
            if since is not None and run.created_at < since:
                continue
            if parent_run_id is not UNSET and run.parent_run_id != parent_run_id:
                continue
            out.append(run)
        return out

    def _children_of(self, run_ids: list[str]) -> list[Run]:
        wanted = set(run_ids)
        with self._lock:
            return [
                s.run
                for s in self._runs.values()
                if s.run.forked_from in wanted or s.run.retry_of in wanted
            ]

    def _count_retries(self, source_run_id: str) -> int:
        with self._lock:
            return sum(1 for s in self._runs.values() if s.run.retry_of == source_run_id)

    def _search(
        self, terms: list[str], fields: tuple[str, ...], limit: int | None
    ) -> list[StepRecord]:
        needles = [t.casefold() for t in terms]
        with self._lock:
            found = [
                (rec.completed_at or rec.created_at, seq, rec)
                for steps in self._steps.values()
                for seq, rec in steps.values()
                if all(
                    any(n in (getattr(rec, f) or "").casefold() for f in fields) for n in needles
                )
            ]
        found.sort(key=lambda e: e[:2], reverse=True)
        return [_out(e[2]) for e in (found if limit is None else found[:limit])]

    def _counts(self) -> tuple[int, int]:
        with self._lock:
            return len(self._runs), sum(len(s) for s in self._steps.values())

    # --- writes ---------------------------------------------------------------------------

    @staticmethod
    def _make_run(run_id: str, lineage: dict[str, Any], claim: int, created: datetime) -> Run:
        config = lineage.pop("config")
        return Run(
            id=run_id,
            status=WorkflowStatus.ACTIVE,
            created_at=created,
            claim=claim,
            config=None if config is None else copy.deepcopy(config),
            **lineage,
        )

    def create_run_sync(
        self,
        run_id: str,
        *,
        graph_name: str | None = None,
        parent_run_id: str | None = None,
        forked_from: str | None = None,
        fork_superstep: int | None = None,
        retry_of: str | None = None,
        retry_index: int | None = None,
        config: dict[str, Any] | None = None,
    ) -> Run:
        lineage = dict(
            graph_name=graph_name,
            parent_run_id=parent_run_id,
            forked_from=forked_from,
            fork_superstep=fork_superstep,
            retry_of=retry_of,
            retry_index=retry_index,
            config=config,
        )
        with self._lock:
            now = self._clock()
            self._purge(run_id)
            slot = self._runs.get(run_id)
            if slot is None:
                run = self._make_run(run_id, lineage, 1, now)
                self._runs[run_id] = _RunSlot(run, self._next_seq(), now)
                return run
            slot.run = self._make_run(run_id, lineage, slot.run.claim + 1, slot.run.created_at)
            slot.updated_at = now
            return slot.run

    def create_run_new(
        self,
        run_id: str,
        *,
        graph_name: str | None = None,
        parent_run_id: str | None = None,
        forked_from: str | None = None,
        fork_superstep: int | None = None,
        retry_of: str | None = None,
        retry_index: int | None = None,
        config: dict[str, Any] | None = None,
        inputs: Mapping[str, Any] | None = None,
    ) -> Run:
        lineage = dict(
            graph_name=graph_name,
            parent_run_id=parent_run_id,
            forked_from=forked_from,
            fork_superstep=fork_superstep,
            retry_of=retry_of,
            retry_index=retry_index,
            config=config,
        )
        stored_inputs = self._copy_inputs(run_id, inputs) if inputs else {}
        with self._lock:
            now = self._clock()
            self._purge(run_id)
            if run_id in self._runs:
                raise run_exists_error(run_id)
            run = self._make_run(run_id, lineage, 1, now)
            slot = self._runs[run_id] = _RunSlot(run, self._next_seq(), now)
            slot.inputs = stored_inputs
            return run

    def save_step_sync(self, record: StepRecord) -> None:
        stored = _stored_record(record)
        with self._lock:
            self._purge(record.run_id)
            slot = self._runs.get(record.run_id)
            if slot is not None:
                slot.updated_at = self._clock()
            self._put_steps(record.run_id, [stored])

    def _set_status(
        self,
        slot: _RunSlot,
        status: WorkflowStatus | None,
        duration_ms: float | None,
        node_count: int | None,
        error_count: int | None,
        now: datetime,
    ) -> None:
        changes: dict[str, Any] = {}
        if status is not None:
            changes["status"] = status
            changes["completed_at"] = now if completed_like(status) else None
        if duration_ms is not None:
            changes["duration_ms"] = duration_ms
        if node_count is not None:
            changes["node_count"] = node_count
        if error_count is not None:
            changes["error_count"] = error_count
        if changes:
            slot.run = dataclasses.replace(slot.run, **changes)
        slot.updated_at = now

    def update_run_status_sync(
        self,
        run_id: str,
        status: WorkflowStatus | str,
        *,
        duration_ms: float | None = None,
        node_count: int | None = None,
        error_count: int | None = None,
    ) -> None:
        st = workflow_status(status)
        with self._lock:
            self._purge(run_id)
            slot = self._slot(run_id, "update_run_status")
            self._set_status(slot, st, duration_ms, node_count, error_count, self._clock())

    def claim_run(self, run_id: str, expected_claim: int) -> int:
        with self._lock:
            self._purge(run_id)
            slot = self._slot(run_id, "claim_run")
            if slot.run.claim != expected_claim:
                raise claim_moved_error(run_id, expected_claim, slot.run.claim)
            slot.run = dataclasses.replace(slot.run, claim=expected_claim + 1)
            slot.updated_at = self._clock()
            return expected_claim + 1

    def commit_superstep(
        self,
        run_id: str,
        records: Sequence[StepRecord],
        *,
        claim: int,
        status: WorkflowStatus | str | None = None,
        duration_ms: float | None = None,
        node_count: int | None = None,
        error_count: int | None = None,
        inputs: Mapping[str, Any] | None = None,
    ) -> None:
        check_records(run_id, records)
        st = None if status is None else workflow_status(status)
        stored = [_stored_record(r) for r in records]
        stored_inputs = self._copy_inputs(run_id, inputs) if inputs else None
        with self._lock:
            self._purge(run_id)
            slot = self._slot(run_id, "commit_superstep")
            if slot.run.claim != claim:
                raise claim_moved_error(run_id, claim, slot.run.claim)
            self._put_steps(run_id, stored)
            if stored_inputs:
                slot.inputs.update(stored_inputs)
            self._set_status(slot, st, duration_ms, node_count, error_count, self._clock())

    def save_inputs(self, run_id: str, values: Mapping[str, Any]) -> None:
        stored = self._copy_inputs(run_id, values)
        with self._lock:
            self._purge(run_id)
            slot = self._slot(run_id, "save_inputs")
            slot.inputs.update(stored)
            slot.updated_at = self._clock()

    def purge_expired(self) -> int:
        with self._lock:
            return self._purge(None)
