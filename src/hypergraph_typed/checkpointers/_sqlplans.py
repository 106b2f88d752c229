"""Every operation of a SQL store as plain data: the statements of one transaction.

An operation is built here once, for both SQL backends, as a ``WriteOp`` (a guard that
must change exactly one row, the other statements, reads to return) or a ``ReadOp`` (a
consistent set of reads), plus how to turn the rows into the result and, when the guard
changed nothing, into the right error. A backend only executes them: SQLite statement
by statement, PostgreSQL in one pipelined round trip. Values are encoded while the
operation is built, so serialization never runs inside a transaction, and a value that
cannot be stored fails before anything is written.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, Generic, NamedTuple, TypeVar

import attrs

from hypergraph_typed.checkpointers._codec import Codec, StepRow, safe_text
from hypergraph_typed.checkpointers._json import compact_encoder
from hypergraph_typed.checkpointers._records import Run, StepRecord, WorkflowStatus
from hypergraph_typed.checkpointers._sqltext import STEP_JSON_FIELDS, SqlText
from hypergraph_typed.checkpointers.policy import CheckpointPolicy
from hypergraph_typed.checkpointers.protocol import (
    ClaimRun,
    CommitRun,
    Lease,
    LoadAndClaim,
    LoadRun,
    RunSnapshot,
    StartRun,
)
from hypergraph_typed.checkpointers.store import (
    ParentFilter,
    check_records,
    claim_refused_error,
    completed_like,
    lease_lost_error,
    run_exists_error,
    unknown_run_error,
)

T = TypeVar("T")


class Fetch(enum.Enum):
    """What a statement's execution returns."""

    NONE = "none"
    ONE = "one"
    ALL = "all"
    ROWCOUNT = "rowcount"


# Stmt and Txn are named tuples rather than attrs classes: a store operation builds
# several, and a tuple is built in one step where a frozen class sets each field.
class Stmt(NamedTuple):
    """One statement; ``many`` runs it once per parameter tuple in ``params``."""

    sql: str
    params: Any = ()
    fetch: Fetch = Fetch.NONE
    many: bool = False


class Txn(NamedTuple):
    """One write transaction: ``guard`` must change exactly one row, else nothing is kept.

    ``reads`` run last, inside the transaction; their results are the transaction's.
    ``durable=False`` lets a store commit without waiting for the disk (PostgreSQL's
    asynchronous commit) because a later durable commit of the same run follows.
    """

    guard: Stmt | None
    stmts: tuple[Stmt, ...] = ()
    reads: tuple[Stmt, ...] = ()
    durable: bool = True


class GuardFailed(Exception):
    """The guard of a transaction changed no row; the transaction was rolled back."""


@attrs.frozen(slots=True)
class ReadOp(Generic[T]):
    """Reads that must agree (one snapshot), and how their rows become the result."""

    reads: tuple[Stmt, ...]
    result: Callable[[list[Any]], T]
    snapshot: bool = False


@attrs.frozen(slots=True)
class WriteOp(Generic[T]):
    """A transaction, its result, and the error to raise when its guard changed nothing.

    ``probe`` (reads after the rollback) tells which error: the run moved on, or it does
    not exist.
    """

    txn: Txn
    result: Callable[[list[Any]], T]
    probe: tuple[Stmt, ...] = ()
    failure: Callable[[list[Any]], Exception] | None = None


_json = compact_encoder(ensure_ascii=True)


def _steps_json(rows: list[StepRow]) -> str:
    """Step rows as the JSON records of ``_sqltext.STEP_JSON_FIELDS`` (bytes as hex)."""
    out = []
    for row in rows:
        blob = row[6]
        rec = dict(zip(STEP_JSON_FIELDS, row[1:]))
        rec["outputs"] = None if blob is None else bytes(blob).hex()
        for ts in ("created_at", "completed_at"):
            value = rec[ts]
            rec[ts] = None if value is None else value.isoformat()
        out.append(rec)
    return _json(out)


def _inputs_json(rows: list[tuple[str, str, bytes]]) -> str:
    return _json([{"name": name, "value": blob.hex()} for _, name, blob in rows])


def _commit(final: bool, policy: CheckpointPolicy) -> str:
    """``synchronous_commit`` for one statement: only a call's last write (or every write,
    with ``durability="sync"``) waits for the disk; see ``CommitRun.final``."""
    return "on" if final or policy.durability == "sync" else "off"


def _claim_failure(wid: str, version: int, rows: list[Any]) -> Exception:
    row = rows[0]
    if row is None:
        return unknown_run_error("claim_run", wid)
    return claim_refused_error(wid, version, int(row[1]), int(row[0]))


def _lease_failure(wid: str, lease: Lease, rows: list[Any]) -> Exception:
    row = rows[0]
    if row is None:
        return unknown_run_error("commit_run", wid)
    return lease_lost_error(wid, lease, int(row[0]), int(row[1]))


def _like_pattern(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _first(rows: list[Any]) -> Any:
    return rows[0]


class SqlPlans:
    """All operations of a SQL store, for one rendering of the SQL and one codec."""

    def __init__(self, text: SqlText, codec: Codec) -> None:
        self.t = text
        self.c = codec

    # --- the protocol -------------------------------------------------------------------

    def load_run(self, request: LoadRun) -> ReadOp[RunSnapshot | None]:
        """The run, its steps and inputs as one snapshot: one UNION statement where each
        statement is a round trip (PostgreSQL), three reads in one transaction where
        statements are cheap (SQLite)."""
        wid = request.workflow_id
        if not self.t.dialect.fuses:
            return ReadOp(self._three_reads(wid), lambda rows: self._three(wid, rows),
                          snapshot=True)
        return ReadOp(
            (Stmt(self.t.select_snapshot, (wid, wid, wid), Fetch.ALL),),
            lambda rows: self._union(wid, rows[0])[0],
        )

    def load_and_claim(
        self, request: LoadAndClaim, policy: CheckpointPolicy, now: datetime
    ) -> WriteOp[tuple[RunSnapshot | None, Lease | None]]:
        """PostgreSQL: the snapshot and, if the run matches, its claim in one statement (the
        UNION of ``load_run`` after a CTE that claims). SQLite keeps the default read
        then claim: a write transaction around the reads would queue every resumer's
        read behind the one writer."""
        wid = request.workflow_id
        c, t = self.c, self.t
        params = (
            c.ts_out(now, "now"), c.answer_blob(wid, request.answers), wid,
            request.pause_node, c.config_text(wid, request.config), wid,
            _commit(False, policy), wid, wid, wid,
        )
        fused = Stmt(t.load_claim_fused, params, Fetch.ALL)
        return WriteOp(Txn(fused, durable=False), lambda rows: self._union(wid, rows[0]))

    def _three_reads(self, wid: str) -> tuple[Stmt, ...]:
        t = self.t
        return (
            Stmt(t.select_run, (wid,), Fetch.ONE),
            Stmt(t.select_steps, (wid,), Fetch.ALL),
            Stmt(t.select_inputs, (wid,), Fetch.ALL),
        )

    def _three(self, wid: str, rows: list[Any]) -> RunSnapshot | None:
        """The snapshot from ``_three_reads``."""
        c = self.c
        run_row, step_rows, input_rows = rows
        if run_row is None:
            return None
        step = c.step
        return RunSnapshot(
            c.run(run_row), tuple(step(r) for r in step_rows), c.inputs(wid, input_rows)
        )

    def _union(self, wid: str, rows: list[Any]) -> tuple[RunSnapshot | None, Lease | None]:
        """The snapshot from ``select_snapshot``'s rows, and the lease of a claim (part 3)."""
        c = self.c
        run_row = None
        lease = None
        steps = []
        inputs = []
        for row in rows:
            part = row[0]
            if part == 0:
                run_row = row[1:23]
            elif part == 1:
                steps.append(c.step(row[23:38]))
            elif part == 2:
                inputs.append(row[38:40])
            else:
                lease = Lease(wid, int(row[15]), int(row[16]))
        if run_row is None:
            return None, None
        return RunSnapshot(c.run(run_row), tuple(steps), c.inputs(wid, inputs)), lease

    def start_run(
        self, request: StartRun, policy: CheckpointPolicy, now: datetime
    ) -> WriteOp[Lease]:
        """Create the run with its inputs, or with ``replace`` reset it; an existing run (without
        ``replace``) fails the guard and becomes ``RunExistsError``."""
        wid = request.workflow_id
        c, t = self.c, self.t
        config = c.config_text(wid, None if request.config is None else dict(request.config))
        input_rows = c.input_rows(wid, request.inputs) if request.inputs else []
        stamp = c.ts_out(now, "now")
        lineage = (
            safe_text(request.graph_name), request.parent_run_id, request.forked_from,
            request.fork_superstep, request.retry_of, request.retry_index, config,
        )
        stmts: list[Stmt] = []
        if policy.ttl is not None:
            stmts.extend(self._purge(policy.ttl, now, wid))
        if t.dialect.fuses and not request.replace:
            fused = Stmt(t.start_fused, (
                wid, WorkflowStatus.ACTIVE.value, *lineage, stamp, stamp,
                _inputs_json(input_rows), _commit(False, policy),
            ), Fetch.ONE)
            return WriteOp(
                Txn(fused, tuple(stmts)), lambda _: Lease(wid, 1, 1), (),
                lambda _: run_exists_error(wid),
            )
        if request.replace:
            guard = Stmt(t.reset_run, (WorkflowStatus.ACTIVE.value, *lineage, stamp, wid))
            stmts += [Stmt(t.delete_steps, (wid,)), Stmt(t.delete_inputs, (wid,))]
        else:
            guard = Stmt(t.insert_run, (wid, WorkflowStatus.ACTIVE.value, *lineage, stamp, stamp))
        if input_rows:
            stmts.append(Stmt(t.upsert_input, input_rows, many=True))
        if not request.replace:
            return WriteOp(
                Txn(guard, tuple(stmts), durable=False), lambda _: Lease(wid, 1, 1), (),
                lambda _: run_exists_error(wid),
            )

        def failure(rows: list[Any]) -> Exception:
            return run_exists_error(wid) if rows[0] is not None else unknown_run_error(
                "start_run(replace=True)", wid)

        return WriteOp(
            Txn(guard, tuple(stmts), (Stmt(t.select_lease, (wid,), Fetch.ONE),), durable=False),
            lambda rows: Lease(wid, int(rows[0][0]), int(rows[0][1])),
            (Stmt(t.select_lease, (wid,), Fetch.ONE),), failure,
        )

    def claim_run(
        self, request: ClaimRun, policy: CheckpointPolicy, now: datetime
    ) -> WriteOp[Lease]:
        """Compare-and-set on the version read, recording the answers on the pending pause; a run
        that moved on becomes ``ConcurrentRunError``."""
        wid = request.workflow_id
        c, t = self.c, self.t
        stamp = c.ts_out(now, "now")
        if t.dialect.fuses:
            if request.answers is None:
                guard = Stmt(t.claim_fused, (stamp, wid, request.version, _commit(False, policy)),
                             Fetch.ONE)
            else:
                blob = c.answer_blob(wid, request.answers)
                guard = Stmt(t.claim_answered_fused,
                             (stamp, blob, wid, request.version, _commit(False, policy)),
                             Fetch.ONE)
            return WriteOp(
                Txn(guard), lambda rows: Lease(wid, int(rows[0][1]), int(rows[0][2])),
                (Stmt(t.select_lease, (wid,), Fetch.ONE),),
                lambda rows: _claim_failure(wid, request.version, rows),
            )
        if request.answers is None:
            guard = Stmt(t.claim_run, (stamp, wid, request.version))
        else:
            blob = c.answer_blob(wid, request.answers)
            guard = Stmt(t.claim_run_answered, (stamp, blob, wid, request.version))
        # the version matched, so the epoch is the one read with it: both move on by one
        claimed = Lease(wid, request.epoch + 1, request.version + 1)
        return WriteOp(
            Txn(guard, durable=False), lambda _: claimed,
            (Stmt(t.select_lease, (wid,), Fetch.ONE),),
            lambda rows: _claim_failure(wid, request.version, rows),
        )

    def commit_run(
        self, request: CommitRun, policy: CheckpointPolicy, now: datetime
    ) -> WriteOp[Lease]:
        """Records, inputs, pause, status and retention in one transaction fenced by the lease; a
        lost lease becomes ``ConcurrentRunError``."""
        lease = request.lease
        wid = lease.workflow_id
        c, t = self.c, self.t
        check_records(wid, request.records)
        rows = [c.step_row(r) for r in request.records]
        input_rows = c.input_rows(wid, request.inputs) if request.inputs else []
        status = self._status_params(
            request.status, request.duration_ms, request.node_count, request.error_count, now
        )
        fence = (wid, lease.epoch, lease.version)
        pause = () if request.pause is None else c.pause_params(wid, request.pause)
        retain = self._retain(policy, wid, [r[2] for r in rows]) if rows else []
        if t.dialect.fuses:
            guard = Stmt(
                t.commit_fused if request.pause is None else t.commit_paused_fused,
                (*status, *pause, *fence, _steps_json(rows), _inputs_json(input_rows),
                 _commit(request.final, policy)),
                Fetch.ONE,
            )
            return WriteOp(
                Txn(guard, tuple(retain)), lambda _: Lease(wid, lease.epoch, lease.version + 1),
                (Stmt(t.select_lease, (wid,), Fetch.ONE),),
                lambda found: _lease_failure(wid, lease, found),
            )
        if request.pause is None:
            guard = Stmt(t.commit_run, (*status, *fence))
        else:
            guard = Stmt(t.commit_run_paused, (*status, *pause, *fence))
        stmts: list[Stmt] = []
        if rows:
            stmts.append(Stmt(t.upsert_step, rows, many=True))
        if input_rows:
            stmts.append(Stmt(t.upsert_input, input_rows, many=True))
        stmts.extend(retain)
        next_lease = Lease(wid, lease.epoch, lease.version + 1)
        return WriteOp(
            Txn(guard, tuple(stmts), durable=request.final), lambda _: next_lease,
            (Stmt(t.select_lease, (wid,), Fetch.ONE),),
            lambda found: _lease_failure(wid, lease, found),
        )

    def list_children(self, parent_run_id: str) -> ReadOp[list[Run]]:
        """The runs whose parent is ``parent_run_id``."""
        run = self.c.run
        return ReadOp(
            (Stmt(self.t.select_children, (parent_run_id,), Fetch.ALL),),
            lambda rows: [run(r) for r in rows[0]],
        )

    # --- reads ----------------------------------------------------------------------------

    def get_run(self, run_id: str) -> ReadOp[Run | None]:
        """One run, or ``None``."""
        run = self.c.run
        return ReadOp(
            (Stmt(self.t.select_run, (run_id,), Fetch.ONE),),
            lambda rows: None if rows[0] is None else run(rows[0]),
        )

    def steps(self, run_id: str, superstep: int | None) -> ReadOp[list[StepRecord]]:
        """The run's steps in execution order, up to ``superstep`` inclusive when it is given."""
        if superstep is None:
            stmt = Stmt(self.t.select_steps, (run_id,), Fetch.ALL)
        else:
            stmt = Stmt(self.t.select_steps_upto, (run_id, superstep), Fetch.ALL)
        step = self.c.step
        return ReadOp((stmt,), lambda rows: [step(r) for r in rows[0]])

    def inputs(self, run_id: str) -> ReadOp[dict[str, Any]]:
        """The run's stored inputs."""
        return ReadOp(
            (Stmt(self.t.select_inputs, (run_id,), Fetch.ALL),),
            lambda rows: self.c.inputs(run_id, rows[0]),
        )

    def query_runs(
        self, *, status: WorkflowStatus | None, graph_name: str | None,
        since: datetime | None, parent_run_id: ParentFilter, limit: int | None,
    ) -> ReadOp[list[Run]]:
        """Runs matching the given filters, newest first (``parent_run_id``: unset is any parent,
        ``None`` top-level only)."""
        params: list[Any] = []
        if status is not None:
            params.append(status.value)
        if graph_name is not None:
            params.append(graph_name)
        if since is not None:
            params.append(self.c.ts_out(since, "since"))
        if isinstance(parent_run_id, str):
            params.append(parent_run_id)
        if limit is not None:
            params.append(limit)
        sql = self.t.runs_query(
            status=status is not None, graph_name=graph_name is not None,
            since=since is not None, parent=isinstance(parent_run_id, str),
            top_level=parent_run_id is None,
            limit=limit is not None,
        )
        run = self.c.run
        return ReadOp((Stmt(sql, tuple(params), Fetch.ALL),), lambda rows: [run(r) for r in rows[0]])

    def children_of(self, run_ids: list[str]) -> ReadOp[list[Run]]:
        """The runs forked or retried from any of ``run_ids`` (400 ids per statement)."""
        stmts = []
        for start in range(0, len(run_ids), 400):
            chunk = run_ids[start : start + 400]
            stmts.append(Stmt(self.t.children_query(len(chunk)), (*chunk, *chunk), Fetch.ALL))
        run = self.c.run
        return ReadOp(tuple(stmts), lambda rows: [run(r) for chunk in rows for r in chunk])

    def count_retries(self, source_run_id: str) -> ReadOp[int]:
        """How many runs are retries of ``source_run_id``."""
        return ReadOp(
            (Stmt(self.t.count_retries, (source_run_id,), Fetch.ONE),),
            lambda rows: int(rows[0][0]),
        )

    def search(
        self, terms: list[str], fields: tuple[str, ...], limit: int | None
    ) -> ReadOp[list[StepRecord]]:
        """Steps in which every term matches one of ``fields``, newest first."""
        params: list[Any] = []
        for term in terms:
            params.extend([_like_pattern(term)] * len(fields))
        if limit is not None:
            params.append(limit)
        sql = self.t.search_query(len(terms), fields, limit is not None)
        step = self.c.step
        return ReadOp((Stmt(sql, tuple(params), Fetch.ALL),), lambda rows: [step(r) for r in rows[0]])

    def counts(self) -> ReadOp[tuple[int, int]]:
        """The number of runs and of step records."""
        return ReadOp(
            (Stmt(self.t.counts, (), Fetch.ONE),),
            lambda rows: (int(rows[0][0]), int(rows[0][1])),
        )

    # --- the spec's unfenced writes -------------------------------------------------------

    def create_run(
        self, run_id: str, lineage: Mapping[str, Any], policy: CheckpointPolicy, now: datetime
    ) -> WriteOp[Run]:
        """Upsert a run as ACTIVE (unfenced, ``Checkpointer.create_run``) and read it back."""
        c, t = self.c, self.t
        stamp = c.ts_out(now, "now")
        params = (
            run_id, WorkflowStatus.ACTIVE.value, safe_text(lineage["graph_name"]),
            lineage["parent_run_id"], lineage["forked_from"], lineage["fork_superstep"],
            lineage["retry_of"], lineage["retry_index"],
            c.config_text(run_id, lineage["config"]), stamp, stamp,
        )
        stmts = self._purge(policy.ttl, now, run_id) if policy.ttl is not None else []
        return WriteOp(
            Txn(None, (*stmts, Stmt(t.upsert_run, params)),
                (Stmt(t.select_run, (run_id,), Fetch.ONE),)),
            lambda rows: c.run(rows[0]),
        )

    def save_step(self, record: StepRecord, policy: CheckpointPolicy, now: datetime) -> WriteOp[None]:
        """Upsert one step record (unfenced), move the run's version on, apply retention."""
        run_id = record.run_id
        row = self.c.step_row(record)
        stmts = self._purge(policy.ttl, now, run_id) if policy.ttl is not None else []
        stmts += [
            Stmt(self.t.upsert_step, row),
            Stmt(self.t.touch_run, (self.c.ts_out(now, "now"), run_id)),
        ]
        if policy.retention != "full":
            stmts.extend(self._retain(policy, run_id, [row[2]]))
        return WriteOp(Txn(None, tuple(stmts)), lambda _: None)

    def update_status(
        self, run_id: str, status: WorkflowStatus, duration_ms: float | None,
        node_count: int | None, error_count: int | None, policy: CheckpointPolicy,
        now: datetime,
    ) -> WriteOp[None]:
        """Set a run's status and the statistics given; an unknown run is a ``ValueError``."""
        stmts = self._purge(policy.ttl, now, run_id) if policy.ttl is not None else []
        params = self._status_params(status, duration_ms, node_count, error_count, now)
        return WriteOp(
            Txn(Stmt(self.t.update_status, (*params, run_id)), tuple(stmts)), lambda _: None,
            (), lambda _: unknown_run_error("update_run_status", run_id),
        )

    def purge(self, ttl: timedelta, now: datetime) -> WriteOp[int]:
        """Delete runs idle for longer than ``ttl``, steps and inputs too; returns how many."""
        stmts = self._purge(ttl, now, None)
        return WriteOp(
            Txn(None, tuple(stmts[:2]), (stmts[2],)), lambda rows: int(rows[0]),
        )

    # --- pieces ---------------------------------------------------------------------------

    def _purge(self, ttl: timedelta, now: datetime, keep: str | None) -> list[Stmt]:
        cutoff = self.c.ts_out(now - ttl, "ttl cutoff")
        params = (cutoff, "" if keep is None else keep)
        steps_sql, inputs_sql, runs_sql = self.t.purge
        return [
            Stmt(steps_sql, params), Stmt(inputs_sql, params),
            Stmt(runs_sql, params, Fetch.ROWCOUNT),
        ]

    def _retain(self, policy: CheckpointPolicy, run_id: str, nodes: Sequence[str]) -> list[Stmt]:
        if policy.retention == "latest":
            return [Stmt(
                self.t.retain_latest,
                [(run_id, n, run_id, n) for n in dict.fromkeys(nodes)], many=True,
            )]
        if policy.retention == "windowed":
            return [Stmt(self.t.retain_window, (run_id, run_id, policy.window))]
        return []

    def _status_params(
        self, status: WorkflowStatus | None, duration_ms: float | None,
        node_count: int | None, error_count: int | None, now: datetime,
    ) -> tuple[Any, ...]:
        stamp = self.c.ts_out(now, "now")
        return (
            None if status is None else status.value,
            self.c.bool_out(status is not None),
            stamp if status is not None and completed_like(status) else None,
            duration_ms,
            node_count,
            error_count,
            stamp,
        )
