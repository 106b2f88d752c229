"""``PostgresCheckpointer``: the store in a PostgreSQL schema, via psycopg 3 and its pool.

Sync methods take connections from one ``psycopg_pool.ConnectionPool``, which threads
share safely. Async methods use connections of the event loop they run on (a
connection belongs to the loop that opened it; see ``_pg_loop_pool`` for why these are
not an ``AsyncConnectionPool``): one checkpointer serves any number of threads with
loops of their own, and a loop that ends takes nothing down with it.

Each operation is one round trip: its statements are sent in pipeline mode inside one
transaction (``BEGIN ... COMMIT``); a guard that must change one row aborts the
transaction inside the server when it did not. Only the last commit of a run() call
waits for the disk; the ones before it use asynchronous commit, which is safe because
every write is fenced by the run's version: a write lost in a server crash makes the
next one fail, so a call never reports as stored anything that was not.

Connections time out (``connect_timeout``, ``statement_timeout``) rather than hang on a
server that does not answer; errors name the host, port and database.
"""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any

from hypergraph_typed.checkpointers import _format, _sqlplans
from hypergraph_typed.checkpointers._codec import Codec, ts_from_native, ts_to_native
from hypergraph_typed.checkpointers._pg_loop_pool import LoopConnections
from hypergraph_typed.checkpointers._sqlplans import Fetch, SqlPlans, Stmt, Txn
from hypergraph_typed.checkpointers._sqlstore import SqlCheckpointer
from hypergraph_typed.checkpointers._sqltext import POSTGRES, SqlText
from hypergraph_typed.checkpointers.base import DONE
from hypergraph_typed.checkpointers.policy import CheckpointPolicy, resolve_policy
from hypergraph_typed.checkpointers.protocol import Lease, LoadAndClaim, RunSnapshot
from hypergraph_typed.checkpointers.schema import SchemaManager, needs_work
from hypergraph_typed.checkpointers.serializers import Serializer
from hypergraph_typed.exceptions import CheckpointStoreError

if TYPE_CHECKING:
    import psycopg
    from psycopg_pool import ConnectionPool

_SCHEMA_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")


async def _afetch(cur: psycopg.AsyncCursor[Any], fetch: Fetch) -> Any:
    if fetch is Fetch.ONE:
        return await cur.fetchone()
    if fetch is Fetch.ALL:
        return await cur.fetchall()
    if fetch is Fetch.ROWCOUNT:
        return cur.rowcount
    return None


def _fetch(cur: psycopg.Cursor[Any], fetch: Fetch) -> Any:
    if fetch is Fetch.ONE:
        return cur.fetchone()
    if fetch is Fetch.ALL:
        return cur.fetchall()
    if fetch is Fetch.ROWCOUNT:
        return cur.rowcount
    return None


class PostgresCheckpointer(SqlCheckpointer):
    """Checkpoints in PostgreSQL, in tables under ``schema`` (created on first use).

    ``connect_timeout`` (seconds) bounds connecting, ``statement_timeout`` (seconds) any
    one statement; ``pool_size`` is the most connections this checkpointer opens.
    ``read_only=True`` never creates or migrates the schema and opens read-only
    transactions: what an inspector such as the CLI wants.
    """

    def __init__(
        self,
        dsn: str,
        *,
        schema: str = "hypergraph",
        durability: str | None = None,
        retention: str | None = None,
        policy: CheckpointPolicy | None = None,
        serializer: Serializer | None = None,
        connect_timeout: float = 5.0,
        statement_timeout: float = 30.0,
        pool_size: int = 8,
        read_only: bool = False,
    ) -> None:
        try:
            import psycopg  # noqa: F401
            import psycopg_pool  # noqa: F401
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise ImportError(
                "PostgresCheckpointer needs psycopg 3 and psycopg_pool: "
                "pip install 'psycopg[binary]' psycopg-pool (the 'postgres' extra of "
                "hypergraph-typed)"
            ) from exc
        super().__init__(resolve_policy(policy, durability, retention), serializer, read_only)
        if not isinstance(schema, str) or not _SCHEMA_NAME.match(schema):
            raise ValueError(
                f"PostgresCheckpointer: schema must be a plain identifier (letters, digits, "
                f"underscores; not starting with a digit; at most 63 chars), got {schema!r}"
            )
        if not isinstance(dsn, str):
            raise TypeError(f"PostgresCheckpointer: dsn must be a str, got {type(dsn).__name__}")
        for name, value in (("connect_timeout", connect_timeout),
                            ("statement_timeout", statement_timeout)):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
                raise ValueError(f"PostgresCheckpointer: {name} must be > 0 seconds, got {value!r}")
        if isinstance(pool_size, bool) or not isinstance(pool_size, int) or pool_size < 1:
            raise ValueError(f"PostgresCheckpointer: pool_size must be an int >= 1, got {pool_size!r}")
        self.dsn = dsn
        self.schema = schema
        self.connect_timeout: float = float(connect_timeout)
        self.statement_timeout: float = float(statement_timeout)
        self.pool_size = pool_size
        self.location: str = _describe(dsn)
        text = SqlText(POSTGRES, prefix=f'"{schema}".')
        codec = Codec(self.serializer, ts_out=ts_to_native, ts_in=ts_from_native, bool_out=bool,
                      location=f"PostgreSQL schema {schema!r} at {self.location}")
        self._plans = SqlPlans(text, codec)
        self._schema = SchemaManager(
            text,
            location=f"PostgreSQL schema {schema!r} at {self.location}",
            list_tables=(
                "SELECT tablename FROM pg_catalog.pg_tables WHERE schemaname = %s",
                (schema,),
            ),
            table_names={"meta": "meta"},
            lock=("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"hypergraph_typed:{schema}",)),
            prelude=[f'CREATE SCHEMA IF NOT EXISTS "{schema}"'],
        )
        self._closed = False
        self._lock = threading.Lock()
        self._pool: ConnectionPool[Any] | None = None
        self._schema_ready = False
        # the async connections of each event loop that used this checkpointer
        self._apools: dict[asyncio.AbstractEventLoop, LoopConnections] = {}

    def _location(self) -> str:
        return f"PostgreSQL schema {self.schema!r} at {self.location}"

    def __repr__(self) -> str:
        if self._closed:
            return f"PostgresCheckpointer: schema {self.schema} | closed"
        try:
            runs, steps = self._counts()
        except Exception as exc:
            return f"PostgresCheckpointer: schema {self.schema} | unavailable ({exc})"
        counts = f"{_format.plural(runs, 'run')} | {_format.plural(steps, 'step')}"
        return f"PostgresCheckpointer: schema {self.schema} | {counts}"

    # --- the pool -------------------------------------------------------------------------

    def _connect_kwargs(self) -> dict[str, Any]:
        return {
            "autocommit": True,
            # Every statement is prepared on first use (planning a fused write or the
            # snapshot costs more than running it); a connection whose pipeline was
            # aborted is closed (see _end_aborted), as psycopg's cache of prepared
            # statements can then be out of step with the server.
            "prepare_threshold": 0,
            "application_name": f"hypergraph_typed:{self.schema}",
            "connect_timeout": max(1, round(self.connect_timeout)),
            "options": f"-c statement_timeout={int(self.statement_timeout * 1000)}"
            + (" -c default_transaction_read_only=on" if self.read_only else ""),
        }

    def _unreachable(self, exc: BaseException) -> CheckpointStoreError:
        return CheckpointStoreError(
            f"cannot connect to PostgreSQL at {self.location} within "
            f"{self.connect_timeout:g}s ({type(exc).__name__}: {exc}). Check that the server "
            "runs and answers there, or raise connect_timeout.",
            location=self.location,
        )

    def _check_open(self) -> None:
        if self._closed:
            raise CheckpointStoreError(
                f"PostgresCheckpointer(schema={self.schema!r}) is closed; create a new one",
                location=self.location,
            )

    def _ensure_schema(self, conn: psycopg.Connection[Any]) -> None:
        """Check, create or migrate the schema (once per checkpointer)."""
        if self._schema_ready:
            return
        cur = conn.cursor()
        version = self._schema.probe(cur)
        if self.read_only:
            self._schema.check_readable(version)
        elif needs_work(version):
            with conn.transaction():
                self._schema.ensure(cur)
        self._schema_ready = True

    def _open_pool(self) -> ConnectionPool[Any]:
        """Open the sync pool and check the schema."""
        import psycopg
        from psycopg_pool import ConnectionPool, PoolTimeout

        self._check_open()
        pool: ConnectionPool[Any] = ConnectionPool(
            self.dsn, kwargs=self._connect_kwargs(), min_size=1, max_size=self.pool_size,
            timeout=self.connect_timeout, open=False, name=f"hypergraph_typed:{self.schema}",
        )
        try:
            pool.open(wait=True, timeout=self.connect_timeout)
            with pool.connection() as conn:
                self._ensure_schema(conn)
        except (PoolTimeout, psycopg.OperationalError) as exc:
            pool.close(timeout=0)
            raise self._unreachable(exc) from exc
        except psycopg.Error as exc:
            pool.close(timeout=0)
            raise self._failed(exc) from exc
        except BaseException:
            pool.close(timeout=0)
            raise
        return pool

    async def _aconnect(self) -> psycopg.AsyncConnection[Any]:
        """One new async connection (the schema checked once, through the sync pool)."""
        import psycopg

        self._check_open()
        if not self._schema_ready:
            await asyncio.to_thread(self._ensure_schema_once)
        try:
            return await psycopg.AsyncConnection.connect(self.dsn, **self._connect_kwargs())
        except psycopg.OperationalError as exc:
            raise self._unreachable(exc) from exc

    def _ensure_schema_once(self) -> None:
        with self._connection():
            pass  # opening the sync pool checks the schema

    def _connection(self) -> Any:
        pool = self._pool
        if pool is None:
            with self._lock:
                pool = self._pool
                if pool is None:
                    pool = self._pool = self._open_pool()
        return pool.connection()

    def _aconnection(self) -> Any:
        loop = asyncio.get_running_loop()
        conns = self._apools.get(loop)
        if conns is None:
            with self._lock:
                self._check_open()
                for old in [lp for lp in self._apools if lp.is_closed()]:
                    self._apools.pop(old).abandon()
                conns = self._apools.setdefault(
                    loop, LoopConnections(self._aconnect, self.pool_size)
                )
        return conns.connection()

    # --- executors --------------------------------------------------------------------------

    def _txn(self, txn: Txn) -> list[Any]:
        import psycopg

        guard = txn.guard
        try:
            with self._connection() as conn:
                if guard is not None and not txn.stmts and not txn.reads:
                    # one statement is its own transaction: one round trip
                    return [_fetch(conn.execute(guard.sql, guard.params), guard.fetch)]
                try:
                    with conn.pipeline():  # everything below goes in one round trip
                        conn.execute("BEGIN")
                        if not txn.durable and self.policy.durability != "sync":
                            conn.execute("SET LOCAL synchronous_commit TO OFF")
                        first = None if guard is None else conn.execute(guard.sql, guard.params)
                        for stmt in txn.stmts:
                            cur = conn.cursor()
                            if stmt.many:
                                cur.executemany(stmt.sql, stmt.params)
                            else:
                                cur.execute(stmt.sql, stmt.params)
                        reads = [(conn.execute(s.sql, s.params), s.fetch) for s in txn.reads]
                        conn.execute("COMMIT")
                except psycopg.Error:
                    _end_aborted(conn)
                    raise
                results = [_fetch(cur, fetch) for cur, fetch in reads]
                if first is not None and guard is not None and guard.fetch is not Fetch.NONE:
                    results.insert(0, _fetch(first, guard.fetch))
                return results
        except psycopg.errors.DivisionByZero:
            raise _sqlplans.GuardFailed from None
        except psycopg.Error as exc:
            raise self._failed(exc) from exc

    def _reads(self, stmts: tuple[Stmt, ...], snapshot: bool) -> list[Any]:
        import psycopg

        try:
            with self._connection() as conn:
                if len(stmts) == 1:
                    stmt = stmts[0]
                    return [_fetch(conn.execute(stmt.sql, stmt.params), stmt.fetch)]
                try:
                    with conn.pipeline():
                        if snapshot:
                            conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                        curs = [conn.execute(s.sql, s.params) for s in stmts]
                        if snapshot:
                            conn.execute("COMMIT")
                except psycopg.Error:
                    _end_aborted(conn)
                    raise
                return [_fetch(cur, s.fetch) for cur, s in zip(curs, stmts)]
        except psycopg.Error as exc:
            raise self._failed(exc) from exc

    def _failed(self, exc: BaseException) -> CheckpointStoreError:
        """A driver error as a library error naming host and database (the cause chained)."""
        from psycopg_pool import PoolTimeout

        if isinstance(exc, PoolTimeout):
            return self._unreachable(exc)
        detail = " ".join(str(exc).split())
        return CheckpointStoreError(
            f"PostgreSQL at {self.location} (schema {self.schema!r}): "
            f"{type(exc).__name__}: {detail}",
            location=self.location,
        )

    async def _atxn(self, txn: Txn) -> list[Any]:
        import psycopg

        guard = txn.guard
        try:
            async with self._aconnection() as conn:
                if guard is not None and not txn.stmts and not txn.reads:
                    cur = await conn.execute(guard.sql, guard.params)
                    return [await _afetch(cur, guard.fetch)]
                try:
                    async with conn.pipeline():
                        await conn.execute("BEGIN")
                        if not txn.durable and self.policy.durability != "sync":
                            await conn.execute("SET LOCAL synchronous_commit TO OFF")
                        first = (
                            None if guard is None
                            else await conn.execute(guard.sql, guard.params)
                        )
                        for stmt in txn.stmts:
                            acur = conn.cursor()
                            if stmt.many:
                                await acur.executemany(stmt.sql, stmt.params)
                            else:
                                await acur.execute(stmt.sql, stmt.params)
                        reads = [(await conn.execute(s.sql, s.params), s.fetch)
                                 for s in txn.reads]
                        await conn.execute("COMMIT")
                except psycopg.Error:
                    await _aend_aborted(conn)
                    raise
                results = [await _afetch(c, fetch) for c, fetch in reads]
                if first is not None and guard is not None and guard.fetch is not Fetch.NONE:
                    results.insert(0, await _afetch(first, guard.fetch))
                return results
        except psycopg.errors.DivisionByZero:
            raise _sqlplans.GuardFailed from None
        except psycopg.Error as exc:
            raise self._failed(exc) from exc

    async def _areads(self, stmts: tuple[Stmt, ...], snapshot: bool) -> list[Any]:
        import psycopg

        try:
            async with self._aconnection() as conn:
                if len(stmts) == 1:
                    stmt = stmts[0]
                    return [await _afetch(await conn.execute(stmt.sql, stmt.params), stmt.fetch)]
                try:
                    async with conn.pipeline():
                        if snapshot:
                            await conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                        curs = [await conn.execute(s.sql, s.params) for s in stmts]
                        if snapshot:
                            await conn.execute("COMMIT")
                except psycopg.Error:
                    await _aend_aborted(conn)
                    raise
                return [await _afetch(cur, s.fetch) for cur, s in zip(curs, stmts)]
        except psycopg.Error as exc:
            raise self._failed(exc) from exc

    # --- the protocol: a resume's read and claim in one round trip ---------------------------

    def load_and_claim(self, request: LoadAndClaim) -> tuple[RunSnapshot | None, Lease | None]:
        """The snapshot and, if the run matches, its claim: one statement."""
        return self._write(self._plans.load_and_claim(request, self.policy, self._clock()))

    async def load_and_claim_async(
        self, request: LoadAndClaim
    ) -> tuple[RunSnapshot | None, Lease | None]:
        """Async twin of ``load_and_claim``."""
        return await self._awrite(self._plans.load_and_claim(request, self.policy, self._clock()))

    # --- lifecycle --------------------------------------------------------------------------

    def initialize(self) -> Awaitable[None]:
        """Connect and check or migrate the schema now; works with or without ``await``."""
        with self._connection():
            pass
        return DONE

    def close(self) -> Awaitable[None]:
        """Close the pools; the checkpointer cannot be used afterwards.

        Works with or without ``await``: awaited, it also waits for the current event
        loop's pool to close; pools of other loops are closed on their own loop.
        """
        with self._lock:
            pool, self._pool = self._pool, None
            apools, self._apools = self._apools, {}
            self._closed = True
        if pool is not None:
            pool.close()
        try:
            current = asyncio.get_running_loop()
        except RuntimeError:
            current = None
        waiting: Awaitable[None] = DONE
        for loop, conns in apools.items():
            if loop is current:
                waiting = current.create_task(conns.close())  # runs even if not awaited
            elif loop.is_running():
                asyncio.run_coroutine_threadsafe(conns.close(), loop)
            else:
                conns.abandon()
        return waiting


def _end_aborted(conn: psycopg.Connection[Any]) -> None:
    """After a failed pipeline: close the connection (its pool replaces it). An aborted
    pipeline can leave psycopg's prepared-statement cache out of step with the server,
    and the transaction open; neither may reach the next operation."""
    conn.close()


async def _aend_aborted(conn: psycopg.AsyncConnection[Any]) -> None:
    """See ``_end_aborted``."""
    await conn.close()


def _describe(dsn: str) -> str:
    """``host:port/dbname`` of a connection string, for error messages (no password)."""
    try:
        from psycopg.conninfo import conninfo_to_dict

        params = conninfo_to_dict(dsn)
    except Exception:
        return "the given dsn"
    host = params.get("host") or params.get("hostaddr") or "localhost"
    port = params.get("port") or "5432"
    db = params.get("dbname")
    return f"{host}:{port}" + (f"/{db}" if db else "")
