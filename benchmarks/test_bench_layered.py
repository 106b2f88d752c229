"""A 10x10 layered DAG: ten layers of ten nodes, each reading two values of the layer above."""

from __future__ import annotations

import asyncio

from hypergraph_typed import AsyncRunner, SyncRunner

WIDTH = DEPTH = 10
CASE = f"layered-{WIDTH * DEPTH}"


def test_layered_baseline(benchmark, make_layered) -> None:
    g = make_layered(WIDTH, DEPTH)
    benchmark.group = CASE
    benchmark.extra_info.update(case=CASE, runner="baseline", nodes=g.nodes)
    assert benchmark(g.baseline, 1) == g.baseline(1)


def test_layered_sync(benchmark, make_layered) -> None:
    g = make_layered(WIDTH, DEPTH)
    runner = SyncRunner()
    benchmark.group = CASE
    benchmark.extra_info.update(case=CASE, runner="sync", nodes=g.nodes)
    result = benchmark(runner.run, g.graph, {g.input_name: 1})
    assert result[g.output_name] == g.baseline(1)


def test_layered_async_baseline(benchmark, make_layered, loop: asyncio.AbstractEventLoop) -> None:
    g = make_layered(WIDTH, DEPTH)
    benchmark.group = CASE
    benchmark.extra_info.update(case=CASE, runner="async-baseline", nodes=g.nodes)
    assert benchmark(lambda: loop.run_until_complete(g.baseline_async(1))) == g.baseline(1)


def test_layered_async(benchmark, make_layered, loop: asyncio.AbstractEventLoop) -> None:
    g = make_layered(WIDTH, DEPTH)
    runner = AsyncRunner()
    inputs = {g.input_name: 1}
    benchmark.group = CASE
    benchmark.extra_info.update(case=CASE, runner="async", nodes=g.nodes)
    result = benchmark(lambda: loop.run_until_complete(runner.run(g.graph, inputs)))
    assert result[g.output_name] == g.baseline(1)
