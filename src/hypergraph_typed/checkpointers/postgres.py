"""``PostgresCheckpointer``: the store in a PostgreSQL schema, via psycopg 3.

Sync methods use one ``psycopg.Connection``, async methods one ``psycopg.AsyncConnection``
(per event loop); both are opened on first use, in autocommit mode, with explicit
transactions around writes. A lock per connection keeps one operation at a time on
it, so the object can be shared by threads and by tasks. Several processes can use the
same schema: run rows are locked by the claim check, and schema creation or migration
is serialized by an advisory lock.
"""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import Awaitable, Generator
from typing import TYPE_CHECKING, Any, TypeVar

from hypergraph_typed.checkpointers import _format
from hypergraph_typed.checkpointers._codec import Codec, ts_from_native, ts_to_native
from hypergraph_typed.checkpointers._ops import ALL, EXEC, ONE, READ, Op, SqlOps
from hypergraph_typed.checkpointers._sqlstore import SqlCheckpointer
from hypergraph_typed.checkpointers._sqltext import POSTGRES, SqlText
from hypergraph_typed.checkpointers.base import DONE
from hypergraph_typed.checkpointers.policy import CheckpointPolicy, resolve_policy
from hypergraph_typed.checkpointers.schema import SchemaManager, needs_work
from hypergraph_typed.checkpointers.serializers import Serializer
from hypergraph_typed.exceptions import CheckpointStoreError

if TYPE_CHECKING:
    import psycopg

T = TypeVar("T")

_SCHEMA_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")


def _drive(op: Generator[tuple[int, str, Any], Any, T], cur: psycopg.Cursor[Any]) -> T:
    try:
        kind, sql, params = next(op)
        while True:
            if kind == EXEC:
                result: Any = cur.execute(sql, params).rowcount
            elif kind == ONE:
                result = cur.execute(sql, params).fetchone()
            elif kind == ALL:
                result = cur.execute(sql, params).fetchall()
            else:
                cur.executemany(sql, params)
                result = None
            kind, sql, params = op.send(result)
    except StopIteration as stop:
        value: T = stop.value
        return value


async def _adrive(
    op: Generator[tuple[int, str, Any], Any, T], cur: psycopg.AsyncCursor[Any]
) -> T:
    try:
        kind, sql, params = next(op)
        while True:
            if kind == EXEC:
                result: Any = (await cur.execute(sql, params)).rowcount
            elif kind == ONE:
                result = await (await cur.execute(sql, params)).fetchone()
            elif kind == ALL:
                result = await (await cur.execute(sql, params)).fetchall()
            else:
                await cur.executemany(sql, params)
                result = None
            kind, sql, params = op.send(result)
    except StopIteration as stop:
        value: T = stop.value
        return value


def _finish(aconn: psycopg.AsyncConnection[Any]) -> None:
    """Close an async connection without its loop (psycopg's close never suspends)."""
    coro = aconn.close()
    try:
        coro.send(None)
    except StopIteration:
        return
    coro.close()


class PostgresCheckpointer(SqlCheckpointer):
    """Checkpoints in PostgreSQL, in tables under ``schema`` (created on first use)."""

    def __init__(
        self,
        dsn: str,
        *,
        schema: str = "hypergraph",
        durability: str | None = None,
        retention: str | None = None,
        policy: CheckpointPolicy | None = None,
        serializer: Serializer | None = None,
    ) -> None:
        try:
            import psycopg  # noqa: F401
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise ImportError(
                "PostgresCheckpointer needs psycopg 3: pip install 'hypergraph-typed[postgres]'"
            ) from exc
        super().__init__(resolve_policy(policy, durability, retention), serializer)
        if not isinstance(schema, str) or not _SCHEMA_NAME.match(schema):
            raise ValueError(
                f"PostgresCheckpointer: schema must be a plain identifier (letters, digits, "
                f"underscores; not starting with a digit; at most 63 chars), got {schema!r}"
            )
        if not isinstance(dsn, str):
            raise TypeError(f"PostgresCheckpointer: dsn must be a str, got {type(dsn).__name__}")
        self.dsn = dsn
        self.schema = schema
        text = SqlText(POSTGRES, prefix=f'"{schema}".')
        codec = Codec(self.serializer, ts_out=ts_to_native, ts_in=ts_from_native, bool_out=bool)
        self._ops = SqlOps(text, codec)
        self._schema = SchemaManager(
            text,
            location=f"PostgreSQL schema {schema!r}",
            list_tables=(
                "SELECT tablename FROM pg_catalog.pg_tables WHERE schemaname = %s",
                (schema,),
            ),
            table_names={"meta": "meta"},
            lock=("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"hypergraph_typed:{schema}",)),
            prelude=[f'CREATE SCHEMA IF NOT EXISTS "{schema}"'],
        )
        self._schema_ready = False
        self._closed = False
        self._lock = threading.Lock()
        self._conn: psycopg.Connection[Any] | None = None
        self._cur: psycopg.Cursor[Any] | None = None
        self._aloop: asyncio.AbstractEventLoop | None = None
        self._alock: asyncio.Lock | None = None
        self._aconn: psycopg.AsyncConnection[Any] | None = None

    def __repr__(self) -> str:
        if self._closed:
            return f"PostgresCheckpointer: schema {self.schema} | closed"
        try:
            runs, steps = self._counts()
        except Exception as exc:
            return f"PostgresCheckpointer: schema {self.schema} | unavailable ({exc})"
        counts = f"{_format.plural(runs, 'run')} | {_format.plural(steps, 'step')}"
        return f"PostgresCheckpointer: schema {self.schema} | {counts}"

    def _check_open(self) -> None:
        if self._closed:
            raise CheckpointStoreError(
                f"PostgresCheckpointer(schema={self.schema!r}) is closed; create a new one",
                location=self.schema,
            )

    # --- sync driver ------------------------------------------------------------------------

    def _open(self) -> psycopg.Cursor[Any]:
        import psycopg

        self._check_open()
        conn = psycopg.connect(self.dsn, autocommit=True)
        try:
            cur = conn.cursor()
            if not self._schema_ready:
                if needs_work(_drive(self._schema.probe(), cur)):
                    with conn.transaction():
                        _drive(self._schema.ensure(), cur)
                self._schema_ready = True
        except BaseException:
            conn.close()
            raise
        self._conn, self._cur = conn, cur
        return cur

    def _run(self, op: Op[T], mode: str) -> T:
        with self._lock:
            conn, cur = self._conn, self._cur
            if conn is None or cur is None or conn.closed:
                cur = self._open()  # first use, or the server dropped the connection
            if mode == READ:
                return _drive(op, cur)
            assert self._conn is not None
            with self._conn.transaction():
                return _drive(op, cur)

    # --- async driver -----------------------------------------------------------------------

    async def _aopen(self) -> psycopg.AsyncCursor[Any]:
        import psycopg

        self._check_open()
        aconn = await psycopg.AsyncConnection.connect(self.dsn, autocommit=True)
        try:
            cur = aconn.cursor()
            if not self._schema_ready:
                if needs_work(await _adrive(self._schema.probe(), cur)):
                    async with aconn.transaction():
                        await _adrive(self._schema.ensure(), cur)
                self._schema_ready = True
        except BaseException:
            await aconn.close()
            raise
        self._aconn = aconn
        return cur

    async def _arun(self, op: Op[T], mode: str) -> T:
        loop = asyncio.get_running_loop()
        if self._aloop is not loop:
            # A connection belongs to the loop that opened it; a new loop gets its own.
            if self._aconn is not None:
                _finish(self._aconn)
            self._aconn = None
            self._aloop, self._alock = loop, asyncio.Lock()
        assert self._alock is not None
        async with self._alock:
            aconn = self._aconn
            if aconn is not None and not aconn.closed:
                cur = aconn.cursor()
            else:
                cur = await self._aopen()
            if mode == READ:
                return await _adrive(op, cur)
            assert self._aconn is not None
            async with self._aconn.transaction():
                return await _adrive(op, cur)

    # --- lifecycle --------------------------------------------------------------------------

    def initialize(self) -> Awaitable[None]:
        """Connect (sync) and check or migrate the schema now; works with or without ``await``."""
        with self._lock:
            if self._cur is None:
                self._open()
        return DONE

    def close(self) -> Awaitable[None]:
        """Close both connections; the checkpointer cannot be used afterwards."""
        with self._lock:
            if self._conn is not None:
                self._conn.close()
            self._conn = self._cur = None
            if self._aconn is not None:
                _finish(self._aconn)
            self._aconn = None
            self._closed = True
        return DONE
