"""``strict_types``: every data edge's producer type must be assignable to its consumer."""

from __future__ import annotations

import types
import typing
from typing import Any, Union

from hypergraph_typed._config_error import GraphConfigError
from hypergraph_typed.compiler.structure import Structure
from hypergraph_typed.compiler.types import compatible, type_name


def producer_type(node: Any, value: str) -> Any:
    """The producer's annotation for ``value``; for interrupts, minus ``None`` (None pauses)."""
    t = node.get_output_type(value)
    if t is not None and node.is_interrupt and typing.get_origin(t) in (Union, types.UnionType):
        members = [m for m in typing.get_args(t) if m is not type(None)]
        t = members[0] if len(members) == 1 else Union[tuple(members)]
    return t


def check_strict_types(s: Structure) -> None:
    for e in s.edges:
        if e.kind != "data":
            continue
        src, dst = s.nodes[e.src], s.nodes[e.dst]
        for val in e.value_names:
            out_t = producer_type(src, val)
            in_t = dst.get_input_type(val)
            if out_t is None or in_t is None:
                side = (
                    f"output {val!r} of {src.name!r}" if out_t is None
                    else f"parameter {val!r} of {dst.name!r}"
                )
                raise GraphConfigError(
                    f"Missing type annotation in strict_types mode: {side} on the edge "
                    f"{src.name!r} -> {dst.name!r} has no (resolvable) annotation. Annotate it, "
                    "or build the graph with strict_types=False"
                )
            if not compatible(out_t, in_t):
                raise GraphConfigError(
                    f"Type mismatch between nodes: {src.name!r} produces {val!r} as "
                    f"{type_name(out_t)}, but {dst.name!r} expects {type_name(in_t)}. Change one "
                    "annotation or convert the value in between"
                )
