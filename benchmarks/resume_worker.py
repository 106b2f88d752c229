"""One of the processes of the resume throughput benchmark.

``python resume_worker.py BACKEND LOCATION GATES FIRST COUNT``: opens the store, resumes
one workflow to warm up, writes ``ready-FIRST``, waits for ``go``, then resumes the
paused workflows ``tp-FIRST`` .. ``tp-(FIRST+COUNT-1)`` one after another and writes
``done-FIRST``: how many completed, the wall-clock time (``time.time()``) they were
done, and the CPU seconds this process spent on them.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from pathlib import Path
from typing import Any

from approval_flow import approval, finalize, generate_draft

from hypergraph_typed import AsyncRunner, Graph

PG_DSN = os.environ.get(
    "HYPERGRAPH_TEST_PG_DSN", "host=127.0.0.1 port=5432 dbname=test user=postgres"
)
GRAPH = Graph([generate_draft, approval, finalize])


def open_store(backend: str, location: str) -> Any:
    if backend == "sqlite":
        from hypergraph_typed.checkpointers import SqliteCheckpointer

        return SqliteCheckpointer(location)
    from hypergraph_typed.checkpointers.postgres import PostgresCheckpointer

    return PostgresCheckpointer(PG_DSN, schema=location)


async def main(backend: str, location: str, gates: Path, first: int, count: int) -> None:
    cp = open_store(backend, location)
    runner = AsyncRunner(checkpointer=cp)
    await runner.run(GRAPH, {"decision": "ok"}, workflow_id=f"warm-{first}")
    (gates / f"ready-{first}").touch()
    while not (gates / "go").exists():
        time.sleep(0.001)
    completed = 0
    cpu = time.process_time()
    for i in range(first, first + count):
        result = await runner.run(GRAPH, {"decision": "approved"}, workflow_id=f"tp-{i}")
        completed += result.completed
    done = f"{completed} {time.time()!r} {time.process_time() - cpu!r}"
    (gates / f"done-{first}").write_text(done)
    await cp.close()


if __name__ == "__main__":
    backend, location, gates, first, count = sys.argv[1:6]
    asyncio.run(main(backend, location, Path(gates), int(first), int(count)))
