"""Small directed-graph helpers over integer node ids (reachability and SCCs)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

Adj = Mapping[int, Iterable[int]]


def reachable(adj: Adj, starts: Iterable[int], *, blocked: frozenset[int] = frozenset()) -> set[int]:
    """Nodes reachable from ``starts`` (starts included) without entering ``blocked``."""
    seen: set[int] = set()
    stack = [s for s in starts if s not in blocked]
    while stack:
        n = stack.pop()
        if n in seen:
            continue
        seen.add(n)
        stack.extend(m for m in adj.get(n, ()) if m not in seen and m not in blocked)
    return seen


def strongly_connected(n_nodes: int, adj: Adj) -> list[int]:
    """Component id of each node (iterative Tarjan); ids are arbitrary but equal within an SCC."""
    index = [-1] * n_nodes
    low = [0] * n_nodes
    on_stack = [False] * n_nodes
    comp = [-1] * n_nodes
    stack: list[int] = []
    counter = 0
    n_comp = 0
    for root in range(n_nodes):
        if index[root] != -1:
            continue
        work: list[tuple[int, Sequence[int], int]] = [(root, list(adj.get(root, ())), 0)]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack[root] = True
        while work:
            v, succ, i = work[-1]
            if i < len(succ):
                work[-1] = (v, succ, i + 1)
                w = succ[i]
                if index[w] == -1:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on_stack[w] = True
                    work.append((w, list(adj.get(w, ())), 0))
                elif on_stack[w]:
                    low[v] = min(low[v], index[w])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[v])
            if low[v] == index[v]:
                while True:
                    w = stack.pop()
                    on_stack[w] = False
                    comp[w] = n_comp
                    if w == v:
                        break
                n_comp += 1
    return comp


def cyclic_nodes(n_nodes: int, adj: Adj) -> set[int]:
    """Nodes that lie on some directed cycle (self-loops included)."""
    comp = strongly_connected(n_nodes, adj)
    sizes: dict[int, int] = {}
    for c in comp:
        sizes[c] = sizes.get(c, 0) + 1
    out = {v for v in range(n_nodes) if sizes[comp[v]] > 1}
    out.update(v for v in range(n_nodes) if v in set(adj.get(v, ())))
    return out


def topo_layers(nodes: Sequence[int], edges: Iterable[tuple[int, int]]) -> list[list[int]]:
    """Kahn's algorithm by levels: each layer holds (sorted) the nodes whose predecessors
    all lie in earlier layers. ``edges`` must be acyclic and among ``nodes``."""
    indegree = dict.fromkeys(nodes, 0)
    succ: dict[int, list[int]] = {n: [] for n in nodes}
    for u, v in edges:
        succ[u].append(v)
        indegree[v] += 1
    layer = sorted(n for n, d in indegree.items() if d == 0)
    layers: list[list[int]] = []
    while layer:
        layers.append(layer)
        nxt: list[int] = []
        for u in layer:
            for v in succ[u]:
                indegree[v] -= 1
                if indegree[v] == 0:
                    nxt.append(v)
        layer = sorted(nxt)
    return layers
