"""Annotation compatibility for ``strict_types``: can a producer's value feed a parameter?

``compatible`` follows hypergraph's rule (TypeVars, ``Any``, unions, ``Annotated``, then
origins by subclass and arguments pairwise) and extends it where hypergraph's rule gives a
wrong answer for a common annotation: ``Literal`` values, ``NewType``, variadic
``tuple[X, ...]`` and structural (non-generic) protocols.
"""

from __future__ import annotations

import collections.abc
import types
import typing
from typing import Annotated, Any, Literal, TypeVar, Union

_UNION_TYPES: tuple[Any, ...] = (Union, types.UnionType)
_NONE_TYPE = type(None)


def strip_annotated(t: Any) -> Any:
    """``t`` without its ``Annotated[...]`` wrappers."""
    while typing.get_origin(t) is Annotated:
        t = typing.get_args(t)[0]
    return t


def is_union(t: Any) -> bool:
    """True for ``Union[...]``, ``Optional[...]`` and ``X | Y``."""
    return typing.get_origin(t) in _UNION_TYPES


def _is_literal(t: Any) -> bool:
    return typing.get_origin(t) is Literal


def _is_newtype(t: Any) -> bool:
    return callable(t) and hasattr(t, "__supertype__") and not isinstance(t, type)


def is_protocol(t: Any) -> bool:
    """True for a ``typing.Protocol`` class."""
    return isinstance(t, type) and bool(getattr(t, "_is_protocol", False))


_PROTOCOL_NOISE = frozenset({
    "__abstractmethods__", "__annotations__", "__dict__", "__doc__", "__init__",
    "__module__", "__new__", "__slots__", "__subclasshook__", "__weakref__",
    "__class_getitem__", "__parameters__", "__orig_bases__", "__qualname__",
    "__protocol_attrs__", "__non_callable_proto_members__", "__type_params__",
    "__firstlineno__", "__static_attributes__", "__callable_proto_members_only__",
    "_is_protocol", "_is_runtime_protocol", "__match_args__",
})


def protocol_members(proto: type) -> frozenset[str]:
    """The attribute names a class must have to satisfy ``proto`` structurally."""
    members: set[str] = set()
    for base in proto.__mro__[:-1]:
        if base.__name__ in ("Protocol", "Generic"):
            continue
        names = (*vars(base), *vars(base).get("__annotations__", {}))
        members.update(n for n in names if n not in _PROTOCOL_NOISE and not n.startswith("_abc_"))
    return frozenset(members)


def _declares(cls: type, member: str) -> bool:
    if hasattr(cls, member):
        return True
    return any(member in vars(base).get("__annotations__", {}) for base in cls.__mro__)


def _satisfies_protocol(cls: type, proto: type) -> bool:
    """Nominal subclass, or every protocol member present on ``cls`` (names only)."""
    if proto in cls.__mro__:
        return True
    return all(_declares(cls, m) for m in protocol_members(proto))


def _same_literal(v: Any, allowed: tuple[Any, ...]) -> bool:
    # Literal[1] and Literal[True] differ even though 1 == True.
    return any(type(v) is type(a) and v == a for a in allowed)


def _variadic_item(args: tuple[Any, ...]) -> Any:
    """``X`` for the arguments of ``tuple[X, ...]``, else ``None``."""
    if len(args) == 2 and args[1] is Ellipsis:
        return args[0]
    return None


def _origin(t: Any) -> Any:
    return typing.get_origin(t) or t


def compatible(out: Any, inp: Any) -> bool:
    """Spec rule: TypeVars, Any, unions, Annotated, then origins/subclasses and args pairwise."""
    out, inp = strip_annotated(out), strip_annotated(inp)
    out = _NONE_TYPE if out is None else out
    inp = _NONE_TYPE if inp is None else inp
    if isinstance(out, TypeVar):
        return True
    if out == inp or inp is Any:
        return True
    if isinstance(inp, TypeVar):
        if inp.__constraints__:
            return any(compatible(out, c) for c in inp.__constraints__)
        if inp.__bound__ is not None:
            return compatible(out, inp.__bound__)
        return True
    if _is_newtype(out):
        return compatible(out.__supertype__, inp)
    if is_union(out):
        return all(compatible(m, inp) for m in typing.get_args(out))
    if _is_literal(out) and len(typing.get_args(out)) > 1:
        return all(compatible(Literal[v], inp) for v in typing.get_args(out))
    if is_union(inp):
        return any(compatible(out, m) for m in typing.get_args(inp))
    if _is_literal(out):
        (value,) = typing.get_args(out)
        if _is_literal(inp):
            return _same_literal(value, typing.get_args(inp))
        return compatible(type(value), inp)
    if _is_literal(inp):
        # ``bool`` is exactly ``Literal[True, False]``; no other class fits a literal.
        allowed = typing.get_args(inp)
        return out is bool and _same_literal(True, allowed) and _same_literal(False, allowed)
    return _compatible_origins(out, inp)


def _compatible_origins(out: Any, inp: Any) -> bool:
    o_origin, i_origin = _origin(out), _origin(inp)
    if isinstance(o_origin, type) and isinstance(i_origin, type):
        if is_protocol(i_origin):
            if not _satisfies_protocol(o_origin, i_origin):
                return False
        else:
            try:
                if not issubclass(o_origin, i_origin):
                    return False
            except TypeError:
                return False
    elif o_origin != i_origin:
        return False
    o_args, i_args = typing.get_args(out), typing.get_args(inp)
    if not o_args or not i_args:
        return True
    if issubclass(o_origin, tuple) if isinstance(o_origin, type) else False:
        item = _variadic_item(i_args)
        if item is not None:
            o_item = _variadic_item(o_args)
            if o_item is not None:
                return compatible(o_item, item)
            return all(compatible(a, item) for a in o_args)
        if _variadic_item(o_args) is not None:
            return False  # an unknown length cannot fill a fixed-length tuple
    if len(o_args) != len(i_args):
        return False
    return all(compatible(a, b) for a, b in zip(o_args, i_args))


# -- helpers for reading annotations as edge types ----------------------------------


def without_none(t: Any) -> Any:
    """``t`` minus ``None``: ``X | None`` -> ``X``; ``None`` alone -> ``None`` (nothing left).

    An interrupt's handler returns ``None`` to pause, so ``None`` is never its answer.
    """
    stripped = strip_annotated(t)
    if stripped is None or stripped is _NONE_TYPE:
        return None
    if not is_union(stripped):
        return t
    members = [m for m in typing.get_args(stripped) if m is not _NONE_TYPE]
    if not members:
        return None
    return members[0] if len(members) == 1 else Union[tuple(members)]


_ITERATOR_ORIGINS = frozenset({
    collections.abc.Iterator, collections.abc.Iterable, collections.abc.Generator,
    collections.abc.AsyncIterator, collections.abc.AsyncIterable,
    collections.abc.AsyncGenerator,
})


def yielded_type(t: Any) -> Any:
    """The item type of an ``Iterator[Y]``/``Generator[Y, ...]``/async variant, else None."""
    t = strip_annotated(t)
    if typing.get_origin(t) in _ITERATOR_ORIGINS:
        args = typing.get_args(t)
        return args[0] if args else Any
    if t in _ITERATOR_ORIGINS:
        return Any
    return None


def has_typevar(t: Any) -> bool:
    """True when ``t`` mentions a TypeVar (then a declaration guarantees nothing)."""
    if isinstance(t, TypeVar):
        return True
    if isinstance(t, list):
        return any(has_typevar(a) for a in t)
    return any(has_typevar(a) for a in typing.get_args(t) if not isinstance(a, str))


def is_unchecked(t: Any) -> bool:
    """Annotations that accept every value: none, ``Any``, ``object``, a bare TypeVar."""
    t = strip_annotated(t)
    if t is None or t is Any or t is object:
        return True
    return isinstance(t, TypeVar) and not t.__constraints__ and t.__bound__ is None


def type_name(t: Any) -> str:
    """A short, readable spelling of an annotation for error messages."""
    t = strip_annotated(t)
    if t is None or t is _NONE_TYPE:
        return "None"
    if t is Any:
        return "Any"
    if t is Ellipsis:
        return "..."
    if isinstance(t, TypeVar):
        return t.__name__
    if isinstance(t, str):
        return t
    if isinstance(t, typing.ForwardRef):
        return t.__forward_arg__
    if isinstance(t, list):
        return "[" + ", ".join(type_name(a) for a in t) + "]"
    if is_union(t):
        return " | ".join(type_name(a) for a in typing.get_args(t))
    if _is_literal(t):
        return "Literal[" + ", ".join(repr(a) for a in typing.get_args(t)) + "]"
    if _is_newtype(t):
        return str(getattr(t, "__qualname__", getattr(t, "__name__", repr(t))))
    args = typing.get_args(t)
    origin = typing.get_origin(t)
    if origin is not None and args:
        base = origin.__qualname__ if isinstance(origin, type) else repr(origin)
        if base == "Callable" or origin is collections.abc.Callable:
            base = "Callable"
        return f"{base.replace('typing.', '')}[" + ", ".join(type_name(a) for a in args) + "]"
    if isinstance(t, type):
        return t.__qualname__
    return repr(t).replace("typing.", "")
