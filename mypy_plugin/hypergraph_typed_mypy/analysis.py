"""Apply the library's own wiring rules to a ``GraphSpec``.

Each ``NodeSpec`` becomes a stand-in node of the matching library class (a function
with the same parameter names, defaults marked, and the same outputs, signals and gate
targets), and the graph is analysed by ``hypergraph_typed.compiler``: the same edges,
producers, cycle seeds, active scope and input classification as at run time, and the
same ``GraphConfigError`` messages. Types never enter this module; they stay mypy types
on the specs and are compared by the callers.
"""

from __future__ import annotations

import functools
import inspect
import keyword
import types
import warnings
from collections.abc import Callable
from typing import Any, cast

import attrs

from hypergraph_typed._sentinels import END
from hypergraph_typed.compiler import scope as scope_mod
from hypergraph_typed.compiler import validation
from hypergraph_typed.compiler.structure import Structure, analyze
from hypergraph_typed.exceptions import GraphConfigError
from hypergraph_typed.nodes.base import HyperNode, RenameError
from hypergraph_typed.nodes.function import FunctionNode
from hypergraph_typed.nodes.gate import GateNode, IfElseNode, RouteNode
from hypergraph_typed.nodes.interrupt import InterruptNode
from hypergraph_typed_mypy.errors import quoted
from hypergraph_typed_mypy.model import GraphSpec, NodeSpec

_DEFAULT = object()


class _GraphStandIn(FunctionNode[..., None]):
    """Stands in for a GraphNode; only its boundary (inputs, outputs, defaults) matters."""


# The body of every stub. Compiled under a file name that has no source, so the library's
# ``definition_hash`` falls back to hashing bytecode at once instead of reading and
# tokenizing this module for each stand-in (most of a large graph's analysis time).
_STUB_CODE = next(
    c for c in compile("def stub(**kwargs):\n    return None\n", "<stand-in>", "exec").co_consts
    if isinstance(c, types.CodeType)
)


def _stub(name: str, params: list[inspect.Parameter]) -> Callable[..., None]:
    """A function named ``name`` whose signature is ``params``."""
    stub = cast(Callable[..., None], types.FunctionType(_STUB_CODE, {"__name__": __name__}, name))
    stub.__qualname__ = name
    stub.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    return stub


def _placeholder(i: int) -> str:
    return f"__hg_input_{i}"


def _is_param_name(name: str) -> bool:
    return name.isidentifier() and not keyword.iskeyword(name)


def _build(spec: NodeSpec, names: list[str]) -> HyperNode:
    params = [
        inspect.Parameter(
            n, inspect.Parameter.KEYWORD_ONLY,
            default=_DEFAULT if p.optional else inspect.Parameter.empty,
        )
        for n, p in zip(names, spec.inputs)
    ]
    func = _stub(spec.name, params)
    emit = spec.emit or None
    wait = spec.wait_for or None
    if spec.kind == "route":
        return RouteNode(
            func, [END if t is None else t for t in spec.targets], name=spec.name,
            multi_target=spec.multi_target, emit=emit, wait_for=wait,
        )
    if spec.kind == "ifelse":
        t, f = (END if x is None else x for x in spec.targets)
        return IfElseNode(func, t, f, name=spec.name, emit=emit, wait_for=wait)
    outputs = spec.data_output_names or None
    if spec.kind == "interrupt":
        return InterruptNode(func, spec.name, outputs, emit=emit, wait_for=wait)
    if spec.kind == "graph":
        return _GraphStandIn(func, spec.name, outputs)
    return FunctionNode(func, spec.name, outputs, emit=emit, wait_for=wait)


def stand_in(spec: NodeSpec) -> HyperNode:
    """A library node with ``spec``'s names (raises like the library on bad names).

    Parameters carry the input names directly. An input renamed to something that is not
    a parameter name (``with_inputs`` takes any string) gets a placeholder parameter,
    renamed with ``with_inputs`` as the library would.
    """
    names = [p.name for p in spec.inputs]
    if all(map(_is_param_name, names)) and len(set(names)) == len(names):
        return _build(spec, names)
    node = _build(spec, [_placeholder(i) for i in range(len(names))])
    return node.with_inputs({_placeholder(i): n for i, n in enumerate(names)})


@attrs.frozen(slots=False)
class GraphFacts:
    """What the compiler derives from a graph, by node index (same order as the spec)."""

    spec: GraphSpec
    structure: Structure
    active: frozenset[int]
    required: tuple[str, ...]
    optional: tuple[str, ...]
    internal: dict[str, str]
    answers: tuple[str, ...]
    nested_resume: dict[str, tuple[int, str]]

    @functools.cached_property
    def outputs(self) -> tuple[str, ...]:
        """``Graph.outputs``: every node's outputs, in node order, gate decisions included."""
        return tuple(dict.fromkeys(o for n in self.spec.nodes for o in n.output_names))

    @functools.cached_property
    def emit_names(self) -> frozenset[str]:
        return frozenset(e for n in self.spec.nodes for e in n.emit)

    @functools.cached_property
    def result_names(self) -> tuple[str, ...]:
        """The keys a run's ``values`` can hold (the selection, or non-signal outputs)."""
        if self.spec.selected:
            return self.spec.selected
        emits = self.emit_names
        return tuple(o for o in self.outputs if o not in emits)

    @functools.cached_property
    def accepted(self) -> tuple[str, ...]:
        return self.required + self.optional

    @functools.cached_property
    def interrupt_outputs(self) -> frozenset[str]:
        """Names ``bind`` refuses: every interrupt's answer, in or out of scope."""
        return frozenset(o for n in self.spec.nodes if n.kind == "interrupt"
                         for o in n.data_output_names)

    @functools.cached_property
    def incoming(self) -> dict[int, list[tuple[int, tuple[str, ...]]]]:
        """Per node index, the (source node, value names) of its incoming data edges."""
        out: dict[int, list[tuple[int, tuple[str, ...]]]] = {}
        for e in self.structure.edges:
            if e.kind == "data":
                out.setdefault(e.dst, []).append((e.src, tuple(e.value_names)))
        return out

    def producers(self, name: str) -> list[int]:
        return [i for i, n in enumerate(self.spec.nodes) if name in n.data_output_names]

    def consumers(self, name: str, *, active_only: bool = True) -> list[int]:
        return [
            i for i, n in enumerate(self.spec.nodes)
            if name in n.input_names and (not active_only or i in self.active)
        ]

    def boundary_outputs(self) -> tuple[str, ...]:
        """``Graph.boundary_outputs``: what a GraphNode wrapping this graph outputs."""
        if self.spec.selected:
            return self.spec.selected
        if self.spec.entrypoints:
            return tuple(dict.fromkeys(
                o for i, n in enumerate(self.spec.nodes) if i in self.active
                for o in n.output_names
            ))
        return self.outputs


@attrs.frozen
class Analysis:
    facts: GraphFacts | None
    problem: str | None = None


def _entry_ids(spec: GraphSpec, s: Structure) -> tuple[int, ...] | None:
    ids = []
    for name in spec.entrypoints:
        if name not in s.index:
            raise GraphConfigError(
                f'Unknown entrypoint "{name}"; the graph\'s nodes are {quoted(s.index)}'
            )
        if isinstance(s.nodes[s.index[name]], GateNode):
            raise GraphConfigError(
                f'Entrypoint "{name}" is a gate; gates decide where to go and cannot start a '
                "run. Use the node the gate reads from as entrypoint"
            )
        ids.append(s.index[name])
    return tuple(dict.fromkeys(ids)) or None


def _plain(s: Structure) -> Structure:
    """The structure without GraphNode stand-ins, for checks that skip GraphNodes."""
    nodes = tuple(n for n in s.nodes if not isinstance(n, _GraphStandIn))
    return cast(Structure, types.SimpleNamespace(nodes=nodes))


def _only(n: HyperNode) -> Structure:
    return cast(Structure, types.SimpleNamespace(nodes=(n,)))


def _check_names(spec: GraphSpec, s: Structure) -> None:
    """``validation.check_names``, node by node; a GraphNode stand-in gets the GraphNode
    rules (its name may match its own output, not another node's)."""
    validation.check_names(cast(Structure, types.SimpleNamespace(nodes=())), spec.name)
    for n in s.nodes:
        if not isinstance(n, _GraphStandIn):
            validation.check_names(_only(n), None)
            continue
        if n.name == "END":
            validation.check_names(_only(n), None)  # the library's "END" message
        clash = next((m for m in s.nodes if m is not n and n.name in m.outputs), None)
        if clash is not None:
            raise GraphConfigError(
                f"GraphNode {n.name!r} has the same name as an output of node "
                f"{clash.name!r}; rename it with .as_node(name=...) to keep resume "
                "paths unambiguous"
            )


def _validate(spec: GraphSpec, s: Structure, entry: tuple[int, ...] | None) -> None:
    """``Graph.__init__``'s checks, in the library's order."""
    _check_names(spec, s)
    validation.check_defaults(_plain(s))
    validation.check_gates(s)
    for ns in spec.nodes:
        if ns.kind == "graph" and ns.map_params is not None and (
            ns.resume_direct or ns.resume_nested
        ):
            raise GraphConfigError(
                f'GraphNode "{ns.name}" maps over a graph that contains interrupts; interrupts '
                "cannot run inside map_over. Orchestrate the batch in your application instead"
            )
    validation.check_wait_for(s)
    if s.has_cycles and not entry:
        cyc = [s.nodes[i].name for i in sorted(s.cyclic)]
        starts = [s.nodes[i].name for i in sorted(s.cyclic)
                  if not isinstance(s.nodes[i], GateNode)]
        raise GraphConfigError(
            f"Cyclic graphs require an explicit entrypoint: nodes {quoted(cyc)} form a cycle. "
            f"Pass entrypoint=\"{(starts or cyc)[0]}\" (the node that runs first) to "
            "Graph(...) or call .with_entrypoint(...)"
        )


def _edges(spec: GraphSpec) -> list[tuple[Any, ...]] | None:
    if spec.edges is None:
        return None
    return [
        (e.src, e.dst) if e.values is None else (e.src, e.dst, list(e.values))
        for e in spec.edges
    ]


def _analyse(spec: GraphSpec) -> Analysis:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            nodes = [stand_in(n) for n in spec.nodes]
    except (TypeError, ValueError, RenameError):
        return Analysis(None)  # a name the stand-ins cannot carry: stay silent
    try:
        s = analyze(nodes, _edges(spec), list(spec.shared) or None)
        entry = _entry_ids(spec, s)
        _validate(spec, s, entry)
    except GraphConfigError as exc:
        return Analysis(None, str(exc))
    active = scope_mod.active_nodes(s, entry, spec.selected)
    bound = dict.fromkeys(spec.bound)
    inputs = scope_mod.compute_input_spec(s, active, entry, bound, {})
    internal: dict[str, str] = {}
    for e in s.edges:
        if e.kind == "data" and e.src in active and e.dst in active:
            for v in e.value_names:
                internal.setdefault(v, s.nodes[e.src].name)
    answers = tuple(dict.fromkeys(
        o for i, n in enumerate(spec.nodes) if i in active and n.kind == "interrupt"
        for o in n.data_output_names
    ))
    for name in (*answers, *inputs.required):
        internal.pop(name, None)
    nested: dict[str, tuple[int, str]] = {}
    for i, n in enumerate(spec.nodes):
        if n.kind == "graph":
            for p in (*n.resume_direct, *n.resume_nested):
                nested[f"{n.name}.{p.name}"] = (i, p.name)
    facts = GraphFacts(
        spec=spec, structure=s, active=active, required=inputs.required,
        optional=inputs.optional, internal=internal, answers=answers, nested_resume=nested,
    )
    return Analysis(facts)


_CACHE: dict[GraphSpec, Analysis] = {}
# By identity first: hashing a spec hashes every node's types, which for a large graph
# costs more than the lookup saves. Decoded specs are shared (``codec.spec_of``).
_BY_ID: dict[int, tuple[GraphSpec, Analysis]] = {}


def analyse(spec: GraphSpec) -> Analysis:
    """The compiler's view of ``spec`` (memoised: graphs are re-read at every use)."""
    hit = _BY_ID.get(id(spec))
    if hit is not None and hit[0] is spec:
        return hit[1]
    found = _CACHE.get(spec)
    if found is None:
        if len(_CACHE) > 512:
            _CACHE.clear()
            _BY_ID.clear()
        found = _CACHE[spec] = _analyse(spec)
    _BY_ID[id(spec)] = (spec, found)
    return found
