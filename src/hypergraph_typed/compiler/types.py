"""Annotation compatibility for ``strict_types``: can a producer's value feed a parameter?"""

from __future__ import annotations

import types
import typing
from typing import Annotated, Any, TypeVar, Union

_UNION_TYPES: tuple[Any, ...] = (Union, types.UnionType)


def _strip(t: Any) -> Any:
    while typing.get_origin(t) is Annotated:
        t = typing.get_args(t)[0]
    return t


def _is_union(t: Any) -> bool:
    return typing.get_origin(t) in _UNION_TYPES


def compatible(out: Any, inp: Any) -> bool:
    """Spec rule: TypeVars, Any, unions, Annotated, then origins/subclasses and args pairwise."""
    out, inp = _strip(out), _strip(inp)
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
    if _is_union(out):
        return all(compatible(m, inp) for m in typing.get_args(out))
    if _is_union(inp):
        return any(compatible(out, m) for m in typing.get_args(inp))
    o_origin = typing.get_origin(out) or out
    i_origin = typing.get_origin(inp) or inp
    if isinstance(o_origin, type) and isinstance(i_origin, type):
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
    if len(o_args) != len(i_args):
        return False
    return all(compatible(a, b) for a, b in zip(o_args, i_args))


def type_name(t: Any) -> str:
    if isinstance(t, type):
        return t.__qualname__
    return repr(t).replace("typing.", "")
