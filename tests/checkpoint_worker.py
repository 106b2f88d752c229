"""A separate process for durability tests: runs one checkpointed call and reports JSON.

Usage: ``python checkpoint_worker.py BACKEND LOCATION MODE WORKFLOW_ID [ARG]`` where
BACKEND is ``sqlite`` (LOCATION: the database file) or ``postgres`` (LOCATION: the
schema). The graphs live here so that the test process and the workers build the very
same graphs (same structural hash); the chat is the seed's, from
``examples/persistent_chat.py``. Nodes coordinate with the test through files in the
directory named by ``HGT_GATE_DIR``.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from persistent_chat import CHAT

from hypergraph_typed import AsyncRunner, Graph, interrupt, node
from hypergraph_typed.exceptions import ConcurrentRunError

PG_DSN = os.environ.get(
    "HYPERGRAPH_TEST_PG_DSN", "host=127.0.0.1 port=5432 dbname=test user=postgres"
)


def gate_dir() -> Path:
    return Path(os.environ["HGT_GATE_DIR"])


def wait_for_file(path: Path, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{path.name} never appeared")
        time.sleep(0.01)


# -- a three-step job whose middle step can be held (SIGKILL test) ----------------------
@node(output_name="a")
def step_a(x: int) -> int:
    d = gate_dir()
    (d / f"a-ran-{os.getpid()}-{time.monotonic_ns()}").touch()
    return x + 1


@node(output_name="b")
def step_b(a: int) -> int:
    d = gate_dir()
    (d / "b-started").touch()
    while (d / "hold").exists():  # the test kills us here
        time.sleep(0.01)
    return a * 10


@node(output_name="c")
def step_c(b: int) -> int:
    return b + 5


JOB = Graph([step_a, step_b, step_c], name="job")


# -- review whose finalize waits for a go signal (concurrent resume test) ---------------
@node(output_name="draft")
def draft(prompt: str) -> str:
    return f"draft of {prompt}"


@interrupt(output_name="decision")
def approve(draft: str) -> str | None:
    return None


@node(output_name="published")
def publish(decision: str) -> str:
    d = gate_dir()
    (d / f"entered-{decision}").touch()
    wait_for_file(d / "go")
    return f"published with {decision}"


REVIEW = Graph([draft, approve, publish], name="review")

GRAPHS = {"job": JOB, "review": REVIEW, "chat": CHAT}


def open_checkpointer(backend: str, location: str) -> Any:
    if backend == "sqlite":
        from hypergraph_typed.checkpointers import SqliteCheckpointer

        return SqliteCheckpointer(location)
    from hypergraph_typed.checkpointers.postgres import PostgresCheckpointer

    return PostgresCheckpointer(PG_DSN, schema=location)


async def main(argv: list[str]) -> dict[str, Any]:
    backend, location, graph_name, workflow_id = argv[:4]
    values = json.loads(argv[4]) if len(argv) > 4 else {}
    cp = open_checkpointer(backend, location)
    try:
        result = await AsyncRunner(checkpointer=cp).run(
            GRAPHS[graph_name], values, workflow_id=workflow_id
        )
    except ConcurrentRunError as exc:  # lost a race (AnswerConflictError included)
        return {"error": "ConcurrentRunError", "type": type(exc).__name__, "message": str(exc)}
    except Exception as exc:
        return {"error": type(exc).__name__, "message": str(exc)}
    finally:
        closing = cp.close()
        if asyncio.iscoroutine(closing):
            await closing
    return {"status": result.status.value, "values": result.values, "pid": os.getpid()}


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main(sys.argv[1:]))))
