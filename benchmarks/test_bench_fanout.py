"""Wide fan-out/fan-in: one source, 100 parallel nodes, one sink reading all 100 values."""

from __future__ import annotations

import asyncio

from hypergraph_typed import AsyncRunner, SyncRunner

WIDTH = 100
CASE = f"fanout-{WIDTH}"


def test_fanout_baseline(benchmark, make_fanout) -> None:
    f = make_fanout(WIDTH)
    benchmark.group = CASE
    benchmark.extra_info.update(case=CASE, runner="baseline", nodes=f.nodes)
    assert benchmark(f.baseline, 1) == f.expected(1)


def test_fanout_sync(benchmark, make_fanout) -> None:
    f = make_fanout(WIDTH)
    runner = SyncRunner()
    benchmark.group = CASE
    benchmark.extra_info.update(case=CASE, runner="sync", nodes=f.nodes)
    result = benchmark(runner.run, f.graph, {f.input_name: 1})
    assert result[f.output_name] == f.expected(1)


def test_fanout_async_baseline(
    benchmark, make_fanout, loop: asyncio.AbstractEventLoop
) -> None:
    f = make_fanout(WIDTH)
    benchmark.group = CASE
    benchmark.extra_info.update(case=CASE, runner="async-baseline", nodes=f.nodes)
    assert benchmark(lambda: loop.run_until_complete(f.baseline_async(1))) == f.expected(1)


def test_fanout_async(
    benchmark, make_fanout, loop: asyncio.AbstractEventLoop
) -> None:
    f = make_fanout(WIDTH)
    runner = AsyncRunner()
    inputs = {f.input_name: 1}
    benchmark.group = CASE
    benchmark.extra_info.update(case=CASE, runner="async", nodes=f.nodes)
    result = benchmark(lambda: loop.run_until_complete(runner.run(f.graph, inputs)))
    assert result[f.output_name] == f.expected(1)
