"""Read statically known argument values: string literals, tuples/lists of them, dicts.

A value counts as known when it is written literally or its type is a ``Literal``
(``Final`` constants included). Everything else is "unknown" (``UNKNOWN``), and the
callers fall back to the plain types instead of guessing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from mypy.checker import TypeChecker
from mypy.nodes import (
    ArgKind,
    DictExpr,
    Expression,
    ListExpr,
    NameExpr,
    RefExpr,
    SetExpr,
    StarExpr,
    StrExpr,
    TupleExpr,
    TypeInfo,
)
from mypy.plugin import CheckerPluginInterface, FunctionContext, MethodContext
from mypy.subtypes import is_subtype
from mypy.types import Instance, LiteralType, NoneType, TupleType, Type, get_proper_type


class _Unknown:
    """The value is not statically known."""

    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN: Final = _Unknown()

END_FULLNAME = "hypergraph_typed._sentinels.END"
END_TYPE = "hypergraph_typed._sentinels.EndType"


def typeinfo(api: CheckerPluginInterface, fullname: str) -> TypeInfo | None:
    """A class by full name, looked up in the modules of the build (no import needed)."""
    module, _, name = fullname.rpartition(".")
    tree = api.modules.get(module) if isinstance(api, TypeChecker) else None
    sym = tree.names.get(name) if tree is not None else None
    return sym.node if sym is not None and isinstance(sym.node, TypeInfo) else None


def expr_type(api: CheckerPluginInterface, expr: Expression) -> Type | None:
    """The type mypy already inferred for ``expr`` (``None`` if it was not checked)."""
    if isinstance(api, TypeChecker):
        return api.lookup_type_or_none(expr)
    return None


class Value:
    """A value passed in a call, checked against each parameter it may feed.

    A display such as ``["a"]`` or ``[]`` passed where ``Any`` is expected was inferred
    as ``list[Any]``; it is checked again in the context of the parameter's type, as
    mypy checks a direct call (errors muted, types not stored). Other expressions keep
    the type mypy already gave them.
    """

    def __init__(self, api: CheckerPluginInterface, expr: Expression | None, typ: Type) -> None:
        self.api = api
        self.expr = expr
        self.stored = typ

    def _display(self) -> bool:
        return isinstance(self.api, TypeChecker) and isinstance(
            self.expr, (ListExpr, TupleExpr, SetExpr, DictExpr)
        )

    def infer(self, context: Type | None) -> tuple[Type, bool]:
        """The value's type in ``context`` and whether inferring it there raised errors."""
        api, expr = self.api, self.expr
        if isinstance(api, TypeChecker) and expr is not None and self._display():
            muted = api.msg.filter_errors(filter_deprecated=True, filter_revealed_type=True)
            with muted as watcher, api.local_type_map:
                typ = api.expr_checker.accept(expr, context)
            return typ, watcher.has_new_errors()
        return self.stored, False

    def fits(self, expected: Type) -> bool:
        typ, errors = self.infer(expected)
        return not errors and is_subtype(typ, expected, options=self.api.options)

    def shown(self) -> Type:
        """The type to name in a message: as written, without a context."""
        return self.infer(None)[0]


def str_value(expr: Expression | None, typ: Type | None) -> str | None:
    """The string a literal (or ``Literal``-typed) expression stands for, else None."""
    if isinstance(expr, StrExpr):
        return expr.value
    if typ is None:
        return None
    p = get_proper_type(typ)
    if isinstance(p, LiteralType) and isinstance(p.value, str):
        return p.value
    if isinstance(p, Instance) and p.last_known_value is not None:
        value = p.last_known_value.value
        return value if isinstance(value, str) else None
    return None


def bool_value(expr: Expression | None, typ: Type | None) -> bool | None:
    if isinstance(expr, NameExpr) and expr.fullname in ("builtins.True", "builtins.False"):
        return expr.fullname == "builtins.True"
    if typ is None:
        return None
    p = get_proper_type(typ)
    if isinstance(p, LiteralType) and isinstance(p.value, bool):
        return p.value
    if isinstance(p, Instance) and p.last_known_value is not None:
        value = p.last_known_value.value
        return value if isinstance(value, bool) else None
    return None


def is_none(expr: Expression | None, typ: Type | None) -> bool:
    if isinstance(expr, NameExpr) and expr.fullname == "builtins.None":
        return True
    return typ is not None and isinstance(get_proper_type(typ), NoneType)


def is_end(expr: Expression | None, typ: Type | None) -> bool:
    if isinstance(expr, RefExpr) and expr.fullname == END_FULLNAME:
        return True
    p = get_proper_type(typ) if typ is not None else None
    return isinstance(p, Instance) and p.type.fullname == END_TYPE


def sequence_items(expr: Expression | None) -> list[Expression] | None:
    """The items of a list/tuple display (no starred items), else None."""
    if isinstance(expr, (ListExpr, TupleExpr)):
        if any(isinstance(i, StarExpr) for i in expr.items):
            return None
        return list(expr.items)
    return None


def names_value(
    api: CheckerPluginInterface, expr: Expression | None, typ: Type | None
) -> tuple[str, ...] | _Unknown | None:
    """``None | str | tuple/list of str`` as written (``output_name``, ``emit``, ...)."""
    if expr is None or is_none(expr, typ):
        return None
    single = str_value(expr, typ)
    if single is not None:
        return (single,)
    items = sequence_items(expr)
    if items is not None:
        out = []
        for item in items:
            s = str_value(item, expr_type(api, item))
            if s is None:
                return UNKNOWN
            out.append(s)
        return tuple(out)
    p = get_proper_type(typ) if typ is not None else None
    if isinstance(p, TupleType):
        vals = [str_value(None, t) for t in p.items]
        if all(v is not None for v in vals):
            return tuple(v for v in vals if v is not None)
    return UNKNOWN


def str_dict_value(
    api: CheckerPluginInterface, expr: Expression | None
) -> dict[str, str] | _Unknown | None:
    """A ``{str: str}`` dict display (``rename_inputs``); None when absent or None."""
    if expr is None or is_none(expr, None):
        return None
    if not isinstance(expr, DictExpr):
        return UNKNOWN
    out: dict[str, str] = {}
    for key, value in expr.items:
        if key is None:
            return UNKNOWN
        k = str_value(key, expr_type(api, key))
        v = str_value(value, expr_type(api, value))
        if k is None or v is None:
            return UNKNOWN
        out[k] = v
    return out


def formal(
    callee_arg_names: Sequence[str | None], name: str, position: int | None = None
) -> int | None:
    """Index of the formal parameter ``name`` (or at ``position``) in a hook context."""
    if name in callee_arg_names:
        return list(callee_arg_names).index(name)
    return position


def single_arg(
    args: list[list[Expression]], types: list[list[Type]], index: int | None
) -> tuple[Expression | None, Type | None]:
    """The one actual bound to formal ``index``, or (None, None) if it was not passed."""
    if index is None or index >= len(args) or not args[index]:
        return None, None
    return args[index][0], types[index][0]


def kinds_are_plain(kinds: list[list[ArgKind]]) -> bool:
    """No ``*args``/``**kwargs`` unpacking at the call site (values would be unknown)."""
    return all(not k.is_star() for ks in kinds for k in ks)


class CallArgs:
    """The actual arguments of a hook's call, looked up by formal parameter name."""

    def __init__(self, ctx: FunctionContext | MethodContext) -> None:
        self.ctx = ctx
        self.api = ctx.api

    def get(self, name: str, position: int | None = None) -> tuple[Expression | None, Type | None]:
        """The single actual for formal ``name`` (or the formal at ``position``)."""
        i = formal(self.ctx.callee_arg_names, name, position)
        return single_arg(self.ctx.args, self.ctx.arg_types, i)

    def all(self, name: str, position: int | None = None) -> list[
        tuple[Expression, Type, str | None, ArgKind]
    ]:
        """Every actual bound to a ``*args``/``**kwargs`` formal: (expr, type, name, kind)."""
        i = formal(self.ctx.callee_arg_names, name, position)
        if i is None or i >= len(self.ctx.args):
            return []
        return list(zip(
            self.ctx.args[i], self.ctx.arg_types[i], self.ctx.arg_names[i], self.ctx.arg_kinds[i]
        ))
