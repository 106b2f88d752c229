"""Python bytecodes executed per pause + resume exchange: a count that machine noise
cannot move, for comparing the stateless flow with the checkpointed ones.

``PYTHONPATH=examples python benchmarks/count_bytecodes.py [stateless|memory|sqlite]
[exchanges]`` (from the repository root) prints
the bytecodes per exchange, then the functions that execute the most of them (each
counted with everything it calls). Bytecodes are not time (a bytecode that calls into C,
such as a SQLite statement, counts once), but the ratio of two counts shows how much
Python work one flow does beside another. See docs/performance.md.
"""

from __future__ import annotations

import asyncio
import collections
import itertools
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from types import CodeType, FrameType
from typing import Any

from approval_flow import approval, finalize, generate_draft

from hypergraph_typed import AsyncRunner, Graph
from hypergraph_typed.checkpointers import MemoryCheckpointer, SqliteCheckpointer

GRAPH = Graph([generate_draft, approval, finalize])
WARM_UP = 150  # exchanges before counting: past the static region's compile threshold


def _name(code: CodeType) -> str:
    return f"{Path(code.co_filename).name}:{code.co_firstlineno}({code.co_name})"


def count(kind: str, exchanges: int) -> tuple[float, collections.Counter[str]]:
    """Bytecodes per exchange, and per function (inclusive) over all exchanges."""
    folder = tempfile.TemporaryDirectory()
    stores: dict[str, Callable[[], Any]] = {
        "stateless": lambda: None,
        "memory": MemoryCheckpointer,
        "sqlite": lambda: SqliteCheckpointer(Path(folder.name) / "count.db"),
    }
    store = stores[kind]()
    runner = AsyncRunner(checkpointer=store) if store is not None else AsyncRunner()
    ids = (f"w{i}" for i in itertools.count())

    async def run(n: int) -> None:
        for _ in range(n):
            if store is None:
                paused = await runner.run(GRAPH, {"prompt": "p"})
                assert paused.pause is not None
                await runner.run(GRAPH, {"prompt": "p", paused.pause.response_key: "ok"})
            else:
                wid = next(ids)
                await runner.run(GRAPH, {"prompt": "p"}, workflow_id=wid)
                await runner.run(GRAPH, {"decision": "ok"}, workflow_id=wid)

    outer = run.__code__  # count inside the exchanges only
    loop = asyncio.new_event_loop()
    loop.run_until_complete(run(WARM_UP))
    total = 0
    inclusive: collections.Counter[str] = collections.Counter()

    def trace(frame: FrameType, event: str, arg: Any) -> Any:
        nonlocal total
        frame.f_trace_opcodes = True
        if event == "opcode":
            total += 1
            seen = set()
            f: FrameType | None = frame
            while f is not None and f.f_code is not outer:
                if f.f_code not in seen:
                    seen.add(f.f_code)
                    inclusive[_name(f.f_code)] += 1
                f = f.f_back
        return trace

    sys.settrace(trace)
    try:
        loop.run_until_complete(run(exchanges))
    finally:
        sys.settrace(None)
        loop.close()
        folder.cleanup()
    return total / exchanges, inclusive


def main() -> None:
    kind = sys.argv[1] if len(sys.argv) > 1 else "memory"
    exchanges = int(sys.argv[2]) if len(sys.argv) > 2 else 100
    per_exchange, inclusive = count(kind, exchanges)
    print(f"{kind}: {per_exchange:,.0f} bytecodes per exchange")
    for name, n in inclusive.most_common(30):
        print(f"{n / exchanges:10,.0f}  {name}")


if __name__ == "__main__":
    main()
