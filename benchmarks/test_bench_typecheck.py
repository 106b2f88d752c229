"""Runtime edge type checks on a 100-node chain: ``type_check="edges"`` beside off.

Off is the default runner (the interpreter's fast path: no check code runs at all).
With checks on, every node's output is checked against its ``-> int`` annotation with
typeguard; inputs need no extra check because every producer's output is checked.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from hypergraph_typed import AsyncRunner, SyncRunner

N = 100


@pytest.mark.parametrize("mode", ["off", "edges"])
def test_chain_typecheck_sync(benchmark: Any, make_chain: Any, mode: str) -> None:
    c = make_chain(N)
    runner = SyncRunner(type_check=mode)
    benchmark.group = f"typecheck-chain-{N}"
    benchmark.extra_info.update(case=f"typecheck-chain-{N}", runner=f"sync-{mode}", nodes=N)
    result = benchmark(runner.run, c.graph, {c.input_name: 0})
    assert result[c.output_name] == N


@pytest.mark.parametrize("mode", ["off", "edges"])
def test_chain_typecheck_async(
    benchmark: Any, make_chain: Any, loop: asyncio.AbstractEventLoop, mode: str
) -> None:
    c = make_chain(N)
    runner = AsyncRunner(type_check=mode)
    inputs = {c.input_name: 0}
    benchmark.group = f"typecheck-chain-{N}"
    benchmark.extra_info.update(case=f"typecheck-chain-{N}", runner=f"async-{mode}", nodes=N)
    result = benchmark(lambda: loop.run_until_complete(runner.run(c.graph, inputs)))
    assert result[c.output_name] == N
