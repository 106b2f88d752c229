"""``MemoryCheckpointer``: runs and steps in process memory (tests, notebooks, one process).

Records are immutable, so they are stored and handed out as they are; only the values
inside them are copied, and only those that could change afterwards (a list a node
returned and later appends to, or a reader's copy it mutates): strings, numbers and
tuples of them are shared. A value that cannot be deep-copied is refused with
``CheckpointSerializationError``, like a value a persistent store cannot serialize.
"""

from __future__ import annotations

import copy
import dataclasses
import threading
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timezone
from typing import Any

import attrs

from hypergraph_typed._sentinels import END
from hypergraph_typed.checkpointers import _format
from hypergraph_typed.checkpointers._codec import safe_text
from hypergraph_typed.checkpointers._records import (
    PauseRecord,
    Run,
    StepRecord,
    WorkflowStatus,
    utcnow,
)
from hypergraph_typed.checkpointers._tables import StepTable
from hypergraph_typed.checkpointers.policy import CheckpointPolicy
from hypergraph_typed.checkpointers.protocol import (
    ClaimRun,
    CommitRun,
    Lease,
    ListChildren,
    LoadAndClaim,
    LoadRun,
    RunSnapshot,
    StartRun,
)
from hypergraph_typed.checkpointers.store import (
    UNSET,
    ParentFilter,
    StoreCheckpointer,
    check_aware,
    check_records,
    claim_refused_error,
    completed_like,
    lease_lost_error,
    run_exists_error,
    unknown_run_error,
    workflow_status,
)
from hypergraph_typed.exceptions import CheckpointSerializationError

# (superstep, node_name) -> (insertion seq, record)
_Steps = dict[tuple[int, str], tuple[int, StepRecord]]

_SHARED = (str, int, float, bool, bytes, type(None), complex, range)


def _isolated(value: Any) -> Any:
    """The value itself when nothing can change it later, else a deep copy (END as "END")."""
    if value is END:
        return "END"
    if type(value) in _SHARED:
        return value
    if type(value) is tuple and all(type(v) in _SHARED for v in value):
        return value
    return copy.deepcopy(value, {id(END): "END"})


def _isolated_dict(
    values: Mapping[str, Any], *, run_id: str, node: str | None, superstep: int | None
) -> dict[str, Any]:
    out = {}
    for name, value in values.items():
        try:
            out[name] = _isolated(value)
        except Exception as exc:
            where = f"output {name!r} of node {node!r}" if node is not None else f"input {name!r}"
            raise CheckpointSerializationError(
                f"cannot checkpoint {where} in run {run_id!r}: the {type(value).__name__} "
                f"value cannot be copied ({exc}). Store plain data (or a copyable object).",
                run_id=run_id,
                node_name=node,
                output_name=name,
                superstep=superstep,
            ) from exc
    return out


def _shared_dict(values: dict[str, Any]) -> dict[str, Any]:
    """A reader's copy: a new dict; mutable values copied, immutable ones shared."""
    return {k: _isolated(v) for k, v in values.items()}


def _all_shared(values: Mapping[str, Any]) -> bool:
    """Whether every value is immutable (and not END): then the dict needs no copy."""
    return all(type(v) in _SHARED for v in values.values())


def _decision(value: Any) -> Any:
    if value is END:
        return "END"
    if isinstance(value, (list, tuple)):
        return ["END" if d is END else d for d in value]
    return value


def _stored_record(record: StepRecord) -> StepRecord:
    for name, stamp in (("created_at", record.created_at), ("completed_at", record.completed_at)):
        if stamp is not None and stamp.tzinfo is not timezone.utc:
            check_aware(stamp, f"{name} of step {record.node_name!r} of run {record.run_id!r}")
    values = record.values
    decision = record.decision
    error = safe_text(record.error)
    if (values is None or _all_shared(values)) and (decision is None or type(decision) is str) \
            and error is record.error:
        return record  # immutable all through: stored as it is
    if values is not None:
        values = _isolated_dict(
            values, run_id=record.run_id, node=record.node_name, superstep=record.superstep
        )
    return attrs.evolve(record, values=values, decision=_decision(decision), error=error)


def _out(record: StepRecord) -> StepRecord:
    if not record.values or _all_shared(record.values):
        return record
    return attrs.evolve(record, values=_shared_dict(record.values))


def _stored_pause(pause: PauseRecord | None, run_id: str) -> PauseRecord | None:
    """The pause as stored: its ``values`` in a dict of its own (the writer's dict is
    also the caller's ``result.pause.values``), mutable values copied."""
    if pause is None:
        return None
    if type(pause.value) in _SHARED and pause.values is None:
        return pause
    return attrs.evolve(
        pause,
        value=_isolated_dict({"value": pause.value}, run_id=run_id, node=pause.node_name,
                             superstep=pause.superstep)["value"],
        values=None if pause.values is None else _isolated_dict(
            pause.values, run_id=run_id, node=pause.node_name, superstep=pause.superstep),
    )


class _Entry:
    """A run's fields, kept mutable under the store's lock; ``run`` is the frozen view.

    Writes change fields only; the public ``Run`` is built when someone reads it (and
    kept until the next write), so a run written several times per call costs no object
    churn.
    """

    __slots__ = (
        "_run", "completed_at", "created_at", "duration_ms", "epoch", "error_count", "inputs",
        "lineage", "node_count", "pause", "seq", "status", "steps", "updated_at", "version",
    )

    def __init__(self, lineage: dict[str, Any], created_at: datetime, seq: int) -> None:
        self.lineage = lineage
        self.created_at = created_at
        self.seq = seq
        self.updated_at = created_at
        self.status = WorkflowStatus.ACTIVE
        self.duration_ms: float | None = None
        self.node_count = 0
        self.error_count = 0
        self.completed_at: datetime | None = None
        self.epoch = 1
        self.version = 1
        self.pause: PauseRecord | None = None
        self.inputs: dict[str, Any] = {}
        self.steps: _Steps = {}
        self._run: Run | None = None

    def reset(self, lineage: dict[str, Any], now: datetime) -> None:
        """Start the run over (``create_run`` upsert, a map item again): stats cleared."""
        self.lineage = lineage
        self.status = WorkflowStatus.ACTIVE
        self.duration_ms = None
        self.node_count = self.error_count = 0
        self.completed_at = None
        self.epoch += 1
        self.version += 1
        self.updated_at = now
        self._run = None

    def set_status(
        self, status: WorkflowStatus | None, duration_ms: float | None,
        node_count: int | None, error_count: int | None, now: datetime,
    ) -> None:
        if status is not None:
            self.status = status
            self.completed_at = now if completed_like(status) else None
        if duration_ms is not None:
            self.duration_ms = duration_ms
        if node_count is not None:
            self.node_count = node_count
        if error_count is not None:
            self.error_count = error_count
        self.version += 1
        self.updated_at = now
        self._run = None

    @property
    def run(self) -> Run:
        run = self._run
        if run is None:
            run = self._run = Run(
                status=self.status, duration_ms=self.duration_ms, node_count=self.node_count,
                error_count=self.error_count, created_at=self.created_at,
                completed_at=self.completed_at, epoch=self.epoch, version=self.version,
                pause=self.pause, updated_at=self.updated_at, **self.lineage,
            )
        return run


def _lineage(run_id: str, request: Any) -> dict[str, Any]:
    config = request.config
    return {
        "id": run_id, "graph_name": safe_text(request.graph_name),
        "parent_run_id": request.parent_run_id, "forked_from": request.forked_from,
        "fork_superstep": request.fork_superstep, "retry_of": request.retry_of,
        "retry_index": request.retry_index,
        "config": None if config is None else (
            dict(config) if _all_shared(config) else copy.deepcopy(dict(config))
        ),
    }


class MemoryCheckpointer(StoreCheckpointer):
    """An in-process store with the full sync and async surface (SyncRunner works with it)."""

    def __init__(self, *, policy: CheckpointPolicy | None = None) -> None:
        super().__init__(policy)
        self._lock = threading.Lock()
        self._runs: dict[str, _Entry] = {}
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

    @staticmethod
    def _ordered(entry: _Entry | None, superstep: int | None) -> list[StepRecord]:
        if entry is None or not entry.steps:
            return []
        entries = [
            (rec.completed_at or rec.created_at, rec.created_at, seq, rec)
            for (ss, _), (seq, rec) in entry.steps.items()
            if superstep is None or ss <= superstep
        ]
        entries.sort(key=lambda e: e[:3])
        return [_out(e[3]) for e in entries]

    def _purge(self, keep: str | None) -> int:
        ttl = self.policy.ttl
        if ttl is None:
            return 0
        cutoff = self._clock() - ttl
        dead = [rid for rid, e in self._runs.items() if e.updated_at < cutoff and rid != keep]
        for rid in dead:
            del self._runs[rid]
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

    def _put_steps(self, entry: _Entry, records: Sequence[StepRecord]) -> None:
        if not records:
            return
        steps = entry.steps
        for rec in records:
            key = (rec.superstep, rec.node_name)
            old = steps.get(key)
            steps[key] = (old[0] if old is not None else self._next_seq(), rec)
        if self.policy.retention != "full":
            self._retain(steps, {r.node_name for r in records})

    def _entry(self, run_id: str, action: str) -> _Entry:
        entry = self._runs.get(run_id)
        if entry is None:
            raise unknown_run_error(action, run_id)
        return entry

    # --- the runtime's protocol -----------------------------------------------------------

    def load_run(self, request: LoadRun) -> RunSnapshot | None:
        """The run, its steps and inputs as one snapshot (read under the store's lock)."""
        with self._lock:
            entry = self._runs.get(request.workflow_id)
            return None if entry is None else self._snapshot(entry)

    def load_and_claim(self, request: LoadAndClaim) -> tuple[RunSnapshot | None, Lease | None]:
        """The snapshot and, if the run matches, its claim, under one hold of the lock."""
        wid = request.workflow_id
        with self._lock:
            entry = self._runs.get(wid)
            if entry is None:
                return None, None
            snap = self._snapshot(entry)
            if not request.matches(snap.run):
                return snap, None
            answers = _isolated_dict(request.answers, run_id=wid, node=None, superstep=None)
            return snap, self._claim(entry, answers)

    async def load_and_claim_async(
        self, request: LoadAndClaim
    ) -> tuple[RunSnapshot | None, Lease | None]:
        """Async twin of ``load_and_claim`` (runs it inline)."""
        return self.load_and_claim(request)

    def _snapshot(self, entry: _Entry) -> RunSnapshot:
        return RunSnapshot(
            _reader_run(entry.run), tuple(self._ordered(entry, None)), _shared_dict(entry.inputs)
        )

    def start_run(self, request: StartRun) -> Lease:
        """Create the run and its inputs, or reset it with ``replace`` (else ``RunExistsError``)."""
        wid = request.workflow_id
        inputs = _isolated_dict(request.inputs, run_id=wid, node=None, superstep=None)
        lineage = _lineage(wid, request)
        with self._lock:
            now = self._clock()
            self._purge(wid)
            entry = self._runs.get(wid)
            if entry is not None and not request.replace:
                raise run_exists_error(wid)
            if entry is None:
                entry = self._runs[wid] = _Entry(lineage, now, self._next_seq())
            else:
                entry.reset(lineage, now)
                entry.pause = None
                entry.steps = {}
            entry.inputs = inputs
            return Lease(wid, entry.epoch, entry.version)

    def claim_run(self, request: ClaimRun) -> Lease:
        """Compare-and-set on the version read; record the answers to the pending pause."""
        wid = request.workflow_id
        answers = (
            None if request.answers is None
            else _isolated_dict(request.answers, run_id=wid, node=None, superstep=None)
        )
        with self._lock:
            entry = self._entry(wid, "claim_run")
            if entry.version != request.version:
                raise claim_refused_error(wid, request.version, entry.version, entry.epoch)
            return self._claim(entry, answers)

    def _claim(self, entry: _Entry, answers: dict[str, Any] | None) -> Lease:
        """Claim ``entry`` (the lock held, its version checked): the answers recorded on
        the pending pause, a new epoch."""
        if answers is not None and entry.pause is not None:
            entry.pause = attrs.evolve(entry.pause, answer=answers)
        entry.status = WorkflowStatus.ACTIVE
        entry.completed_at = None
        entry.epoch += 1
        entry.version += 1
        entry.updated_at = self._clock()
        entry._run = None
        return Lease(entry.lineage["id"], entry.epoch, entry.version)

    def commit_run(self, request: CommitRun) -> Lease:
        """Write records, inputs, pause, status and statistics, fenced by the lease."""
        lease = request.lease
        wid = lease.workflow_id
        check_records(wid, request.records)
        stored = [_stored_record(r) for r in request.records]
        inputs = (
            _isolated_dict(request.inputs, run_id=wid, node=None, superstep=None)
            if request.inputs else None
        )
        pause = _stored_pause(request.pause, wid)
        with self._lock:
            entry = self._entry(wid, "commit_run")
            if entry.epoch != lease.epoch or entry.version != lease.version:
                raise lease_lost_error(wid, lease, entry.epoch, entry.version)
            self._put_steps(entry, stored)
            if inputs:
                entry.inputs.update(inputs)
            if pause is not None:
                entry.pause = pause
            entry.set_status(
                request.status, request.duration_ms, request.node_count,
                request.error_count, self._clock(),
            )
            return Lease(wid, lease.epoch, entry.version)

    def list_children(self, request: ListChildren) -> list[Run]:
        """The runs whose parent is ``request.parent_run_id``, oldest first."""
        parent = request.parent_run_id
        with self._lock:
            return [
                _reader_run(e.run) for e in sorted(self._runs.values(), key=lambda e: e.seq)
                if e.run.parent_run_id == parent
            ]

    # --- reads ----------------------------------------------------------------------------

    def get_run(self, run_id: str) -> Run | None:
        """The run, or ``None``."""
        with self._lock:
            entry = self._runs.get(run_id)
            return None if entry is None else _reader_run(entry.run)

    def steps(self, run_id: str, *, superstep: int | None = None) -> StepTable:
        """The run's steps in execution order (up to ``superstep`` inclusive)."""
        with self._lock:
            return StepTable(self._ordered(self._runs.get(run_id), superstep))

    def get_inputs(self, run_id: str) -> dict[str, Any]:
        """The graph inputs stored with the run (``{}`` for an unknown run)."""
        with self._lock:
            entry = self._runs.get(run_id)
            return {} if entry is None else _shared_dict(entry.inputs)

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
            entries = sorted(
                self._runs.values(), key=lambda e: (e.run.created_at, e.seq), reverse=True
            )
        out: list[Run] = []
        for entry in entries:
            if limit is not None and len(out) >= limit:
                break
            run = entry.run
            if status is not None and run.status is not status:
                continue
            if graph_name is not None and run.graph_name != graph_name:
                continue
            if since is not None and run.created_at < since:
                continue
            if parent_run_id is not UNSET and run.parent_run_id != parent_run_id:
                continue
            out.append(_reader_run(run))
        return out

    def _children_of(self, run_ids: list[str]) -> list[Run]:
        wanted = set(run_ids)
        with self._lock:
            return [
                _reader_run(e.run)
                for e in self._runs.values()
                if e.run.forked_from in wanted or e.run.retry_of in wanted
            ]

    def _count_retries(self, source_run_id: str) -> int:
        with self._lock:
            return sum(1 for e in self._runs.values() if e.run.retry_of == source_run_id)

    def _search(
        self, terms: list[str], fields: tuple[str, ...], limit: int | None
    ) -> list[StepRecord]:
        needles = [t.casefold() for t in terms]
        with self._lock:
            found = [
                (rec.completed_at or rec.created_at, seq, rec)
                for entry in self._runs.values()
                for seq, rec in entry.steps.values()
                if all(
                    any(n in (getattr(rec, f) or "").casefold() for f in fields) for n in needles
                )
            ]
        found.sort(key=lambda e: e[:2], reverse=True)
        return [_out(e[2]) for e in (found if limit is None else found[:limit])]

    def _counts(self) -> tuple[int, int]:
        with self._lock:
            return len(self._runs), sum(len(e.steps) for e in self._runs.values())

    # --- the spec's writes ----------------------------------------------------------------

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
        """Upsert a run as ACTIVE; an existing run keeps ``created_at`` and its epoch moves on."""
        lineage = {
            "id": run_id, "graph_name": safe_text(graph_name), "parent_run_id": parent_run_id,
            "forked_from": forked_from, "fork_superstep": fork_superstep, "retry_of": retry_of,
            "retry_index": retry_index,
            "config": None if config is None else copy.deepcopy(config),
        }
        with self._lock:
            now = self._clock()
            self._purge(run_id)
            entry = self._runs.get(run_id)
            if entry is None:
                entry = self._runs[run_id] = _Entry(lineage, now, self._next_seq())
            else:
                entry.reset(lineage, now)
            return _reader_run(entry.run)

    def save_step_sync(self, record: StepRecord) -> None:
        """Upsert one record, keyed by ``(run_id, superstep, node_name)``; the run must exist."""
        stored = _stored_record(record)
        with self._lock:
            self._purge(record.run_id)
            entry = self._runs.get(record.run_id)
            if entry is None:
                raise unknown_run_error("save_step", record.run_id)
            self._put_steps(entry, [stored])
            entry.version += 1
            entry.updated_at = self._clock()
            entry._run = None

    def update_run_status_sync(
        self,
        run_id: str,
        status: WorkflowStatus | str,
        *,
        duration_ms: float | None = None,
        node_count: int | None = None,
        error_count: int | None = None,
    ) -> None:
        """Set the status (and the given statistics) of a run."""
        st = workflow_status(status)
        with self._lock:
            self._purge(run_id)
            entry = self._entry(run_id, "update_run_status")
            entry.set_status(st, duration_ms, node_count, error_count, self._clock())

    def purge_expired(self) -> int:
        """Delete runs idle for longer than ``policy.ttl``; returns how many (0 without ttl)."""
        with self._lock:
            return self._purge(None)


def _reader_run(run: Run) -> Run:
    """The run as a reader gets it: the pause's values copied where they could change."""
    pause = run.pause
    if pause is None or (type(pause.value) in _SHARED and not pause.values and not pause.answer):
        return run
    return dataclasses.replace(run, pause=attrs.evolve(
        pause,
        value=_isolated(pause.value),
        values=None if pause.values is None else _shared_dict(pause.values),
        answer=None if pause.answer is None else _shared_dict(pause.answer),
    ))

