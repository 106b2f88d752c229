"""``Graph``: an immutable, declarative set of wired nodes. ``compile()`` yields the plan."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any, Generic, cast

from typing_extensions import TypeVar

from hypergraph_typed.compiler import scope as scope_mod
from hypergraph_typed.compiler import validation
from hypergraph_typed.compiler.cycle_hint import cycle_hint
from hypergraph_typed.compiler.plan import ExecutionPlan, build_plan, with_edge_checks
from hypergraph_typed.compiler.scope import InputSpec
from hypergraph_typed.compiler.strict import check_strict_types
from hypergraph_typed.compiler.structure import Structure, analyze
from hypergraph_typed.exceptions import GraphConfigError
from hypergraph_typed.nodes.base import HyperNode
from hypergraph_typed.nodes.gate import GateNode, IfElseNode, RouteNode
from hypergraph_typed.nodes.graph_node import GraphNode

if TYPE_CHECKING:
    from hypergraph_typed.graph.mermaid import Direction

_UNSET: Any = object()
# Set by the mypy plugin (hypergraph_typed_mypy) on objects whose wiring it knows;
# ``Any`` otherwise, so annotations without it keep working.
Spec = TypeVar("Spec", covariant=True, default=Any)


def _entry_names(value: object, s: Structure) -> list[str]:
    items = list(value) if isinstance(value, (list, tuple)) else [value]
    names: list[str] = []
    for item in items:
        name = item.name if isinstance(item, HyperNode) else item
        if not isinstance(name, str):
            raise GraphConfigError(
                f"Entrypoints are node names or nodes, got {item!r} ({type(item).__name__})"
            )
        if name not in s.index:
            raise GraphConfigError(
                f"Unknown entrypoint {name!r}. Nodes: {list(s.index)}"
            )
        if isinstance(s.nodes[s.index[name]], GateNode):
            raise GraphConfigError(
                f"Entrypoint {name!r} is a gate; gates decide where to go and cannot start a "
                "run. Use the node the gate reads from as entrypoint"
            )
        names.append(name)
    return names


class Graph(Generic[Spec]):
    """Nodes wired by value name (or explicit ``edges``); immutable, compiled once."""

    __slots__ = (
        "_bindings", "_checked_plan", "_definition_hash", "_edges_arg", "_entrypoints",
        "_inputs", "_plan", "_selected", "_structure", "name", "strict_types",
    )
    _structure: Structure
    name: str | None
    strict_types: bool
    _entrypoints: tuple[str, ...] | None
    _bindings: dict[str, Any]
    _selected: tuple[str, ...] | None
    _edges_arg: Sequence[Any] | None
    _inputs: InputSpec | None
    _plan: ExecutionPlan | None
    _checked_plan: ExecutionPlan | None
    _definition_hash: str | None

    def __init__(
        self,
        # ``object``, not ``HyperNode``: mypy joins nodes of different signatures (or
        # kinds) held in one variable (``NODES = [ask, add, route_]``) to
        # ``list[object]``. Items are checked below, and by the mypy plugin statically.
        nodes: Sequence[object],
        *,
        edges: Sequence[Any] | None = None,
        entrypoint: Any = None,
        name: str | None = None,
        strict_types: bool = False,
        shared: str | Sequence[str] | None = None,
    ) -> None:
        if not isinstance(nodes, (list, tuple)):
            raise GraphConfigError(f"Graph takes a list of nodes, got {type(nodes).__name__}")
        if name is not None and not isinstance(name, str):
            raise GraphConfigError(f"Graph name must be a str, got {name!r}")
        if edges is not None and not isinstance(edges, (list, tuple)):
            raise GraphConfigError(f"edges must be a list of tuples, got {edges!r}")
        # ``analyze`` rejects a non-node item with a message naming it.
        s = analyze(cast("list[HyperNode]", list(nodes)), edges, shared)
        entry: tuple[str, ...] | None = None
        if entrypoint is not None:
            if entrypoint == [] or entrypoint == () or entrypoint == "":
                raise GraphConfigError("entrypoint must name at least one node")
            entry = tuple(dict.fromkeys(_entry_names(entrypoint, s)))
        self._init(s, name, bool(strict_types), entry, {}, None, edges)
        validation.check_names(s, name)
        validation.check_defaults(s)
        validation.check_gates(s)
        validation.check_map_over_interrupts(s)
        validation.check_wait_for(s)
        if strict_types:
            check_strict_types(s)
        if s.has_cycles and not entry:
            raise GraphConfigError(cycle_hint(s, edges))

    def _init(
        self, s: Structure, name: str | None, strict: bool, entry: tuple[str, ...] | None,
        bindings: dict[str, Any], selected: tuple[str, ...] | None, edges: Any,
    ) -> None:
        object.__setattr__(self, "_structure", s)
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "strict_types", strict)
        object.__setattr__(self, "_entrypoints", entry)
        object.__setattr__(self, "_bindings", bindings)
        object.__setattr__(self, "_selected", selected)
        object.__setattr__(self, "_edges_arg", edges)
        object.__setattr__(self, "_inputs", None)
        object.__setattr__(self, "_plan", None)
        object.__setattr__(self, "_checked_plan", None)
        object.__setattr__(self, "_definition_hash", None)

    def __setattr__(self, key: str, value: Any) -> None:
        raise AttributeError(f"Graph is immutable; use bind/select/with_entrypoint ({key!r})")

    def _derive(
        self, *, entry: Any = _UNSET, bindings: Any = _UNSET, selected: Any = _UNSET
    ) -> Graph:
        g = object.__new__(Graph)
        g._init(
            self._structure, self.name, self.strict_types,
            self._entrypoints if entry is _UNSET else entry,
            self._bindings if bindings is _UNSET else bindings,
            self._selected if selected is _UNSET else selected,
            self._edges_arg,
        )
        # Same nodes and edges, so the same definition hash.
        object.__setattr__(g, "_definition_hash", self._definition_hash)
        return g

    # -- structure -----------------------------------------------------------
    @property
    def structure(self) -> Structure:
        """The wired structure (node indices, edges); shared by all derived graphs."""
        return self._structure

    @property
    def nodes(self) -> dict[str, HyperNode]:
        """A copy of the nodes by name, in insertion order."""
        return {n.name: n for n in self._structure.nodes}

    def iter_nodes(self) -> Iterator[HyperNode]:
        """The nodes in insertion order, without copying."""
        return iter(self._structure.nodes)

    @property
    def outputs(self) -> tuple[str, ...]:
        """Every node's outputs, unique, in node order (emit names and gate decisions included)."""
        return tuple(dict.fromkeys(o for n in self._structure.nodes for o in n.outputs))

    @property
    def leaf_outputs(self) -> tuple[str, ...]:
        """The outputs of nodes that no edge leaves: what the graph ends with."""
        s = self._structure
        has_out = {e.src for e in s.edges}
        return tuple(
            dict.fromkeys(o for i, n in enumerate(s.nodes) if i not in has_out for o in n.outputs)
        )

    @property
    def selected(self) -> tuple[str, ...] | None:
        """The outputs narrowed to by ``select()``, or ``None``."""
        return self._selected

    @property
    def entrypoints_config(self) -> tuple[str, ...] | None:
        """The configured entrypoint names, or ``None``."""
        return self._entrypoints

    @property
    def shared(self) -> tuple[str, ...]:
        """The value names that live in run state (``shared=[...]``)."""
        return self._structure.shared

    @property
    def has_cycles(self) -> bool:
        """True when edges of any kind, self-loops included, form a cycle."""
        return self._structure.has_cycles

    @property
    def has_async_nodes(self) -> bool:
        """True when a top-level node is async (a GraphNode counts if its graph is)."""
        return any(n.is_async for n in self._structure.nodes)

    @property
    def has_interrupts(self) -> bool:
        """True when a top-level node is an interrupt."""
        return any(n.is_interrupt for n in self._structure.nodes)

    @property
    def interrupt_nodes(self) -> list[HyperNode]:
        """The top-level interrupt nodes."""
        return [n for n in self._structure.nodes if n.is_interrupt]

    def find_interrupt(self) -> str | None:
        """Path (``inner/approval``) of the first interrupt at any nesting depth, or None."""
        for n in self._structure.nodes:
            if n.is_interrupt:
                return n.name
            if isinstance(n, GraphNode):
                inner = n.graph.find_interrupt()
                if inner is not None:
                    return f"{n.name}/{inner}"
        return None

    def find_async_node(self) -> str | None:
        """Path (``inner/fetch``) of the first async node at any depth, or ``None``."""
        for n in self._structure.nodes:
            if isinstance(n, GraphNode):
                inner = n.graph.find_async_node()
                if inner is not None:
                    return f"{n.name}/{inner}"
            elif n.is_async:
                return n.name
        return None

    @property
    def controlled_by(self) -> dict[str, list[str]]:
        """``{target: [gate names]}``: which gates can route to each node."""
        s = self._structure
        return {
            s.nodes[t].name: [s.nodes[g].name for g in gates]
            for t, gates in scope_mod.gate_controllers(s).items()
        }

    # -- hashes ---------------------------------------------------------------
    def _edge_rows(self) -> list[str]:
        s = self._structure
        return sorted(
            f"{s.nodes[e.src].name}->{s.nodes[e.dst].name}:{','.join(e.value_names)}"
            for e in s.edges
        )

    @property
    def definition_hash(self) -> str:
        """SHA-256 over node definitions and edges; computed once per graph."""
        if self._definition_hash is None:
            h = hashlib.sha256()
            for name, dh in sorted((n.name, n.definition_hash) for n in self._structure.nodes):
                h.update(f"{name}={dh};".encode())
            for row in self._edge_rows():
                h.update(row.encode())
            object.__setattr__(self, "_definition_hash", h.hexdigest())
        assert self._definition_hash is not None
        return self._definition_hash

    code_hash = definition_hash

    @property
    def structural_hash(self) -> str:
        """SHA-256 of the graph's shape (names, wiring, gate settings, not code); checkpoint resume
        compares it.
        """
        rows = []
        for n in self._structure.nodes:
            parts = [type(n).__name__, n.name, repr(n.inputs), repr(n.outputs), repr(n.wait_for)]
            if isinstance(n, GateNode):
                parts += [repr([str(t) for t in n.targets]), repr(n.default_open)]
                if isinstance(n, RouteNode):
                    parts += [str(n.fallback), repr(n.multi_target)]
                if isinstance(n, IfElseNode):
                    parts += [str(n.when_true), str(n.when_false)]
            if isinstance(n, GraphNode):
                parts += [n.graph.structural_hash, repr(n.map_config)]
            rows.append("|".join(parts))
        h = hashlib.sha256()
        for row in sorted(rows) + self._edge_rows():
            h.update(row.encode())
            h.update(b";")
        return h.hexdigest()

    # -- scope and inputs --------------------------------------------------------
    def _entry_ids(self) -> tuple[int, ...] | None:
        if not self._entrypoints:
            return None
        return tuple(self._structure.index[n] for n in self._entrypoints)

    def active_node_ids(self) -> frozenset[int]:
        """Indices of the nodes in scope: reachable from the entrypoints, narrowed by ``select``."""
        return scope_mod.active_nodes(self._structure, self._entry_ids(), self._selected)

    def _nested_bound(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        conflict: set[str] = set()
        for n in self._structure.nodes:
            if not isinstance(n, GraphNode):
                continue
            inner_bound = n.graph.inputs.bound
            for outer, inner in zip(n.inputs, n.inner_inputs):
                if inner in inner_bound:
                    v = inner_bound[inner]
                    if outer in out and not validation._same_default(out[outer], v):
                        conflict.add(outer)
                    out[outer] = v
        for c in conflict:
            out.pop(c, None)
        return out

    @property
    def inputs(self) -> InputSpec:
        """The graph's ``InputSpec``: required, optional and bound inputs."""
        if self._inputs is None:
            spec = scope_mod.compute_input_spec(
                self._structure, self.active_node_ids(), self._entry_ids(), self._bindings,
                self._nested_bound(),
            )
            object.__setattr__(self, "_inputs", spec)
        assert self._inputs is not None
        return self._inputs

    @property
    def bindings(self) -> dict[str, Any]:
        """This graph's own bindings (nested ones are in ``inputs.bound``)."""
        return dict(self._bindings)

    def has_default_for_input(self, name: str) -> bool:
        """True when ``name`` is bound or every active consumer has a default."""
        if name in self.inputs.bound:
            return True
        consumers = [n for n in self._structure.nodes if name in n.inputs]
        return bool(consumers) and all(n.has_default_for(name) for n in consumers)

    def default_for_input(self, name: str) -> Any:
        """The bound value or the consumers' default for input ``name``."""
        if name in self.inputs.bound:
            return self.inputs.bound[name]
        for n in self._structure.nodes:
            if name in n.inputs and n.has_default_for(name):
                return n.get_default_for(name)
        raise KeyError(name)

    def input_type(self, name: str) -> Any:
        """The annotation of input ``name`` on its first consumer, or ``None``."""
        for n in self._structure.nodes:
            if name in n.inputs:
                t = n.get_input_type(name)
                if t is not None:
                    return t
        return None

    def output_type(self, name: str) -> Any:
        """The annotation of output ``name`` on its producer, or ``None``."""
        for n in self._structure.nodes:
            if name in n.outputs:
                return n.get_output_type(name)
        return None

    def boundary_outputs(self) -> tuple[str, ...]:
        """What a GraphNode wrapping this graph outputs (selection, active scope, or all)."""
        if self._selected:
            return self._selected
        if self._entrypoints:
            active = self.active_node_ids()
            return tuple(
                dict.fromkeys(
                    o for i, n in enumerate(self._structure.nodes) if i in active for o in n.outputs
                )
            )
        return self.outputs

    # -- derived graphs ----------------------------------------------------------
    def bind(self, **values: Any) -> Graph:
        """Fix input values; returns a new graph. Keys must be inputs of this graph."""
        accepted = set(self.inputs.all)
        interrupt_outs = scope_mod.interrupt_outputs(self._structure)
        for key in values:
            if key in interrupt_outs:
                raise ValueError(
                    f"Cannot bind {key!r}: it is the answer slot of an interrupt. Supply it when "
                    "resuming instead (run(graph, {pause.response_key: answer}))"
                )
            if key not in accepted:
                if key in self.outputs:
                    raise ValueError(
                        f"Cannot bind {key!r}: it is produced by a node of this graph, not an "
                        "input. To start from it, slice the graph first with "
                        ".with_entrypoint(...) so that its producer is out of scope"
                    )
                raise ValueError(
                    f"Cannot bind {key!r}: not an input of this graph. Inputs: "
                    f"{list(self.inputs.all)}"
                )
        return self._derive(bindings={**self._bindings, **values})

    def unbind(self, *keys: str) -> Graph:
        """A new graph without the given bindings (unknown keys are ignored)."""
        return self._derive(bindings={k: v for k, v in self._bindings.items() if k not in keys})

    def select(self, *names: str) -> Graph:
        """Limit the run's result (and the nodes that run) to these outputs."""
        outs = set(self.outputs)
        if len(set(names)) != len(names):
            raise ValueError(f"select() got duplicate names: {list(names)}")
        for n in names:
            if not isinstance(n, str) or n not in outs:
                raise ValueError(
                    f"Cannot select {n!r}: not an output of this graph. Outputs: {list(self.outputs)}"
                )
        return self._derive(selected=tuple(names) if names else None)

    def with_entrypoint(self, *names: Any) -> Graph:
        """A new graph that also starts at the given nodes (order kept, duplicates dropped)."""
        added = _entry_names(list(names), self._structure)
        entry = tuple(dict.fromkeys((*(self._entrypoints or ()), *added)))
        return self._derive(entry=entry or None)

    def add_nodes(self, *nodes: HyperNode) -> Graph:
        """A new graph with more nodes, rebuilt with the same name, settings, bindings and
        selection.
        """
        if not nodes:
            return self
        if self._edges_arg is not None:
            raise GraphConfigError(
                "add_nodes() is not available on a graph with explicit edges; build a new "
                "Graph with the extra nodes and edges"
            )
        g = Graph(
            [*self._structure.nodes, *nodes], name=self.name, strict_types=self.strict_types,
            shared=list(self.shared) or None,
            # Fixed hypergraph quirk: entrypoints are kept.
            entrypoint=list(self._entrypoints) if self._entrypoints else None,
        )
        if self._bindings:
            g = g.bind(**self._bindings)
        if self._selected:
            g = g.select(*self._selected)
        return g

    def as_node(self, *, name: str | None = None) -> GraphNode:
        """This graph as a ``GraphNode``, to nest in another graph."""
        return GraphNode(self, name=name)

    def to_mermaid(
        self,
        *,
        direction: Direction = "TD",
        max_depth: int | None = None,
        show_hidden: bool = False,
    ) -> str:
        """Mermaid ``flowchart`` source for this graph (see ``graph.mermaid.to_mermaid``)."""
        from hypergraph_typed.graph.mermaid import to_mermaid

        return to_mermaid(
            self, direction=direction, max_depth=max_depth, show_hidden=show_hidden
        )

    @property
    def nx_graph(self) -> Any:
        """The graph as a networkx ``DiGraph`` (needs the ``networkx`` extra).

        Nodes carry their attributes (``node_type``, ``inputs``, ``outputs``, ...);
        edges carry ``edge_type`` and ``value_names``. Built anew on each read.
        """
        from hypergraph_typed.graph.nx import to_networkx

        return to_networkx(self)

    # -- compile -------------------------------------------------------------------
    def compile(self, *, type_check: bool = False) -> ExecutionPlan:
        """The execution plan for this graph, built once and cached.

        ``type_check=True`` gives the variant with precompiled runtime edge checks (what
        runners with ``type_check="edges"`` run), also built once.
        """
        if self._plan is None:
            object.__setattr__(self, "_plan", build_plan(self))
        assert self._plan is not None
        if not type_check:
            return self._plan
        if self._checked_plan is None:
            object.__setattr__(self, "_checked_plan", with_edge_checks(self._plan))
        assert self._checked_plan is not None
        return self._checked_plan

    def __repr__(self) -> str:
        flags = [
            f for f, on in (
                ("cycles", self.has_cycles), ("async", self.has_async_nodes),
                ("interrupts", self.has_interrupts),
            ) if on
        ]
        n_nodes = len(self._structure.nodes)
        n_edges = len(self._structure.edges)
        return (
            f"Graph: {self.name or 'unnamed'} | {n_nodes} node{'s' if n_nodes != 1 else ''} | "
            f"{n_edges} edge{'s' if n_edges != 1 else ''} | "
            f"{', '.join(flags) if flags else 'no cycles'}"
        )


def validate_graph(graph: Graph) -> None:
    """Compile ``graph`` (validating it); raises ``GraphConfigError`` on problems."""
    graph.compile()


def compute_input_spec(graph: Graph) -> InputSpec:
    """Classify the active nodes' inputs into required, optional and bound."""
    return graph.inputs


