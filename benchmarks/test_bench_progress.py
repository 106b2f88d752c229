"""A 200-node chain with ``RichProgressProcessor`` (live bars) beside the same run without.

Two chains: do-nothing nodes (the worst case: the display's per-event cost against
an interpreter step of a few µs) and nodes that each wait 1 ms (a small but real
node). ``events`` rows run with a processor that ignores every event, separating the
runner's cost of building events from the display's own.

The live bars draw to an in-memory terminal, so the numbers measure the processor,
not the speed of a terminal emulator.
"""

from __future__ import annotations

import asyncio
import io
import time
from typing import Any

import pytest
from rich.console import Console

from hypergraph_typed import AsyncRunner, FunctionNode, Graph, SyncRunner
from hypergraph_typed.events import EventProcessor
from hypergraph_typed.events.rich_progress import RichProgressProcessor

N = 200


def _chain(n: int, wait_s: float) -> Graph:
    def make(i: int) -> FunctionNode:
        def step(x: int) -> int:
            if wait_s:
                time.sleep(wait_s)
            return x + 1

        return FunctionNode(
            step, name=f"f_{i}", output_name=f"v{i + 1}", rename_inputs={"x": f"v{i}"}
        )

    g = Graph([make(i) for i in range(n)], name="chain")
    g.compile()
    return g


CHAINS = {"progress-chain": 0.0, "progress-work-chain": 0.001}
GRAPHS: dict[str, Graph] = {}


def _graph(case: str) -> Graph:
    if case not in GRAPHS:
        GRAPHS[case] = _chain(N, CHAINS[case])
    return GRAPHS[case]


def _processors(mode: str) -> list[Any]:
    if mode == "off":
        return []
    if mode == "events":
        return [EventProcessor()]
    console = Console(file=io.StringIO(), force_terminal=True, width=120, height=40)
    return [RichProgressProcessor(force_mode="tty", console=console)]


@pytest.mark.parametrize("case", list(CHAINS))
@pytest.mark.parametrize("mode", ["off", "events", "progress"])
def test_progress_sync(benchmark: Any, case: str, mode: str) -> None:
    g = _graph(case)
    runner = SyncRunner()
    processors = _processors(mode)
    benchmark.group = f"{case}-{N}"
    benchmark.extra_info.update(case=f"{case}-{N}", runner=f"sync-{mode}", nodes=N)
    result = benchmark(runner.run, g, {"v0": 0}, event_processors=processors)
    assert result[f"v{N}"] == N


@pytest.mark.parametrize("case", list(CHAINS))
@pytest.mark.parametrize("mode", ["off", "events", "progress"])
def test_progress_async(
    benchmark: Any, loop: asyncio.AbstractEventLoop, case: str, mode: str
) -> None:
    g = _graph(case)
    runner = AsyncRunner()
    processors = _processors(mode)
    benchmark.group = f"{case}-{N}"
    benchmark.extra_info.update(case=f"{case}-{N}", runner=f"async-{mode}", nodes=N)

    def run() -> Any:
        return loop.run_until_complete(
            runner.run(g, {"v0": 0}, event_processors=processors)
        )

    assert benchmark(run)[f"v{N}"] == N
