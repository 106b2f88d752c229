"""The static types of a graph's values: outputs, inputs, resume answers, boundary.

``analysis`` says which names exist and how they are wired; this module attaches the
mypy types from the node specs, with generic nodes solved (``generics``) and
``map_over`` turning a GraphNode's values into lists. The typed view of a graph is
computed once per analysed graph and shared by every read of its results.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping

import attrs
from mypy.erasetype import erase_typevars
from mypy.plugin import CheckerPluginInterface
from mypy.typeops import make_simplified_union
from mypy.types import AnyType, Type, TypeOfAny, get_proper_type, has_type_vars

from hypergraph_typed_mypy.analysis import GraphFacts
from hypergraph_typed_mypy.generics import is_generic, resolve
from hypergraph_typed_mypy.model import NodeSpec, Port, any_type


def _listed(api: CheckerPluginInterface, t: Type) -> Type:
    return api.named_generic_type("builtins.list", [t])


def node_outputs(api: CheckerPluginInterface, n: NodeSpec) -> tuple[Port, ...]:
    """Data outputs with the types a run stores (lists for a mapped GraphNode)."""
    if n.kind == "graph" and n.map_params is not None:
        return tuple(attrs.evolve(p, type=_listed(api, p.type)) for p in n.outputs)
    return n.outputs


def node_inputs(api: CheckerPluginInterface, n: NodeSpec) -> tuple[Port, ...]:
    """Inputs with the types the node accepts (lists for mapped GraphNode parameters)."""
    if n.kind == "graph" and n.map_params:
        mapped = set(n.map_params)
        return tuple(
            attrs.evolve(p, type=_listed(api, p.type)) if p.name in mapped else p
            for p in n.inputs
        )
    return n.inputs


class TypedGraph:
    """A graph's nodes with type variables solved, and its values' types by name."""

    def __init__(
        self, api: CheckerPluginInterface, facts: GraphFacts, nodes: tuple[NodeSpec, ...]
    ) -> None:
        self.api = api
        self.facts = facts
        self.nodes = nodes

    @functools.cached_property
    def generic(self) -> bool:
        """Whether some node is generic (its types depend on what reaches it)."""
        return any(is_generic(n) for n in self.facts.spec.nodes)

    @functools.cached_property
    def outputs(self) -> dict[str, Type]:
        """Each output's type: the union over the nodes that produce it."""
        found: dict[str, list[Type]] = {}
        for n in self.nodes:
            for p in node_outputs(self.api, n):
                found.setdefault(p.name, []).append(p.type)
        return {name: make_simplified_union(types) for name, types in found.items()}

    def output_type(self, name: str) -> Type:
        found = self.outputs.get(name)
        return found if found is not None else any_type()

    def consumer_ports(self, name: str, *, active_only: bool) -> list[tuple[NodeSpec, Port]]:
        """Every (node, parameter) that reads ``name``, typed for a value supplied to it.

        A generic parameter accepts whatever its type variables may be solved to, so it
        is read with them as ``Any`` (``list[T]`` takes any list), not as solved from
        the edges: a value given to ``run()`` takes part in solving them instead.
        """
        out = []
        for i in self.facts.consumers(name, active_only=active_only):
            n = self.nodes[i]
            declared = {p.name: p.type for p in self.facts.spec.nodes[i].inputs}
            for p in node_inputs(self.api, n):
                if p.name != name:
                    continue
                raw = declared.get(name)
                if raw is not None and has_type_vars(raw):
                    p = attrs.evolve(p, type=erase_typevars(raw))
                out.append((n, p))
        return out


# Typed views by the identity of the analysed graph (analyses are memoised and shared).
_TYPED: dict[int, tuple[GraphFacts, TypedGraph]] = {}


def typed(api: CheckerPluginInterface, facts: GraphFacts) -> TypedGraph:
    """The typed view of ``facts``, with generic nodes solved from the graph's edges."""
    hit = _TYPED.get(id(facts))
    if hit is not None and hit[0] is facts:
        return hit[1]
    if len(_TYPED) > 512:
        _TYPED.clear()
    view = TypedGraph(api, facts, resolve(api, facts.spec.nodes, facts.incoming, node_outputs))
    _TYPED[id(facts)] = (facts, view)
    return view


def solved_with(
    api: CheckerPluginInterface, facts: GraphFacts, given: Mapping[str, Type]
) -> tuple[NodeSpec, ...]:
    """The nodes with generic ones solved from the edges and the ``given`` input types."""
    return resolve(api, facts.spec.nodes, facts.incoming, node_outputs, given)


def _annotated(t: Type) -> bool:
    p = get_proper_type(t)
    return not (isinstance(p, AnyType) and p.type_of_any == TypeOfAny.unannotated)


def output_type(api: CheckerPluginInterface, facts: GraphFacts, name: str) -> Type:
    """The value under ``name`` in a run's results: the union over its producers."""
    return typed(api, facts).output_type(name)


def consumer_ports(
    api: CheckerPluginInterface, facts: GraphFacts, name: str, *, active_only: bool
) -> list[tuple[NodeSpec, Port]]:
    """Every (node, parameter) that reads ``name``."""
    return typed(api, facts).consumer_ports(name, active_only=active_only)


def input_type(api: CheckerPluginInterface, facts: GraphFacts, name: str) -> Type:
    """``Graph.input_type``: the first annotated consumer's parameter type."""
    ports = [p for _, p in consumer_ports(api, facts, name, active_only=False)]
    annotated = [p.type for p in ports if _annotated(p.type)]
    return annotated[0] if annotated else any_type()


def answer_type(facts: GraphFacts, key: str) -> Type | None:
    """The type an answer for resume key ``key`` must have, or None if it is no such key."""
    if key in facts.answers:
        for n in facts.spec.nodes:
            if n.kind == "interrupt":
                for p in n.outputs:
                    if p.name == key:
                        return erase_typevars(p.type)
    target = facts.nested_resume.get(key)
    if target is not None:
        gn = facts.spec.nodes[target[0]]
        for p in (*gn.resume_direct, *gn.resume_nested):
            if p.name == target[1]:
                return p.type
    return None


def boundary_spec(api: CheckerPluginInterface, facts: GraphFacts, name: str) -> NodeSpec:
    """The GraphNode ``graph.as_node(name=name)`` builds: inputs, outputs, resume keys."""
    optional = set(facts.optional)
    inputs = tuple(
        Port(p, input_type(api, facts, p), p in optional) for p in facts.accepted
    )
    emits = facts.emit_names
    outputs = tuple(
        Port(o, any_type() if o in emits and not facts.producers(o) else
             output_type(api, facts, o))
        for o in facts.boundary_outputs()
    )
    direct = tuple(
        attrs.evolve(p, type=erase_typevars(p.type))
        for n in facts.spec.nodes if n.kind == "interrupt" for p in n.outputs
    )
    nested = tuple(
        Port(f"{n.name}.{p.name}", p.type)
        for n in facts.spec.nodes if n.kind == "graph"
        for p in (*n.resume_direct, *n.resume_nested)
    )
    return NodeSpec(
        kind="graph", name=name, inputs=inputs, outputs=outputs, resume_direct=direct,
        resume_nested=nested, is_async=any(n.is_async for n in facts.spec.nodes),
    )
