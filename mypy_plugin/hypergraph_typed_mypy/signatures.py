"""What a decorated function declares, read from its mypy type the way the library reads it.

Parameters become inputs (``*args``/``**kwargs`` as required inputs named after them, as
``signature_params`` reports them); the value a run stores is the return value, awaited for ``async def`` and
collected into a ``list`` for generators. Type variables are kept: a generic node is
solved per graph (``generics``).
"""

from __future__ import annotations

import attrs
from mypy.nodes import (
    ArgKind,
    Decorator,
    Expression,
    FuncDef,
    LambdaExpr,
    OverloadedFuncDef,
    RefExpr,
)
from mypy.plugin import CheckerPluginInterface
from mypy.typeops import make_simplified_union
from mypy.types import (
    AnyType,
    CallableType,
    Instance,
    NoneType,
    Parameters,
    TupleType,
    Type,
    TypedDictType,
    TypeOfAny,
    UnionType,
    get_proper_type,
)

from hypergraph_typed_mypy.model import Port, any_type

_NODE_CLASSES = frozenset({
    "hypergraph_typed.nodes.function.FunctionNode",
    "hypergraph_typed.nodes.interrupt.InterruptNode",
    "hypergraph_typed.nodes.gate.RouteNode",
    "hypergraph_typed.nodes.gate.IfElseNode",
    "hypergraph_typed.nodes.gate.GateNode",
})


@attrs.frozen
class FuncShape:
    """Parameters (original names) and the stored value type of a node's function."""

    name: str | None
    params: tuple[Port, ...]
    value: Type
    is_async: bool
    is_generator: bool


def _definition(callable_type: CallableType, expr: Expression | None) -> FuncDef | None:
    if isinstance(callable_type.definition, FuncDef):
        return callable_type.definition
    if isinstance(expr, RefExpr):
        node = expr.node
        if isinstance(node, Decorator):
            return node.func
        if isinstance(node, FuncDef):
            return node
    return None


def _iter_item(ret: Type) -> Type | None:
    p = get_proper_type(ret)
    if isinstance(p, Instance) and p.args and p.type.fullname in (
        "typing.Generator", "typing.AsyncGenerator", "typing.Iterator", "typing.Iterable",
        "typing.AsyncIterator", "typing.AsyncIterable",
    ):
        return p.args[0]
    return None


def _listed(api: CheckerPluginInterface, item: Type | None) -> Type:
    return api.named_generic_type("builtins.list", [item if item is not None else any_type()])


def _stored_value(
    api: CheckerPluginInterface, ct: CallableType, d: FuncDef | None
) -> tuple[Type, bool, bool]:
    """(value type, is_async, is_generator) for calling ``ct`` as a node."""
    ret = ct.ret_type
    p = get_proper_type(ret)
    if d is not None:
        if d.is_generator or d.is_async_generator:
            return _listed(api, _iter_item(ret)), d.is_coroutine, True
        if d.is_coroutine:
            if isinstance(p, Instance) and p.type.fullname == "typing.Coroutine" and p.args:
                return p.args[-1], True, False
            return any_type(), True, False
        return ret, False, False
    # No definition at hand (a callable from elsewhere): judge by the annotation, and
    # do not guess where the same annotation fits both a generator and a plain function.
    if isinstance(p, Instance):
        name = p.type.fullname
        if name == "typing.Coroutine" and p.args:
            return p.args[-1], True, False
        if name in ("typing.Generator", "typing.AsyncGenerator"):
            return _listed(api, _iter_item(ret)), name == "typing.AsyncGenerator", True
        if name in ("typing.Iterator", "typing.Iterable", "typing.AsyncIterator",
                    "typing.AsyncIterable"):
            return any_type(), name.startswith("typing.Async"), False
    return ret, False, False


def _params(
    arg_types: list[Type], arg_kinds: list[ArgKind], arg_names: list[str | None],
    d: FuncDef | None = None,
) -> tuple[Port, ...] | None:
    """Named parameters; positional-only names (``None`` in the type) come from the def."""
    declared = [a.variable.name for a in d.arguments] if d is not None else []
    if len(declared) != len(arg_names):
        declared = []
    ports = []
    for i, (t, kind, name) in enumerate(zip(arg_types, arg_kinds, arg_names)):
        if name is None and declared:
            name = declared[i]
        if name is None:
            return None
        # ``*args``/``**kwargs`` are required inputs under their own names, typed by
        # their annotation (the item type), as ``signature_params`` reports them.
        optional = kind.is_optional() and not kind.is_star()
        ports.append(Port(name, t, optional))
    return tuple(ports)


def func_shape(
    api: CheckerPluginInterface, typ: Type | None, expr: Expression | None = None
) -> FuncShape | None:
    """The shape of a plain function, or of the function behind a node; None if unknown."""
    if typ is None:
        return None
    p = get_proper_type(typ)
    if isinstance(p, CallableType):
        if p.is_ellipsis_args or p.is_type_obj():
            return None
        d = _definition(p, expr)
        params = _params(list(p.arg_types), list(p.arg_kinds), list(p.arg_names), d)
        if params is None:
            return None
        value, is_async, is_gen = _stored_value(api, p, d)
        if d is not None:
            name: str | None = d.name
        elif isinstance(expr, LambdaExpr):
            name = "<lambda>"
        else:
            name = p.name.split(" of ")[0] if p.name else None
        return FuncShape(name, params, value, is_async, is_gen)
    if isinstance(p, Instance) and p.type.fullname in _NODE_CLASSES and len(p.args) >= 2:
        # A node used as a source contributes only its function (renames are dropped).
        pspec = get_proper_type(p.args[0])
        if not isinstance(pspec, Parameters) or pspec.is_ellipsis_args:
            return None
        params = _params(list(pspec.arg_types), list(pspec.arg_kinds), list(pspec.arg_names))
        if params is None:
            return None
        fake = CallableType(
            list(pspec.arg_types), list(pspec.arg_kinds), list(pspec.arg_names), p.args[1],
            api.named_generic_type("builtins.function", []),
        )
        value, is_async, is_gen = _stored_value(api, fake, None)
        return FuncShape(None, params, value, is_async, is_gen)
    return None


def func_name_from(expr: Expression | None) -> str | None:
    """The ``__name__`` a function expression will have at run time, if it is a plain def."""
    if isinstance(expr, RefExpr) and isinstance(expr.node, (FuncDef, Decorator,
                                                           OverloadedFuncDef)):
        return expr.node.name
    return None


def without_none(typ: Type) -> Type:
    """``typ`` minus ``None``: an interrupt handler's ``None`` pauses, it is never the answer."""
    p = get_proper_type(typ)
    if isinstance(p, NoneType):
        return any_type()
    if isinstance(p, UnionType):
        items = [i for i in p.items if not isinstance(get_proper_type(i), NoneType)]
        return make_simplified_union(items) if items else any_type()
    return typ


def split_outputs(
    value: Type, names: tuple[str, ...], *, interrupt: bool
) -> tuple[tuple[Port, ...], int | None]:
    """Per-output types, and the tuple's length when it cannot match the names.

    One name takes the whole value. Several names unpack a fixed-length tuple (an
    interrupt's several answers come as a dict with exactly those keys).
    """
    if len(names) == 1:
        return (Port(names[0], value),), None
    p = get_proper_type(value)
    if interrupt:
        if isinstance(p, TypedDictType):
            return tuple(Port(n, p.items.get(n, any_type())) for n in names), None
        return tuple(Port(n, any_type()) for n in names), None
    if isinstance(p, TupleType):
        if len(p.items) != len(names):
            return tuple(Port(n, any_type()) for n in names), len(p.items)
        return tuple(Port(n, t) for n, t in zip(names, p.items)), None
    if isinstance(p, Instance) and p.type.fullname in ("builtins.tuple", "builtins.list") \
            and p.args:
        return tuple(Port(n, p.args[0]) for n in names), None
    return tuple(Port(n, AnyType(TypeOfAny.special_form)) for n in names), None
