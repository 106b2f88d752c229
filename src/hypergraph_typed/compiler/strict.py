"""``strict_types``: every data edge's producer type must be assignable to its consumer.

Types are read through ``edge_types`` (interrupt answers without ``None``, generators as
the list they produce, nested graphs through their inner producers and consumers), and
annotations are resolved here, when the strict graph is built, not at decoration.
"""

from __future__ import annotations

from hypergraph_typed.compiler.edge_types import Declared, input_types, output_type
from hypergraph_typed.compiler.structure import Structure
from hypergraph_typed.compiler.types import compatible, type_name
from hypergraph_typed.exceptions import GraphConfigError


def _missing(d: Declared, src: str, dst: str, value: str) -> GraphConfigError:
    fix = d.fix or "Annotate it"
    return GraphConfigError(
        f"Missing type annotation in strict_types mode: {d.where} {d.problem} "
        f"(edge {src!r} -> {dst!r} carries {value!r}). {fix}, or build the graph with "
        "strict_types=False"
    )


def check_strict_types(s: Structure) -> None:
    """Under ``strict_types``: raise ``GraphConfigError`` for a missing or mismatched edge
    annotation.
    """
    for e in s.edges:
        if e.kind != "data":
            continue
        src, dst = s.nodes[e.src], s.nodes[e.dst]
        for val in e.value_names:
            out = output_type(src, val)
            if out.type is None:
                raise _missing(out, src.name, dst.name, val)
            for inp in input_types(dst, val):
                if inp.type is None:
                    raise _missing(inp, src.name, dst.name, val)
                if not compatible(out.type, inp.type):
                    made = f" ({out.inner})" if out.inner else ""
                    read = f" ({inp.inner})" if inp.inner else ""
                    raise GraphConfigError(
                        f"Type mismatch between nodes: {src.name!r}{made} produces {val!r} as "
                        f"{type_name(out.type)}, but {dst.name!r}{read} expects "
                        f"{type_name(inp.type)}. Change one annotation or convert the value "
                        "in between"
                    )
