"""``StoreCheckpointer``: the full surface (sync and async) shared by the bundled backends.

A backend implements a handful of primitives (read a run, its steps, its inputs; the
write operations); everything derived from them (state folding, checkpoints, stats,
lineage, fork and retry) lives here once. Async methods run the sync code inline by
default; a backend with a real async driver overrides them.
"""

from __future__ import annotations

import abc
import enum
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Final, Literal, Union

from typing_extensions import Self

from hypergraph_typed.checkpointers import _derive
from hypergraph_typed.checkpointers._records import (
    Checkpoint,
    Run,
    StepRecord,
    WorkflowStatus,
)
from hypergraph_typed.checkpointers._tables import LineageView, RunTable, StepTable
from hypergraph_typed.checkpointers.base import Checkpointer, unknown_source
from hypergraph_typed.checkpointers.protocol import (
    ClaimRun,
    CommitRun,
    CountRetries,
    Lease,
    ListChildren,
    LoadAndClaim,
    LoadRun,
    RunSnapshot,
    StartRun,
)
from hypergraph_typed.exceptions import (
    AnswerConflictError,
    ConcurrentRunError,
    RunExistsError,
)


class Unset(enum.Enum):
    """Marks an argument that was not passed (distinct from ``None``)."""

    UNSET = "UNSET"


UNSET: Final = Unset.UNSET
ParentFilter = Union[str, None, Literal[Unset.UNSET]]

SEARCH_FIELDS = ("node_name", "error")


def workflow_status(status: WorkflowStatus | str) -> WorkflowStatus:
    """A ``WorkflowStatus`` from itself or its string value; an unknown one is a ``ValueError``."""
    if type(status) is WorkflowStatus:
        return status
    try:
        return WorkflowStatus(status)
    except ValueError:
        options = ", ".join(repr(s.value) for s in WorkflowStatus)
        raise ValueError(f"unknown workflow status {status!r}; use one of {options}") from None


def check_limit(limit: int | None) -> None:
    """Refuse a ``limit`` that is neither ``None`` nor a non-negative int (``bool`` included)."""
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 0):
        raise ValueError(f"limit must be a non-negative int or None, got {limit!r}")


def check_aware(dt: datetime, what: str) -> None:
    """Refuse a naive ``datetime``: stored timestamps are compared in UTC."""
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError(
            f"{what} must be a timezone-aware datetime (e.g. datetime.now(timezone.utc)), "
            f"got naive {dt!r}"
        )


def search_terms(query: str, field: str | None) -> tuple[list[str], tuple[str, ...]]:
    """Split a search into terms (all must match) and the fields to look in."""
    if field is not None and field not in SEARCH_FIELDS:
        raise ValueError(f"search: field must be None, 'node_name' or 'error', got {field!r}")
    terms = query.split() if isinstance(query, str) else []
    if not terms:
        raise ValueError(f"search: give at least one word to look for, got {query!r}")
    return terms, (field,) if field is not None else SEARCH_FIELDS


def check_records(run_id: str, records: Sequence[StepRecord]) -> None:
    """Refuse records of another run in one commit: each run commits its own records."""
    for r in records:
        if r.run_id != run_id:
            raise ValueError(
                f"commit_run({run_id!r}): step record of node {r.node_name!r} belongs "
                f"to run {r.run_id!r}; commit each run's records separately"
            )


class StoreCheckpointer(Checkpointer):
    """A checkpointer with the complete read/write surface, sync and async.

    Beyond the ``Checkpointer`` contract it implements the runtime's store protocol
    (``checkpointers.protocol``: ``load_run``, ``start_run``, ``claim_run``,
    ``commit_run``, ... and their ``_async`` twins), which gives exactly-once resumes:
    runs carry an epoch and a version, claims compare-and-set, writes are fenced.
    """

    # --- context managers: ``with store:`` / ``async with store:`` close it on exit -----

    def __enter__(self) -> Self:
        self.initialize()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    async def __aenter__(self) -> Self:
        await self.initialize()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    # --- the runtime's protocol (checkpointers.protocol), sync --------------------------

    @abc.abstractmethod
    def load_run(self, request: LoadRun) -> RunSnapshot | None:
        """The run, its steps (execution order) and inputs, as one consistent snapshot."""

    @abc.abstractmethod
    def start_run(self, request: StartRun) -> Lease:
        """Create the run with its inputs atomically (``RunExistsError`` if it exists)."""

    @abc.abstractmethod
    def claim_run(self, request: ClaimRun) -> Lease:
        """Compare-and-set on the version read; record the answers to the pending pause."""

    def load_and_claim(self, request: LoadAndClaim) -> tuple[RunSnapshot | None, Lease | None]:
        """``load_run``, then ``claim_run`` at the snapshot's version if the run matches.

        Two operations, as safe as one: the claim is a compare-and-set on the version the
        snapshot read. A store that can do both in one transaction overrides this.
        """
        snap = self.load_run(LoadRun(request.workflow_id))
        claim = request.claim_of(snap)
        return snap, None if claim is None else self.claim_run(claim)

    @abc.abstractmethod
    def commit_run(self, request: CommitRun) -> Lease:
        """One fenced transaction: records, inputs, pause, status and statistics."""

    @abc.abstractmethod
    def list_children(self, request: ListChildren) -> list[Run]:
        """Runs whose parent is ``request.parent_run_id``."""

    def count_retries(self, request: CountRetries) -> int:
        """How many runs are retries of ``request.source_run_id``."""
        return self._count_retries(request.source_run_id)

    # --- primitives each backend provides (sync) ---------------------------------------

    @abc.abstractmethod
    def get_run(self, run_id: str) -> Run | None:
        """The run, or ``None``."""

    @abc.abstractmethod
    def steps(self, run_id: str, *, superstep: int | None = None) -> StepTable:
        """The run's steps in execution order (up to ``superstep`` inclusive)."""

    @abc.abstractmethod
    def get_inputs(self, run_id: str) -> dict[str, Any]:
        """The graph inputs stored with the run (merged over all calls)."""

    @abc.abstractmethod
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
        """Upsert a run as ACTIVE; an existing run keeps created_at and its epoch moves on."""

    @abc.abstractmethod
    def save_step_sync(self, record: StepRecord) -> None:
        """Upsert one record, keyed by ``(run_id, superstep, node_name)``."""

    @abc.abstractmethod
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

    @abc.abstractmethod
    def purge_expired(self) -> int:
        """Delete runs idle for longer than ``policy.ttl``; returns how many (0 without ttl)."""

    @abc.abstractmethod
    def _query_runs(
        self,
        *,
        status: WorkflowStatus | None,
        graph_name: str | None,
        since: datetime | None,
        parent_run_id: ParentFilter,
        limit: int | None,
    ) -> list[Run]: ...

    @abc.abstractmethod
    def _children_of(self, run_ids: list[str]) -> list[Run]:
        """Runs whose ``forked_from`` or ``retry_of`` is one of ``run_ids``."""

    @abc.abstractmethod
    def _count_retries(self, source_run_id: str) -> int: ...

    @abc.abstractmethod
    def _search(
        self, terms: list[str], fields: tuple[str, ...], limit: int | None
    ) -> list[StepRecord]: ...

    @abc.abstractmethod
    def _counts(self) -> tuple[int, int]:
        """(number of runs, number of step records)."""

    # --- derived sync reads -------------------------------------------------------------

    def runs(
        self,
        *,
        status: WorkflowStatus | str | None = None,
        graph_name: str | None = None,
        since: datetime | None = None,
        parent_run_id: ParentFilter = UNSET,
        limit: int | None = 100,
    ) -> RunTable:
        """Runs, newest first. ``parent_run_id``: unset = all, ``None`` = top-level only."""
        check_limit(limit)
        if since is not None:
            check_aware(since, "runs(since=...)")
        return RunTable(
            self._query_runs(
                status=None if status is None else workflow_status(status),
                graph_name=graph_name,
                since=since,
                parent_run_id=parent_run_id,
                limit=limit,
            )
        )

    def state(self, run_id: str, *, superstep: int | None = None) -> dict[str, Any]:
        """The run's values folded from its steps (up to ``superstep`` inclusive)."""
        return _derive.fold_state(self.steps(run_id, superstep=superstep))

    def values(self, run_id: str, *, key: str | None = None) -> dict[str, Any]:
        """The full state, or ``{key: value}`` (``{}`` if the key was never written)."""
        state = self.state(run_id)
        if key is None:
            return state
        return {key: state[key]} if key in state else {}

    def checkpoint(self, run_id: str, *, superstep: int | None = None) -> Checkpoint:
        """The run's state and steps up to ``superstep`` (default: all), to fork or retry from."""
        steps = list(self.steps(run_id, superstep=superstep))
        return Checkpoint(
            values=_derive.fold_state(steps),
            steps=steps,
            source_run_id=run_id,
            source_superstep=superstep if superstep is not None else _derive.last_superstep(steps),
        )

    def stats(self, run_id: str) -> dict[str, dict[str, Any]]:
        """Per-node ``{node_type, steps, total_ms, avg_ms, max_ms, errors, cache_hits}``."""
        return _derive.step_stats(self.steps(run_id))

    def search(self, q: str, *, field: str | None = None, limit: int = 20) -> StepTable:
        """Steps whose node name or error contains every word of ``q`` (case-insensitive)."""
        check_limit(limit)
        terms, fields = search_terms(q, field)
        return StepTable(self._search(terms, fields, limit))

    def lineage(
        self, run_id: str, *, include_steps: bool = True, max_runs: int = 200
    ) -> LineageView:
        """The run's family tree of forks and retries (root first, depth-first)."""
        selected = self.get_run(run_id)
        if selected is None:
            raise ValueError(f"lineage: no run {run_id!r} in this checkpointer")
        return _derive.build_lineage(
            selected,
            self.get_run,
            self._children_of,
            (lambda rid: list(self.steps(rid))) if include_steps else None,
            max_runs,
        )

    def fork_workflow(
        self, source_run_id: str, *, workflow_id: str | None = None, superstep: int | None = None
    ) -> tuple[str, Checkpoint]:
        """A new workflow id and the source's checkpoint; an unknown source is ``ValueError``."""
        if self.get_run(source_run_id) is None:
            raise unknown_source(source_run_id, "fork")
        return workflow_id or _derive.fork_id(source_run_id), self.checkpoint(
            source_run_id, superstep=superstep
        )

    def retry_workflow(
        self, source_run_id: str, *, workflow_id: str | None = None, superstep: int | None = None
    ) -> tuple[str, Checkpoint]:
        """Like ``fork_workflow``, numbered as retry ``1 + existing retries`` of the source."""
        if self.get_run(source_run_id) is None:
            raise unknown_source(source_run_id, "retry")
        index = 1 + self._count_retries(source_run_id)
        cp = self.checkpoint(source_run_id, superstep=superstep)
        checkpoint = Checkpoint(
            values=cp.values,
            steps=cp.steps,
            source_run_id=source_run_id,
            source_superstep=cp.source_superstep,
            retry_of=source_run_id,
            retry_index=index,
        )
        return workflow_id or _derive.retry_id(source_run_id, index), checkpoint

    # --- async twins (inline by default) ------------------------------------------------

    async def load_run_async(self, request: LoadRun) -> RunSnapshot | None:
        """Async twin of ``load_run`` (runs it inline)."""
        return self.load_run(request)

    async def start_run_async(self, request: StartRun) -> Lease:
        """Async twin of ``start_run`` (runs it inline)."""
        return self.start_run(request)

    async def claim_run_async(self, request: ClaimRun) -> Lease:
        """Async twin of ``claim_run`` (runs it inline)."""
        return self.claim_run(request)

    async def load_and_claim_async(
        self, request: LoadAndClaim
    ) -> tuple[RunSnapshot | None, Lease | None]:
        """Async twin of ``load_and_claim`` (the async read, then the async claim)."""
        snap = await self.load_run_async(LoadRun(request.workflow_id))
        claim = request.claim_of(snap)
        return snap, None if claim is None else await self.claim_run_async(claim)

    async def commit_run_async(self, request: CommitRun) -> Lease:
        """Async twin of ``commit_run`` (runs it inline)."""
        return self.commit_run(request)

    async def list_children_async(self, request: ListChildren) -> list[Run]:
        """Async twin of ``list_children`` (runs it inline)."""
        return self.list_children(request)

    async def count_retries_async(self, request: CountRetries) -> int:
        """Async twin of ``count_retries``."""
        return await self._count_retries_async(request.source_run_id)

    async def save_step(self, record: StepRecord) -> None:
        """Async twin of ``save_step_sync``."""
        self.save_step_sync(record)

    async def create_run(
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
        """Async twin of ``create_run_sync``."""
        return self.create_run_sync(
            run_id,
            graph_name=graph_name,
            parent_run_id=parent_run_id,
            forked_from=forked_from,
            fork_superstep=fork_superstep,
            retry_of=retry_of,
            retry_index=retry_index,
            config=config,
        )

    async def update_run_status(
        self,
        run_id: str,
        status: WorkflowStatus | str,
        *,
        duration_ms: float | None = None,
        node_count: int | None = None,
        error_count: int | None = None,
    ) -> None:
        """Async twin of ``update_run_status_sync``."""
        self.update_run_status_sync(
            run_id, status, duration_ms=duration_ms, node_count=node_count, error_count=error_count
        )

    async def get_state(self, run_id: str, *, superstep: int | None = None) -> dict[str, Any]:
        """Async twin of ``state``."""
        return _derive.fold_state(await self.get_steps(run_id, superstep=superstep))

    async def get_steps(self, run_id: str, *, superstep: int | None = None) -> list[StepRecord]:
        """Async twin of ``steps``."""
        return self.steps(run_id, superstep=superstep)

    async def get_run_async(self, run_id: str) -> Run | None:
        """Async twin of ``get_run``."""
        return self.get_run(run_id)

    async def list_runs(
        self,
        *,
        status: WorkflowStatus | str | None = None,
        parent_run_id: str | None = None,
        limit: int | None = 100,
    ) -> list[Run]:
        """Runs, newest first; ``parent_run_id=None`` here means no parent filter."""
        check_limit(limit)
        return await self._query_runs_async(
            status=None if status is None else workflow_status(status),
            graph_name=None,
            since=None,
            parent_run_id=UNSET if parent_run_id is None else parent_run_id,
            limit=limit,
        )

    async def _query_runs_async(
        self,
        *,
        status: WorkflowStatus | None,
        graph_name: str | None,
        since: datetime | None,
        parent_run_id: ParentFilter,
        limit: int | None,
    ) -> list[Run]:
        return self._query_runs(
            status=status,
            graph_name=graph_name,
            since=since,
            parent_run_id=parent_run_id,
            limit=limit,
        )

    async def _count_retries_async(self, source_run_id: str) -> int:
        return self._count_retries(source_run_id)

    async def search_async(
        self, q: str, *, field: str | None = None, limit: int = 20
    ) -> list[StepRecord]:
        """Async twin of ``search``."""
        return self.search(q, field=field, limit=limit)


def completed_like(status: WorkflowStatus) -> bool:
    """Statuses that stamp ``completed_at``."""
    return status is WorkflowStatus.COMPLETED or status is WorkflowStatus.FAILED




def run_exists_error(run_id: str) -> RunExistsError:
    """The ``RunExistsError`` for starting a workflow id that is already stored."""
    return RunExistsError(
        f"workflow {run_id!r} already exists: another call created it first. Resume it by "
        "its id (pass only interrupt answers), or start a new workflow_id.",
        workflow_id=run_id,
    )


def lease_lost_error(run_id: str, lease: Lease, actual_epoch: int, actual_version: int) -> ConcurrentRunError:
    """The ``ConcurrentRunError`` for a write whose lease no longer holds: another call claimed the
    run (epoch moved) or wrote it (version moved)."""
    if actual_epoch != lease.epoch:
        why = (
            f"another call claimed it (epoch {lease.epoch} -> {actual_epoch}) and now runs "
            "it; nothing of this call's write was stored. Let that call finish, then "
            "look at the workflow again"
        )
    else:
        why = (
            f"it was written by someone else since (version {lease.version} -> "
            f"{actual_version}); nothing of this call's write was stored"
        )
    return ConcurrentRunError(
        f"workflow {run_id!r} was taken over: {why}. Never drive one workflow_id from two "
        "places at once.",
        workflow_id=run_id,
        epoch=actual_epoch,
        expected_version=lease.version,
        actual_version=actual_version,
    )


def claim_refused_error(run_id: str, expected: int, actual: int, epoch: int) -> ConcurrentRunError:
    """The ``ConcurrentRunError`` for a claim whose version read is out of date."""
    return ConcurrentRunError(
        f"workflow {run_id!r} changed after this call read it (version {expected} -> "
        f"{actual}): another call resumed or wrote it first, so this resume did nothing. "
        "Look at the workflow again (e.g. runner.run(graph, workflow_id=...) without "
        "answers, or checkpointer.get_run(...).pause) and decide from there.",
        workflow_id=run_id,
        epoch=epoch,
        expected_version=expected,
        actual_version=actual,
    )


def answer_conflict_error(run_id: str, node: str, stored: Mapping[str, Any]) -> AnswerConflictError:
    """The ``AnswerConflictError`` for an answer other than the one the pause recorded."""
    return AnswerConflictError(
        f"workflow {run_id!r}: the pause at {node!r} was already answered by another call "
        f"({sorted(stored)}), with a different value; this answer was not applied. Read the "
        "workflow's current pause and answer that one.",
        workflow_id=run_id,
    )


def unknown_run_error(action: str, run_id: str) -> ValueError:
    """The ``ValueError`` for an operation on a run this store does not have."""
    return ValueError(
        f"{action}: no run {run_id!r} in this checkpointer; start it first "
        "(a run with a checkpointer, or create_run)"
    )
