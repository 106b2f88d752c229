"""The first run of a graph, compile included: a fresh 100-node chain each round.

Each round builds a new ``Graph`` of the same functions (not timed) and times its first
``run``, which compiles the plan (slots, node plans, static region) and runs it.
"""

from __future__ import annotations

import asyncio
from typing import Any

from conftest import Chain
from hypergraph_typed import AsyncRunner, FunctionNode, Graph, SyncRunner

N = 100
CASE = f"first-run-{N}"
ROUNDS = 300


def _fresh(chain: Chain) -> Any:
    def setup() -> tuple[tuple[Graph], dict[str, Any]]:
        graph = Graph([
            FunctionNode(f, name=f"f_{i}", output_name=f"v{i + 1}")
            for i, f in enumerate(chain.funcs)
        ])
        return (graph,), {}
    return setup


def test_first_run_baseline(benchmark: Any, make_chain: Any) -> None:
    c = make_chain(N)
    benchmark.group = CASE
    benchmark.extra_info.update(case=CASE, runner="baseline", nodes=N)
    assert benchmark(c.baseline, 0) == N


def test_first_run_async_baseline(
    benchmark: Any, make_chain: Any, loop: asyncio.AbstractEventLoop
) -> None:
    c = make_chain(N)
    benchmark.group = CASE
    benchmark.extra_info.update(case=CASE, runner="async-baseline", nodes=N)
    assert benchmark(lambda: loop.run_until_complete(c.baseline_async(0))) == N


def test_first_run_sync(benchmark: Any, make_chain: Any) -> None:
    c = make_chain(N)
    runner = SyncRunner()
    benchmark.group = CASE
    benchmark.extra_info.update(case=CASE, runner="sync", nodes=N)
    result = benchmark.pedantic(
        lambda graph: runner.run(graph, {"v0": 0}), setup=_fresh(c), rounds=ROUNDS,
    )
    assert result[c.output_name] == N


def test_first_run_async(
    benchmark: Any, make_chain: Any, loop: asyncio.AbstractEventLoop
) -> None:
    c = make_chain(N)
    runner = AsyncRunner()
    benchmark.group = CASE
    benchmark.extra_info.update(case=CASE, runner="async", nodes=N)
    result = benchmark.pedantic(
        lambda graph: loop.run_until_complete(runner.run(graph, {"v0": 0})),
        setup=_fresh(c), rounds=ROUNDS,
    )
    assert result[c.output_name] == N
