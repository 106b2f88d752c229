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
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
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

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[psycopg.AsyncConnection[Any]]:
        """A connection for one operation; it goes back to the idle list if healthy."""
        from psycopg.pq import TransactionStatus

        async with self._slots:
            conn = self._idle.pop() if self._idle else await self._connect()
            try:
                yield conn
            finally:
                if conn.closed or conn.broken or (
                    conn.info.transaction_status is not TransactionStatus.IDLE
                ):
                    await conn.close()
                else:
                    self._idle.append(conn)

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
