"""The message for a cyclic graph without an entrypoint: where to start, and what else to fix.

The proposal is concrete (names, ``shared=[...]``, ``.bind(...)``, edges to drop) and
checked: sharing is only proposed if the graph still builds with it, and an edge is
only proposed for removal if it carries no value once shared and something else
already orders its two nodes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from hypergraph_typed.compiler import scope as scope_mod
from hypergraph_typed.compiler.digraph import reachable
from hypergraph_typed.compiler.structure import Edge, Structure, analyze
from hypergraph_typed.exceptions import GraphConfigError
from hypergraph_typed.nodes.gate import GateNode

Gap = tuple[int, str, list[int]]


def cycle_hint(s: Structure, edges_arg: Sequence[Any] | None) -> str:
    """The ``GraphConfigError`` text for ``s`` (cyclic, no entrypoint)."""
    cyc = s.names(sorted(s.cyclic))
    start = _choose_start(s)
    suggestion = s.nodes[start].name if start is not None else cyc[0]
    msg = (
        f"Cyclic graphs require an explicit entrypoint: nodes {cyc} form a cycle, so "
        f"where a run starts is ambiguous. Pass entrypoint={suggestion!r} (the node that "
        "should run first) to Graph(...) or call .with_entrypoint(...)"
    )
    if start is None:
        return msg
    gaps = first_pass_gaps(s, start)
    notes: list[str] = []
    fixes: list[str] = []
    shared_fix: list[str] = []
    for u, q, prods in gaps:
        who = s.nodes[u].name
        notes.append(
            f"{q!r} read by {who!r} (produced only by {s.names(prods)}, later in the cycle)"
        )
        readers = [n for n in s.nodes if q in n.inputs]
        if len(readers) == 1:
            fixes.append(
                f"give {who!r} a default for {q!r} (def {who}(..., {q}=None)) so its "
                "first visit can run"
            )
        elif q not in shared_fix:
            # A default would have to be repeated on every reader; sharing makes the
            # name a bindable input that always holds the latest write.
            shared_fix.append(q)
    if shared_fix:
        binds = ", ".join(f"{q}=..." for q in shared_fix)
        fixes.insert(0, (
            f"declare shared={[*s.shared, *shared_fix]!r} and seed "
            f"{'them' if len(shared_fix) > 1 else 'it'} with .bind({binds})"
        ))
    drops = _droppable_blockers(s, edges_arg, start, (*s.shared, *shared_fix))
    if drops:
        pairs = ", ".join(f"({s.nodes[e.src].name!r}, {s.nodes[e.dst].name!r})" for e in drops)
        fixes.append(
            f"drop the edge{'s' if len(drops) > 1 else ''} {pairs} from edges=[...]: "
            + "; ".join(
                f"it would make {s.nodes[e.dst].name!r} wait for {s.nodes[e.src].name!r}, "
                f"which can only run after {s.nodes[e.dst].name!r}, so the first turn "
                f"would stall; the rest of the loop still runs {s.nodes[e.src].name!r} "
                f"before {s.nodes[e.dst].name!r} on every later turn"
                for e in drops
            )
        )
    if not fixes:
        return msg
    lead = (
        f"{msg}. But starting at {suggestion!r}, the first pass has nothing to read for "
        + "; ".join(notes)
        if notes else msg
    )
    return f"{lead}. Fix, together with the entrypoint: " + "; ".join(fixes) + "."


def _choose_start(s: Structure) -> int | None:
    """Where the loop should start.

    A loop that asks a person (an interrupt) starts by asking, so nothing runs on
    made-up values before the person has answered; otherwise the first node (in node
    order) whose first pass has every value it reads.
    """
    starts = [i for i in sorted(s.cyclic) if not isinstance(s.nodes[i], GateNode)]
    if not starts:
        return None
    asking = next((i for i in starts if s.nodes[i].is_interrupt), None)
    if asking is not None:
        return asking
    return next((i for i in starts if not first_pass_gaps(s, i)), starts[0])


def first_pass_gaps(s: Structure, entry: int) -> list[Gap]:
    """Inputs that nothing provides on the first pass of a cycle started at ``entry``.

    Walk the nodes reachable from ``entry`` (ignoring edges back into it) in BFS order;
    a required value is a gap when it is not a graph input (under that entrypoint),
    has no default, and none of its producers was visited earlier.
    """
    inputs = set(
        scope_mod.compute_input_spec(
            s, scope_mod.active_nodes(s, (entry,), None), (entry,), {}, {}
        ).all
    )
    succ = s.successors()
    order: list[int] = [entry]
    seen = {entry}
    k = 0
    while k < len(order):
        for v in succ[order[k]]:
            if v not in seen:
                seen.add(v)
                order.append(v)
        k += 1
    visited: set[int] = set()
    gaps: list[Gap] = []
    for u in order:
        n = s.nodes[u]
        for q in n.inputs:
            if q in inputs or n.has_default_for(q) or q in s.shared:
                continue
            prods = [w for w in s.data_producers.get(q, ()) if w != u]
            if prods and not any(w in visited for w in prods):
                gaps.append((u, q, prods))
        visited.add(u)
    return gaps


def _droppable_blockers(
    s: Structure, edges_arg: Sequence[Any] | None, start: int, shared: tuple[str, ...]
) -> list[Edge]:
    """Declared edges that would stall the first pass and that can go without loss.

    A node waits for its predecessors before its first run (the entrypoint excepted).
    A predecessor that can only be reached from the start through the node itself
    never runs first, so the node never runs. Such an edge is proposed for removal
    when the user declared it, it carries no value once ``shared`` applies, another
    path still orders the pair, and the graph builds without it.
    """
    if edges_arg is None:
        return []  # automatic wiring: there is no edge the user could drop
    try:
        fixed = analyze(list(s.nodes), edges_arg, list(shared))
    except GraphConfigError:
        return []
    declared = {_pair(item, s): item for item in edges_arg}
    drops = [
        e for e in _first_pass_blockers(fixed, start)
        if (e.src, e.dst) in declared and _ordered_without(fixed, e)
    ]
    if not drops:
        return []
    kept = [item for pair, item in declared.items() if pair not in {(e.src, e.dst) for e in drops}]
    try:
        trimmed = analyze(list(s.nodes), kept, list(shared))
    except GraphConfigError:
        return []
    return drops if not _first_pass_blockers(trimmed, start) else []


def _pair(item: Any, s: Structure) -> tuple[int, int]:
    ends = [x if isinstance(x, str) else x.name for x in item[:2]]
    return s.index[ends[0]], s.index[ends[1]]


def _first_pass_blockers(s: Structure, start: int) -> list[Edge]:
    """Edges ``u -> v`` where ``u`` (ungated) can only run after ``v``'s first run."""
    gated = {t for targets in s.gate_targets.values() for t in targets}
    succ = s.successors()
    from_start = reachable(succ, [start])
    out: list[Edge] = []
    for e in s.edges:
        u, v = e.src, e.dst
        if e.kind == "control" or u == v or v == start or u in gated or u not in from_start:
            continue
        if u not in reachable(succ, [start], blocked=frozenset({v})):
            out.append(e)
    return out


def _ordered_without(s: Structure, edge: Edge) -> bool:
    """An ordering-only edge whose two nodes another path already orders."""
    if edge.kind != "ordering":
        return False
    succ = s.successors()
    others = {w: [x for x in succ[w] if (w, x) != (edge.src, edge.dst)] for w in succ}
    return edge.dst in reachable(others, others[edge.src])
