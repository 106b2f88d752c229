"""Mermaid ``flowchart`` text for a graph, drawn from its analysed wiring.

Shapes tell node kinds apart (function: rectangle, gate: rhombus, interrupt: hexagon,
nested graph: subgraph, END: stadium); edge styles tell edge kinds apart (data: solid
and labelled with the value names, gate decision: dashed and labelled with the
decision, emit/wait_for ordering: thick). Around the nodes, the diagram shows where a
run starts and what it exchanges: a ``start`` marker pointing at configured
entrypoints, graph inputs (slanted boxes leaning right) feeding their readers, graph
outputs (leaning left) fed by their producers, and shared values (cylinders) between
their writers and readers. Ids are generated from sanitized names, so no user text
reaches the syntax except inside quoted, entity-escaped labels.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Literal

from hypergraph_typed._sentinels import END
from hypergraph_typed.nodes.base import HyperNode
from hypergraph_typed.nodes.gate import GateNode, IfElseNode, RouteNode
from hypergraph_typed.nodes.graph_node import GraphNode

if TYPE_CHECKING:
    from hypergraph_typed.graph.core import Graph

Direction = Literal["TD", "TB", "BT", "LR", "RL"]
_DIRECTIONS = ("TD", "TB", "BT", "LR", "RL")

_GRAPHNODE_STYLE = "fill:#f4f4f4,stroke:#777777,stroke-dasharray:4 2,color:#1a1a1a"
CLASS_DEFS = (
    "classDef function fill:#e8f0fe,stroke:#4a6fa5,color:#1a1a1a",
    "classDef gate fill:#fff4dc,stroke:#c98a1b,color:#1a1a1a",
    "classDef interrupt fill:#fde8e8,stroke:#b03a2e,color:#1a1a1a",
    f"classDef graphnode {_GRAPHNODE_STYLE}",
    "classDef endnode fill:#e6e6e6,stroke:#333333,color:#1a1a1a",
    "classDef startnode fill:#e3f4e1,stroke:#2e7d32,color:#1a1a1a",
    "classDef input fill:#ffffff,stroke:#4a6fa5,color:#1a1a1a",
    "classDef output fill:#ffffff,stroke:#2e7d32,color:#1a1a1a",
    "classDef shared fill:#f3e8fd,stroke:#7b4fa5,color:#1a1a1a",
)

# ASCII characters that never mean anything inside a quoted Mermaid label.
_SAFE_ASCII = frozenset(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 _-.,:/+=*()'!?@$%^~"
)
_ID_UNSAFE = re.compile(r"[^A-Za-z0-9]+")


def _id_part(name: str) -> str:
    """A readable id fragment: ASCII letters and digits joined by ``_``, at most 32 chars."""
    return _ID_UNSAFE.sub("_", name).strip("_")[:32] or "node"


def quote(text: str) -> str:
    """``text`` as a quoted Mermaid label; markup characters become ``#code;`` entities."""
    out = []
    for c in text:
        if c in _SAFE_ASCII or (ord(c) > 127 and c.isprintable()):
            out.append(c)
        else:
            out.append(f"#{ord(c)};")
    return '"' + "".join(out) + '"'


def _kind(node: HyperNode) -> str:
    if isinstance(node, GraphNode):
        return "graphnode"
    if isinstance(node, GateNode):
        return "gate"
    if node.is_interrupt:
        return "interrupt"
    return "function"


def _shape(node_id: str, label: str, kind: str) -> str:
    q = quote(label)
    if kind == "gate":
        body = f"{{{q}}}"
    elif kind == "interrupt":
        body = f"{{{{{q}}}}}"
    elif kind == "graphnode":
        body = f"[[{q}]]"
    elif kind in ("endnode", "startnode"):
        body = f"([{q}])"
    elif kind == "input":
        body = f"[/{q}/]"
    elif kind == "output":
        body = f"[\\{q}\\]"
    elif kind == "shared":
        body = f"[({q})]"
    else:
        body = f"[{q}]"
    return f"{node_id}{body}:::{kind}"


def _graph_label(node: GraphNode) -> str:
    cfg = node.map_config
    if cfg is None:
        return node.name
    params, mode, _ = cfg
    return f"{node.name} (map over {', '.join(params)}{', product' if mode == 'product' else ''})"


def _gate_labels(gate: GateNode[..., Any]) -> dict[object, str]:
    """Each target's edge label: the decision that leads there, then its description."""
    if isinstance(gate, IfElseNode):
        return {gate.when_true: "True", gate.when_false: "False"}
    labels: dict[object, str] = {}
    for target in gate.targets:
        decision = "END" if target is END else str(target)
        description = gate.descriptions.get(target)
        labels[target] = f"{decision}: {description}" if description else decision
    if isinstance(gate, RouteNode) and gate.fallback is not None:
        fb = gate.fallback
        labels[fb] = f"{labels[fb]} (fallback)" if fb in labels else "fallback"
    return labels


class _Writer:
    def __init__(self, max_depth: int | None, show_hidden: bool) -> None:
        self.max_depth = max_depth
        self.show_hidden = show_hidden
        self.lines: list[str] = []
        # Subgraph styling goes last: Mermaid drops a subgraph's class when edges that
        # touch the subgraph follow it; an explicit ``style`` keeps the look regardless.
        self.tail: list[str] = []
        self.value_ids: dict[str, str] = {}

    def emit(self, indent: int, text: str) -> None:
        self.lines.append("    " * indent + text)

    def graph(self, graph: Graph, prefix: str, depth: int, indent: int) -> dict[int, str]:
        """Draw ``graph``'s nodes and edges; returns the diagram id of each drawn node."""
        s = graph.structure
        ids: dict[int, str] = {}
        taken: set[str] = set()
        for i, node in enumerate(s.nodes):
            if node.hide and not self.show_hidden:
                continue
            base = prefix + "n_" + _id_part(node.name)
            node_id, k = base, 2
            while node_id in taken:
                node_id, k = f"{base}_{k}", k + 1
            taken.add(node_id)
            ids[i] = node_id
        end_id = prefix + "hg_END"
        for i, node in enumerate(s.nodes):
            if i not in ids:
                continue
            self.node(node, ids[i], depth, indent)
        if any(
            i in ids and isinstance(n, GateNode) and END in n.targets
            for i, n in enumerate(s.nodes)
        ):
            self.emit(indent, _shape(end_id, "END", "endnode"))
        for e in s.edges:
            if e.src not in ids or e.dst not in ids:
                continue
            a, b = ids[e.src], ids[e.dst]
            if e.kind == "data":
                self.emit(indent, f"{a} -->|{quote(', '.join(e.value_names))}| {b}")
            elif e.kind == "ordering":
                src, dst = s.nodes[e.src], s.nodes[e.dst]
                signals = [w for w in dst.wait_for if w in src.outputs]
                label = f"|{quote(', '.join(signals))}| " if signals else " "
                self.emit(indent, f"{a} ==>{label}{b}")
        for g, targets in s.gate_targets.items():
            if g not in ids:
                continue
            gate = s.nodes[g]
            assert isinstance(gate, GateNode)
            labels = _gate_labels(gate)
            for t in targets:
                if t in ids:
                    self.control(ids[g], ids[t], labels.get(s.nodes[t].name), indent)
            if END in gate.targets:
                self.control(ids[g], end_id, labels.get(END), indent)
        self.entrypoints(graph, ids, prefix, indent)
        self.shared(graph, ids, prefix, indent)
        return ids

    def entrypoints(self, graph: Graph, ids: dict[int, str], prefix: str, indent: int) -> None:
        """A ``start`` marker with an edge to each configured entrypoint."""
        entry = [ids[i] for i in graph._entry_ids() or () if i in ids]
        if not entry:
            return
        start = prefix + "hg_START"
        self.emit(indent, _shape(start, "start", "startnode"))
        for node_id in entry:
            self.emit(indent, f"{start} --> {node_id}")

    def shared(self, graph: Graph, ids: dict[int, str], prefix: str, indent: int) -> None:
        """Each shared value as a cylinder between the nodes that write and read it."""
        nodes = graph.structure.nodes
        for name in graph.shared:
            value_id = self.value_id(prefix + "sh_", name)
            self.emit(indent, _shape(value_id, name, "shared"))
            for i, node_id in ids.items():
                if name in nodes[i].outputs:
                    self.emit(indent, f"{node_id} --> {value_id}")
                if name in nodes[i].inputs:
                    self.emit(indent, f"{value_id} --> {node_id}")

    def boundary(self, graph: Graph, ids: dict[int, str]) -> None:
        """The top-level graph's inputs, feeding their readers, and its outputs."""
        nodes = graph.structure.nodes
        spec = graph.inputs
        shared = set(graph.shared)
        for name in spec.all:
            value_id = self.value_id("in_", name)
            note = " (bound)" if name in spec.bound else (
                " (optional)" if name in spec.optional else ""
            )
            self.emit(1, _shape(value_id, name + note, "input"))
            if name in shared:
                self.emit(1, f"{value_id} --> {self.value_ids['sh_' + name]}")
                continue
            for i, node_id in ids.items():
                if name in nodes[i].inputs:
                    self.emit(1, f"{value_id} --> {node_id}")
        for name in graph.selected or graph.leaf_outputs:
            producers = [node_id for i, node_id in ids.items() if name in nodes[i].outputs]
            if name in shared or name.startswith("_") or not producers:
                continue
            value_id = self.value_id("out_", name)
            self.emit(1, _shape(value_id, name, "output"))
            for node_id in producers:
                self.emit(1, f"{node_id} --> {value_id}")

    def value_id(self, prefix: str, name: str) -> str:
        """A unique diagram id for a value (``in_``, ``out_`` or ``sh_`` plus its name)."""
        key = prefix + name
        if key not in self.value_ids:
            base = prefix + _id_part(name)
            value_id, k = base, 2
            while value_id in self.value_ids.values():
                value_id, k = f"{base}_{k}", k + 1
            self.value_ids[key] = value_id
        return self.value_ids[key]

    def control(self, a: str, b: str, label: str | None, indent: int) -> None:
        text = f"|{quote(label)}| " if label else " "
        self.emit(indent, f"{a} -.->{text}{b}")

    def node(self, node: HyperNode, node_id: str, depth: int, indent: int) -> None:
        kind = _kind(node)
        if not isinstance(node, GraphNode):
            self.emit(indent, _shape(node_id, node.name, kind))
            return
        if self.max_depth is not None and depth >= self.max_depth:
            self.emit(indent, _shape(node_id, _graph_label(node), kind))
            return
        self.emit(indent, f"subgraph {node_id} [{quote(_graph_label(node))}]")
        self.graph(node.graph, node_id + "__", depth + 1, indent + 1)
        self.emit(indent, "end")
        self.tail += [f"class {node_id} graphnode", f"style {node_id} {_GRAPHNODE_STYLE}"]


def to_mermaid(
    graph: Graph,
    *,
    direction: Direction = "TD",
    max_depth: int | None = None,
    show_hidden: bool = False,
) -> str:
    """Mermaid ``flowchart`` source for ``graph``: paste it into any Mermaid renderer.

    ``max_depth`` limits how many levels of nested graphs are expanded into subgraphs
    (``0``: none; deeper GraphNodes are drawn as one box). Nodes declared with
    ``hide=True`` and their edges are left out unless ``show_hidden=True``.
    """
    if direction not in _DIRECTIONS:
        raise ValueError(f"direction must be one of {list(_DIRECTIONS)}, got {direction!r}")
    if max_depth is not None and (
        isinstance(max_depth, bool) or not isinstance(max_depth, int) or max_depth < 0
    ):
        raise ValueError(f"max_depth must be a non-negative int or None, got {max_depth!r}")
    w = _Writer(max_depth, show_hidden)
    w.emit(0, f"flowchart {direction}")
    if graph.name:
        # A comment, not a front-matter title: Mermaid renders titles as sanitized HTML.
        w.emit(1, "%% Graph: " + "".join(c if c.isprintable() else " " for c in graph.name))
    for line in CLASS_DEFS:
        w.emit(1, line)
    ids = w.graph(graph, "", 0, 1)
    w.boundary(graph, ids)
    for line in w.tail:
        w.emit(1, line)
    return "\n".join(w.lines) + "\n"
