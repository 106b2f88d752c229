"""Worker processes for the exactly-once tests (``test_durable_races.py``).

Modes (``python race_worker.py MODE BACKEND LOCATION ...``):

* ``race INDEX ROUNDS``: for each round ``r``, wait for the file ``go-r``, resume the
  workflow ``race-r`` with the answer ``answer-INDEX``, write the outcome to
  ``result-r-INDEX.json``. Eight of these race for the same pause every round.
* ``resume WID ANSWER [hold-after-load]``: resume one workflow once and print the
  outcome; with ``hold-after-load`` the store, having read the run, waits for the file
  ``release`` before the call goes on (a resumer whose snapshot goes stale).
* ``chain WID``: run the five-step chain from the start (the SIGKILL tests).

Every node that does something leaves a trace a test can count: ``publish`` appends the
answer it published to ``published.log``, chain steps append their name to
``chain.log`` (one ``write`` of a short line with O_APPEND: whole lines, even from many
processes).
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import time
import types
from pathlib import Path
from typing import Any

from hypergraph_typed import AsyncRunner, Graph, interrupt, node
from hypergraph_typed.checkpointers.store import StoreCheckpointer
from hypergraph_typed.exceptions import ConcurrentRunError

PG_DSN = os.environ.get(
    "HYPERGRAPH_TEST_PG_DSN", "host=127.0.0.1 port=5432 dbname=test user=postgres"
)


def gates() -> Path:
    return Path(os.environ["HGT_GATE_DIR"])


def append_line(name: str, line: str) -> None:
    fd = os.open(gates() / name, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, (line + "\n").encode())
    finally:
        os.close(fd)


def wait_for(path: Path, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{path.name} never appeared")
        time.sleep(0.002)


# -- the review every race is about --------------------------------------------------------
@node(output_name="draft")
def draft(prompt: str) -> str:
    return f"draft of {prompt}"


@interrupt(output_name="decision")
def approve(draft: str) -> str | None:
    return None


@node(output_name="published")
def publish(decision: str) -> str:
    # with HGT_ROUND_TAG, the line names the round the test is in (file "round")
    tag = (gates() / "round").read_text() if os.environ.get("HGT_ROUND_TAG") else None
    append_line("published.log", decision if tag is None else f"r{tag}:{decision}")
    if tag is not None:  # a race: the winner waits until every loser has reported
        wait_for(gates() / f"release-{tag}")
    hold = gates() / "hold-publish"
    if hold.exists():
        (gates() / f"publishing-{decision}").touch()
        while hold.exists():  # a test holds (or kills) the process here
            time.sleep(0.005)
    return f"published {decision}"


REVIEW = Graph([draft, approve, publish], name="review")


# -- a chain whose steps leave a trace (the SIGKILL tests) --------------------------------
def _trace(step: str, value: int) -> int:
    append_line(os.environ.get("HGT_CHAIN_LOG", "chain.log"), step)
    if os.environ.get("HGT_KILL_IN") == step:  # die inside this step, after its effect
        os.kill(os.getpid(), signal.SIGKILL)
    time.sleep(0.004)  # long enough that a timed kill lands inside some step
    return value


@node(output_name="v1")
def s0(v0: int) -> int:
    return _trace("s0", v0 + 1)


@node(output_name="v2")
def s1(v1: int) -> int:
    return _trace("s1", v1 * 2)


@node(output_name="v3")
def s2(v2: int) -> int:
    return _trace("s2", v2 + 3)


@node(output_name="v4")
def s3(v3: int) -> int:
    return _trace("s3", v3 * 5)


@node(output_name="v5")
def s4(v4: int) -> int:
    return _trace("s4", v4 - 7)


CHAIN = Graph([s0, s1, s2, s3, s4], name="chain")
CHAIN_RESULT = {"v1": 2, "v2": 4, "v3": 7, "v4": 35, "v5": 28}


def open_store(backend: str, location: str) -> Any:
    if backend == "sqlite":
        from hypergraph_typed.checkpointers import SqliteCheckpointer

        return SqliteCheckpointer(location)
    from hypergraph_typed.checkpointers.postgres import PostgresCheckpointer

    return PostgresCheckpointer(PG_DSN, schema=location)


def outcome_of(result: Any) -> dict[str, Any]:
    return {"status": result.status.value, "values": result.values, "pid": os.getpid()}


def error_of(exc: Exception) -> dict[str, Any]:
    kind = "ConcurrentRunError" if isinstance(exc, ConcurrentRunError) else type(exc).__name__
    return {"error": kind, "type": type(exc).__name__, "message": str(exc)}


async def resume(runner: AsyncRunner, wid: str, answer: str) -> dict[str, Any]:
    try:
        return outcome_of(await runner.run(REVIEW, {"decision": answer}, workflow_id=wid))
    except Exception as exc:
        return error_of(exc)


async def race(cp: Any, index: int, rounds: int) -> None:
    runner = AsyncRunner(checkpointer=cp)
    for r in range(rounds):
        wait_for(gates() / f"go-{r}")
        out = await resume(runner, f"race-{r}", f"answer-{index}")
        tmp = gates() / f".result-{r}-{index}.json"
        tmp.write_text(json.dumps(out))
        tmp.rename(gates() / f"result-{r}-{index}.json")


def hold_after_load(cp: Any) -> None:
    """Make the store wait, after reading the run, until the test releases it.

    A resume then reads and claims in two operations (the protocol's default for
    ``LoadAndClaim``), so another process can move the run on in between.
    """
    load = cp.load_run_async
    cp.load_and_claim_async = types.MethodType(StoreCheckpointer.load_and_claim_async, cp)

    async def held(request: Any) -> Any:
        snap = await load(request)
        (gates() / "loaded").touch()
        while not (gates() / "release").exists():
            await asyncio.sleep(0.005)
        return snap

    cp.load_run_async = held


async def main(argv: list[str]) -> None:
    mode, backend, location = argv[:3]
    cp = open_store(backend, location)
    try:
        if mode == "race":
            await race(cp, int(argv[3]), int(argv[4]))
        elif mode == "resume":
            if len(argv) > 5 and argv[5] == "hold-after-load":
                hold_after_load(cp)
            print(json.dumps(await resume(AsyncRunner(checkpointer=cp), argv[3], argv[4])))
        elif mode == "chain":
            result = await AsyncRunner(checkpointer=cp).run(CHAIN, {"v0": 1}, workflow_id=argv[3])
            print(json.dumps(outcome_of(result)))
        else:
            raise SystemExit(f"unknown mode {mode!r}")
    finally:
        await cp.close()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
