"""A routed chain: a gate in front of a 100-node chain (nothing static: the general loop)."""

from __future__ import annotations

import asyncio

from hypergraph_typed import AsyncRunner, SyncRunner

N = 100
CASE = f"routed-chain-{N}"


def test_routed_baseline(benchmark, make_routed_chain) -> None:
    c = make_routed_chain(N)
    benchmark.group = CASE
    benchmark.extra_info.update(case=CASE, runner="baseline", nodes=c.nodes)
    assert benchmark(c.baseline, 0) == N


def test_routed_sync(benchmark, make_routed_chain) -> None:
    c = make_routed_chain(N)
    runner = SyncRunner()
    benchmark.group = CASE
    benchmark.extra_info.update(case=CASE, runner="sync", nodes=c.nodes)
    result = benchmark(runner.run, c.graph, {c.input_name: 0})
    assert result[c.output_name] == N


def test_routed_async_baseline(
    benchmark, make_routed_chain, loop: asyncio.AbstractEventLoop
) -> None:
    c = make_routed_chain(N)
    benchmark.group = CASE
    benchmark.extra_info.update(case=CASE, runner="async-baseline", nodes=c.nodes)
    assert benchmark(lambda: loop.run_until_complete(c.baseline_async(0))) == N


def test_routed_async(benchmark, make_routed_chain, loop: asyncio.AbstractEventLoop) -> None:
    c = make_routed_chain(N)
    runner = AsyncRunner()
    inputs = {c.input_name: 0}
    benchmark.group = CASE
    benchmark.extra_info.update(case=CASE, runner="async", nodes=c.nodes)
    result = benchmark(lambda: loop.run_until_complete(runner.run(c.graph, inputs)))
    assert result[c.output_name] == N
