"""Active scope (entrypoints + selection) and the graph's input classification."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from hypergraph_typed.compiler.digraph import reachable, strongly_connected
from hypergraph_typed.compiler.structure import Structure
from hypergraph_typed.nodes.gate import GateNode


@dataclasses.dataclass(frozen=True)
class InputSpec:
    """Which names a run must (``required``) or may (``optional``) provide.

    ``entrypoints`` maps an entrypoint to the names it needs to start. Graphs always
    leave it empty; it is kept so code written for hypergraph can build and read an
    ``InputSpec`` the same way.
    """

    required: tuple[str, ...]
    optional: tuple[str, ...]
    entrypoints: dict[str, tuple[str, ...]] = dataclasses.field(default_factory=dict)
    bound: dict[str, Any] = dataclasses.field(default_factory=dict)

    @property
    def all(self) -> tuple[str, ...]:
        """Required, then optional, then entrypoint inputs; each name once."""
        starts = (p for names in self.entrypoints.values() for p in names)
        return tuple(dict.fromkeys((*self.required, *self.optional, *starts)))


def active_nodes(
    s: Structure, entrypoints: tuple[int, ...] | None, selected: tuple[str, ...] | None
) -> frozenset[int]:
    """Entrypoints and all they reach (or every node), narrowed by ``select``."""
    succ = s.successors()
    active = (
        reachable(succ, entrypoints) if entrypoints else set(range(len(s.nodes)))
    )
    if selected:
        pred = s.predecessors()
        keep: set[int] = set()
        stack = [
            p for name in selected
            for p in s.data_producers.get(name, ()) + s.signal_producers.get(name, ())
            if p in active
        ]
        while stack:
            n = stack.pop()
            if n in keep:
                continue
            keep.add(n)
            stack.extend(p for p in pred[n] if p in active and p not in keep)
            if n in s.gate_targets:
                for t in reachable(succ, s.gate_targets[n]):
                    if t in active and t not in keep:
                        stack.append(t)
        active &= keep
    return frozenset(active)


def interrupt_outputs(s: Structure) -> set[str]:
    """The data outputs of all interrupt nodes (answers, never graph inputs)."""
    return {o for n in s.nodes if n.is_interrupt for o in n.data_outputs}


def cycle_seeds(
    s: Structure, active: frozenset[int], entrypoints: tuple[int, ...] | None,
    bound: Mapping[str, Any],
) -> list[str]:
    """Names an entrypoint consumes that flow around a data cycle in scope."""
    if not entrypoints:
        return []
    data_adj: dict[int, list[int]] = {i: [] for i in range(len(s.nodes))}
    for e in s.edges:
        if e.kind == "data" and e.src in active and e.dst in active:
            data_adj[e.src].append(e.dst)
    comp = strongly_connected(len(s.nodes), data_adj)
    iouts = interrupt_outputs(s)
    seeds: list[str] = []
    for ep in entrypoints:
        node = s.nodes[ep]
        for p in node.inputs:
            if p in bound or p in iouts or node.has_default_for(p) or p in seeds:
                continue
            producers = s.data_producers.get(p, ())
            if any(
                u in active and comp[u] == comp[ep]
                and (u != ep or ep in data_adj[ep])
                for u in producers
            ):
                seeds.append(p)
    return seeds


def compute_input_spec(
    s: Structure, active: frozenset[int], entrypoints: tuple[int, ...] | None,
    bound: Mapping[str, Any], nested_bound: Mapping[str, Any],
) -> InputSpec:
    """Classify the active nodes' inputs into required, optional and bound."""
    seeds = cycle_seeds(s, active, entrypoints, bound)
    carried: set[str] = set()
    for e in s.edges:
        if e.kind == "data" and e.src in active and e.dst in active:
            carried.update(e.value_names)
    never = interrupt_outputs(s) | {
        w for i in active for w in s.nodes[i].wait_for
    } | {o for i in active for o in s.nodes[i].outputs if o not in s.nodes[i].data_outputs}
    required: list[str] = []
    optional: list[str] = []
    seen: set[str] = set()
    all_bound = {**nested_bound, **bound}
    for i in sorted(active):
        for p in s.nodes[i].inputs:
            if p in seen:
                continue
            seen.add(p)
            if p in seeds:
                required.append(p)
                continue
            if p in never or p in carried:
                continue
            consumers = [
                j for j in active if p in s.nodes[j].inputs
            ]
            if p in all_bound or all(s.nodes[j].has_default_for(p) for j in consumers):
                optional.append(p)
            else:
                required.append(p)
    return InputSpec(tuple(required), tuple(optional), {}, dict(all_bound))


def gate_controllers(s: Structure) -> dict[int, list[int]]:
    """For each gate target, the gates that can route to it."""
    out: dict[int, list[int]] = {}
    for g, targets in s.gate_targets.items():
        if isinstance(s.nodes[g], GateNode):
            for t in targets:
                out.setdefault(t, []).append(g)
    return out
