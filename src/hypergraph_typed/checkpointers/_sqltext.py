"""The SQL a store runs, written once and rendered for SQLite or PostgreSQL.

Statements are written with ``?`` placeholders and ``{runs}``-style table names, then
rendered once per store (``%s`` and schema-qualified names for PostgreSQL), so a call
only picks a ready string: no formatting on the hot path, and the driver's statement
cache always hits.
"""

from __future__ import annotations

import attrs

RUN_COLS = (
    "id, status, graph_name, duration_ms, node_count, error_count, parent_run_id, "
    "forked_from, fork_superstep, retry_of, retry_index, config, created_at, completed_at, "
    "epoch, version, pause_node, pause_keys, pause_superstep, pause_value, answer, updated_at"
)
STEP_COLS = (
    "run_id, superstep, node_name, step_index, status, input_versions, outputs, duration_ms, "
    "cached, decision, error, node_type, created_at, completed_at, child_run_id"
)
_STEP_UPDATE = ", ".join(
    f"{c} = excluded.{c}"
    for c in STEP_COLS.split(", ")[3:]
)
_STEP_ORDER = "COALESCE(completed_at, created_at), created_at, seq"
_NEW_RUN = (
    "(id, status, graph_name, parent_run_id, forked_from, fork_superstep, retry_of, "
    "retry_index, config, created_at, updated_at, epoch, version) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, 1)"
)
# Sets the status (if given) and statistics (those given) of a run; bumps its version.
_SET_STATUS = (
    "status = COALESCE(?, status), "
    "completed_at = CASE WHEN ? THEN ? ELSE completed_at END, "
    "duration_ms = COALESCE(?, duration_ms), node_count = COALESCE(?, node_count), "
    "error_count = COALESCE(?, error_count), updated_at = ?, version = version + 1"
)
_SET_PAUSE = (
    "pause_node = ?, pause_keys = ?, pause_superstep = ?, pause_value = ?, answer = NULL"
)


# PostgreSQL types of the snapshot's columns: a UNION needs the NULLs that pad each part
# typed, or it cannot match the parts' columns.
_RUN_TYPES = (
    "text text text float8 int int text text int text int text timestamptz timestamptz "
    "int int text text int bytea bytea timestamptz"
).split()
_STEP_TYPES = (
    "text int text int text text bytea float8 bool text text text timestamptz timestamptz text"
).split()
_INPUT_TYPES = ["text", "bytea"]
_ORDER_TYPES = ["timestamptz", "timestamptz", "bigint"]


def _snapshot_sql(typed: bool) -> str:
    def nulls(types: list[str]) -> str:
        return ", ".join(f"NULL::{t}" if typed else "NULL" for t in types)

    order = 2 + len(_RUN_TYPES) + len(_STEP_TYPES) + len(_INPUT_TYPES)
    return (
        f"SELECT * FROM ("
        f"SELECT 0 AS part, {RUN_COLS}, {nulls(_STEP_TYPES)}, {nulls(_INPUT_TYPES)}, "
        f"{nulls(_ORDER_TYPES)} FROM {{runs}} WHERE id = ? "
        f"UNION ALL SELECT 1, {nulls(_RUN_TYPES)}, {STEP_COLS}, {nulls(_INPUT_TYPES)}, "
        f"COALESCE(completed_at, created_at), created_at, seq FROM {{steps}} WHERE run_id = ? "
        f"UNION ALL SELECT 2, {nulls(_RUN_TYPES)}, {nulls(_STEP_TYPES)}, name, value, "
        f"{nulls(_ORDER_TYPES)} FROM {{inputs}} WHERE run_id = ?"
        f") AS snapshot ORDER BY 1, {order}, {order + 1}, {order + 2}"
    )


@attrs.frozen
class Dialect:
    """What differs between the SQL backends in the statements they share."""

    name: str
    placeholder: str  # "?" or "%s"
    like: str  # case-insensitive LIKE operator
    run_order: str  # insertion-order tie-break column of the runs table
    # How a guard (a write that must change exactly one row) fails the transaction:
    # SQLite's driver checks the row count; PostgreSQL's pipeline cannot wait for it, so
    # the guard is wrapped to raise division_by_zero inside the server when no row changed.
    guard_in_sql: bool
    # Whether a write operation is one statement (data-modifying CTEs, arrays for the
    # rows): on a network round trip per statement that is what makes a write cheap.
    fuses: bool = False


SQLITE = Dialect(name="sqlite", placeholder="?", like="LIKE", run_order="rowid",
                 guard_in_sql=False)
POSTGRES = Dialect(name="postgres", placeholder="%s", like="ILIKE", run_order="seq",
                   guard_in_sql=True, fuses=True)

# The columns of a step row after run_id, with their PostgreSQL types: one JSON document
# carries the rows of a commit into a single INSERT (jsonb_to_recordset), which costs the
# driver one text parameter instead of one array per column.
_STEP_RECORD = (
    ("superstep", "int"), ("node_name", "text"), ("step_index", "int"), ("status", "text"),
    ("input_versions", "text"), ("outputs", "text"), ("duration_ms", "float8"),
    ("cached", "bool"), ("decision", "text"), ("error", "text"), ("node_type", "text"),
    ("created_at", "timestamptz"), ("completed_at", "timestamptz"), ("child_run_id", "text"),
)
STEP_JSON_FIELDS = tuple(name for name, _ in _STEP_RECORD)



class SqlText:
    """Every statement of the store, rendered for one dialect and one set of table names."""

    def __init__(self, dialect: Dialect, prefix: str = "") -> None:
        self.dialect = dialect
        self.tables: dict[str, str] = {
            "prefix": prefix,
            "runs": f"{prefix}runs",
            "steps": f"{prefix}steps",
            "inputs": f"{prefix}run_inputs",
            "meta": f"{prefix}meta",
        }
        r = self.render
        g = self.guard
        self.select_run: str = r(f"SELECT {RUN_COLS} FROM {{runs}} WHERE id = ?")
        self.select_lease: str = r("SELECT epoch, version FROM {runs} WHERE id = ?")
        self.select_steps: str = r(
            f"SELECT {STEP_COLS} FROM {{steps}} WHERE run_id = ? ORDER BY {_STEP_ORDER}"
        )
        self.select_steps_upto: str = r(
            f"SELECT {STEP_COLS} FROM {{steps}} WHERE run_id = ? AND superstep <= ? "
            f"ORDER BY {_STEP_ORDER}"
        )
        self.select_inputs: str = r("SELECT name, value FROM {inputs} WHERE run_id = ?")
        # The run, its steps (in order) and its inputs in ONE statement, so the three
        # are one consistent snapshot without an explicit transaction.
        self.select_snapshot: str = r(_snapshot_sql(typed=dialect.name == "postgres"))
        self.select_children: str = r(
            f"SELECT {RUN_COLS} FROM {{runs}} WHERE parent_run_id = ? "
            f"ORDER BY created_at, {dialect.run_order}"
        )
        # --- the protocol's guarded writes (each must change exactly one row) ---------
        self.insert_run: str = g(f"INSERT INTO {{runs}} {_NEW_RUN} ON CONFLICT (id) DO NOTHING")
        self.reset_run: str = g(
            "UPDATE {runs} SET status = ?, graph_name = ?, parent_run_id = ?, "
            "forked_from = ?, fork_superstep = ?, retry_of = ?, retry_index = ?, config = ?, "
            "updated_at = ?, duration_ms = NULL, node_count = 0, error_count = 0, "
            "completed_at = NULL, pause_node = NULL, pause_keys = NULL, "
            "pause_superstep = NULL, pause_value = NULL, answer = NULL, "
            "epoch = epoch + 1, version = version + 1 WHERE id = ?"
        )
        _claim = (
            "UPDATE {runs} SET status = 'active', completed_at = NULL, updated_at = ?, "
            "epoch = epoch + 1, version = version + 1"
        )
        self.claim_run: str = g(_claim + " WHERE id = ? AND version = ?")
        self._claim = _claim
        self.claim_run_answered: str = g(_claim + ", answer = ? WHERE id = ? AND version = ?")
        _fence = " WHERE id = ? AND epoch = ? AND version = ?"
        self.commit_run: str = g(f"UPDATE {{runs}} SET {_SET_STATUS}{_fence}")
        self.commit_run_paused: str = g(f"UPDATE {{runs}} SET {_SET_STATUS}, {_SET_PAUSE}{_fence}")
        self.delete_steps: str = r("DELETE FROM {steps} WHERE run_id = ?")
        self.delete_inputs: str = r("DELETE FROM {inputs} WHERE run_id = ?")
        # --- the spec's unfenced writes ---------------------------------------------------
        self.upsert_run: str = r(
            "INSERT INTO {runs} AS r (id, status, graph_name, parent_run_id, forked_from, "
            "fork_superstep, retry_of, retry_index, config, created_at, updated_at, epoch, "
            "version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, 1) "
            "ON CONFLICT (id) DO UPDATE SET status = excluded.status, "
            "graph_name = excluded.graph_name, duration_ms = NULL, node_count = 0, "
            "error_count = 0, parent_run_id = excluded.parent_run_id, "
            "forked_from = excluded.forked_from, fork_superstep = excluded.fork_superstep, "
            "retry_of = excluded.retry_of, retry_index = excluded.retry_index, "
            "config = excluded.config, completed_at = NULL, epoch = r.epoch + 1, "
            "version = r.version + 1, updated_at = excluded.updated_at"
        )
        self.update_status: str = g(f"UPDATE {{runs}} SET {_SET_STATUS} WHERE id = ?")
        self.touch_run: str = r(
            "UPDATE {runs} SET updated_at = ?, version = version + 1 WHERE id = ?"
        )
        self.upsert_step: str = r(
            f"INSERT INTO {{steps}} ({STEP_COLS}) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            f"ON CONFLICT (run_id, superstep, node_name) DO UPDATE SET {_STEP_UPDATE}"
        )
        self.upsert_input: str = r(
            "INSERT INTO {inputs} (run_id, name, value) VALUES (?, ?, ?) "
            "ON CONFLICT (run_id, name) DO UPDATE SET value = excluded.value"
        )
        self.retain_latest: str = r(
            "DELETE FROM {steps} WHERE run_id = ? AND node_name = ? AND superstep < "
            "(SELECT MAX(superstep) FROM {steps} WHERE run_id = ? AND node_name = ?)"
        )
        self.retain_window: str = r(
            "DELETE FROM {steps} WHERE run_id = ? AND superstep <= "
            "(SELECT MAX(superstep) FROM {steps} WHERE run_id = ?) - ?"
        )
        expired = "SELECT id FROM {runs} WHERE updated_at < ? AND id <> ?"
        self.purge: tuple[str, str, str] = (
            r(f"DELETE FROM {{steps}} WHERE run_id IN ({expired})"),
            r(f"DELETE FROM {{inputs}} WHERE run_id IN ({expired})"),
            r("DELETE FROM {runs} WHERE updated_at < ? AND id <> ?"),
        )
        self.count_retries: str = r("SELECT COUNT(*) FROM {runs} WHERE retry_of = ?")
        self.counts: str = r("SELECT (SELECT COUNT(*) FROM {runs}), (SELECT COUNT(*) FROM {steps})")
        self.select_version: str = r("SELECT value FROM {meta} WHERE key = 'schema_version'")
        self.set_version: str = r("UPDATE {meta} SET value = ? WHERE key = 'schema_version'")

        if dialect.fuses:
            self._render_fused(_claim)

    def _render_fused(self, claim: str) -> None:
        """PostgreSQL: each protocol write as one statement (see ``Dialect.fuses``).

        A data-modifying CTE ``g`` makes the guarded change; the rows to add come in as
        one JSON document each (``jsonb_to_recordset``) and are written only ``FROM g``, so nothing is written when
        the guard changed no row; the final ``1 / COUNT(*)`` then fails the statement.
        ``set_config`` picks synchronous or asynchronous commit for this statement.
        """
        r = self.render
        commit = "set_config('synchronous_commit', ?, true)"
        inputs = (
            "INSERT INTO {inputs} (run_id, name, value) "
            "SELECT g.id, t.name, decode(t.value, 'hex') "
            "FROM g, jsonb_to_recordset(?::jsonb) AS t(name text, value text) "
            "ON CONFLICT (run_id, name) DO UPDATE SET value = excluded.value"
        )
        self.start_fused: str = r(
            f"WITH g AS (INSERT INTO {{runs}} {_NEW_RUN} ON CONFLICT (id) DO NOTHING "
            f"RETURNING id), inp AS ({inputs}) SELECT 1 / COUNT(*), {commit} FROM g"
        )
        self.claim_fused: str = r(
            f"WITH g AS ({claim} WHERE id = ? AND version = ? RETURNING epoch, version) "
            f"SELECT 1 / COUNT(*), MAX(epoch), MAX(version), {commit} FROM g"
        )
        self.claim_answered_fused: str = r(
            f"WITH g AS ({claim}, answer = ? WHERE id = ? AND version = ? "
            f"RETURNING epoch, version) "
            f"SELECT 1 / COUNT(*), MAX(epoch), MAX(version), {commit} FROM g"
        )
        record = ", ".join(f"{name} {kind}" for name, kind in _STEP_RECORD)
        values = ", ".join(
            "decode(t.outputs, 'hex')" if name == "outputs" else f"t.{name}"
            for name, _ in _STEP_RECORD
        )
        steps = (
            f"INSERT INTO {{steps}} ({STEP_COLS}) SELECT g.id, {values} FROM g, "
            f"jsonb_to_recordset(?::jsonb) AS t({record}) "
            f"ON CONFLICT (run_id, superstep, node_name) DO UPDATE SET {_STEP_UPDATE}"
        )
        # LoadAndClaim: claim only a run still paused, unanswered, at the given node and
        # created with the given config, at the version of the statement's snapshot (the
        # subquery reads that snapshot, so a row changed since is not claimed); then the
        # snapshot before the claim, and a last row (part 3) with the claimed epoch and
        # version when the claim happened
        claim_paused = (
            f"{claim}, answer = ? WHERE id = ? AND status = 'paused' AND answer IS NULL "
            "AND pause_node = ? AND config = ? "
            "AND version = (SELECT version FROM {runs} WHERE id = ?)"
        )
        claimed = ", ".join(
            f"g.{col}" if col in ("epoch", "version") else f"NULL::{kind}"
            for col, kind in zip(RUN_COLS.split(", "), _RUN_TYPES)
        )
        rest = ", ".join(f"NULL::{t}" for t in (*_STEP_TYPES, *_INPUT_TYPES, *_ORDER_TYPES))
        snapshot = _snapshot_sql(typed=True)
        body, order = snapshot.rsplit(") AS snapshot ", 1)
        self.load_claim_fused: str = r(
            f"WITH g AS ({claim_paused} AND {commit} IS NOT NULL "
            f"RETURNING epoch, version) {body} UNION ALL SELECT 3, {claimed}, {rest} "
            f"FROM g) AS snapshot {order}"
        )
        fence = " WHERE id = ? AND epoch = ? AND version = ? RETURNING id"
        tail = f"st AS ({steps}), inp AS ({inputs}) SELECT 1 / COUNT(*), {commit} FROM g"
        self.commit_fused: str = r(f"WITH g AS (UPDATE {{runs}} SET {_SET_STATUS}{fence}), {tail}")
        self.commit_paused_fused: str = r(
            f"WITH g AS (UPDATE {{runs}} SET {_SET_STATUS}, {_SET_PAUSE}{fence}), {tail}"
        )

    def guard(self, sql: str) -> str:
        """A write that must change exactly one row; see ``Dialect.guard_in_sql``."""
        if not self.dialect.guard_in_sql:
            return self.render(sql)
        return self.render(f"WITH guarded AS ({sql} RETURNING 1) SELECT 1 / COUNT(*) FROM guarded")

    def render(self, sql: str) -> str:
        """Table names in, placeholders swapped for the dialect's."""
        sql = sql.format(**self.tables)
        if self.dialect.placeholder != "?":
            sql = sql.replace("?", self.dialect.placeholder)
        return sql

    def runs_query(
        self,
        *,
        status: bool,
        graph_name: bool,
        since: bool,
        parent: bool,
        top_level: bool,
        limit: bool,
    ) -> str:
        """SELECT runs with the given filters, newest first."""
        where = []
        if status:
            where.append("status = ?")
        if graph_name:
            where.append("graph_name = ?")
        if since:
            where.append("created_at >= ?")
        if parent:
            where.append("parent_run_id = ?")
        if top_level:
            where.append("parent_run_id IS NULL")
        sql = f"SELECT {RUN_COLS} FROM {{runs}}"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += f" ORDER BY created_at DESC, {self.dialect.run_order} DESC"
        if limit:
            sql += " LIMIT ?"
        return self.render(sql)

    def children_query(self, n: int) -> str:
        """The runs forked or retried from any of ``n`` ids (the ids are bound twice)."""
        marks = ", ".join("?" * n)
        return self.render(
            f"SELECT {RUN_COLS} FROM {{runs}} WHERE forked_from IN ({marks}) "
            f"OR retry_of IN ({marks})"
        )

    def search_query(self, n_terms: int, fields: tuple[str, ...], limit: bool) -> str:
        """Steps where each of ``n_terms`` terms is LIKE one of ``fields``, newest first."""
        like = self.dialect.like
        one = " OR ".join(f"COALESCE({f}, '') {like} ? ESCAPE '\\'" for f in fields)
        where = " AND ".join(f"({one})" for _ in range(n_terms))
        sql = (
            f"SELECT {STEP_COLS} FROM {{steps}} WHERE {where} "
            "ORDER BY COALESCE(completed_at, created_at) DESC, seq DESC"
        )
        if limit:
            sql += " LIMIT ?"
        return self.render(sql)
