"""Generic nodes: solve each node's type variables from the values that reach it.

A node declared ``def first(xs: list[T]) -> T`` keeps ``T`` in its spec. In a graph,
``T`` is solved the way mypy solves a call of ``first``: from the types of the values
its parameters receive, that is the outputs of the nodes that feed it (data edges) and
the values passed to ``run()``. The solution is substituted into the node's outputs, so
an edge out of a generic node is checked like any other, and ``result["x"]`` has the
solved type. A type variable nothing constrains becomes ``Any``, as an unannotated
value is, so it never causes a report.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import attrs
from mypy.constraints import SUPERTYPE_OF, Constraint, infer_constraints
from mypy.erasetype import erase_typevars
from mypy.expandtype import expand_type
from mypy.plugin import CheckerPluginInterface
from mypy.solve import solve_constraints
from mypy.subtypes import is_subtype
from mypy.typeops import get_all_type_vars
from mypy.types import (
    AnyType,
    Type,
    TypeVarId,
    TypeVarType,
    UninhabitedType,
    get_proper_type,
    has_type_vars,
)

from hypergraph_typed_mypy.model import NodeSpec, Port

# Per node index: the (src node, value names) of its incoming data edges.
Incoming = Mapping[int, Sequence[tuple[int, tuple[str, ...]]]]
# The outputs a node stores, with their types (``graph_types.node_outputs``).
OutputsOf = Callable[[CheckerPluginInterface, NodeSpec], tuple[Port, ...]]


def is_generic(node: NodeSpec) -> bool:
    """Whether some parameter or output of ``node`` mentions a type variable."""
    return any(has_type_vars(p.type) for p in (*node.inputs, *node.outputs))


def erased(node: NodeSpec) -> NodeSpec:
    """``node`` with every type variable read as ``Any`` (nothing known about it)."""
    return attrs.evolve(
        node,
        inputs=tuple(attrs.evolve(p, type=erase_typevars(p.type)) for p in node.inputs),
        outputs=tuple(attrs.evolve(p, type=erase_typevars(p.type)) for p in node.outputs),
    )


def _type_vars(node: NodeSpec) -> list[TypeVarType]:
    found: dict[TypeVarId, TypeVarType] = {}
    for p in node.inputs:
        for tv in get_all_type_vars(p.type):
            if isinstance(tv, TypeVarType):
                found.setdefault(tv.id, tv)
    return list(found.values())


def _admissible(api: CheckerPluginInterface, tv: TypeVarType, solution: Type) -> Type:
    """The solution if ``tv``'s bound or value restriction allows it.

    Otherwise the bound (or the first allowed value), so that the mismatch shows on the
    edges around the node instead of disappearing into ``Any``.
    """
    if tv.values:
        for v in tv.values:
            if is_subtype(solution, v, options=api.options):
                return v
        return tv.values[0]
    if is_subtype(solution, tv.upper_bound, options=api.options):
        return solution
    return tv.upper_bound


def specialize(
    api: CheckerPluginInterface, node: NodeSpec, actuals: Mapping[str, list[Type]]
) -> NodeSpec:
    """``node`` with its type variables solved from ``actuals`` (types per input name)."""
    tvars = _type_vars(node)
    constraints: list[Constraint] = []
    for p in node.inputs:
        for actual in actuals.get(p.name, ()):
            if not isinstance(get_proper_type(actual), AnyType):
                constraints += infer_constraints(p.type, actual, SUPERTYPE_OF)
    env: dict[TypeVarId, Type] = {}
    if tvars and constraints:
        solutions, _ = solve_constraints(tvars, constraints, strict=False)
        for tv, solution in zip(tvars, solutions):
            # ``Never`` comes from empty displays (``[]``): it says nothing about T.
            if solution is not None and not isinstance(
                get_proper_type(solution), (AnyType, UninhabitedType)
            ):
                env[tv.id] = _admissible(api, tv, solution)

    def sub(p: Port) -> Port:
        t = expand_type(p.type, env) if env else p.type
        return attrs.evolve(p, type=erase_typevars(t))

    return attrs.evolve(
        node, inputs=tuple(sub(p) for p in node.inputs),
        outputs=tuple(sub(p) for p in node.outputs),
    )


def resolve(
    api: CheckerPluginInterface,
    nodes: Sequence[NodeSpec],
    incoming: Incoming,
    outputs_of: OutputsOf,
    given: Mapping[str, Type] | None = None,
) -> tuple[NodeSpec, ...]:
    """Every node with its type variables solved; non-generic nodes are returned as is.

    Nodes are solved in order, and again while a solution changes (a generic node fed by
    another generic node later in the list), at most once per generic node.
    """
    generic = [i for i, n in enumerate(nodes) if is_generic(n)]
    if not generic:
        return tuple(nodes)
    out = list(nodes)
    for i in generic:
        out[i] = erased(nodes[i])
    for _ in range(len(generic) + 1):
        changed = False
        for i in generic:
            actuals: dict[str, list[Type]] = {}
            if given:
                for p in nodes[i].inputs:
                    if p.name in given:
                        actuals.setdefault(p.name, []).append(given[p.name])
            for src, names in incoming.get(i, ()):
                produced = {p.name: p.type for p in outputs_of(api, out[src])}
                for name in names:
                    if name in produced:
                        actuals.setdefault(name, []).append(produced[name])
            solved = specialize(api, nodes[i], actuals)
            if solved != out[i]:
                out[i] = solved
                changed = True
        if not changed:
            break
    return tuple(out)
