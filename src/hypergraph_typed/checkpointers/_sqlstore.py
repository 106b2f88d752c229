"""``SqlCheckpointer``: the store surface on top of ``SqlPlans``; subclasses execute them.

Every method builds its operation (``_sqlplans``) and hands it to the backend's two
executors: ``_txn`` (one write transaction) and ``_reads`` (reads, optionally as one
snapshot). Async twins call ``_atxn`` / ``_areads``, which run inline unless the
backend has a real async driver.
"""

from __future__ import annotations

import abc
import dataclasses
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, TypeVar

from hypergraph_typed.checkpointers._records import Run, StepRecord, WorkflowStatus, utcnow
from hypergraph_typed.checkpointers._sqlplans import (
    GuardFailed,
    ReadOp,
    SqlPlans,
    Stmt,
    Txn,
    WriteOp,
)
from hypergraph_typed.checkpointers._tables import StepTable
from hypergraph_typed.checkpointers.policy import CheckpointPolicy
from hypergraph_typed.checkpointers.protocol import (
    ClaimRun,
    CommitRun,
    CountRetries,
    Lease,
    ListChildren,
    LoadRun,
    RunSnapshot,
    StartRun,
)
from hypergraph_typed.checkpointers.serializers import JsonSerializer, Serializer
from hypergraph_typed.checkpointers.store import (
    ParentFilter,
    StoreCheckpointer,
    search_terms,
    workflow_status,
)
from hypergraph_typed.exceptions import CheckpointStoreError

T = TypeVar("T")


class SqlCheckpointer(StoreCheckpointer):
    """Shared by the SQLite and PostgreSQL stores."""

    _plans: SqlPlans

    def __init__(self, policy: CheckpointPolicy, serializer: Serializer | None,
                 read_only: bool = False) -> None:
        super().__init__(policy)
        self.read_only: bool = bool(read_only)
        if serializer is not None and not isinstance(serializer, Serializer):
            raise TypeError(
                f"serializer must be a Serializer (JsonSerializer(), PickleSerializer(...)), "
                f"got {serializer!r}"
            )
        self.serializer: Serializer = serializer if serializer is not None else JsonSerializer()
        self._clock: Callable[[], datetime] = utcnow
        self._purged_at: datetime | None = None

    def _policy_now(self) -> tuple[CheckpointPolicy, datetime]:
        """The policy for this write and the time: with ``ttl``, expired runs are purged
        by a write at most every ``ttl / 10`` (and every minute at most), since finding
        them reads the whole runs table."""
        now = self._clock()
        policy = self.policy
        ttl = policy.ttl
        if ttl is None:
            return policy, now
        last = self._purged_at
        if last is not None and now - last < min(ttl / 10, timedelta(minutes=1)):
            return dataclasses.replace(policy, ttl=None), now
        self._purged_at = now
        return policy, now

    # --- executors each backend provides --------------------------------------------------

    @abc.abstractmethod
    def _txn(self, txn: Txn) -> list[Any]:
        """Run one write transaction; ``GuardFailed`` (rolled back) if its guard changed nothing."""

    @abc.abstractmethod
    def _reads(self, stmts: tuple[Stmt, ...], snapshot: bool) -> list[Any]:
        """Run reads; with ``snapshot``, inside one transaction that sees one state."""

    async def _atxn(self, txn: Txn) -> list[Any]:
        return self._txn(txn)

    async def _areads(self, stmts: tuple[Stmt, ...], snapshot: bool) -> list[Any]:
        return self._reads(stmts, snapshot)

    # --- running operations ---------------------------------------------------------------

    def _refuse_write(self) -> None:
        raise CheckpointStoreError(
            f"{type(self).__name__} on {self._location()} was opened with read_only=True; "
            "open it without read_only to write",
            location=self._location(),
        )

    @abc.abstractmethod
    def _location(self) -> str:
        """The file, or host and database, for messages."""

    def _write(self, op: WriteOp[T]) -> T:
        if self.read_only:
            self._refuse_write()
        try:
            rows = self._txn(op.txn)
        except GuardFailed:
            assert op.failure is not None
            raise op.failure(self._reads(op.probe, False) if op.probe else []) from None
        return op.result(rows)

    async def _awrite(self, op: WriteOp[T]) -> T:
        if self.read_only:
            self._refuse_write()
        try:
            rows = await self._atxn(op.txn)
        except GuardFailed:
            assert op.failure is not None
            raise op.failure(await self._areads(op.probe, False) if op.probe else []) from None
        return op.result(rows)

    def _read(self, op: ReadOp[T]) -> T:
        return op.result(self._reads(op.reads, op.snapshot))

    async def _aread(self, op: ReadOp[T]) -> T:
        return op.result(await self._areads(op.reads, op.snapshot))

    # --- the protocol -----------------------------------------------------------------------

    def load_run(self, request: LoadRun) -> RunSnapshot | None:
        """The run, its steps and inputs, read as one snapshot."""
        return self._read(self._plans.load_run(request))

    def start_run(self, request: StartRun) -> Lease:
        """Create the run with its inputs in one transaction (``RunExistsError`` if it exists)."""
        return self._write(self._plans.start_run(request, *self._policy_now()))

    def claim_run(self, request: ClaimRun) -> Lease:
        """Compare-and-set on the version read; record the answers to the pending pause."""
        return self._write(self._plans.claim_run(request, self.policy, self._clock()))

    def commit_run(self, request: CommitRun) -> Lease:
        """Write one fenced transaction: records, inputs, pause, status and statistics."""
        return self._write(self._plans.commit_run(request, self.policy, self._clock()))

    def list_children(self, request: ListChildren) -> list[Run]:
        """The runs whose parent is ``request.parent_run_id``."""
        return self._read(self._plans.list_children(request.parent_run_id))

    async def load_run_async(self, request: LoadRun) -> RunSnapshot | None:
        """Async twin of ``load_run``."""
        return await self._aread(self._plans.load_run(request))

    async def start_run_async(self, request: StartRun) -> Lease:
        """Async twin of ``start_run``."""
        return await self._awrite(self._plans.start_run(request, *self._policy_now()))

    async def claim_run_async(self, request: ClaimRun) -> Lease:
        """Async twin of ``claim_run``."""
        return await self._awrite(self._plans.claim_run(request, self.policy, self._clock()))

    async def commit_run_async(self, request: CommitRun) -> Lease:
        """Async twin of ``commit_run``."""
        return await self._awrite(self._plans.commit_run(request, self.policy, self._clock()))

    async def list_children_async(self, request: ListChildren) -> list[Run]:
        """Async twin of ``list_children``."""
        return await self._aread(self._plans.list_children(request.parent_run_id))

    async def count_retries_async(self, request: CountRetries) -> int:
        """Async twin of ``count_retries``."""
        return await self._aread(self._plans.count_retries(request.source_run_id))

    # --- sync reads -----------------------------------------------------------------------

    def get_run(self, run_id: str) -> Run | None:
        """The run, or ``None``."""
        return self._read(self._plans.get_run(run_id))

    def steps(self, run_id: str, *, superstep: int | None = None) -> StepTable:
        """The run's steps in execution order (up to ``superstep`` inclusive)."""
        steps: list[StepRecord] = self._read(self._plans.steps(run_id, superstep))
        return StepTable(steps)

    def get_inputs(self, run_id: str) -> dict[str, Any]:
        """The graph inputs stored with the run."""
        return self._read(self._plans.inputs(run_id))

    def _query_runs(self, *, status: WorkflowStatus | None, graph_name: str | None,
                    since: datetime | None, parent_run_id: ParentFilter,
                    limit: int | None) -> list[Run]:
        policy, now = self._policy_now()
        if policy.ttl is not None and not self.read_only:  # a reader never deletes
            self._write(self._plans.purge(policy.ttl, now))
        return self._read(self._plans.query_runs(
            status=status, graph_name=graph_name, since=since, parent_run_id=parent_run_id,
            limit=limit,
        ))

    def _children_of(self, run_ids: list[str]) -> list[Run]:
        return self._read(self._plans.children_of(run_ids))

    def _count_retries(self, source_run_id: str) -> int:
        return self._read(self._plans.count_retries(source_run_id))

    def _search(self, terms: list[str], fields: tuple[str, ...],
                limit: int | None) -> list[StepRecord]:
        return self._read(self._plans.search(terms, fields, limit))

    def _counts(self) -> tuple[int, int]:
        return self._read(self._plans.counts())

    # --- the spec's writes ------------------------------------------------------------------

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
        lineage = dict(graph_name=graph_name, parent_run_id=parent_run_id,
                       forked_from=forked_from, fork_superstep=fork_superstep,
                       retry_of=retry_of, retry_index=retry_index, config=config)
        return self._write(self._plans.create_run(run_id, lineage, *self._policy_now()))

    def save_step_sync(self, record: StepRecord) -> None:
        """Upsert one record, keyed by ``(run_id, superstep, node_name)``."""
        self._write(self._plans.save_step(record, *self._policy_now()))

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
        self._write(self._plans.update_status(
            run_id, workflow_status(status), duration_ms, node_count, error_count,
            *self._policy_now(),
        ))

    def purge_expired(self) -> int:
        """Delete runs idle for longer than ``policy.ttl``; returns how many (0 without ttl)."""
        ttl = self.policy.ttl
        if ttl is None:
            return 0
        return self._write(self._plans.purge(ttl, self._clock()))

    # --- async twins ----------------------------------------------------------------------

    async def save_step(self, record: StepRecord) -> None:
        """Async twin of ``save_step_sync``."""
        await self._awrite(self._plans.save_step(record, *self._policy_now()))

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
        lineage = dict(graph_name=graph_name, parent_run_id=parent_run_id,
                       forked_from=forked_from, fork_superstep=fork_superstep,
                       retry_of=retry_of, retry_index=retry_index, config=config)
        return await self._awrite(self._plans.create_run(run_id, lineage, *self._policy_now()))

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
        await self._awrite(self._plans.update_status(
            run_id, workflow_status(status), duration_ms, node_count, error_count,
            *self._policy_now(),
        ))

    async def get_steps(self, run_id: str, *, superstep: int | None = None) -> list[StepRecord]:
        """Async twin of ``steps``."""
        steps: list[StepRecord] = await self._aread(self._plans.steps(run_id, superstep))
        return StepTable(steps)

    async def get_run_async(self, run_id: str) -> Run | None:
        """Async twin of ``get_run``."""
        return await self._aread(self._plans.get_run(run_id))

    async def _query_runs_async(self, *, status: WorkflowStatus | None, graph_name: str | None,
                                since: datetime | None, parent_run_id: ParentFilter,
                                limit: int | None) -> list[Run]:
        policy, now = self._policy_now()
        if policy.ttl is not None and not self.read_only:  # a reader never deletes
            await self._awrite(self._plans.purge(policy.ttl, now))
        return await self._aread(self._plans.query_runs(
            status=status, graph_name=graph_name, since=since, parent_run_id=parent_run_id,
            limit=limit,
        ))

    async def _count_retries_async(self, source_run_id: str) -> int:
        return await self._aread(self._plans.count_retries(source_run_id))

    async def search_async(
        self, q: str, *, field: str | None = None, limit: int = 20
    ) -> list[StepRecord]:
        """Async twin of ``search``."""
        terms, fields = search_terms(q, field)
        found: list[StepRecord] = await self._aread(self._plans.search(terms, fields, limit))
        return StepTable(found)
