"""The plain-text progress renderer (non-tty mode): timestamped lines, map milestones."""

from __future__ import annotations

import sys
import time

from hypergraph_typed.events._run_tree import NodeInfo, RunInfo
from hypergraph_typed.events.types import RunEndEvent, RunStatus

MILESTONES = (10, 25, 50, 75, 100)


def final_line(run: RunInfo, event: RunEndEvent) -> str:
    """The line printed when the top-level run ends, in every mode."""
    name = run.graph_name or "Run"
    if event.status is RunStatus.COMPLETED:
        return f"✓ {name} completed!"
    if event.status is RunStatus.PAUSED:
        return f"‖ {name} paused"
    return f"✗ {name} failed: {event.error}"


class LineRenderer:
    """Prints ``[HH:MM:SS] ...`` lines to stdout; nodes inside maps only move the map's %."""

    def __init__(self) -> None:
        self._next_milestone: dict[str, int] = {}

    def _print(self, timestamp: float, text: str) -> None:
        stamp = time.strftime("%H:%M:%S", time.localtime(timestamp))
        print(f"[{stamp}] {text}", file=sys.stdout, flush=True)

    def reset(self) -> None:
        self._next_milestone.clear()

    def run_started(self, run: RunInfo, timestamp: float) -> None:
        if run.is_map:
            self._next_milestone[run.span_id] = 0

    def run_ended(self, run: RunInfo, event: RunEndEvent) -> None:
        parent = run.parent
        if parent is not None and parent.is_map and parent.in_map is None:
            self._map_progress(parent, event.timestamp)
        if run.is_root:
            self._print(event.timestamp, final_line(run, event))

    def _map_progress(self, m: RunInfo, timestamp: float) -> None:
        if not m.map_size:
            return
        pct = m.done * 100 // m.map_size
        k = self._next_milestone.get(m.span_id, 0)
        if k >= len(MILESTONES) or pct < MILESTONES[k]:
            return
        while k < len(MILESTONES) and pct >= MILESTONES[k]:
            k += 1
        self._next_milestone[m.span_id] = k
        self._print(timestamp, f"◈ {m.label}: {pct}% ({m.done}/{m.map_size})")

    def node_started(self, node: NodeInfo, timestamp: float) -> None:
        if node.run.enclosing_map is None:
            self._print(timestamp, f"▶ {node.path} started")

    def node_ended(self, node: NodeInfo, timestamp: float, cached: bool, duration_ms: float) -> None:
        if node.run.enclosing_map is None:
            self._print(timestamp, f"✓ {node.path} completed{' (cached)' if cached else ''}")

    def node_failed(self, node: NodeInfo, timestamp: float) -> None:
        if node.run.enclosing_map is None:
            self._print(timestamp, f"✗ {node.path} FAILED")

    def close(self) -> None:
        """Nothing to release: every line is flushed as it is printed."""
