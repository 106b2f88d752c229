"""``SqlCheckpointer``: the store surface on top of ``SqlOps``; subclasses bring a driver."""

from __future__ import annotations

import abc
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, TypeVar

from hypergraph_typed.checkpointers._ops import READ, SNAPSHOT, WRITE, Op, SqlOps
from hypergraph_typed.checkpointers._records import Run, StepRecord, WorkflowStatus, utcnow
from hypergraph_typed.checkpointers._tables import StepTable
from hypergraph_typed.checkpointers.policy import CheckpointPolicy
from hypergraph_typed.checkpointers.serializers import JsonSerializer, Serializer
from hypergraph_typed.checkpointers.store import (
    ParentFilter,
    ResumeState,
    StoreCheckpointer,
    check_records,
    search_terms,
    workflow_status,
)

T = TypeVar("T")


class SqlCheckpointer(StoreCheckpointer):
    """Shared by the SQLite and PostgreSQL stores: each call builds an op and runs it.

    ``_run`` executes an op synchronously; ``_arun`` asynchronously (inline by default).
    ``mode`` is ``"read"`` (no transaction), ``"snapshot"`` (several reads that must
    agree) or ``"write"`` (one write transaction).
    """

    _ops: SqlOps

    def __init__(self, policy: CheckpointPolicy, serializer: Serializer | None) -> None:
        super().__init__(policy)
        if serializer is not None and not isinstance(serializer, Serializer):
            raise TypeError(
                f"serializer must be a Serializer (JsonSerializer(), PickleSerializer(...)), "
                f"got {serializer!r}"
            )
        self.serializer: Serializer = serializer if serializer is not None else JsonSerializer()
        self._clock: Callable[[], datetime] = utcnow

    @abc.abstractmethod
    def _run(self, op: Op[T], mode: str) -> T: ...

    async def _arun(self, op: Op[T], mode: str) -> T:
        return self._run(op, mode)

    # --- op builders (encode eagerly, outside any transaction) ----------------------------

    def _create_op(self, run_id: str, upsert: bool, lineage: dict[str, Any],
                   inputs: Mapping[str, Any] | None) -> Op[Run]:
        now = self._clock()
        c = self._ops.c
        stamp = c.ts_out(now, "now")
        params = (
            run_id,
            WorkflowStatus.ACTIVE.value,
            lineage["graph_name"],
            lineage["parent_run_id"],
            lineage["forked_from"],
            lineage["fork_superstep"],
            lineage["retry_of"],
            lineage["retry_index"],
            c.config_text(run_id, lineage["config"]),
            stamp,
            stamp,
        )
        input_rows = c.input_rows(run_id, inputs) if inputs else []
        return self._ops.create_run(
            params, upsert=upsert, input_rows=input_rows, ttl=self.policy.ttl, now=now
        )

    def _status_op(self, run_id: str, status: WorkflowStatus | str, duration_ms: float | None,
                   node_count: int | None, error_count: int | None) -> Op[None]:
        return self._ops.update_status(
            run_id, workflow_status(status), duration_ms, node_count, error_count,
            self.policy.ttl, self._clock(),
        )

    def _commit_op(
        self,
        run_id: str,
        records: Sequence[StepRecord],
        claim: int,
        status: WorkflowStatus | str | None,
        duration_ms: float | None,
        node_count: int | None,
        error_count: int | None,
        inputs: Mapping[str, Any] | None,
    ) -> Op[None]:
        check_records(run_id, records)
        st = None if status is None else workflow_status(status)
        c = self._ops.c
        rows = [c.step_row(r) for r in records]
        input_rows = c.input_rows(run_id, inputs) if inputs else []
        return self._ops.commit(
            run_id, rows, claim=claim, status=st, duration_ms=duration_ms,
            node_count=node_count, error_count=error_count, input_rows=input_rows,
            policy=self.policy, now=self._clock(),
        )

    def _inputs_op(self, run_id: str, values: Mapping[str, Any]) -> Op[None]:
        rows = self._ops.c.input_rows(run_id, values)
        return self._ops.save_inputs(run_id, rows, self.policy.ttl, self._clock())

    def _runs_op(self, status: WorkflowStatus | None, graph_name: str | None,
                 since: datetime | None, parent_run_id: ParentFilter,
                 limit: int | None) -> tuple[Op[list[Run]], str]:
        ttl = self.policy.ttl
        op = self._ops.query_runs(
            status=status, graph_name=graph_name, since=since, parent_run_id=parent_run_id,
            limit=limit, ttl=ttl, now=self._clock(),
        )
        return op, (READ if ttl is None else WRITE)

    # --- sync reads -----------------------------------------------------------------------

    def get_run(self, run_id: str) -> Run | None:
        return self._run(self._ops.get_run(run_id), READ)

    def steps(self, run_id: str, *, superstep: int | None = None) -> StepTable:
        return StepTable(self._run(self._ops.steps(run_id, superstep), READ))

    def get_inputs(self, run_id: str) -> dict[str, Any]:
        return self._run(self._ops.inputs(run_id), READ)

    def load_for_resume(self, run_id: str) -> ResumeState:
        return self._run(self._ops.load_for_resume(run_id), SNAPSHOT)

    def _query_runs(self, *, status: WorkflowStatus | None, graph_name: str | None,
                    since: datetime | None, parent_run_id: ParentFilter,
                    limit: int | None) -> list[Run]:
        op, mode = self._runs_op(status, graph_name, since, parent_run_id, limit)
        return self._run(op, mode)

    def _children_of(self, run_ids: list[str]) -> list[Run]:
        return self._run(self._ops.children_of(run_ids), SNAPSHOT)

    def _count_retries(self, source_run_id: str) -> int:
        return self._run(self._ops.count_retries(source_run_id), READ)

    def _search(self, terms: list[str], fields: tuple[str, ...],
                limit: int | None) -> list[StepRecord]:
        return self._run(self._ops.search(terms, fields, limit), READ)

    def _counts(self) -> tuple[int, int]:
        return self._run(self._ops.counts(), READ)

    # --- sync writes ----------------------------------------------------------------------

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
        lineage = dict(graph_name=graph_name, parent_run_id=parent_run_id,
                       forked_from=forked_from, fork_superstep=fork_superstep,
                       retry_of=retry_of, retry_index=retry_index, config=config)
        return self._run(self._create_op(run_id, True, lineage, None), WRITE)

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
        lineage = dict(graph_name=graph_name, parent_run_id=parent_run_id,
                       forked_from=forked_from, fork_superstep=fork_superstep,
                       retry_of=retry_of, retry_index=retry_index, config=config)
        return self._run(self._create_op(run_id, False, lineage, inputs), WRITE)

    def save_step_sync(self, record: StepRecord) -> None:
        row = self._ops.c.step_row(record)
        self._run(self._ops.save_step(row, self.policy, self._clock()), WRITE)

    def update_run_status_sync(
        self,
        run_id: str,
        status: WorkflowStatus | str,
        *,
        duration_ms: float | None = None,
        node_count: int | None = None,
        error_count: int | None = None,
    ) -> None:
        self._run(self._status_op(run_id, status, duration_ms, node_count, error_count), WRITE)

    def claim_run(self, run_id: str, expected_claim: int) -> int:
        return self._run(
            self._ops.claim(run_id, expected_claim, self.policy.ttl, self._clock()), WRITE
        )

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
        op = self._commit_op(run_id, records, claim, status, duration_ms, node_count,
                             error_count, inputs)
        self._run(op, WRITE)

    def save_inputs(self, run_id: str, values: Mapping[str, Any]) -> None:
        self._run(self._inputs_op(run_id, values), WRITE)

    def purge_expired(self) -> int:
        ttl = self.policy.ttl
        if ttl is None:
            return 0
        return self._run(self._ops.purge(ttl, self._clock(), None), WRITE)

    # --- async twins ----------------------------------------------------------------------

    async def save_step(self, record: StepRecord) -> None:
        row = self._ops.c.step_row(record)
        await self._arun(self._ops.save_step(row, self.policy, self._clock()), WRITE)

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
        lineage = dict(graph_name=graph_name, parent_run_id=parent_run_id,
                       forked_from=forked_from, fork_superstep=fork_superstep,
                       retry_of=retry_of, retry_index=retry_index, config=config)
        return await self._arun(self._create_op(run_id, True, lineage, None), WRITE)

    async def create_run_new_async(
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
        lineage = dict(graph_name=graph_name, parent_run_id=parent_run_id,
                       forked_from=forked_from, fork_superstep=fork_superstep,
                       retry_of=retry_of, retry_index=retry_index, config=config)
        return await self._arun(self._create_op(run_id, False, lineage, inputs), WRITE)

    async def update_run_status(
        self,
        run_id: str,
        status: WorkflowStatus | str,
        *,
        duration_ms: float | None = None,
        node_count: int | None = None,
        error_count: int | None = None,
    ) -> None:
        await self._arun(
            self._status_op(run_id, status, duration_ms, node_count, error_count), WRITE
        )

    async def claim_run_async(self, run_id: str, expected_claim: int) -> int:
        return await self._arun(
            self._ops.claim(run_id, expected_claim, self.policy.ttl, self._clock()), WRITE
        )

    async def commit_superstep_async(
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
        op = self._commit_op(run_id, records, claim, status, duration_ms, node_count,
                             error_count, inputs)
        await self._arun(op, WRITE)

    async def save_inputs_async(self, run_id: str, values: Mapping[str, Any]) -> None:
        await self._arun(self._inputs_op(run_id, values), WRITE)

    async def get_inputs_async(self, run_id: str) -> dict[str, Any]:
        return await self._arun(self._ops.inputs(run_id), READ)

    async def load_for_resume_async(self, run_id: str) -> ResumeState:
        return await self._arun(self._ops.load_for_resume(run_id), SNAPSHOT)

    async def get_steps(self, run_id: str, *, superstep: int | None = None) -> list[StepRecord]:
        return StepTable(await self._arun(self._ops.steps(run_id, superstep), READ))

    async def get_run_async(self, run_id: str) -> Run | None:
        return await self._arun(self._ops.get_run(run_id), READ)

    async def _query_runs_async(self, *, status: WorkflowStatus | None, graph_name: str | None,
                                since: datetime | None, parent_run_id: ParentFilter,
                                limit: int | None) -> list[Run]:
        op, mode = self._runs_op(status, graph_name, since, parent_run_id, limit)
        return await self._arun(op, mode)

    async def _count_retries_async(self, source_run_id: str) -> int:
        return await self._arun(self._ops.count_retries(source_run_id), READ)

    async def search_async(
        self, q: str, *, field: str | None = None, limit: int = 20
    ) -> list[StepRecord]:
        terms, fields = search_terms(q, field)
        return StepTable(await self._arun(self._ops.search(terms, fields, limit), READ))
