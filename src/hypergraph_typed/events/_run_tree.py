"""Rebuilds the run/node nesting from span ids, for processors that display it.

Events are flat; their ``parent_span_id`` links say that a run belongs to a node (a
GraphNode's inner run) or to a run (an item of a map). Progress displays need the
depth, the path prefix of nested node names and the enclosing map of each event.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hypergraph_typed.events.types import (
    NodeStartEvent,
    RunEndEvent,
    RunStartEvent,
    RunStatus,
)


@dataclass
class RunInfo:
    """One run (or map) seen by the tree; ``done``/``failed`` count a map's finished items."""

    span_id: str
    graph_name: str | None
    is_map: bool
    map_size: int | None
    depth: int
    path: str
    label: str
    parent: RunInfo | None
    in_map: RunInfo | None
    done: int = 0
    failed: int = 0
    item_ms: list[float] = field(default_factory=list)

    @property
    def is_root(self) -> bool:
        """True for the top-level call's run."""
        return self.parent is None

    @property
    def enclosing_map(self) -> RunInfo | None:
        """This run if it is a map, else the nearest map it runs inside."""
        return self if self.is_map else self.in_map


@dataclass(frozen=True)
class NodeInfo:
    """A started node: its run and its display path (``outer/inner`` for nested nodes)."""

    span_id: str
    name: str
    path: str
    run: RunInfo


class RunTree:
    """Tracks the spans of one top-level call; ``start_run`` of a new root resets it."""

    def __init__(self) -> None:
        self.root: RunInfo | None = None
        self._runs: dict[str, RunInfo] = {}
        self._nodes: dict[str, NodeInfo] = {}

    def start_run(self, event: RunStartEvent) -> RunInfo:
        """Place a starting run under its node or map; a run with no known parent starts a new
        tree.
        """
        parent_span = event.parent_span_id
        via_node = self._nodes.get(parent_span) if parent_span is not None else None
        parent_run = via_node.run if via_node is not None else (
            self._runs.get(parent_span) if parent_span is not None else None
        )
        if parent_run is None:
            # No known parent: a new top-level call (or a caller's own span above it).
            self._runs.clear()
            self._nodes.clear()
            info = RunInfo(
                event.span_id, event.graph_name, event.is_map, event.map_size, 0, "",
                event.graph_name or "Run", None, None,
            )
            self.root = info
        else:
            path = f"{via_node.path}/" if via_node is not None else parent_run.path
            label = via_node.path if via_node is not None else (event.graph_name or "Run")
            info = RunInfo(
                event.span_id, event.graph_name, event.is_map, event.map_size,
                parent_run.depth + 1, path, label, parent_run, parent_run.enclosing_map,
            )
        self._runs[event.span_id] = info
        return info

    def end_run(self, event: RunEndEvent) -> RunInfo | None:
        """The ended run; counts it as a finished item when its parent is a map."""
        info = self._runs.get(event.span_id)
        if info is None:
            return None
        parent = info.parent
        if parent is not None and parent.is_map and info.in_map is parent:
            parent.done += 1
            parent.item_ms.append(event.duration_ms)
            if event.status is RunStatus.FAILED:
                parent.failed += 1
        return info

    def start_node(self, event: NodeStartEvent) -> NodeInfo | None:
        """Record a started node under its run; ``None`` for a run this tree does not know."""
        run = self._runs.get(event.parent_span_id) if event.parent_span_id else None
        if run is None:
            return None
        info = NodeInfo(event.span_id, event.node_name, run.path + event.node_name, run)
        self._nodes[event.span_id] = info
        return info

    def node(self, span_id: str) -> NodeInfo | None:
        """The started node with this span id, or ``None``."""
        return self._nodes.get(span_id)

    def run(self, span_id: str | None) -> RunInfo | None:
        """The run with this span id, or ``None``."""
        return self._runs.get(span_id) if span_id is not None else None
