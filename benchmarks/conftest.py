"""Graph builders and helpers shared by the benchmarks.

Every case is built from generated, distinct functions so that each node has its
own input and output names; the plain-Python baseline calls the very same functions.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from hypergraph_typed import FunctionNode, Graph

IntFn = Callable[..., int]


def _make_function(name: str, params: list[str], body: str) -> IntFn:
    """Compile ``def name(p0: int, ...) -> int: return body`` (distinct parameter names)."""
    signature = ", ".join(f"{p}: int" for p in params)
    namespace: dict[str, Any] = {}
    exec(f"def {name}({signature}) -> int:\n    return {body}\n", namespace)
    fn: IntFn = namespace[name]
    return fn


class Chain:
    """``n`` nodes in a line: node ``i`` reads ``v{i}`` and writes ``v{i+1} = v{i} + 1``."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.funcs = [_make_function(f"f_{i}", [f"v{i}"], f"v{i} + 1") for i in range(n)]
        self.graph = Graph([
            FunctionNode(f, name=f"f_{i}", output_name=f"v{i + 1}")
            for i, f in enumerate(self.funcs)
        ])
        self.graph.compile()  # compile once, outside the timed region
        self.input_name = "v0"
        self.output_name = f"v{n}"

    def baseline(self, x: int) -> int:
        for f in self.funcs:
            x = f(x)
        return x

    async def baseline_async(self, x: int) -> int:
        for f in self.funcs:
            x = f(x)
        return x


class FanOut:
    """One source, ``width`` parallel nodes, one sink that reads all of their outputs.

    ``source(x) -> s``; ``b_i(s) -> w{i} = s + i``; ``sink(w0, ..., w{width-1}) -> total``.
    """

    def __init__(self, width: int) -> None:
        self.width = width
        self.source = _make_function("source", ["x"], "x + 1")
        self.branches = [_make_function(f"b_{i}", ["s"], f"s + {i}") for i in range(width)]
        params = [f"w{i}" for i in range(width)]
        self.sink = _make_function("sink", params, " + ".join(params))
        self.graph = Graph([
            FunctionNode(self.source, name="source", output_name="s"),
            *(
                FunctionNode(f, name=f"b_{i}", output_name=f"w{i}")
                for i, f in enumerate(self.branches)
            ),
            FunctionNode(self.sink, name="sink", output_name="total"),
        ])
        self.graph.compile()
        self.nodes = width + 2
        self.input_name = "x"
        self.output_name = "total"

    def expected(self, x: int) -> int:
        s = x + 1
        return self.width * s + self.width * (self.width - 1) // 2

    def baseline(self, x: int) -> int:
        s = self.source(x)
        return self.sink(*[b(s) for b in self.branches])

    async def baseline_async(self, x: int) -> int:
        s = self.source(x)
        return self.sink(*[b(s) for b in self.branches])


@pytest.fixture(scope="session")
def make_chain() -> Callable[[int], Chain]:
    """``make_chain(n)``: the (cached, compiled) ``n``-node chain."""
    built: dict[int, Chain] = {}

    def get(n: int) -> Chain:
        if n not in built:
            built[n] = Chain(n)
        return built[n]

    return get


@pytest.fixture(scope="session")
def make_fanout() -> Callable[[int], FanOut]:
    """``make_fanout(width)``: the (cached, compiled) fan-out/fan-in graph."""
    built: dict[int, FanOut] = {}

    def get(width: int) -> FanOut:
        if width not in built:
            built[width] = FanOut(width)
        return built[width]

    return get


@pytest.fixture
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    """One persistent event loop per benchmark; every round runs on it."""
    ev = asyncio.new_event_loop()
    try:
        yield ev
    finally:
        ev.close()
