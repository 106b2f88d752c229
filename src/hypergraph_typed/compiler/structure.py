"""Wiring analysis: which node feeds which input, and what kind each edge is.

Runs once per graph declaration (``Graph.__init__``); bindings, selection and
entrypoints do not change it, so derived graphs reuse it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Literal

import attrs

from hypergraph_typed._sentinels import END
from hypergraph_typed.compiler.digraph import cyclic_nodes, reachable
from hypergraph_typed.exceptions import GraphConfigError
from hypergraph_typed.nodes.base import HyperNode
from hypergraph_typed.nodes.gate import GateNode, IfElseNode, RouteNode

EdgeKind = Literal["data", "control", "ordering"]


@attrs.frozen
class Edge:
    """One edge between two node indices; ``value_names`` is empty unless ``kind == 'data'``."""

    src: int
    dst: int
    kind: EdgeKind
    value_names: tuple[str, ...] = ()


@attrs.frozen
class Structure:
    """The wired graph: nodes by index, edges, producers and cycle facts."""

    nodes: tuple[HyperNode, ...]
    index: dict[str, int]
    edges: tuple[Edge, ...]
    shared: tuple[str, ...]
    explicit_edges: bool
    data_producers: dict[str, tuple[int, ...]]
    signal_producers: dict[str, tuple[int, ...]]
    wired: dict[tuple[int, str], tuple[int, ...]]
    gate_targets: dict[int, tuple[int, ...]]
    cyclic: frozenset[int]

    @property
    def has_cycles(self) -> bool:
        """True when edges of any kind form a directed cycle."""
        return bool(self.cyclic)

    def successors(self) -> dict[int, list[int]]:
        """Each node's direct successors over edges of every kind."""
        adj: dict[int, list[int]] = {i: [] for i in range(len(self.nodes))}
        for e in self.edges:
            adj[e.src].append(e.dst)
        return adj

    def predecessors(self) -> dict[int, list[int]]:
        """Each node's direct predecessors over edges of every kind."""
        adj: dict[int, list[int]] = {i: [] for i in range(len(self.nodes))}
        for e in self.edges:
            adj[e.dst].append(e.src)
        return adj

    def names(self, ids: Iterable[int]) -> list[str]:
        """The names of the nodes with the given indices, in that order."""
        return [self.nodes[i].name for i in ids]


class _EdgeSet:
    """Collects edges keeping at most one per ordered pair; data edges merge value names."""

    def __init__(self) -> None:
        self.by_pair: dict[tuple[int, int], Edge] = {}

    def add_data(self, u: int, v: int, value: str) -> None:
        e = self.by_pair.get((u, v))
        if e is None or e.kind != "data":
            self.by_pair[(u, v)] = Edge(u, v, "data", (value,))
        elif value not in e.value_names:
            self.by_pair[(u, v)] = Edge(u, v, "data", (*e.value_names, value))

    def add(self, u: int, v: int, kind: EdgeKind) -> None:
        if (u, v) not in self.by_pair:
            self.by_pair[(u, v)] = Edge(u, v, kind)

    def adjacency(self, n: int) -> dict[int, list[int]]:
        adj: dict[int, list[int]] = {i: [] for i in range(n)}
        for u, v in self.by_pair:
            adj[u].append(v)
        return adj


def _normalize_shared(shared: object) -> tuple[str, ...]:
    if shared is None:
        return ()
    if isinstance(shared, str):
        return (shared,)
    if isinstance(shared, (list, tuple)) and all(isinstance(s, str) for s in shared):
        return tuple(dict.fromkeys(shared))
    raise GraphConfigError(f"shared must be a value name or a list of names, got {shared!r}")


def _node_ref(ref: object, index: dict[str, int], item: object) -> int:
    name = ref.name if isinstance(ref, HyperNode) else ref
    if not isinstance(name, str) or name not in index:
        raise GraphConfigError(
            f"Edge {item!r} refers to unknown node {name!r}. Nodes: {sorted(index)}"
        )
    return index[name]


def analyze(nodes: Sequence[HyperNode], edges: Sequence[Any] | None, shared: object) -> Structure:
    """Wire ``nodes`` (automatically, or from explicit ``edges``) and validate producers.

    When producers of a value compete, the error carries a concrete, verified fix
    (``shared=[...]``, the ordering edges, and the entrypoint if the result is cyclic).
    """
    try:
        return _analyze(nodes, edges, shared)
    except _ProducerConflict as exc:
        fix = _propose_fix(nodes, edges, shared, exc.value_name)
        # Re-raised as the public class: the private one never shows in a traceback.
        raise GraphConfigError(f"{exc} {fix}" if fix else str(exc)) from None


def _analyze(
    nodes: Sequence[HyperNode], edges: Sequence[Any] | None, shared: object,
    connected_check: bool = True,
) -> Structure:
    shared_names = _normalize_shared(shared)
    index: dict[str, int] = {}
    for i, n in enumerate(nodes):
        if not isinstance(n, HyperNode):
            raise GraphConfigError(
                f"Graph nodes must be nodes (@node, @route, graph.as_node(), ...); item {i} is "
                f"{n!r}. Decorate the function with @node(output_name=...)"
            )
        if n.name in index:
            raise GraphConfigError(
                f"Duplicate node name {n.name!r} (positions {index[n.name]} and {i}). "
                f"Rename one with .with_name('{n.name}_2')"
            )
        index[n.name] = i
    count = len(nodes)

    data_producers: dict[str, list[int]] = {}
    signal_producers: dict[str, list[int]] = {}
    for i, n in enumerate(nodes):
        for o in n.data_outputs:
            data_producers.setdefault(o, []).append(i)
        for o in n.outputs:
            if o not in n.data_outputs:
                signal_producers.setdefault(o, []).append(i)
    for s in shared_names:
        if s not in data_producers:
            raise GraphConfigError(
                f"Shared value {s!r} is produced by no node. Shared names must be outputs; "
                f"outputs are {sorted(data_producers)}"
            )

    # Unknown and self targets get no control edge here; ``validation.check_gates``
    # reports them later, after naming and default errors (spec check order).
    gate_targets: dict[int, tuple[int, ...]] = {}
    for i, n in enumerate(nodes):
        if isinstance(n, GateNode):
            gate_targets[i] = tuple(
                index[t] for t in n.targets
                if t is not END and t in index and index[t] != i
            )

    def any_producers(name: str) -> list[int]:
        return data_producers.get(name, []) + signal_producers.get(name, [])

    wait_pairs = [
        (u, v) for v, n in enumerate(nodes) for w in n.wait_for for u in any_producers(w) if u != v
    ]
    explicit = edges is not None
    wired: dict[tuple[int, str], tuple[int, ...]] = {}
    es = _EdgeSet()
    if explicit:
        _explicit_edges(nodes, index, edges or [], shared_names, es, wired)
    if not explicit or shared_names:
        _auto_wire(nodes, shared_names, data_producers, gate_targets, wait_pairs, es, wired)
    for g, target_ids in gate_targets.items():
        for tid in target_ids:
            es.add(g, tid, "control")
    for u, v in wait_pairs:
        es.add(u, v, "ordering")

    adj = es.adjacency(count)
    _check_multiple_producers(
        nodes, data_producers, shared_names, gate_targets, wait_pairs, es, explicit
    )
    if shared_names and connected_check:
        _check_connected(nodes, es, shared_names)
    return Structure(
        nodes=tuple(nodes),
        index=index,
        edges=tuple(es.by_pair.values()),
        shared=shared_names,
        explicit_edges=explicit,
        data_producers={k: tuple(v) for k, v in data_producers.items()},
        signal_producers={k: tuple(v) for k, v in signal_producers.items()},
        wired=wired,
        gate_targets=gate_targets,
        cyclic=frozenset(cyclic_nodes(count, adj)),
    )


def _explicit_edges(
    nodes: Sequence[HyperNode], index: dict[str, int], edges: Sequence[Any],
    shared: tuple[str, ...], es: _EdgeSet, wired: dict[tuple[int, str], tuple[int, ...]],
) -> None:
    for item in edges:
        if not isinstance(item, tuple) or len(item) not in (2, 3):
            raise GraphConfigError(
                f"Each edge must be (src, dst) or (src, dst, values); got {item!r}"
            )
        u = _node_ref(item[0], index, item)
        v = _node_ref(item[1], index, item)
        src, dst = nodes[u], nodes[v]
        if len(item) == 2:
            values = [p for p in dst.inputs if p in src.outputs and p not in shared]
        else:
            raw = item[2]
            values = [raw] if isinstance(raw, str) else list(raw)
            for val in values:
                if not isinstance(val, str) or val not in src.outputs or val not in dst.inputs:
                    raise GraphConfigError(
                        f"Edge ({src.name!r}, {dst.name!r}) carries {val!r}, which must be an "
                        f"output of {src.name!r} {src.outputs!r} and an input of {dst.name!r} "
                        f"{dst.inputs!r}"
                    )
            values = [val for val in values if val not in shared]
        if not values:
            es.add(u, v, "ordering")
        for val in values:
            es.add_data(u, v, val)
            prev = wired.get((v, val), ())
            if u not in prev:
                wired[(v, val)] = (*prev, u)


def _auto_wire(
    nodes: Sequence[HyperNode], shared: tuple[str, ...], producers: dict[str, list[int]],
    gate_targets: dict[int, tuple[int, ...]], wait_pairs: list[tuple[int, int]],
    es: _EdgeSet, wired: dict[tuple[int, str], tuple[int, ...]],
) -> None:
    count = len(nodes)
    waited_for: dict[int, list[int]] = {i: [] for i in range(count)}
    for u, v in wait_pairs:
        waited_for[v].append(u)

    def candidates(v: int, p: str) -> list[int]:
        # A node that rewrites ``p`` after waiting (directly or through a chain of
        # signals) for another writer of ``p`` reads that writer's value: its own write
        # comes later, so it is no candidate (no self-loop).
        cands = producers.get(p, [])
        if v in cands and len(cands) > 1 and waited_for[v]:
            before = reachable(waited_for, waited_for[v])
            if any(u in before for u in cands if u != v):
                return [u for u in cands if u != v]
        return cands

    candidate_adj: dict[int, set[int]] = {i: set() for i in range(count)}
    for v, n in enumerate(nodes):
        for p in n.inputs:
            if p in shared:
                continue
            for u in candidates(v, p):
                candidate_adj[u].add(v)
    for g, targets in gate_targets.items():
        candidate_adj[g].update(targets)
    for u, v in wait_pairs:
        candidate_adj[u].add(v)
    on_cycle = cyclic_nodes(count, candidate_adj)

    for v, n in enumerate(nodes):
        is_gate = v in gate_targets
        own_targets = frozenset(gate_targets.get(v, ()))
        for p in n.inputs:
            if p in shared or (v, p) in wired:
                continue
            cands = candidates(v, p)
            if not cands:
                continue
            kept = list(cands)
            if len(cands) > 1:
                kept = [
                    u for u in cands
                    if not _shadowed(u, v, cands, candidate_adj, own_targets if is_gate else frozenset())
                ]
                if not kept:
                    raise _competing(nodes, v, p, cands)
            others = [u for u in kept if u != v]
            if not is_gate and v in on_cycle and len(others) > 1:
                raise _competing(nodes, v, p, kept)
            wired[(v, p)] = tuple(kept)
            for u in kept:
                es.add_data(u, v, p)


def _shadowed(
    u: int, v: int, cands: list[int], adj: dict[int, set[int]], excluded: frozenset[int]
) -> bool:
    """True when every path u ~> v (other than the direct edge) passes another producer.

    Paths are simple: a walk that loops back through ``u`` and then takes the direct
    edge is not another path, so ``u`` itself is blocked (unless ``u`` is ``v``).
    """
    base = excluded | (frozenset({u}) - {v})
    starts = [w for w in adj[u] if w not in base and w != v]
    if v not in reachable(adj, starts, blocked=base):
        return False
    blocked = base | frozenset(c for c in cands if c not in (u, v))
    return v not in reachable(adj, starts, blocked=blocked)


class _ProducerConflict(GraphConfigError):
    """Competing or unordered producers of ``value_name``; ``analyze`` appends a fix."""

    def __init__(self, message: str, value_name: str) -> None:
        super().__init__(message)
        self.value_name = value_name


def _propose_fix(
    nodes: Sequence[HyperNode], edges: Sequence[Any] | None, shared: object, p: str
) -> str:
    """A verified construction fix for competing writers of ``p``, or ``""`` if none is found.

    Share ``p``; give every reader of ``p`` that nothing else orders (no incoming edge,
    not a gate target) an edge from a writer of ``p`` that is not downstream of it,
    preferring writers whose output only travels through ``p``. The proposal is kept
    only if it builds and leaves every pair of writers ordered; if it is cyclic, the
    entrypoint is the cyclic node (not a gate) that nothing else feeds.
    """
    try:
        shared_t = _normalize_shared(shared)
        new_shared = shared_t if p in shared_t else (*shared_t, p)
        probe = _analyze(nodes, edges, new_shared, connected_check=False)
    except GraphConfigError:
        return ""
    count = len(nodes)
    adj: dict[int, set[int]] = {i: set() for i in range(count)}
    for e in probe.edges:
        if e.kind != "control":
            adj[e.src].add(e.dst)
    targets = {t for ts in probe.gate_targets.values() for t in ts}
    writers = [i for i, n in enumerate(nodes) if p in n.data_outputs]
    added: list[tuple[int, int]] = []
    for r, n in enumerate(nodes):
        if p not in n.inputs or r in targets or any(r in adj[u] for u in range(count)):
            continue
        down = reachable(adj, adj[r])
        cands = [w for w in writers if w != r and w not in down]
        if not cands:
            continue
        w = ([c for c in cands if not adj[c]] or cands)[0]
        added.append((w, r))
        adj[w].add(r)
    names = [n.name for n in nodes]
    new_edges = [*(edges or []), *((names[w], names[r]) for w, r in added)]
    try:
        fixed = _analyze(nodes, new_edges if edges is not None or added else None, new_shared)
    except GraphConfigError:
        return ""
    order: dict[int, set[int]] = {i: set() for i in range(count)}
    for e in fixed.edges:
        if e.kind != "control":
            order[e.src].add(e.dst)
    for i, a in enumerate(writers):
        for b in writers[i + 1:]:
            if b not in reachable(order, order[a]) and a not in reachable(order, order[b]):
                return ""
    parts = [f"shared={list(new_shared)!r}"]
    if new_edges:
        rendered = []
        for item in new_edges:
            ends = [x.name if isinstance(x, HyperNode) else x for x in item[:2]]
            rendered.append(repr(tuple([*ends, *item[2:]])))
        parts.append(f"edges=[{', '.join(rendered)}]")
    why = [f"with {p!r} shared, every reader sees its latest value"]
    if added:
        why.append(
            "the edge" + ("s " if len(added) > 1 else " ")
            + ", ".join(f"({names[w]!r}, {names[r]!r})" for w, r in added)
            + f" make{'' if len(added) > 1 else 's'} each reader run after the write it needs"
        )
    if fixed.cyclic:
        fed = {v for u in range(count) for v in order[u] if u != v}
        starts = [i for i in sorted(fixed.cyclic) if not isinstance(nodes[i], GateNode)]
        entry = next((i for i in starts if i not in fed), starts[0] if starts else None)
        if entry is not None:
            parts.append(f"entrypoint={names[entry]!r}")
            why.append(f"the loop starts at {names[entry]!r}")
    seed = (
        f" Seed the first value with .bind({p}=...) if a reader can run before any writer."
        if any(p in n.inputs for n in nodes) else ""
    )
    return f"Concrete fix: Graph([...], {', '.join(parts)}) ({'; '.join(why)}).{seed}"


def _competing(nodes: Sequence[HyperNode], v: int, p: str, cands: Iterable[int]) -> GraphConfigError:
    names = [nodes[c].name for c in cands]
    consumer = nodes[v].name
    return _ProducerConflict(
        f"Input {p!r} on node {consumer!r} has {len(names)} competing producers {names}; "
        f"the order in which they write {p!r} is ambiguous. Fix it with one of: explicit "
        f"edges, e.g. edges=[({names[-1]!r}, {consumer!r}), ...]; "
        f"shared=[{p!r}] plus emit/wait_for to order the writers; or rename one output.",
        p,
    )


def _branch_sets(
    g: int, targets: tuple[int, ...], adj: dict[int, list[int]]
) -> list[set[int]]:
    reach = [reachable(adj, [t], blocked=frozenset({g})) for t in targets]
    out = []
    for i, r in enumerate(reach):
        others: set[int] = set()
        for j, r2 in enumerate(reach):
            if j != i:
                others |= r2
        out.append(r - others)
    return out


def _check_multiple_producers(
    nodes: Sequence[HyperNode], producers: dict[str, list[int]], shared: tuple[str, ...],
    gate_targets: dict[int, tuple[int, ...]], wait_pairs: list[tuple[int, int]],
    es: _EdgeSet, explicit: bool,
) -> None:
    contested = {name for name, ps in producers.items() if len(ps) > 1 and name not in shared}
    if not contested:
        return
    count = len(nodes)
    adj_full = es.adjacency(count)
    if explicit:
        order_adj = adj_full
    else:
        order_adj = {i: [] for i in range(count)}
        for (u, v), e in es.by_pair.items():
            if e.kind == "data" and all(val in contested for val in e.value_names):
                continue
            order_adj[u].append(v)
        # emit/wait_for always orders, even where a data edge holds the pair's one slot.
        for u, v in wait_pairs:
            order_adj[u].append(v)
    branches: list[list[set[int]]] = []
    for g, targets in gate_targets.items():
        gate = nodes[g]
        if isinstance(gate, IfElseNode) or (isinstance(gate, RouteNode) and not gate.multi_target):
            branches.append(_branch_sets(g, targets, adj_full))
    reach_cache: dict[int, set[int]] = {}

    def reach(a: int) -> set[int]:
        if a not in reach_cache:
            reach_cache[a] = reachable(order_adj, order_adj[a])
        return reach_cache[a]

    for name in sorted(contested):
        ps = producers[name]
        for i, a in enumerate(ps):
            for b in ps[i + 1:]:
                exclusive = any(
                    any(a in s for s in bs) and any(b in s for s in bs)
                    and not any(a in s and b in s for s in bs)
                    for bs in branches
                )
                if exclusive or b in reach(a) or a in reach(b):
                    continue
                na, nb = nodes[a].name, nodes[b].name
                raise _ProducerConflict(
                    f"Multiple nodes produce {name!r}: {na!r} and {nb!r}, and nothing orders "
                    f"them. Put them on exclusive branches of one gate, order them "
                    f"(e.g. {na!r} emit='{na}_done' and {nb!r} wait_for='{na}_done'), declare "
                    f"shared=[{name!r}], or rename one output with .with_outputs({name}=...).",
                    name,
                )


def _check_connected(nodes: Sequence[HyperNode], es: _EdgeSet, shared: tuple[str, ...]) -> None:
    count = len(nodes)
    undirected: dict[int, list[int]] = {i: [] for i in range(count)}
    for u, v in es.by_pair:
        undirected[u].append(v)
        undirected[v].append(u)
    seen: set[int] = set()
    islands: list[list[str]] = []
    for i in range(count):
        if i in seen:
            continue
        comp = reachable(undirected, [i])
        seen |= comp
        islands.append([nodes[j].name for j in sorted(comp)])
    if len(islands) > 1:
        raise GraphConfigError(
            f"Graph is disconnected after auto-wiring with shared={list(shared)}: islands "
            f"{islands}. Shared values do not create edges; add explicit edges or "
            "emit/wait_for between the islands"
        )
