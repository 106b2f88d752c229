"""Declaration checks run at graph construction, after wiring (spec catalogue order)."""

from __future__ import annotations

import copy
import difflib
import keyword
from typing import Any

from hypergraph_typed._sentinels import END
from hypergraph_typed.compiler.structure import Structure
from hypergraph_typed.exceptions import GraphConfigError
from hypergraph_typed.nodes.base import HyperNode
from hypergraph_typed.nodes.gate import GateNode, RouteNode
from hypergraph_typed.nodes.graph_node import GraphNode


def _identifier(name: str) -> bool:
    return name.isidentifier() and not keyword.iskeyword(name)


def check_names(s: Structure, graph_name: str | None) -> None:
    """Reject a graph name with ``.`` or ``/``, a node named ``END``, and invalid node or output
    names.
    """
    if graph_name is not None and ("." in graph_name or "/" in graph_name):
        raise GraphConfigError(
            f"Graph name {graph_name!r} must not contain '.' or '/' (they separate nested paths)"
        )
    for n in s.nodes:
        if n.name == "END":
            raise GraphConfigError("A node cannot be named 'END' (reserved for the END sentinel)")
        if isinstance(n, GraphNode):
            # Its own output may share its name (a graph named after what it computes).
            clash = next((m for m in s.nodes if m is not n and n.name in m.outputs), None)
            if clash is not None:
                raise GraphConfigError(
                    f"GraphNode {n.name!r} has the same name as an output of node "
                    f"{clash.name!r}; rename it with .as_node(name=...) to keep resume "
                    "paths unambiguous"
                )
            continue
        if not _identifier(n.name):
            raise GraphConfigError(
                f"Node name {n.name!r} must be a Python identifier and not a keyword; "
                "rename it with .with_name(...)"
            )
        for o in n.outputs:
            if isinstance(n, GateNode) and o == n.decision_output:
                continue
            if not _identifier(o) or o.startswith("_"):
                raise GraphConfigError(
                    f"Invalid output name {o!r} on node {n.name!r}: outputs must be identifiers, "
                    "not keywords, and must not start with '_' (reserved for gate decisions)"
                )


def _same_default(a: Any, b: Any) -> bool:
    try:
        return bool(a is b or a == b)
    except Exception:
        return False


def _default_source(n: HyperNode, p: str) -> str:
    if isinstance(n, GraphNode) and n.is_bound_inside(p):
        return f"{n.name!r} (bound in its nested graph)"
    return repr(n.name)


def check_defaults(s: Structure) -> None:
    """Every consumer of a name has the same signature default, or none has one.

    A ``GraphNode`` takes part with its inner signature defaults, compared by the value
    it would actually use (a binding inside the nested graph comes first), so a nested
    binding that disagrees with an outer default is caught too.
    """
    seen: dict[str, list[tuple[HyperNode, bool, Any]]] = {}
    for n in s.nodes:
        for p in n.inputs:
            has = n.has_signature_default_for(p)
            seen.setdefault(p, []).append((n, has, n.get_default_for(p) if has else None))
    for p, entries in seen.items():
        if len(entries) < 2:
            continue
        with_default = [e for e in entries if e[1]]
        if with_default and len(with_default) != len(entries):
            without = [e[0].name for e in entries if not e[1]]
            raise GraphConfigError(
                f"Inconsistent defaults for {p!r}: {[e[0].name for e in with_default]} give a "
                f"default, {without} do not. Give every consumer the same default, or drop "
                f"them and use graph.bind({p}=...)"
            )
        if with_default:
            first = with_default[0]
            for e in with_default[1:]:
                if not _same_default(first[2], e[2]):
                    nested = any(
                        isinstance(n, GraphNode) and n.is_bound_inside(p)
                        for n in (first[0], e[0])
                    )
                    fix = (
                        f"Bind {p!r} once, on the outer graph (.bind({p}=...)), instead of "
                        "inside the nested graph, so every consumer sees the same value"
                        if nested else
                        f"Use one default, or drop them and use graph.bind({p}=...)"
                    )
                    raise GraphConfigError(
                        f"Inconsistent defaults for {p!r}: {_default_source(first[0], p)} uses "
                        f"{first[2]!r}, {_default_source(e[0], p)} uses {e[2]!r}. {fix}"
                    )


def check_gates(s: Structure) -> None:
    """Reject gate targets that are not nodes of the graph."""
    for n in s.nodes:
        if not isinstance(n, GateNode):
            continue
        for target in n.targets:
            if target is END:
                continue
            if target not in s.index:
                raise GraphConfigError(
                    f"Gate {n.name!r} targets {target!r}, which is not a node of this graph. "
                    f"Nodes: {sorted(s.index)}; use END to stop"
                )
            if target == n.name:
                raise GraphConfigError(
                    f"Gate {n.name!r} targets itself; a gate cannot activate itself. Route to "
                    "the node that produces its input instead"
                )
    for g, targets in s.gate_targets.items():
        gate = s.nodes[g]
        if isinstance(gate, RouteNode) and gate.multi_target:
            owners: dict[str, str] = {}
            for t in targets:
                for o in s.nodes[t].data_outputs:
                    if o in owners:
                        raise GraphConfigError(
                            f"Route {gate.name!r} has multi_target=True but targets "
                            f"{owners[o]!r} and {s.nodes[t].name!r} both produce {o!r}; "
                            "they could run together. Rename one output"
                        )
                    owners[o] = s.nodes[t].name


def check_map_over_interrupts(s: Structure) -> None:
    """Reject a ``map_over`` GraphNode whose graph contains an interrupt."""
    for n in s.nodes:
        if isinstance(n, GraphNode) and n.map_config is not None:
            path = n.graph.find_interrupt()
            if path is not None:
                raise GraphConfigError(
                    f"GraphNode {n.name!r} maps over a graph containing interrupt {path!r}. "
                    "Interrupts cannot run inside map_over; orchestrate the batch in your "
                    "application instead"
                )


def check_wait_for(s: Structure) -> None:
    """Reject a ``wait_for`` name that no node emits or outputs (with a close match)."""
    produced = {o for n in s.nodes for o in n.outputs}
    for n in s.nodes:
        for w in n.wait_for:
            if w not in produced:
                close = difflib.get_close_matches(w, sorted(produced), n=1)
                hint = f" Did you mean {close[0]!r}?" if close else ""
                raise GraphConfigError(
                    f"Node {n.name!r} waits for {w!r}, which no node produces (emit or output)."
                    + hint
                )


def check_default_copyable(value: Any, node_name: str, param: str) -> None:
    """Reject a default that cannot be deep-copied (each run gets its own copy)."""
    try:
        copy.deepcopy(value)
    except Exception as exc:
        raise GraphConfigError(
            f"Default for {param!r} on node {node_name!r} cannot be deep-copied ({exc}); "
            f"pass it with graph.bind({param}=...) instead"
        ) from exc
