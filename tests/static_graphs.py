"""Random graphs for comparing the static regions with the general loop, and the comparison.

A graph is drawn as a list of node specs in topological order: each node reads some of
the earlier nodes' outputs and the graph inputs, and is one of several kinds (plain
functions called positionally or by keyword, with one, two or no outputs, generators,
async functions, gates, interrupts, nested graphs, signals). Whether a node fails is a
function of its arguments, so both paths see the same failures.

``run_three_ways`` runs a graph through the general loop, the region interpreter and
the generated code, and ``observed`` reduces a result to everything that must match.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from unittest.mock import patch

import attrs
from hypothesis import strategies as st

from hypergraph_typed import (
    END,
    FunctionNode,
    Graph,
    MapResult,
    RunResult,
    interrupt,
    route,
)
from hypergraph_typed.compiler import regions

SYNC_KINDS = ("plain", "plain", "plain", "keyword", "pair", "none", "generator", "default",
              "mutable_default", "gate", "gate", "nested", "signal")
ASYNC_KINDS = (*SYNC_KINDS, "async", "interrupt")
PARAMS = ("a", "b", "c")


@attrs.frozen
class NodeSpec:
    """One node of a random graph."""

    index: int
    kind: str
    inputs: tuple[str, ...]
    # the node raises when (the sum of its numeric arguments + index) % fail_mod == 0
    fail_mod: int
    targets: tuple[str, ...] = ()
    # a gate's targets are activated before it decides (route's ``default_open``)
    default_open: bool = True

    @property
    def name(self) -> str:
        return f"n{self.index}"

    @property
    def outputs(self) -> tuple[str, ...]:
        if self.kind in ("none", "gate"):
            return ()
        if self.kind == "pair":
            return (f"o{self.index}a", f"o{self.index}b")
        if self.kind == "nested":
            return (f"o{self.index}m", f"o{self.index}")
        return (f"o{self.index}",)


def _num(v: Any) -> int:
    if isinstance(v, bool):
        return int(v)
    if isinstance(v, int):
        return v
    if isinstance(v, (list, tuple)):
        return len(v)
    return 0


def _work(spec: NodeSpec, args: tuple[Any, ...]) -> int:
    total = sum(_num(a) for a in args) + spec.index
    if spec.fail_mod and total % spec.fail_mod == 0:
        raise ValueError(f"{spec.name} fails on {total}")
    return total


def _fixed_arity(func: Callable[..., Any], n: int, *, keyword: bool = False) -> Callable[..., Any]:
    """``func`` behind a signature of exactly ``n`` parameters named a, b, c (keyword-only
    with ``keyword``), renamed to the node's inputs by ``rename_inputs``."""
    namespace: dict[str, Any] = {"func": func}
    params = ", ".join(PARAMS[:n])
    signature = f"*, {params}" if keyword and n else params
    if asyncio.iscoroutinefunction(func):
        source = f"async def f({signature}):\n    return await func({params})\n"
    elif func.__name__ == "generator":
        source = f"def f({signature}):\n    yield from func({params})\n"
    else:
        source = f"def f({signature}):\n    return func({params})\n"
    exec(source, namespace)
    f: Callable[..., Any] = namespace["f"]
    return f


def _function(spec: NodeSpec) -> Callable[..., Any]:
    n = len(spec.inputs)
    kind = spec.kind
    if kind == "generator":
        def generator(*args: Any) -> Iterator[int]:
            total = _work(spec, args)
            yield total
            yield total + 1
        return _fixed_arity(generator, n)
    if kind == "pair":
        def pair(*args: Any) -> tuple[int, int]:
            total = _work(spec, args)
            return total, -total
        return _fixed_arity(pair, n)
    if kind == "async":
        async def later(*args: Any) -> int:
            await asyncio.sleep(0)
            return _work(spec, args)
        return _fixed_arity(later, n)

    def plain(*args: Any) -> int:
        return _work(spec, args)
    return _fixed_arity(plain, n, keyword=kind == "keyword")


def build_node(spec: NodeSpec) -> Any:
    """The node for ``spec``."""
    kind = spec.kind
    renames = dict(zip(PARAMS, spec.inputs)) or None
    if kind == "gate":
        targets = tuple(END if t == "END" else t for t in spec.targets)

        def decide(*args: Any) -> Any:
            return targets[_work(spec, args) % len(targets)]
        return route(
            targets=list(targets), name=spec.name, rename_inputs=renames,
            default_open=spec.default_open,
        )(_fixed_arity(decide, len(spec.inputs)))
    if kind == "interrupt":
        def ask(*args: Any) -> Any:
            total = _work(spec, args)
            return None if total % 3 == 0 else total
        return interrupt(output_name=spec.outputs[0], rename_inputs=renames)(
            _fixed_arity(ask, len(spec.inputs))
        ).with_name(spec.name)
    if kind == "nested":
        inner = Graph([
            FunctionNode(_inc, name="inc", output_name="mid"),
            FunctionNode(_double, name="dbl", output_name="out"),
        ], name=f"inner{spec.index}")
        gn = inner.as_node(name=spec.name).with_outputs(mid=spec.outputs[0], out=spec.outputs[1])
        return gn.with_inputs(a=spec.inputs[0])
    if kind in ("default", "mutable_default"):
        # "z" defaults to 7 (a constant), "w" to [7] (deep-copied for every call)
        default: Any = [7] if kind == "mutable_default" else 7
        extra = "w" if kind == "mutable_default" else "z"

        def with_default(*args: Any) -> int:
            return _work(spec, args)
        namespace: dict[str, Any] = {"func": with_default, "d": default}
        params = ", ".join(PARAMS[:len(spec.inputs)])
        sep = ", " if params else ""
        exec(f"def f({params}{sep}{extra}=d):\n    return func({params}{sep}{extra})\n",
             namespace)
        return FunctionNode(
            namespace["f"], name=spec.name, output_name=spec.outputs[0], rename_inputs=renames,
        )
    if kind == "signal":
        return FunctionNode(
            _function(attrs.evolve(spec, kind="plain")), name=spec.name,
            output_name=spec.outputs[0], rename_inputs=renames, emit=f"done{spec.index}",
        )
    outputs: Any = spec.outputs if len(spec.outputs) != 1 else spec.outputs[0]
    return FunctionNode(
        _function(spec), name=spec.name, output_name=outputs or None, rename_inputs=renames,
    )


def _inc(a: Any) -> int:
    return _num(a) + 1


def _double(mid: int) -> int:
    if mid % 11 == 0:
        raise ValueError(f"inner fails on {mid}")
    return mid * 2


@st.composite
def node_specs(draw: st.DrawFn, *, async_runner: bool, max_nodes: int = 7) -> list[NodeSpec]:
    """A random DAG of node specs (see the module docstring)."""
    n = draw(st.integers(1, max_nodes))
    kinds = ASYNC_KINDS if async_runner else SYNC_KINDS
    specs: list[NodeSpec] = []
    available = ["x", "y"]
    for i in range(n):
        kind = draw(st.sampled_from(kinds))
        max_inputs = 1 if kind in ("nested", "interrupt") else 3
        min_inputs = 1 if kind in ("nested", "interrupt") else 0
        inputs = tuple(draw(st.lists(
            st.sampled_from(available), min_size=min_inputs, max_size=max_inputs, unique=True,
        )))
        fail_mod = draw(st.sampled_from((0, 0, 0, 2, 3, 5, 7)))
        targets: tuple[str, ...] = ()
        if kind == "gate":
            later = [f"n{j}" for j in range(i + 1, n)]
            targets = tuple(draw(st.lists(st.sampled_from(later), unique=True, max_size=2))) \
                if later else ()
            if draw(st.booleans()) or not targets:
                targets = (*targets, "END")
        default_open = kind != "gate" or draw(st.booleans())
        spec = NodeSpec(i, kind, inputs, fail_mod, targets, default_open)
        specs.append(spec)
        available.extend(spec.outputs)
    return specs


def build_graph(specs: list[NodeSpec]) -> Graph:
    """The graph of ``specs`` (may raise ``GraphConfigError`` for an invalid draw)."""
    return Graph([build_node(spec) for spec in specs])


# -- comparing -----------------------------------------------------------------------

def observed_log(log: Any) -> Any:
    """A run log without durations (checked to be floats >= 0) and span ids."""
    if log is None:
        return None
    if not hasattr(log, "steps"):  # a MapLog
        return ("map", tuple(observed_log(item) for item in log.items))
    out = []
    for s in log.steps:
        assert isinstance(s.duration_ms, float) and s.duration_ms >= 0
        out.append((s.node_name, s.superstep, s.status, s.error, s.cached, s.decision,
                    observed_log(s.log)))
    return (log.graph_name, tuple(out))


def observed(result: RunResult | MapResult) -> Any:
    """Everything about a run or map result that both paths must agree on."""
    if isinstance(result, MapResult):
        return ("map", result.status, tuple(observed(r) for r in result.results))
    error = result.error
    return (
        result.status,
        list(result.values.items()),
        None if error is None else (type(error), str(error)),
        result.pause,
        observed_log(result.log),
    )


def outcome(run: Callable[[], Any]) -> Any:
    """``observed(run())``, or the exception it raised (type and message)."""
    try:
        return observed(run())
    except Exception as exc:
        return ("raised", type(exc), str(exc))


@contextmanager
def general_loop_only() -> Iterator[None]:
    """Runs in this block ignore static regions (the general loop runs everything)."""
    with patch("hypergraph_typed.runtime.interpreter.run_region", lambda *a, **k: None):
        yield


@contextmanager
def compile_after(runs: int) -> Iterator[None]:
    """Regions are compiled once they have run ``runs`` times (0: at once)."""
    with patch.object(regions, "COMPILE_AFTER_RUNS", runs):
        yield


def run_three_ways(run: Callable[[], Any]) -> tuple[Any, Any, Any]:
    """``outcome(run)`` through the general loop, the interpreter and generated code.

    ``run`` must build a fresh graph each time it is called... or reuse one: the tiers
    are selected by the compile threshold, and a compiled region stays compiled, so the
    general loop and the interpreter go first.
    """
    with general_loop_only():
        general = outcome(run)
    with compile_after(10**9):
        interpreted = outcome(run)
    with compile_after(0):
        compiled = outcome(run)
    return general, interpreted, compiled
