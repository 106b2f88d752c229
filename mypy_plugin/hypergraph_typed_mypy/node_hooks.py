"""Hooks that create nodes: ``@node``/``@interrupt``/``@route``/``@ifelse`` and constructors.

A decorator factory call (``node(output_name="x")``) returns the decorator with its
arguments stored in the result type and a marker name; mypy then calls ``apply_hook``
when the decorator is applied, with the function's own type at hand.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from mypy.nodes import Context, Decorator, DictExpr, Expression
from mypy.plugin import CheckerPluginInterface, FunctionContext
from mypy.types import CallableType, Instance, Type, get_proper_type

from hypergraph_typed_mypy.codec import encoder, node_spec_of, options_of
from hypergraph_typed_mypy.declare import KIND_LABEL, declare, label, report
from hypergraph_typed_mypy.errors import NODE, fail, quoted
from hypergraph_typed_mypy.literals import (
    UNKNOWN,
    CallArgs,
    bool_value,
    expr_type,
    is_end,
    is_none,
    names_value,
    sequence_items,
    str_dict_value,
    str_value,
)
from hypergraph_typed_mypy.model import NodeKind, NodeOptions
from hypergraph_typed_mypy.signatures import func_name_from, func_shape

# mypy calls a decorator by its callable name, so the decorator a factory returns is
# renamed to one of these; they also name it in mypy's own messages ("Argument 1 to ...").
APPLY: Final = {
    "function": "@node(...)", "interrupt": "@interrupt(...)", "route": "@route(...)",
    "ifelse": "@ifelse(...)",
}

_FACTORY_LABEL = {
    "function": ("@node", "FunctionNode"), "interrupt": ("@interrupt", "InterruptNode"),
}


def _target(api: CheckerPluginInterface, expr: Expression) -> str | object | None:
    """A gate target: a node name, ``None`` for END, or UNKNOWN. ``"END"`` stays a str."""
    typ = expr_type(api, expr)
    if is_end(expr, typ):
        return None
    s = str_value(expr, typ)
    if s is not None:
        return s
    spec = node_spec_of(typ)
    return spec.name if spec is not None else UNKNOWN


def _targets(
    api: CheckerPluginInterface, kind: NodeKind, args: CallArgs, owner: str, context: Context
) -> tuple[str | None, ...] | None:
    """The gate's targets as ``RouteNode``/``IfElseNode`` would normalize them."""
    if kind == "ifelse":
        exprs = [args.get("when_true", 0)[0], args.get("when_false", 1)[0]]
        if any(e is None for e in exprs):
            return None
        pair = [_target(api, e) for e in exprs if e is not None]
        if any(t is UNKNOWN for t in pair):
            return None
        if _has_end_string(api, pair, owner, context):
            return None
        if pair[0] == pair[1]:
            same = pair[0] if isinstance(pair[0], str) else None
            fail(api, f'{owner}: when_true and when_false are both {quoted([same])}; '
                 "an if/else needs two different targets", context, NODE)
            return None
        return tuple(t for t in pair if t is None or isinstance(t, str))
    expr, _ = args.get("targets", 0)
    if expr is None:
        return None
    if isinstance(expr, DictExpr):
        items: list[Expression] | None = [k for k, _ in expr.items if k is not None]
        if len(items or []) != len(expr.items):
            return None
    else:
        items = sequence_items(expr)
    if items is None:
        return None
    raw = [_target(api, e) for e in items]
    fb_expr, _ = args.get("fallback")
    if fb_expr is not None and not is_none(fb_expr, expr_type(api, fb_expr)):
        raw.append(_target(api, fb_expr))
    if any(t is UNKNOWN for t in raw):
        return None
    if _has_end_string(api, raw, owner, context):
        return None
    targets = tuple(dict.fromkeys(t for t in raw if t is None or isinstance(t, str)))
    if not targets:
        fail(api, f"{owner}: targets must not be empty; list the nodes it may route to "
             "(or END)", context, NODE)
        return None
    return targets


def _has_end_string(
    api: CheckerPluginInterface, targets: list[object], owner: str, context: Context
) -> bool:
    if "END" in targets:
        fail(api, f'{owner}: the string "END" is not a target; use the END sentinel '
             "(from hypergraph_typed import END)", context, NODE)
        return True
    return False


def _read_outputs(
    ctx: FunctionContext, kind: NodeKind, who: str, *, literal: bool
) -> tuple[str, ...] | None:
    """``output_name``: None when unknown (or missing on an interrupt, which is an error)."""
    api = ctx.api
    expr, typ = CallArgs(ctx).get("output_name")
    raw = names_value(api, expr, typ)
    if isinstance(raw, tuple):
        return raw
    if raw is UNKNOWN:
        if literal:
            deco, cls = _FACTORY_LABEL[kind]
            fail(api, f"{deco} output_name must be a string literal or a tuple of string "
                 "literals, so that graphs can be checked statically; for names computed "
                 f"at run time build the node with {cls}(func, output_name=...)",
                 ctx.context, NODE)
        return None
    if kind == "interrupt":
        if expr is not None or not literal:  # @interrupt() without it: mypy reports that
            fail(api, f"{who} needs output_name: name the value(s) the answer is stored "
                 'under, e.g. output_name="decision"', ctx.context, NODE)
        return None
    return ()


def _read_renames(ctx: FunctionContext) -> tuple[tuple[str, str], ...] | None:
    raw = str_dict_value(ctx.api, CallArgs(ctx).get("rename_inputs")[0])
    if isinstance(raw, dict):
        return tuple(raw.items())
    return () if raw is None else None


def _read_multi_target(ctx: FunctionContext, who: str) -> bool | None:
    """``multi_target`` (None when unknown or combined with a fallback, an error)."""
    args = CallArgs(ctx)
    m_expr, m_type = args.get("multi_target")
    multi = False if m_expr is None else bool_value(m_expr, m_type)
    fb_expr, fb_type = args.get("fallback")
    if multi and fb_expr is not None and not is_none(fb_expr, fb_type):
        fail(ctx.api, f"{who}: fallback cannot be combined with multi_target=True; a "
             "multi-target route returns [] to route nowhere", ctx.context, NODE)
        return None
    return multi


def read_options(ctx: FunctionContext, kind: NodeKind, *, literal_outputs: bool) -> NodeOptions:
    """Decorator/constructor arguments; reports what the library would reject outright."""
    args = CallArgs(ctx)
    name_expr, name_type = args.get("name")
    name = None
    if name_expr is not None and not is_none(name_expr, name_type):
        name = str_value(name_expr, name_type)
    who = label(kind, name) if name else KIND_LABEL[kind]
    outputs: tuple[str, ...] | None = ()
    if kind in ("function", "interrupt"):
        outputs = _read_outputs(ctx, kind, who, literal=literal_outputs)
    targets: tuple[str | None, ...] | None = ()
    multi: bool | None = False
    if kind in ("route", "ifelse"):
        targets = _targets(ctx.api, kind, args, who, ctx.context)
        if kind == "route":
            multi = _read_multi_target(ctx, who)
    return NodeOptions(
        kind, outputs, _names(ctx, "emit"), _names(ctx, "wait_for"), _read_renames(ctx), name,
        None if multi is None else targets, bool(multi),
    )


def _names(ctx: FunctionContext, name: str) -> tuple[str, ...] | None:
    expr, typ = CallArgs(ctx).get(name)
    raw = names_value(ctx.api, expr, typ)
    if isinstance(raw, tuple):
        return raw
    return () if raw is None else None


def _function_name(context: Context, expr: Expression | None) -> str | None:
    if isinstance(context, Decorator):
        return context.func.name
    return func_name_from(expr)


def build(
    ctx: FunctionContext, opts: NodeOptions, fn_expr: Expression | None, fn_type: Type | None
) -> Type:
    """The node type for ``opts`` applied to the function ``fn_expr``."""
    api = ctx.api
    if opts.name is None and _is_partial(fn_type):
        # FunctionNode/RouteNode read the name from ``__name__``, which a partial lacks.
        fail(api, f"{KIND_LABEL[opts.kind]} built from functools.partial(...) needs a name: a "
             "partial has no __name__, so the library raises TypeError. Build it with "
             f'{_CLASS[opts.kind]}(partial(...), name="...", ...)', ctx.context, NODE)
        return encoder(api).attach(ctx.default_return_type, None)
    shape = func_shape(api, fn_type, fn_expr)
    name = opts.name or _function_name(ctx.context, fn_expr) or (shape.name if shape else None)
    declared = declare(api, opts, shape, name)
    report(api, declared, ctx.context)
    return encoder(api).attach(ctx.default_return_type, declared.spec)


_CLASS = {
    "function": "FunctionNode", "interrupt": "InterruptNode", "route": "RouteNode",
    "ifelse": "IfElseNode", "graph": "GraphNode",
}


def _is_partial(typ: Type | None) -> bool:
    p = get_proper_type(typ) if typ is not None else None
    return isinstance(p, Instance) and p.type.fullname == "functools.partial"


def _decorator(ctx: FunctionContext, opts: NodeOptions) -> Type:
    """The factory's returned decorator, renamed so that mypy calls ``apply_hook``."""
    ret = get_proper_type(ctx.default_return_type)
    if not isinstance(ret, CallableType):
        return ctx.default_return_type
    enc = encoder(ctx.api)
    return ret.copy_modified(name=APPLY[opts.kind], ret_type=enc.attach(ret.ret_type, opts))


def node_hook(ctx: FunctionContext) -> Type:
    """``@node``, ``@node(...)`` and ``node(func, ...)``."""
    src_expr, src_type = CallArgs(ctx).get("source", 0)
    # Only the decorator form insists on literal names: ``node(func, output_name=...)``
    # is how factories build nodes with computed names.
    opts = read_options(ctx, "function", literal_outputs=src_expr is None)
    if src_expr is None:
        return _decorator(ctx, opts)
    return build(ctx, opts, src_expr, src_type)


def factory_hook(kind: NodeKind) -> Callable[[FunctionContext], Type]:
    """``interrupt(...)``, ``route(...)``, ``ifelse(...)``: decorator factories only."""

    def hook(ctx: FunctionContext) -> Type:
        return _decorator(ctx, read_options(ctx, kind, literal_outputs=True))

    return hook


def apply_hook(ctx: FunctionContext) -> Type:
    """A stored decorator applied to its function."""
    ret = get_proper_type(ctx.default_return_type)
    opts = options_of(ret)
    if opts is None or not ctx.args or not ctx.args[0]:
        return encoder(ctx.api).attach(ctx.default_return_type, None)
    return build(ctx, opts, ctx.args[0][0], ctx.arg_types[0][0])


def constructor_hook(kind: NodeKind) -> Callable[[FunctionContext], Type]:
    """``FunctionNode(...)``, ``InterruptNode(...)``, ``RouteNode(...)``, ``IfElseNode(...)``."""

    def hook(ctx: FunctionContext) -> Type:
        opts = read_options(ctx, kind, literal_outputs=False)
        first = "source" if kind in ("function", "interrupt") else "func"
        fn_expr, fn_type = CallArgs(ctx).get(first, 0)
        if fn_expr is None:
            return encoder(ctx.api).attach(ctx.default_return_type, None)
        return build(ctx, opts, fn_expr, fn_type)

    return hook
