"""Graph builders and helpers shared by the benchmarks.

Every case is built from generated, distinct functions so that each node has its
own input and output names; the plain-Python baseline calls the very same functions.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from hypergraph_typed import END, FunctionNode, Graph, route

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


class Layered:
    """``depth`` layers of ``width`` nodes; node ``(k, j)`` reads two values of layer
    ``k - 1`` (``j`` and ``j + 1`` mod ``width``), the first layer reads the input ``x``.

    ``l{k}_{j}(a, b) -> v{k}_{j} = a + b + j``; the result is the last layer's values.
    """

    def __init__(self, width: int, depth: int) -> None:
        self.width = width
        self.depth = depth
        self.nodes = width * depth
        self.funcs: list[list[IntFn]] = []
        graph_nodes = []
        for k in range(depth):
            row = []
            for j in range(width):
                if k == 0:
                    params = ["x"]
                    body = f"x + {j}"
                else:
                    params = [f"v{k - 1}_{j}", f"v{k - 1}_{(j + 1) % width}"]
                    body = f"{params[0]} + {params[1]} + {j}"
                f = _make_function(f"l{k}_{j}", params, body)
                row.append(f)
                graph_nodes.append(FunctionNode(f, name=f"l{k}_{j}", output_name=f"v{k}_{j}"))
            self.funcs.append(row)
        self.graph = Graph(graph_nodes)
        self.graph.compile()
        self.input_name = "x"
        self.output_name = f"v{depth - 1}_0"

    def baseline(self, x: int) -> int:
        row = [f(x) for f in self.funcs[0]]
        width = self.width
        for fs in self.funcs[1:]:
            row = [f(row[j], row[(j + 1) % width]) for j, f in enumerate(fs)]
        return row[0]

    async def baseline_async(self, x: int) -> int:
        return self.baseline(x)


class RoutedChain(Chain):
    """A gate, then the ``n``-node chain: ``pick(v0)`` routes to ``f_0`` (or ``END`` for a
    negative input). The gate decides at run time, so no part of it is static."""

    def __init__(self, n: int) -> None:
        super().__init__(n)
        self.pick = _make_function("pick", ["v0"], "v0")

        def decide(v0: int) -> object:
            return "f_0" if self.pick(v0) >= 0 else END

        gate = route(targets=["f_0", END], name="pick")(decide)
        self.graph = Graph([gate, *self.graph.iter_nodes()])
        self.graph.compile()
        self.nodes = n + 1

    def baseline(self, x: int) -> int:
        if self.pick(x) < 0:
            return x
        return super().baseline(x)

    async def baseline_async(self, x: int) -> int:
        return self.baseline(x)


def warm(graph: Graph, values: dict[str, Any]) -> None:
    """Run ``graph`` until its static region is compiled (``COMPILE_AFTER_RUNS``), so a
    benchmark times the steady state: the region's generated code."""
    from hypergraph_typed import SyncRunner

    try:
        from hypergraph_typed.compiler.regions import COMPILE_AFTER_RUNS
    except ImportError:  # a version without static regions (comparing with it)
        return
    runner = SyncRunner()
    for _ in range(COMPILE_AFTER_RUNS):
        runner.run(graph, values)


@pytest.fixture(scope="session")
def make_layered() -> Callable[[int, int], Layered]:
    """``make_layered(width, depth)``: the (cached, compiled, warmed) layered DAG."""
    built: dict[tuple[int, int], Layered] = {}

    def get(width: int, depth: int) -> Layered:
        if (width, depth) not in built:
            built[width, depth] = layered = Layered(width, depth)
            warm(layered.graph, {"x": 1})
        return built[width, depth]

    return get


@pytest.fixture(scope="session")
def make_chain() -> Callable[[int], Chain]:
    """``make_chain(n)``: the (cached, compiled, warmed) ``n``-node chain."""
    built: dict[int, Chain] = {}

    def get(n: int) -> Chain:
        if n not in built:
            built[n] = chain = Chain(n)
            warm(chain.graph, {chain.input_name: 0})
        return built[n]

    return get


@pytest.fixture(scope="session")
def make_fanout() -> Callable[[int], FanOut]:
    """``make_fanout(width)``: the (cached, compiled, warmed) fan-out/fan-in graph."""
    built: dict[int, FanOut] = {}

    def get(width: int) -> FanOut:
        if width not in built:
            built[width] = fanout = FanOut(width)
            warm(fanout.graph, {fanout.input_name: 1})
        return built[width]

    return get


@pytest.fixture(scope="session")
def make_routed_chain() -> Callable[[int], RoutedChain]:
    """``make_routed_chain(n)``: the (cached, compiled) routed chain."""
    built: dict[int, RoutedChain] = {}

    def get(n: int) -> RoutedChain:
        if n not in built:
            built[n] = RoutedChain(n)
        return built[n]

    return get


@pytest.fixture
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    """One persistent event loop per benchmark; every round runs on it."""
    ev = asyncio.new_event_loop()
    try:
        yield ev
    finally:
        ev.close()
