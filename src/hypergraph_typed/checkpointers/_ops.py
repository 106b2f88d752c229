"""Store operations written once as generators, run by a sync or an async driver.

An operation yields requests ``(kind, sql, params)`` and receives each result; it never
touches a connection. ``SqliteCheckpointer`` drives them with ``sqlite3``,
``PostgresCheckpointer`` with a sync or an async psycopg connection, so the logic
(claim checks, retention, ttl purge) exists once. Values are encoded *before* an
operation is created, so serialization never runs inside a transaction.
"""

from __future__ import annotations

from collections.abc import Generator, Sequence
from datetime import datetime, timedelta
from typing import Any, TypeVar

from hypergraph_typed.checkpointers._codec import Codec, StepRow
from hypergraph_typed.checkpointers._records import Run, StepRecord, WorkflowStatus
from hypergraph_typed.checkpointers._sqltext import SqlText
from hypergraph_typed.checkpointers.policy import CheckpointPolicy
from hypergraph_typed.checkpointers.store import (
    UNSET,
    ParentFilter,
    ResumeState,
    claim_moved_error,
    completed_like,
    run_exists_error,
    unknown_run_error,
)

T = TypeVar("T")

EXEC = 0  # -> rowcount
MANY = 1  # executemany -> None
ONE = 2  # -> first row or None
ALL = 3  # -> list of rows

Request = tuple[int, str, Any]
Op = Generator[Request, Any, T]

# Read-only ops that issue several statements run inside one (read) transaction.
READ, SNAPSHOT, WRITE = "read", "snapshot", "write"


def _like_pattern(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


class SqlOps:
    """All operations of a SQL store, for one rendering of the SQL and one codec."""

    def __init__(self, text: SqlText, codec: Codec) -> None:
        self.t = text
        self.c = codec

    # --- reads ----------------------------------------------------------------------------

    def get_run(self, run_id: str) -> Op[Run | None]:
        row = yield ONE, self.t.select_run, (run_id,)
        return None if row is None else self.c.run(row)

    def steps(self, run_id: str, superstep: int | None) -> Op[list[StepRecord]]:
        if superstep is None:
            rows = yield ALL, self.t.select_steps, (run_id,)
        else:
            rows = yield ALL, self.t.select_steps_upto, (run_id, superstep)
        step = self.c.step
        return [step(r) for r in rows]

    def inputs(self, run_id: str) -> Op[dict[str, Any]]:
        rows = yield ALL, self.t.select_inputs, (run_id,)
        return self.c.inputs(rows)

    def load_for_resume(self, run_id: str) -> Op[ResumeState]:
        row = yield ONE, self.t.select_run, (run_id,)
        if row is None:
            return None, [], {}
        rows = yield ALL, self.t.select_steps, (run_id,)
        input_rows = yield ALL, self.t.select_inputs, (run_id,)
        step = self.c.step
        return self.c.run(row), [step(r) for r in rows], self.c.inputs(input_rows)

    def query_runs(
        self,
        *,
        status: WorkflowStatus | None,
        graph_name: str | None,
        since: datetime | None,
        parent_run_id: ParentFilter,
        limit: int | None,
        ttl: timedelta | None,
        now: datetime,
    ) -> Op[list[Run]]:
        if ttl is not None:
            yield from self.purge(ttl, now, None)
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
            status=status is not None,
            graph_name=graph_name is not None,
            since=since is not None,
            parent=isinstance(parent_run_id, str),
            top_level=parent_run_id is None,
            limit=limit is not None,
        )
        rows = yield ALL, sql, tuple(params)
        return [self.c.run(r) for r in rows]

    def children_of(self, run_ids: list[str]) -> Op[list[Run]]:
        found: list[Run] = []
        for start in range(0, len(run_ids), 400):
            chunk = run_ids[start : start + 400]
            rows = yield ALL, self.t.children_query(len(chunk)), (*chunk, *chunk)
            found.extend(self.c.run(r) for r in rows)
        return found

    def count_retries(self, source_run_id: str) -> Op[int]:
        row = yield ONE, self.t.count_retries, (source_run_id,)
        return int(row[0])

    def search(
        self, terms: list[str], fields: tuple[str, ...], limit: int | None
    ) -> Op[list[StepRecord]]:
        params: list[Any] = []
        for term in terms:
            params.extend([_like_pattern(term)] * len(fields))
        if limit is not None:
            params.append(limit)
        rows = yield ALL, self.t.search_query(len(terms), fields, limit is not None), tuple(params)
        return [self.c.step(r) for r in rows]

    def counts(self) -> Op[tuple[int, int]]:
        row = yield ONE, self.t.counts, ()
        return int(row[0]), int(row[1])

    # --- writes (run inside one transaction) ----------------------------------------------

    def purge(self, ttl: timedelta, now: datetime, keep: str | None) -> Op[int]:
        cutoff = self.c.ts_out(now - ttl, "ttl cutoff")
        params = (cutoff, "" if keep is None else keep)
        steps_sql, inputs_sql, runs_sql = self.t.purge
        yield EXEC, steps_sql, params
        yield EXEC, inputs_sql, params
        count: int = yield EXEC, runs_sql, params
        return count

    def _retain(self, policy: CheckpointPolicy, run_id: str, nodes: Sequence[str]) -> Op[None]:
        if policy.retention == "latest":
            yield MANY, self.t.retain_latest, [(run_id, n, run_id, n) for n in dict.fromkeys(nodes)]
        elif policy.retention == "windowed":
            yield EXEC, self.t.retain_window, (run_id, run_id, policy.window)

    def create_run(
        self,
        params: tuple[Any, ...],
        *,
        upsert: bool,
        input_rows: list[tuple[str, str, bytes]],
        ttl: timedelta | None,
        now: datetime,
    ) -> Op[Run]:
        run_id = params[0]
        if ttl is not None:
            yield from self.purge(ttl, now, run_id)
        if upsert:
            yield EXEC, self.t.upsert_run, params
        else:
            inserted = yield EXEC, self.t.insert_run, params
            if inserted != 1:
                raise run_exists_error(run_id)
        if input_rows:
            yield MANY, self.t.upsert_input, input_rows
        row = yield ONE, self.t.select_run, (run_id,)
        return self.c.run(row)

    def save_step(
        self, row: StepRow, policy: CheckpointPolicy, now: datetime
    ) -> Op[None]:
        run_id = row[0]
        if policy.ttl is not None:
            yield from self.purge(policy.ttl, now, run_id)
        yield EXEC, self.t.upsert_step, row
        yield EXEC, self.t.touch_run, (self.c.ts_out(now, "now"), run_id)
        if policy.retention != "full":
            yield from self._retain(policy, run_id, [row[2]])

    def _status_params(
        self,
        status: WorkflowStatus | None,
        duration_ms: float | None,
        node_count: int | None,
        error_count: int | None,
        now: datetime,
    ) -> list[Any]:
        stamp = self.c.ts_out(now, "now")
        return [
            None if status is None else status.value,
            self.c.bool_out(status is not None),
            stamp if status is not None and completed_like(status) else None,
            duration_ms,
            node_count,
            error_count,
            stamp,
        ]

    def update_status(
        self,
        run_id: str,
        status: WorkflowStatus,
        duration_ms: float | None,
        node_count: int | None,
        error_count: int | None,
        ttl: timedelta | None,
        now: datetime,
    ) -> Op[None]:
        if ttl is not None:
            yield from self.purge(ttl, now, run_id)
        params = self._status_params(status, duration_ms, node_count, error_count, now)
        count = yield EXEC, self.t.update_status, (*params, run_id)
        if count == 0:
            raise unknown_run_error("update_run_status", run_id)

    def _claim_failure(self, run_id: str, expected: int, action: str) -> Op[Exception]:
        row = yield ONE, self.t.select_claim, (run_id,)
        if row is None:
            return unknown_run_error(action, run_id)
        return claim_moved_error(run_id, expected, int(row[0]))

    def claim(
        self, run_id: str, expected: int, ttl: timedelta | None, now: datetime
    ) -> Op[int]:
        if ttl is not None:
            yield from self.purge(ttl, now, run_id)
        count = yield EXEC, self.t.bump_claim, (self.c.ts_out(now, "now"), run_id, expected)
        if count != 1:
            raise (yield from self._claim_failure(run_id, expected, "claim_run"))
        return expected + 1

    def commit(
        self,
        run_id: str,
        rows: list[StepRow],
        *,
        claim: int,
        status: WorkflowStatus | None,
        duration_ms: float | None,
        node_count: int | None,
        error_count: int | None,
        input_rows: list[tuple[str, str, bytes]],
        policy: CheckpointPolicy,
        now: datetime,
    ) -> Op[None]:
        if policy.ttl is not None:
            yield from self.purge(policy.ttl, now, run_id)
        params = self._status_params(status, duration_ms, node_count, error_count, now)
        count = yield EXEC, self.t.update_status_claimed, (*params, run_id, claim)
        if count != 1:
            raise (yield from self._claim_failure(run_id, claim, "commit_superstep"))
        if rows:
            if len(rows) == 1:
                yield EXEC, self.t.upsert_step, rows[0]
            else:
                yield MANY, self.t.upsert_step, rows
        if input_rows:
            yield MANY, self.t.upsert_input, input_rows
        if rows and policy.retention != "full":
            yield from self._retain(policy, run_id, [r[2] for r in rows])

    def save_inputs(
        self,
        run_id: str,
        input_rows: list[tuple[str, str, bytes]],
        ttl: timedelta | None,
        now: datetime,
    ) -> Op[None]:
        if ttl is not None:
            yield from self.purge(ttl, now, run_id)
        count = yield EXEC, self.t.touch_run, (self.c.ts_out(now, "now"), run_id)
        if count == 0:
            raise unknown_run_error("save_inputs", run_id)
        if input_rows:
            yield MANY, self.t.upsert_input, input_rows


__all__ = ["ALL", "EXEC", "MANY", "ONE", "READ", "SNAPSHOT", "UNSET", "WRITE", "Op", "SqlOps"]
