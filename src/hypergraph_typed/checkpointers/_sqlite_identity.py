"""Is this SQLite file one of our stores? Decided from the file alone, before any change.

A store created by hypergraph-typed carries ``application_id`` ``APPLICATION_ID`` and
``user_version`` (the schema version) in its header, set in the transaction that
creates the tables. Stores created before those marks existed are recognised by their
tables: exactly the tables of the version their ``meta`` table names, each with exactly
the columns of that version. Everything else (another application's id, an empty file
with a ``user_version``, a ``meta`` table beside other tables, a ``runs`` table with
other columns) is refused, and nothing in the file is changed, journal mode included.
"""

from __future__ import annotations

import sqlite3
from functools import cache

from hypergraph_typed.checkpointers.schema import CURRENT_VERSION, SchemaManager
from hypergraph_typed.exceptions import CheckpointStoreError

APPLICATION_ID = 0x48475459  # "HGTY"

_TABLES = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"

Shape = dict[str, tuple[tuple[object, ...], ...]]


def _shape(cur: sqlite3.Cursor) -> Shape:
    """Each table's columns: name, declared type, not-null, default, primary-key rank."""
    names = [row[0] for row in cur.execute(_TABLES).fetchall()]
    return {
        name: tuple(
            (col[1], str(col[2]).upper(), col[3], col[4], col[5])
            for col in cur.execute(f'PRAGMA table_info("{name}")').fetchall()
        )
        for name in names
    }


@cache
def _reference(statements: tuple[str, ...]) -> Shape:
    conn = sqlite3.connect(":memory:")
    try:
        for stmt in statements:
            conn.execute(stmt)
        return _shape(conn.cursor())
    finally:
        conn.close()


def stamp_statements() -> tuple[str, ...]:
    """Mark a store as ours, inside the transaction that creates or migrates it."""
    return (
        f"PRAGMA application_id = {APPLICATION_ID}",
        f"PRAGMA user_version = {CURRENT_VERSION}",
    )


def identify(cur: sqlite3.Cursor, schema: SchemaManager, location: str) -> tuple[int | None, bool]:
    """``(schema version or None for an empty file, carries our marks)``; refuses others."""
    app_id = cur.execute("PRAGMA application_id").fetchone()[0]
    user_version = cur.execute("PRAGMA user_version").fetchone()[0]
    if app_id == APPLICATION_ID:
        return schema.probe(cur), True
    if app_id != 0:
        raise CheckpointStoreError(
            f"{location} belongs to another application (SQLite application_id "
            f"{app_id:#010x}); it is not a checkpoint store and was not changed. Point the "
            "checkpointer at a file of its own.",
            location=location,
        )
    tables = cur.execute(_TABLES).fetchall()
    if not tables:
        if user_version != 0:
            raise CheckpointStoreError(
                f"{location} has no tables but a user_version of {user_version}: another "
                "program claimed it. It was not changed; point the checkpointer at a file "
                "of its own.",
                location=location,
            )
        return None, False
    version = schema.probe(cur)  # refuses a file without our meta table
    assert version is not None
    expected = _reference(tuple(schema.statements_up_to(version)))
    found = _shape(cur)
    if found != expected:
        differing = sorted(set(found) ^ set(expected)) or sorted(
            name for name in found if found[name] != expected[name]
        )
        raise CheckpointStoreError(
            f"{location} has a 'meta' table naming checkpoint schema version {version}, but "
            f"its tables differ from that version's ({', '.join(differing[:6])}): it was not "
            "created by hypergraph-typed, and was not changed. Point the checkpointer at a "
            "file of its own.",
            location=location,
        )
    return version, False


__all__ = ["APPLICATION_ID", "identify", "stamp_statements"]
