"""Schema versions and migrations of the SQL stores.

A store records its ``schema_version`` in a ``meta`` table. Opening a store:

* empty (no tables): the version-1 tables are created and migrated up, in one
  transaction, so a fresh store and an upgraded one have exactly the same schema;
* an older version: migrated in one transaction (all or nothing);
* the current version: nothing to do (checked once per connection, never per call);
* a newer version: ``CheckpointStoreError`` asking to upgrade hypergraph-typed;
* tables but no ``meta`` table: ``CheckpointStoreError`` (a foreign database).

History:

* v1: ``meta``, ``runs``, ``steps``.
* v2: ``runs.claim`` (fencing token), ``runs.updated_at`` (for ``ttl``) and the
  ``run_inputs`` table (graph inputs, one row per name).
* v3: the lease model: ``runs.claim`` becomes ``runs.epoch`` (moved on by every claim),
  ``runs.version`` (moved on by every write), and the run's pause record
  (``pause_node``, ``pause_keys``, ``pause_superstep``, ``pause_value``, ``answer``);
  fewer index writes per write (no index on ``updated_at``; partial indexes on the
  lineage columns).
"""

from __future__ import annotations

from typing import Any, Protocol

from hypergraph_typed.checkpointers._sqltext import SqlText
from hypergraph_typed.exceptions import CheckpointStoreError

CURRENT_VERSION = 3

_SQLITE_V1 = [
    "CREATE TABLE {meta} (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    """CREATE TABLE {runs} (
        id TEXT PRIMARY KEY,
        status TEXT NOT NULL,
        graph_name TEXT,
        duration_ms REAL,
        node_count INTEGER NOT NULL DEFAULT 0,
        error_count INTEGER NOT NULL DEFAULT 0,
        parent_run_id TEXT,
        forked_from TEXT,
        fork_superstep INTEGER,
        retry_of TEXT,
        retry_index INTEGER,
        config TEXT,
        created_at TEXT NOT NULL,
        completed_at TEXT
    )""",
    "CREATE INDEX runs_created_at ON {runs} (created_at)",
    "CREATE INDEX runs_parent ON {runs} (parent_run_id)",
    "CREATE INDEX runs_forked_from ON {runs} (forked_from)",
    "CREATE INDEX runs_retry_of ON {runs} (retry_of)",
    """CREATE TABLE {steps} (
        seq INTEGER PRIMARY KEY,
        run_id TEXT NOT NULL,
        superstep INTEGER NOT NULL,
        node_name TEXT NOT NULL,
        step_index INTEGER NOT NULL,
        status TEXT NOT NULL,
        input_versions TEXT NOT NULL,
        outputs BLOB,
        duration_ms REAL NOT NULL,
        cached INTEGER NOT NULL,
        decision TEXT,
        error TEXT,
        node_type TEXT,
        created_at TEXT NOT NULL,
        completed_at TEXT,
        child_run_id TEXT,
        UNIQUE (run_id, superstep, node_name)
    )""",
    "INSERT INTO {meta} (key, value) VALUES ('schema_version', '1')",
]

_SQLITE_V2 = [
    "ALTER TABLE {runs} ADD COLUMN claim INTEGER NOT NULL DEFAULT 0",
    "ALTER TABLE {runs} ADD COLUMN updated_at TEXT NOT NULL DEFAULT ''",
    "UPDATE {runs} SET updated_at = COALESCE(completed_at, created_at)",
    "CREATE INDEX runs_updated_at ON {runs} (updated_at)",
    """CREATE TABLE {inputs} (
        run_id TEXT NOT NULL,
        name TEXT NOT NULL,
        value BLOB NOT NULL,
        PRIMARY KEY (run_id, name)
    ) WITHOUT ROWID""",
]

_PG_V1 = [
    "CREATE TABLE {meta} (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    """CREATE TABLE {runs} (
        seq BIGINT GENERATED ALWAYS AS IDENTITY,
        id TEXT PRIMARY KEY,
        status TEXT NOT NULL,
        graph_name TEXT,
        duration_ms DOUBLE PRECISION,
        node_count INTEGER NOT NULL DEFAULT 0,
        error_count INTEGER NOT NULL DEFAULT 0,
        parent_run_id TEXT,
        forked_from TEXT,
        fork_superstep INTEGER,
        retry_of TEXT,
        retry_index INTEGER,
        config TEXT,
        created_at TIMESTAMPTZ NOT NULL,
        completed_at TIMESTAMPTZ
    )""",
    "CREATE INDEX runs_created_at ON {runs} (created_at)",
    "CREATE INDEX runs_parent ON {runs} (parent_run_id)",
    "CREATE INDEX runs_forked_from ON {runs} (forked_from)",
    "CREATE INDEX runs_retry_of ON {runs} (retry_of)",
    """CREATE TABLE {steps} (
        seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        run_id TEXT NOT NULL,
        superstep INTEGER NOT NULL,
        node_name TEXT NOT NULL,
        step_index INTEGER NOT NULL,
        status TEXT NOT NULL,
        input_versions TEXT NOT NULL,
        outputs BYTEA,
        duration_ms DOUBLE PRECISION NOT NULL,
        cached BOOLEAN NOT NULL,
        decision TEXT,
        error TEXT,
        node_type TEXT,
        created_at TIMESTAMPTZ NOT NULL,
        completed_at TIMESTAMPTZ,
        child_run_id TEXT,
        UNIQUE (run_id, superstep, node_name)
    )""",
    "INSERT INTO {meta} (key, value) VALUES ('schema_version', '1')",
]

_PG_V2 = [
    "ALTER TABLE {runs} ADD COLUMN claim INTEGER NOT NULL DEFAULT 0",
    "ALTER TABLE {runs} ADD COLUMN updated_at TIMESTAMPTZ",
    "UPDATE {runs} SET updated_at = COALESCE(completed_at, created_at)",
    "ALTER TABLE {runs} ALTER COLUMN updated_at SET NOT NULL",
    "CREATE INDEX runs_updated_at ON {runs} (updated_at)",
    """CREATE TABLE {inputs} (
        run_id TEXT NOT NULL,
        name TEXT NOT NULL,
        value BYTEA NOT NULL,
        PRIMARY KEY (run_id, name)
    )""",
]

def _v3(blob: str) -> list[str]:
    # Writes are the hot path: an index on updated_at is rewritten by every write (and
    # in PostgreSQL stops updates from being HOT), and lineage columns are mostly NULL.
    partial = [
        f"CREATE INDEX runs_{col} ON {{runs}} ({col}) WHERE {col} IS NOT NULL"
        for col in ("parent_run_id", "forked_from", "retry_of")
    ]
    return [
        "DROP INDEX IF EXISTS {prefix}runs_updated_at",
        "DROP INDEX IF EXISTS {prefix}runs_parent",
        "DROP INDEX IF EXISTS {prefix}runs_forked_from",
        "DROP INDEX IF EXISTS {prefix}runs_retry_of",
        *partial,
        "ALTER TABLE {runs} RENAME COLUMN claim TO epoch",
        "ALTER TABLE {runs} ADD COLUMN version INTEGER NOT NULL DEFAULT 0",
        "UPDATE {runs} SET version = epoch",
        "ALTER TABLE {runs} ADD COLUMN pause_node TEXT",
        "ALTER TABLE {runs} ADD COLUMN pause_keys TEXT",
        "ALTER TABLE {runs} ADD COLUMN pause_superstep INTEGER",
        f"ALTER TABLE {{runs}} ADD COLUMN pause_value {blob}",
        f"ALTER TABLE {{runs}} ADD COLUMN answer {blob}",
    ]


# version -> statements that bring the schema from (version - 1) to version
_MIGRATIONS: dict[str, dict[int, list[str]]] = {
    "sqlite": {2: _SQLITE_V2, 3: _v3("BLOB")},
    "postgres": {2: _PG_V2, 3: _v3("BYTEA")},
}
_CREATE_V1 = {"sqlite": _SQLITE_V1, "postgres": _PG_V1}


class Cursor(Protocol):
    """The part of a DB-API cursor (sqlite3 or psycopg, sync) the schema checks use."""

    def execute(self, sql: str, params: Any = ..., /) -> Any:
        """Run one statement with its parameters."""
        ...

    def fetchone(self) -> Any:
        """The next row of the last query, or ``None``."""
        ...

    def fetchall(self) -> list[Any]:
        """The remaining rows of the last query."""
        ...


class SchemaManager:
    """Checks the version of a store and creates or migrates its tables (sync, once)."""

    def __init__(
        self,
        text: SqlText,
        *,
        location: str,
        list_tables: tuple[str, tuple[str, ...]],
        table_names: dict[str, str],
        lock: tuple[str, tuple[object, ...]] | None = None,
        prelude: list[str] | None = None,
    ) -> None:
        self.text = text
        self.location = location
        self._list_tables = list_tables
        self._table_names = table_names  # logical name -> bare table name as listed
        self._lock = lock
        self._prelude = prelude or []
        fmt = text.tables
        dialect = text.dialect.name
        self._create_v1 = [s.format(**fmt) for s in _CREATE_V1[dialect]]
        self._migrations = {
            v: [s.format(**fmt) for s in stmts] for v, stmts in _MIGRATIONS[dialect].items()
        }

    def probe(self, cur: Cursor) -> int | None:
        """The stored version, ``None`` for an empty store; errors for foreign ones."""
        cur.execute(*self._list_tables)
        rows = cur.fetchall()
        tables = {r[0] for r in rows}
        if self._table_names["meta"] not in tables:
            if tables:
                listed = ", ".join(sorted(tables)[:8])
                raise CheckpointStoreError(
                    f"{self.location} already holds tables ({listed}) but no hypergraph-typed "
                    "'meta' table: it is not a checkpoint store. Point the checkpointer at a "
                    "new file/schema of its own.",
                    location=self.location,
                )
            return None
        cur.execute(self.text.select_version, ())
        row = cur.fetchone()
        if row is None:
            raise CheckpointStoreError(
                f"{self.location} has a 'meta' table without a schema_version: it was not "
                "created by hypergraph-typed (or was damaged). Use a new file/schema.",
                location=self.location,
            )
        try:
            version = int(row[0])
        except (TypeError, ValueError):
            raise CheckpointStoreError(
                f"{self.location} has an unreadable schema_version {row[0]!r}; it was not "
                "created by hypergraph-typed (or was damaged). Use a new file/schema.",
                location=self.location,
            ) from None
        self.check_not_newer(version)
        return version

    def check_not_newer(self, version: int) -> None:
        """Refuse a schema version newer than this library knows, or one below 1."""
        if version > CURRENT_VERSION:
            raise CheckpointStoreError(
                f"{self.location} uses checkpoint schema version {version}, newer than this "
                f"hypergraph-typed understands (version {CURRENT_VERSION}). Upgrade "
                "hypergraph-typed in every process that opens it.",
                location=self.location,
            )
        if version < 1:
            raise CheckpointStoreError(
                f"{self.location} has an invalid schema_version {version}; use a new file/schema.",
                location=self.location,
            )

    def check_readable(self, version: int | None) -> None:
        """A read-only open never creates or migrates: say what the store needs instead."""
        if not needs_work(version):
            return
        what = ("holds no checkpoint tables" if version is None
                else f"uses the older checkpoint schema version {version} (this is "
                f"{CURRENT_VERSION})")
        raise CheckpointStoreError(
            f"{self.location} {what}; opened read-only, it was not changed. Open it once "
            "without read_only=True to create or migrate it.",
            location=self.location,
        )

    def statements_up_to(self, version: int) -> list[str]:
        """The statements that create the tables of ``version`` on an empty database."""
        stmts = list(self._create_v1)
        for step in range(2, version + 1):
            stmts.extend(self._migrations[step])
        return stmts

    def ensure(self, cur: Cursor) -> int:
        """Create or migrate, inside the caller's write transaction. Returns the old version."""
        if self._lock is not None:
            cur.execute(*self._lock)
        for stmt in self._prelude:
            cur.execute(stmt, ())
        version = self.probe(cur)
        start = version
        if version is None:
            for stmt in self._create_v1:
                cur.execute(stmt, ())
            version = 1
        while version < CURRENT_VERSION:
            version += 1
            for stmt in self._migrations[version]:
                cur.execute(stmt, ())
            cur.execute(self.text.set_version, (str(version),))
        return 0 if start is None else start


def needs_work(version: int | None) -> bool:
    """Whether a store at ``version`` (``None``: an empty store) must be created or migrated."""
    return version is None or version < CURRENT_VERSION


__all__ = ["CURRENT_VERSION", "SchemaManager", "needs_work"]
