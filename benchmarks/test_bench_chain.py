"""Linear chains of 10, 100 and 1,000 nodes: runners beside a plain-Python loop."""

from __future__ import annotations

import asyncio

import pytest

from hypergraph_typed import AsyncRunner, SyncRunner

SIZES = [10, 100, 1000]


@pytest.mark.parametrize("n", SIZES)
def test_chain_baseline(benchmark, make_chain, n: int) -> None:
    c = make_chain(n)
    benchmark.group = f"chain-{n}"
    benchmark.extra_info.update(case=f"chain-{n}", runner="baseline", nodes=n)
    assert benchmark(c.baseline, 0) == n


@pytest.mark.parametrize("n", SIZES)
def test_chain_sync(benchmark, make_chain, n: int) -> None:
    c = make_chain(n)
    runner = SyncRunner()
    benchmark.group = f"chain-{n}"
    benchmark.extra_info.update(case=f"chain-{n}", runner="sync", nodes=n)
    result = benchmark(runner.run, c.graph, {c.input_name: 0})
    assert result[c.output_name] == n


@pytest.mark.parametrize("n", SIZES)
def test_chain_async_baseline(
    benchmark, make_chain, loop: asyncio.AbstractEventLoop, n: int
) -> None:
    c = make_chain(n)
    benchmark.group = f"chain-{n}"
    benchmark.extra_info.update(case=f"chain-{n}", runner="async-baseline", nodes=n)
    assert benchmark(lambda: loop.run_until_complete(c.baseline_async(0))) == n


@pytest.mark.parametrize("n", SIZES)
def test_chain_async(
    benchmark, make_chain, loop: asyncio.AbstractEventLoop, n: int
) -> None:
    c = make_chain(n)
    runner = AsyncRunner()
    inputs = {c.input_name: 0}
    benchmark.group = f"chain-{n}"
    benchmark.extra_info.update(case=f"chain-{n}", runner="async", nodes=n)
    result = benchmark(lambda: loop.run_until_complete(runner.run(c.graph, inputs)))
    assert result[c.output_name] == n
