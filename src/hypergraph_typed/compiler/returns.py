"""How a node's return value becomes its output values (shared by every way of calling it).

Lives in the compiler because compiled static regions call nodes too; the runtime
imports it from here, so there is one rule.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hypergraph_typed.compiler.plan import NodePlan


def split_outputs(np: NodePlan, result: Any) -> tuple[Any, ...]:
    """One output takes the whole value; several unpack it in order (length checked)."""
    n = len(np.out_slots)
    if n == 0:
        return ()
    if n == 1:
        return (result,)
    try:
        items = tuple(result)
    except TypeError:
        raise ValueError(
            f"Node {np.name!r} declares outputs {np.node.data_outputs!r} but returned "
            f"{type(result).__name__}, which cannot be unpacked. Return a tuple of {n} values"
        ) from None
    if len(items) != n:
        raise ValueError(
            f"Node {np.name!r} declares {n} outputs {np.node.data_outputs!r} but returned "
            f"{len(items)} values. Return exactly {n} values or fix output_name"
        )
    return items
