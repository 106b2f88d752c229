"""The ``ExecutionPlan``: a graph resolved to integer slots and node indices.

Everything the interpreter needs per node is computed here once: input/output
slots, how to fill a missing input, which inputs can make it stale, its startup
predecessors, controlling gates and which nodes to re-check after it runs.
"""

from __future__ import annotations

import copy
import functools
from typing import TYPE_CHECKING, Any

import attrs

from hypergraph_typed._sentinels import END
from hypergraph_typed.compiler import scope as scope_mod
from hypergraph_typed.compiler.codegen import region_source
from hypergraph_typed.compiler.digraph import reachable, topo_layers
from hypergraph_typed.compiler.edge_types import EdgeChecks, build_edge_checks
from hypergraph_typed.compiler.kinds import (
    CONSTANT,
    DEEPCOPY,
    FUNCTION,
    GATE,
    GRAPH,
    INTERRUPT,
    KIND_NAMES,
    NO_FALLBACK,
    UNCOPYABLE,
    UNKNOWN,
)
from hypergraph_typed.compiler.regions import Region, find_region
from hypergraph_typed.compiler.structure import Structure
from hypergraph_typed.compiler.validation import check_default_copyable
from hypergraph_typed.exceptions import GraphConfigError
from hypergraph_typed.nodes import _introspect as intro
from hypergraph_typed.nodes.function import FunctionNode
from hypergraph_typed.nodes.gate import GateNode
from hypergraph_typed.nodes.graph_node import GraphNode
from hypergraph_typed.nodes.interrupt import InterruptNode

if TYPE_CHECKING:
    from hypergraph_typed.graph.core import Graph

__all__ = [
    "CONSTANT", "DEEPCOPY", "FUNCTION", "GATE", "GRAPH", "INTERRUPT", "KIND_NAMES",
    "NO_FALLBACK", "UNCOPYABLE", "UNKNOWN", "ExecutionPlan", "GraphCall", "NodePlan",
    "build_plan", "with_edge_checks",
]

_IMMUTABLE = (int, float, complex, str, bytes, bool, type(None), frozenset, range)


def _is_immutable(value: Any) -> bool:
    if isinstance(value, tuple):
        return all(_is_immutable(v) for v in value)
    return isinstance(value, _IMMUTABLE) or value is END


@attrs.frozen(slots=True)
class GraphCall:
    """How a ``GraphNode`` runs its graph: the inner plan and the boundary, resolved once."""

    plan: ExecutionPlan
    inner_inputs: tuple[str, ...]
    inner_outputs: tuple[str, ...]
    # outer output name of each inner output (a nested pause is renamed through it)
    to_outer: dict[str, str]
    # map_over: the mapped parameters by their inner names (None: not mapped)
    map_params: tuple[str, ...] | None
    map_mode: str
    map_error_handling: str
    clone: bool | tuple[str, ...]
    # what joins "{workflow}/{node}" and the visit number of the second and later visits
    # in a cycle: "/" (the spec's "W/node/2"), or "#" for a map, whose items already
    # are "W/node/0", "W/node/1", ... ("W/node#2" cannot be one of them)
    visit_sep: str = "/"


@attrs.frozen(slots=True)
class NodePlan:
    """Per-node facts for the interpreter, all as integer indices."""

    index: int
    name: str
    node: Any
    kind: int
    func: Any
    is_async: bool
    is_generator: bool
    positional: bool
    params: tuple[str, ...]
    in_slots: tuple[int, ...]
    fallback_kinds: tuple[int, ...]
    fallback_values: tuple[Any, ...]
    out_slots: tuple[int, ...]
    emit_slots: tuple[int, ...]
    wait_slots: tuple[int, ...]
    stale_inputs: tuple[tuple[int, int, frozenset[int] | None], ...]
    startup_preds: tuple[int, ...]
    controllers: tuple[int, ...]
    opens_by_default: tuple[bool, ...]
    is_entrypoint: bool
    wait_producers: frozenset[int]
    recheck: tuple[int, ...]
    target_ids: dict[str, int]
    # A plain sync function called positionally with one data output: the run loop calls
    # it inline, with no dispatch on kind.
    direct: bool
    # GraphNodes only: the inner plan and boundary names.
    graph_call: GraphCall | None = None

    @property
    def kind_name(self) -> str:
        """The node kind as a readable name (for ``describe()`` and errors)."""
        return KIND_NAMES[self.kind]


@attrs.frozen(slots=True)
class ExecutionPlan:
    """An immutable, inspectable compilation of one ``Graph`` (with its scope and bindings)."""

    graph: Graph
    graph_name: str | None
    slot_names: tuple[str, ...]
    slot_index: dict[str, int]
    nodes: tuple[NodePlan, ...]
    # node name -> index (restoring stored steps finds their nodes by name)
    node_index: dict[str, int]
    required: tuple[str, ...]
    optional: tuple[str, ...]
    bound: dict[str, Any]
    internal: dict[str, str]
    resume_keys: frozenset[str]
    # Interrupt slots: each top-level interrupt answer name -> its slot. The runtime keys a
    # run's supplied answers by slot, so resuming needs no re-analysis of the graph.
    answer_slots: dict[str, int]
    # Interrupt outputs that an entrypoint reads: on a fresh run such a value is the
    # entrypoint's input (it starts the cycle), not an answer; the interrupt asks when
    # the cycle reaches it. A checkpointed resume still treats it as the answer.
    seed_answers: frozenset[str]
    # Every resume key (top-level answer or nested "gn.key") -> the node that asks for it
    # (the interrupt, or the GraphNode holding it): a checkpointed resume checks that
    # this node is the one waiting.
    answer_owner: dict[str, str]
    # Per slot, the nodes that read it (a fork's overridden values make them run again).
    slot_readers: tuple[tuple[int, ...], ...]
    # Nested resume paths: "gn.key" -> (GraphNode name, the key the inner run accepts).
    nested_resume: dict[str, tuple[str, str]]
    result_slots: tuple[tuple[str, int], ...]
    selected: tuple[str, ...] | None
    has_entrypoints: bool
    first_async: str | None
    first_interrupt: str | None
    unknown_node: str | None
    has_interrupt_nodes: bool
    layers: tuple[tuple[int, ...], ...]
    # Nodes that can be ready before anything ran: entrypoints, and nodes none of whose
    # startup predecessors is ungated (such a predecessor must run first).
    initial_candidates: tuple[int, ...]
    # The supersteps every run starts with whose schedule is fixed (``compiler.regions``);
    # ``None`` when the first one is not. ``region_note``: why the general loop takes
    # over after it (``None`` when the region is the whole run).
    region: Region | None = attrs.field(default=None, eq=False, repr=False)
    region_note: str | None = attrs.field(default=None, eq=False, repr=False)
    # type_check="edges": the precompiled runtime checks (``Graph.compile(type_check=True)``
    # builds this variant of the plan); ``None`` in the plain plan.
    edge_checks: EdgeChecks | None = attrs.field(default=None, eq=False, repr=False)

    # Computed once, on first use: hashing a graph adds a sixth to a 100-node graph's
    # compile time (the first-run budget), and only checkpointed runs need the hashes.
    @functools.cached_property
    def run_config(self) -> dict[str, str]:
        """What every checkpointed run of this plan stores in its config: the structure
        hash (a resume refuses a changed graph) and the code hash."""
        return {
            "graph_struct_hash": self.graph.structural_hash,
            "graph_code_hash": self.graph.definition_hash,
        }

    @functools.cached_property
    def accepted_inputs(self) -> frozenset[str]:
        """Every input name a run may pass: required and optional."""
        return frozenset(self.required) | frozenset(self.optional)

    @functools.cached_property
    def quiet_keys(self) -> frozenset[str]:
        """Every key a run may pass without a warning: inputs, answers (top-level and
        nested), and the internal values it is refused for."""
        return (self.accepted_inputs | self.answer_slots.keys() | self.internal.keys()
                | self.nested_resume.keys())

    def describe(self) -> str:
        """Human-readable dump: slots, nodes (inputs -> outputs), and wiring."""
        lines = [f"ExecutionPlan for graph {self.graph_name or 'unnamed'}:"]
        lines.append(f"  slots ({len(self.slot_names)}): " + ", ".join(
            f"{i}={n}" for i, n in enumerate(self.slot_names)))
        lines.append(f"  required inputs: {list(self.required)}  optional: {list(self.optional)}")
        if self.layers:
            lines.append("  layers: " + " | ".join(
                ", ".join(self.nodes[i].name for i in layer) for layer in self.layers))
        for n in self.nodes:
            ins = ", ".join(f"{self.slot_names[s]}@{s}" for s in n.in_slots)
            outs = ", ".join(f"{self.slot_names[s]}@{s}" for s in n.out_slots + n.emit_slots)
            extra = []
            if n.startup_preds:
                extra.append("after " + ",".join(self.nodes[p].name for p in n.startup_preds))
            if n.controllers:
                extra.append("gated by " + ",".join(self.nodes[g].name for g in n.controllers))
            if n.wait_slots:
                extra.append("waits " + ",".join(self.slot_names[s] for s in n.wait_slots))
            if n.is_entrypoint:
                extra.append("entrypoint")
            lines.append(
                f"  [{n.index}] {n.name} ({n.kind_name}): ({ins}) -> ({outs})"
                + (f"  [{'; '.join(extra)}]" if extra else "")
            )
        if self.region is not None:
            lines.append("  " + self.region.describe())
        else:
            lines.append(f"  no static region: {self.region_note}")
        return "\n".join(lines)

    def region_source(self) -> str | None:
        """The Python source generated for the static region (``None`` without one).

        Available before the region is compiled: it is what will be compiled.
        """
        return None if self.region is None else region_source(self.region)

    def __repr__(self) -> str:
        return (
            f"ExecutionPlan({self.graph_name or 'unnamed'}: {len(self.nodes)} nodes, "
            f"{len(self.slot_names)} slots)"
        )


def _kind(node: Any) -> int:
    if isinstance(node, InterruptNode):
        return INTERRUPT
    if isinstance(node, FunctionNode):
        return FUNCTION
    if isinstance(node, GateNode):
        return GATE
    if isinstance(node, GraphNode):
        return GRAPH
    return UNKNOWN


def _nested_resume_keys(graph: Graph) -> dict[str, tuple[str, str]]:
    """Every ``gn.key`` resume path below ``graph`` -> (GraphNode, key inside its graph).

    Each segment is named as seen from outside its GraphNode (output renames applied);
    the mapped key is what the inner run accepts (the inner interrupt's own output
    name, or the next ``gn.key`` path one level down).
    """
    out: dict[str, tuple[str, str]] = {}
    for n in graph.iter_nodes():
        if not isinstance(n, GraphNode):
            continue
        inner_to_outer = dict(zip(n.inner_outputs, n.outputs))
        for inner_node in n.graph.iter_nodes():
            if inner_node.is_interrupt:
                for o in inner_node.data_outputs:
                    out[f"{n.name}.{inner_to_outer.get(o, o)}"] = (n.name, o)
        for key in n.graph.compile().nested_resume:
            out[f"{n.name}.{key}"] = (n.name, key)
    return out


def build_plan(graph: Graph) -> ExecutionPlan:
    """Compile ``graph`` into its ``ExecutionPlan`` (``Graph.compile`` caches the result)."""
    s: Structure = graph.structure
    active = graph.active_node_ids()
    order = [i for i in range(len(s.nodes)) if i in active]
    pid = {g: p for p, g in enumerate(order)}
    spec = graph.inputs
    bound = spec.bound
    entry = set(graph._entry_ids() or ())

    slot_index: dict[str, int] = {}

    def slot(name: str) -> int:
        if name not in slot_index:
            slot_index[name] = len(slot_index)
        return slot_index[name]

    for i in order:
        n = s.nodes[i]
        for name in (*n.inputs, *n.outputs, *n.wait_for):
            slot(name)
    for name in (*spec.required, *spec.optional):
        slot(name)

    succ_all = s.successors()
    controllers = scope_mod.gate_controllers(s)
    producers_of: dict[str, set[int]] = {}
    for i in order:
        for o in s.nodes[i].outputs:
            producers_of.setdefault(o, set()).add(i)
    consumers_of: dict[str, set[int]] = {}
    for i in order:
        for p in (*s.nodes[i].inputs, *s.nodes[i].wait_for):
            consumers_of.setdefault(p, set()).add(i)

    startup: dict[int, list[int]] = {i: [] for i in order}
    for e in s.edges:
        if e.kind != "control" and e.src != e.dst and e.src in active and e.dst in active:
            startup[e.dst].append(e.src)

    layers = _layers(s, active)
    topo_pos = {i: k for k, layer in enumerate(layers) for i in layer}
    cyclic_graph = s.has_cycles
    nodes: list[NodePlan] = []
    for i in order:
        n = s.nodes[i]
        kind = _kind(n)
        gated = i in controllers
        downstream: set[int] | None = None
        fb_kinds: list[int] = []
        fb_values: list[Any] = []
        stale: list[tuple[int, int, frozenset[int] | None]] = []
        # read once, not once per input
        defaults = n.defaults if isinstance(n, (FunctionNode, GateNode)) else None
        inputs = n.inputs
        outputs = n.outputs
        data_outputs = n.data_outputs
        for pos, p in enumerate(inputs):
            if p in bound:
                fb_kinds.append(CONSTANT)
                fb_values.append(bound[p])
            elif p in defaults if defaults is not None else n.has_default_for(p):
                d = defaults[p] if defaults is not None else n.get_default_for(p)
                # A GraphNode's inner binding is a bound value: passed as is, never copied.
                inner_bound = (
                    isinstance(n, GraphNode) and n.inner_inputs[pos] in n.graph.inputs.bound
                )
                if inner_bound or _is_immutable(d):
                    fb_kinds.append(CONSTANT)
                    fb_values.append(d)
                else:
                    try:
                        check_default_copyable(d, n.name, p)
                    except GraphConfigError as exc:
                        # Raised at run time, and only if the default is actually needed.
                        fb_kinds.append(UNCOPYABLE)
                        fb_values.append(str(exc))
                    else:
                        fb_kinds.append(DEEPCOPY)
                        fb_values.append(d)
            else:
                fb_kinds.append(NO_FALLBACK)
                fb_values.append(None)
            prods = producers_of.get(p, set())
            if not gated and i in prods:
                continue  # spec 03: inputs a non-gated node produces itself never make it stale
            if not gated and prods and not cyclic_graph:
                here = topo_pos[i]
                if any(topo_pos[u] > here for u in prods):
                    if downstream is None:
                        downstream = reachable(succ_all, succ_all[i])
                    if prods <= downstream:
                        continue
            wired = s.wired.get((i, p))
            if wired is None and p in s.shared:
                # A shared input counts as changed only when a writer ordered before this
                # node (by an edge into it) wrote it; with no such writer, any write counts.
                wired = tuple(
                    e.src for e in s.edges
                    if e.dst == i and e.kind != "control" and e.src in prods
                ) or None
            wired_plan = (
                frozenset([pid[u] for u in wired if u in pid]) if wired is not None else None
            )
            stale.append((pos, slot_index[p], wired_plan))
        recheck: set[int] = set(succ_all[i])
        for o in outputs:
            recheck |= consumers_of.get(o, set())
        if i in s.gate_targets:
            for t in s.gate_targets[i]:
                recheck.add(t)
                recheck |= set(succ_all[t])
        ctrl = tuple(controllers.get(i, ()))
        opens = tuple([
            bool(getattr(s.nodes[g], "default_open", True)) and (not entry or i in entry)
            for g in ctrl
        ]) if ctrl else ()
        if isinstance(n, (FunctionNode, GateNode)):
            params = n.original_params
            positional = intro.positional_callable(n.func)
            func = n.func
        else:
            params, positional, func = inputs, False, None
        wait_for = n.wait_for
        wait_prod = {
            pid[u] for w in wait_for for u in producers_of.get(w, set()) if u != i
        } if wait_for else set()
        target_ids = (
            {s.nodes[t].name: pid[t] for t in s.gate_targets[i] if t in pid}
            if i in s.gate_targets else {}
        )
        nodes.append(NodePlan(
            graph_call=_graph_call(n) if isinstance(n, GraphNode) else None,
            index=pid[i], name=n.name, node=n, kind=kind, func=func, is_async=n.is_async,
            is_generator=n.is_generator, positional=positional, params=params,
            in_slots=tuple([slot_index[p] for p in inputs]), fallback_kinds=tuple(fb_kinds),
            fallback_values=tuple(fb_values),
            out_slots=tuple([slot_index[o] for o in data_outputs]),
            emit_slots=tuple([slot_index[o] for o in outputs if o not in data_outputs]),
            wait_slots=tuple([slot_index[w] for w in wait_for]), stale_inputs=tuple(stale),
            startup_preds=tuple(sorted({pid[u] for u in startup[i]})),
            controllers=tuple([pid[g] for g in ctrl if g in pid]),
            opens_by_default=tuple([o for g, o in zip(ctrl, opens) if g in pid]),
            is_entrypoint=i in entry, wait_producers=frozenset(wait_prod),
            recheck=tuple(sorted([pid[r] for r in recheck if r in pid])), target_ids=target_ids,
            direct=(
                kind == FUNCTION and positional and not n.is_async and not n.is_generator
                and len(data_outputs) == 1
            ),
        ))

    internal: dict[str, str] = {}
    for e in s.edges:
        if e.kind == "data" and e.src in active and e.dst in active:
            for v in e.value_names:
                internal.setdefault(v, s.nodes[e.src].name)
    iouts = {o for i in order if s.nodes[i].is_interrupt for o in s.nodes[i].data_outputs}
    for name in (*iouts, *spec.required):
        internal.pop(name, None)
    nested = _nested_resume_keys(graph)
    selected = graph.selected
    emit_names = {o for n in s.nodes for o in n.outputs if o not in n.data_outputs}
    result_names = selected if selected else tuple(o for o in graph.outputs if o not in emit_names)
    result_slots = tuple((name, slot_index[name]) for name in result_names if name in slot_index)
    initial_candidates = tuple(
        n.index for n in nodes
        if n.is_entrypoint or not any(not nodes[p].controllers for p in n.startup_preds)
    )
    region, region_note = find_region(
        nodes, initial_candidates,
        given={slot_index[name] for name in spec.required},
        refused={slot_index[name] for name in internal},
        optional={slot_index[name] for name in spec.optional},
        cyclic={pid[i] for i in s.cyclic if i in pid}, result_slots=result_slots,
    )
    return ExecutionPlan(
        graph=graph, graph_name=graph.name, slot_names=tuple(slot_index),
        slot_index=dict(slot_index), nodes=tuple(nodes),
        node_index={np.name: np.index for np in nodes}, required=spec.required,
        optional=spec.optional, bound=dict(bound), internal=internal,
        resume_keys=frozenset(iouts) | frozenset(nested),
        answer_slots={o: slot_index[o] for o in sorted(iouts)}, nested_resume=nested,
        answer_owner={
            **{o: s.nodes[i].name for i in order if s.nodes[i].is_interrupt
               for o in s.nodes[i].data_outputs},
            **{k: gn for k, (gn, _) in nested.items()},
        },
        slot_readers=_slot_readers(nodes, len(slot_index)),
        seed_answers=frozenset(
            o for o in iouts if any(o in s.nodes[e].inputs for e in entry if e in active)
        ),
        result_slots=result_slots,
        selected=selected, has_entrypoints=bool(entry),
        first_async=graph.find_async_node(), first_interrupt=graph.find_interrupt(),
        unknown_node=next((s.nodes[i].name for i in order if _kind(s.nodes[i]) == UNKNOWN), None),
        has_interrupt_nodes=any(s.nodes[i].is_interrupt for i in order),
        layers=tuple(tuple(pid[i] for i in layer) for layer in layers) if not s.has_cycles else (),
        initial_candidates=initial_candidates, region=region, region_note=region_note,
    )


def _slot_readers(nodes: list[NodePlan], n_slots: int) -> tuple[tuple[int, ...], ...]:
    """Per slot, the indices of the nodes that read it (in node order)."""
    readers: list[list[int]] = [[] for _ in range(n_slots)]
    for n in nodes:
        for s in dict.fromkeys(n.in_slots):
            readers[s].append(n.index)
    return tuple(tuple(r) for r in readers)


def _graph_call(gn: GraphNode) -> GraphCall:
    inner_of = dict(zip(gn.inputs, gn.inner_inputs))
    config = gn.map_config
    clone = gn.clone_config
    return GraphCall(
        plan=gn.graph.compile(),
        inner_inputs=tuple(gn.inner_inputs),
        inner_outputs=tuple(gn.inner_outputs),
        to_outer=dict(zip(gn.inner_outputs, gn.outputs)),
        map_params=None if config is None else tuple(inner_of[p] for p in config[0]),
        map_mode="zip" if config is None else config[1],
        map_error_handling="raise" if config is None else config[2],
        clone=tuple(inner_of[c] for c in clone) if isinstance(clone, tuple) else clone,
        visit_sep="/" if config is None else "#",
    )


def with_edge_checks(plan: ExecutionPlan) -> ExecutionPlan:
    """The ``type_check="edges"`` variant of ``plan``: the same plan plus its runtime checks."""
    return attrs.evolve(plan, edge_checks=build_edge_checks(plan))


def _layers(s: Structure, active: frozenset[int]) -> list[list[int]]:
    """Topological layers of the active nodes; one layer per node if cyclic."""
    if s.has_cycles:
        return [[i] for i in sorted(active)]
    return topo_layers(
        sorted(active),
        ((e.src, e.dst) for e in s.edges if e.src in active and e.dst in active),
    )


def fresh_default(value: Any) -> Any:
    """A deep copy of a default value, so no run mutates another run's default."""
    return copy.deepcopy(value)
