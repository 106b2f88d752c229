"""The static types of a graph's values: outputs, inputs, resume answers, boundary.

``analysis`` says which names exist and how they are wired; this module attaches the
mypy types from the node specs (``map_over`` turns a GraphNode's values into lists).
"""

from __future__ import annotations

import attrs
from mypy.plugin import CheckerPluginInterface
from mypy.typeops import make_simplified_union
from mypy.types import AnyType, Type, TypeOfAny, get_proper_type

from hypergraph_typed_mypy.analysis import GraphFacts
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


def _annotated(t: Type) -> bool:
    p = get_proper_type(t)
    return not (isinstance(p, AnyType) and p.type_of_any == TypeOfAny.unannotated)


def output_type(api: CheckerPluginInterface, facts: GraphFacts, name: str) -> Type:
    """The value under ``name`` in a run's results: the union over its producers."""
    found = [
        p.type for n in facts.spec.nodes for p in node_outputs(api, n) if p.name == name
    ]
    return make_simplified_union(found) if found else any_type()


def consumer_ports(
    api: CheckerPluginInterface, facts: GraphFacts, name: str, *, active_only: bool
) -> list[tuple[NodeSpec, Port]]:
    """Every (node, parameter) that reads ``name``."""
    out = []
    for i in facts.consumers(name, active_only=active_only):
        n = facts.spec.nodes[i]
        out += [(n, p) for p in node_inputs(api, n) if p.name == name]
    return out


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
                        return p.type
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
        p for n in facts.spec.nodes if n.kind == "interrupt" for p in n.outputs
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
