"""Hooks on ``Graph(...)`` and the methods that derive graphs or nest them as nodes.

``Graph([...])`` with a list display of statically known nodes gets a spec; anything
dynamic (a node list built at run time, a non-literal edge) leaves the graph unchecked,
silently. Construction errors are the library's own ``GraphConfigError`` messages.
"""

from __future__ import annotations

from collections.abc import Callable

import attrs
from mypy.nodes import Context, Expression
from mypy.plugin import CheckerPluginInterface, FunctionContext, MethodContext
from mypy.subtypes import is_subtype
from mypy.types import AnyType, Instance, Type, get_proper_type, has_type_vars

from hypergraph_typed_mypy.analysis import GraphFacts, analyse
from hypergraph_typed_mypy.codec import encoder, graph_spec_of, node_spec_of
from hypergraph_typed_mypy.errors import EDGE, GRAPH, KEY, NODE, VALUE, fail, quoted, show
from hypergraph_typed_mypy.graph_types import (
    boundary_spec,
    consumer_ports,
    node_inputs,
    node_outputs,
    typed,
)
from hypergraph_typed_mypy.literals import (
    UNKNOWN,
    CallArgs,
    Value,
    bool_value,
    expr_type,
    is_none,
    names_value,
    sequence_items,
    str_value,
    typeinfo,
)
from hypergraph_typed_mypy.model import EdgeDecl, GraphSpec, NodeSpec, Port


def _node_name(api: CheckerPluginInterface, expr: Expression) -> str | None:
    """A node given by name (a string literal) or as a node object with a known spec."""
    typ = expr_type(api, expr)
    s = str_value(expr, typ)
    if s is not None:
        return s
    spec = node_spec_of(typ)
    return spec.name if spec is not None else None


def _node_names(api: CheckerPluginInterface, expr: Expression | None) -> tuple[str, ...] | None:
    """``entrypoint=``: a name or node, or a list/tuple of them."""
    if expr is None:
        return ()
    items = sequence_items(expr)
    if items is None:
        one = _node_name(api, expr)
        return None if one is None else (one,)
    out = [_node_name(api, e) for e in items]
    return None if any(o is None for o in out) else tuple(o for o in out if o is not None)


def _edges(api: CheckerPluginInterface, expr: Expression | None) -> tuple[EdgeDecl, ...]:
    """``edges=[(src, dst), (src, dst, values), ...]`` written out in full."""
    items = sequence_items(expr)
    if items is None:
        raise _Dynamic
    decls = []
    for item in items:
        parts = sequence_items(item)
        if parts is None or len(parts) not in (2, 3):
            raise _Dynamic
        src, dst = _node_name(api, parts[0]), _node_name(api, parts[1])
        values: tuple[str, ...] | None = None
        if len(parts) == 3:
            raw = names_value(api, parts[2], expr_type(api, parts[2]))
            if not isinstance(raw, tuple):
                raise _Dynamic
            values = raw
        if src is None or dst is None:
            raise _Dynamic
        decls.append(EdgeDecl(src, dst, values))
    return tuple(decls)


class _Dynamic(Exception):
    """Some argument is not statically known: the graph stays unchecked."""


def _graph_spec(ctx: FunctionContext) -> tuple[GraphSpec, list[Expression]]:
    api = ctx.api
    args = CallArgs(ctx)
    nodes_expr, _ = args.get("nodes", 0)
    items = sequence_items(nodes_expr)
    if items is None:
        raise _Dynamic
    types = [expr_type(api, e) for e in items]
    specs = [node_spec_of(t) for t in types]
    if any(s is None for s in specs):
        _report_non_nodes(api, items, types)
        raise _Dynamic
    edges_expr, edges_type = args.get("edges")
    edges = None
    if edges_expr is not None and not is_none(edges_expr, edges_type):
        edges = _edges(api, edges_expr)
    entry_expr, entry_type = args.get("entrypoint")
    entry: tuple[str, ...] = ()
    if entry_expr is not None and not is_none(entry_expr, entry_type):
        found = _node_names(api, entry_expr)
        if found is None:
            raise _Dynamic
        if not found:
            fail(api, "Graph(...) entrypoint must name at least one node; pass a node name, "
                 "a node, or a non-empty list of them", ctx.context, GRAPH)
            raise _Dynamic
        entry = tuple(dict.fromkeys(found))
    shared_expr, shared_type = args.get("shared")
    shared = names_value(api, shared_expr, shared_type)
    if shared is UNKNOWN:
        raise _Dynamic
    shared_names = shared if isinstance(shared, tuple) else ()
    name_expr, name_type = args.get("name")
    name = None
    known = True
    if name_expr is not None and not is_none(name_expr, name_type):
        name = str_value(name_expr, name_type)
        known = name is not None
    strict_expr, strict_type = args.get("strict_types")
    strict = strict_expr is not None and bool_value(strict_expr, strict_type) is True
    spec = GraphSpec(
        name=name, nodes=tuple(s for s in specs if s is not None), edges=edges,
        shared=shared_names, entrypoints=entry, name_known=known, strict_types=strict,
    )
    return spec, items


def _report_non_nodes(
    api: CheckerPluginInterface, items: list[Expression], types: list[Type | None]
) -> None:
    """``Graph([...])`` items that are not nodes (``analyze`` raises GraphConfigError)."""
    info = typeinfo(api, "hypergraph_typed.nodes.base.HyperNode")
    if info is None:
        return
    node_type = Instance(info, [])
    for i, (expr, typ) in enumerate(zip(items, types)):
        if typ is None or isinstance(get_proper_type(typ), AnyType):
            continue
        if not is_subtype(typ, node_type, options=api.options):
            fail(api, f"Graph(...) item {i} has type {show(api, typ)}, which is not a node; "
                 "list nodes made with @node, @route, @ifelse, @interrupt or graph.as_node()",
                 expr, GRAPH)


def _config_error(api: CheckerPluginInterface, problem: str, context: Context, where: str) -> None:
    fail(api, f"{where} would raise GraphConfigError: {problem}", context, GRAPH)


def _fits(api: CheckerPluginInterface, value: Type, param: Type, strict: bool) -> bool:
    """mypy's assignability; under ``strict_types`` without numeric promotions, as the
    library's ``compiler.types.compatible`` fits classes by subclass (int -> float fails)."""
    return is_subtype(value, param, ignore_promotions=strict, options=api.options)


def _edge_fix(
    api: CheckerPluginInterface, text: str, out: Type, param: Type, strict: bool
) -> str:
    """The edge message's fix: under ``strict_types`` an edge mypy accepts may still fail."""
    if strict and is_subtype(out, param, options=api.options):
        return (f"{text}; strict_types=True fits classes by subclass only (int is not a "
                "float), so Graph(...) would raise GraphConfigError. Annotate both sides alike "
                "or convert the value in between")
    return f"{text}; change one annotation or convert the value in between"


def _shown_param(api: CheckerPluginInterface, declared: Port | None, param: Type) -> str:
    """A parameter's type as written when it is generic (``list[T]``), else as solved."""
    if declared is not None and has_type_vars(declared.type):
        return show(api, declared.type)
    return show(api, param)


def check_edge_types(
    api: CheckerPluginInterface, facts: GraphFacts, exprs: list[Expression], context: Context,
    nodes: tuple[NodeSpec, ...] | None = None, before: tuple[NodeSpec, ...] | None = None,
    solved_from: str = "its inputs",
) -> None:
    """Every data edge, and every writer/reader pair of a shared value: the producer's
    value type must fit the consumer's parameter.

    ``nodes`` are the graph's nodes with generic ones solved (by default from the edges
    alone); with ``before``, only edges whose types differ from those in ``before`` are
    checked (a run's inputs solved a generic node further); ``solved_from`` says what
    a generic producer's type was solved from.
    """
    nodes = nodes if nodes is not None else typed(api, facts).nodes
    declared = facts.spec.nodes
    strict = facts.spec.strict_types

    def ports(ns: tuple[NodeSpec, ...], src: int, dst: int, v: str) -> tuple[Type, Type] | None:
        out = next((p.type for p in node_outputs(api, ns[src]) if p.name == v), None)
        param = next((p.type for p in node_inputs(api, ns[dst]) if p.name == v), None)
        return None if out is None or param is None else (out, param)

    def problem(src: int, dst: int, v: str) -> tuple[Type, Type] | None:
        types = ports(nodes, src, dst, v)
        if types is None or (before is not None and types == ports(before, src, dst, v)):
            return None
        return None if _fits(api, types[0], types[1], strict) else types

    def param_port(dst: int, v: str) -> Port | None:
        return next((p for p in declared[dst].inputs if p.name == v), None)

    def carried(src: int, v: str, out: Type) -> str:
        """``"str"``, or for a generic producer ``"str" (T of generic node "first", ...)``."""
        raw = next((p.type for p in declared[src].outputs if p.name == v), None)
        if raw is None or not has_type_vars(raw):
            return show(api, out)
        return (f"{show(api, out)} ({show(api, raw)} of generic node "
                f'"{nodes[src].name}", solved from {solved_from})')

    for e in facts.structure.edges:
        if e.kind != "data":
            continue
        for v in e.value_names:
            bad = problem(e.src, e.dst, v)
            if bad is None:
                continue
            where = exprs[e.dst] if e.dst < len(exprs) else context
            src, dst = nodes[e.src].name, nodes[e.dst].name
            text = (f'Edge "{src}" -> "{dst}" carries "{v}" as {carried(e.src, v, bad[0])}, '
                    f'but parameter "{v}" of "{dst}" expects '
                    f"{_shown_param(api, param_port(e.dst, v), bad[1])}")
            fail(api, _edge_fix(api, text, bad[0], bad[1], strict), where, EDGE)
    for v in facts.spec.shared:
        for w in facts.producers(v):
            for c in facts.consumers(v, active_only=False):
                if nodes[c].name == nodes[w].name:
                    continue
                bad = problem(w, c, v)
                if bad is None:
                    continue
                where = exprs[w] if w < len(exprs) else context
                fail(api, f'Shared value "{v}" is written by "{nodes[w].name}" as '
                     f'{carried(w, v, bad[0])}, but parameter "{v}" of "{nodes[c].name}" '
                     f"expects {_shown_param(api, param_port(c, v), bad[1])}; every writer of "
                     "a shared value must fit every reader", where, EDGE)


def graph_hook(ctx: FunctionContext) -> Type:
    """``Graph([...], edges=..., entrypoint=..., name=..., shared=...)``."""
    enc = encoder(ctx.api)
    try:
        spec, exprs = _graph_spec(ctx)
    except _Dynamic:
        return enc.attach(ctx.default_return_type, None)
    result = analyse(spec)
    if result.problem is not None:
        _config_error(ctx.api, result.problem, ctx.context, "Graph(...)")
        return enc.attach(ctx.default_return_type, None)
    if result.facts is None:
        return enc.attach(ctx.default_return_type, None)
    check_edge_types(ctx.api, result.facts, exprs, ctx.context)
    return enc.attach(ctx.default_return_type, spec)


# -- derived graphs ---------------------------------------------------------------------


def _receiver(ctx: MethodContext) -> GraphFacts | None:
    spec = graph_spec_of(ctx.type)
    if spec is None:
        return None
    return analyse(spec).facts


def _derived(ctx: MethodContext, spec: GraphSpec | None, where: str) -> Type:
    """Attach ``spec`` after re-analysing it; report what the library would raise."""
    enc = encoder(ctx.api)
    if spec is None:
        return enc.attach(ctx.default_return_type, None)
    result = analyse(spec)
    if result.problem is not None:
        _config_error(ctx.api, result.problem, ctx.context, where)
        return enc.attach(ctx.default_return_type, None)
    return enc.attach(ctx.default_return_type, spec if result.facts is not None else None)


def check_value(
    api: CheckerPluginInterface, facts: GraphFacts, name: str, value: Value, context: Context,
) -> None:
    """A value supplied for input ``name`` must fit the parameters in scope that read it.

    A pure input is read as given by every consumer, so it must fit all of them. A name
    that nodes also write (shared state, a cycle seed) may be overwritten before some
    consumers read it, so it only has to fit one of them.
    """
    ports = consumer_ports(api, facts, name, active_only=True)
    bad = [(node, port) for node, port in ports if not value.fits(port.type)]
    if not bad:
        return
    written = any(i in facts.active for i in facts.producers(name))
    if written and len(bad) < len(ports):
        return
    node, port = bad[0]
    fail(api, f'Value for "{name}" has type {show(api, value.shown())}, but parameter '
         f'"{name}" of node "{node.name}" expects {show(api, port.type)}', context, VALUE)


def bind_hook(ctx: MethodContext) -> Type:
    facts = _receiver(ctx)
    if facts is None:
        return _derived(ctx, None, "")
    api = ctx.api
    accepted = set(facts.accepted)
    names: list[str] = []
    ok = True
    for expr, typ, name, kind in CallArgs(ctx).all("values", 0):
        if name is None or kind.is_star():
            continue
        names.append(name)
        if name in facts.interrupt_outputs:
            fail(api, f'Cannot bind "{name}": it is the answer of an interrupt; supply it when '
                 "resuming instead: run(graph, {pause.response_key: answer})", expr, KEY)
            ok = False
        elif name not in accepted:
            producer = facts.producers(name)
            if producer:
                fail(api, f'Cannot bind "{name}": it is produced by node '
                     f'"{facts.spec.nodes[producer[0]].name}", not an input. To start from it, '
                     "slice the graph first with .with_entrypoint(...)", expr, KEY)
            else:
                fail(api, f'Cannot bind "{name}": not an input of the graph; its inputs are '
                     f"{quoted(facts.accepted)}", expr, KEY)
            ok = False
        else:
            check_value(api, facts, name, Value(api, expr, typ), expr)
    if not ok:
        return _derived(ctx, None, "")
    spec = attrs.evolve(facts.spec, bound=tuple(dict.fromkeys((*facts.spec.bound, *names))))
    return _derived(ctx, spec, "bind(...)")


def _literal_names(ctx: MethodContext, formal: str) -> list[tuple[str, Expression]] | None:
    out = []
    for expr, typ, _, kind in CallArgs(ctx).all(formal, 0):
        value = None if kind.is_star() else str_value(expr, typ)
        if value is None:
            return None
        out.append((value, expr))
    return out


def unbind_hook(ctx: MethodContext) -> Type:
    facts = _receiver(ctx)
    keys = _literal_names(ctx, "keys")
    if facts is None or keys is None:
        return _derived(ctx, None, "")
    drop = {k for k, _ in keys}
    spec = attrs.evolve(facts.spec, bound=tuple(b for b in facts.spec.bound if b not in drop))
    return _derived(ctx, spec, "unbind(...)")


def select_hook(ctx: MethodContext) -> Type:
    facts = _receiver(ctx)
    names = _literal_names(ctx, "names")
    if facts is None or names is None:
        return _derived(ctx, None, "")
    outputs = facts.outputs
    ok = True
    seen: set[str] = set()
    for name, expr in names:
        if name not in outputs:
            fail(ctx.api, f'Cannot select "{name}": not an output of the graph; its outputs '
                 f"are {quoted(outputs)}", expr, KEY)
            ok = False
        elif name in seen:
            fail(ctx.api, f'select() got "{name}" twice; list each output once', expr, KEY)
            ok = False
        seen.add(name)
    if not ok:
        return _derived(ctx, None, "")
    selected = tuple(n for n, _ in names) or None
    return _derived(ctx, attrs.evolve(facts.spec, selected=selected), "select(...)")


def with_entrypoint_hook(ctx: MethodContext) -> Type:
    facts = _receiver(ctx)
    if facts is None:
        return _derived(ctx, None, "")
    added = []
    for expr, _, _, kind in CallArgs(ctx).all("names", 0):
        name = None if kind.is_star() else _node_name(ctx.api, expr)
        if name is None:
            return _derived(ctx, None, "")
        added.append(name)
    entry = tuple(dict.fromkeys((*facts.spec.entrypoints, *added)))
    return _derived(ctx, attrs.evolve(facts.spec, entrypoints=entry), "with_entrypoint(...)")


def add_nodes_hook(ctx: MethodContext) -> Type:
    facts = _receiver(ctx)
    if facts is None:
        return _derived(ctx, None, "")
    new: list[NodeSpec] = []
    for _, typ, _, kind in CallArgs(ctx).all("nodes", 0):
        spec = None if kind.is_star() else node_spec_of(typ)
        if spec is None:
            return _derived(ctx, None, "")
        new.append(spec)
    if not new:
        return ctx.type
    if facts.spec.edges is not None:
        fail(ctx.api, "add_nodes() is not available on a graph with explicit edges; build a "
             "new Graph with the extra nodes and edges", ctx.context, GRAPH)
        return _derived(ctx, None, "")
    grown_spec = attrs.evolve(facts.spec, nodes=(*facts.spec.nodes, *new))
    grown = analyse(grown_spec).facts
    if grown is not None:
        lost = [b for b in grown_spec.bound if b not in grown.accepted]
        if lost:
            fail(ctx.api, f"add_nodes() makes the bound {quoted(lost)} no longer inputs of the "
                 "graph (a new node produces them); unbind them first", ctx.context, KEY)
            return _derived(ctx, None, "")
    return _derived(ctx, grown_spec, "add_nodes(...)")


def _as_node(
    api: CheckerPluginInterface, facts: GraphFacts | None, name_expr: Expression | None,
    name_type: Type | None, context: Context, default: Type,
) -> Type:
    enc = encoder(api)
    if facts is None:
        return enc.attach(default, None)
    if name_expr is not None and not is_none(name_expr, name_type):
        name = str_value(name_expr, name_type)
        if name is None:
            return enc.attach(default, None)
    else:
        if not facts.spec.name_known:
            return enc.attach(default, None)
        name = facts.spec.name
        if name is None:
            fail(api, 'GraphNode needs a name: give the graph one (Graph(..., name="inner")) '
                 'or call .as_node(name="inner")', context, NODE)
            return enc.attach(default, None)
    if not name or "." in name or "/" in name:
        fail(api, f'GraphNode name "{name}" must be non-empty and must not contain "." or "/" '
             "(they separate nested resume paths); pick a plain identifier", context, NODE)
        return enc.attach(default, None)
    return enc.attach(default, boundary_spec(api, facts, name))


def as_node_hook(ctx: MethodContext) -> Type:
    name_expr, name_type = CallArgs(ctx).get("name")
    return _as_node(ctx.api, _receiver(ctx), name_expr, name_type, ctx.context,
                    ctx.default_return_type)


def graph_node_hook(ctx: FunctionContext) -> Type:
    """``GraphNode(graph, name=None)``."""
    args = CallArgs(ctx)
    _, graph_type = args.get("graph", 0)
    spec = graph_spec_of(graph_type)
    facts = analyse(spec).facts if spec is not None else None
    name_expr, name_type = args.get("name", 1)
    return _as_node(ctx.api, facts, name_expr, name_type, ctx.context, ctx.default_return_type)


METHOD_HOOKS: dict[str, Callable[[MethodContext], Type]] = {
    "bind": bind_hook,
    "unbind": unbind_hook,
    "select": select_hook,
    "with_entrypoint": with_entrypoint_hook,
    "add_nodes": add_nodes_hook,
    "as_node": as_node_hook,
}
