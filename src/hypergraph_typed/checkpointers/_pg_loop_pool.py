"""Async PostgreSQL connections of one event loop, reused between operations.

psycopg_pool's ``AsyncConnectionPool`` runs background tasks on the loop that opened
it and must be closed before that loop ends; a library cannot promise that for the
loops its users create (``asyncio.run`` in a loop, threads with loops of their own),
and an abandoned pool keeps ``asyncio.run`` from returning. Connections need no task
of their own, so each loop gets this plain reuse list instead: at most ``size``
connections in use at once, idle ones kept for the next operation, broken ones
dropped. The sync side uses psycopg_pool's ``ConnectionPool``, which threads share.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import psycopg

Connect = Callable[[], Awaitable["psycopg.AsyncConnection[Any]"]]


class LoopConnections:
    """The reusable connections of one event loop (create it on that loop)."""

    def __init__(self, connect: Connect, size: int) -> None:
        self._connect = connect
        self._slots = asyncio.Semaphore(size)
        self._idle: list[psycopg.AsyncConnection[Any]] = []

    def connection(self) -> _Borrowed:
        """A connection for one operation (``async with``); it goes back to the idle
        list if healthy."""
        return _Borrowed(self)

    async def close(self) -> None:
        """Close the idle connections (those in use close when they come back)."""
        idle, self._idle = self._idle, []
        for conn in idle:
            await conn.close()

    def abandon(self) -> None:
        """Close the idle connections without a loop (theirs has stopped)."""
        idle, self._idle = self._idle, []
        for conn in idle:
            conn.pgconn.finish()


class _Borrowed:
    """``async with`` one connection of a ``LoopConnections`` (a class, not a generator
    context manager: it is entered once per store operation)."""

    __slots__ = ("_conn", "_pool")

    def __init__(self, pool: LoopConnections) -> None:
        self._pool = pool
        self._conn: psycopg.AsyncConnection[Any] | None = None

    async def __aenter__(self) -> psycopg.AsyncConnection[Any]:
        pool = self._pool
        await pool._slots.acquire()
        try:
            self._conn = pool._idle.pop() if pool._idle else await pool._connect()
        except BaseException:
            pool._slots.release()
            raise
        return self._conn

    async def __aexit__(self, *exc: object) -> None:
        from psycopg.pq import TransactionStatus

        pool, conn = self._pool, self._conn
        assert conn is not None
        try:
            if conn.closed or conn.broken or (
                conn.pgconn.transaction_status != TransactionStatus.IDLE
            ):
                await conn.close()
            else:
                pool._idle.append(conn)
        finally:
            pool._slots.release()
