"""The plain-text progress renderer: timestamped lines on stderr, map milestones.

Used when stdout is not a terminal, and in a terminal when ``rich`` is not installed.
Lines go to stderr so that a program's own output on stdout stays clean to pipe.
"""

from __future__ import annotations

import sys
import time

from hypergraph_typed.events._progress_stats import Tally
from hypergraph_typed.events._run_tree import NodeInfo, RunInfo
from hypergraph_typed.events.types import NodeEndEvent, NodeErrorEvent, RunEndEvent, RunStatus

MILESTONES = (10, 25, 50, 75, 100)


def final_line(run: RunInfo, event: RunEndEvent, tally: Tally) -> str:
    """The line printed when the top-level run ends, in every mode, with the overall count."""
    name = run.graph_name or "Run"
    if event.status is RunStatus.COMPLETED:
        head = f"✓ {name} completed!"
    elif event.status is RunStatus.PAUSED:
        head = f"‖ {name} paused"
    else:
        head = f"✗ {name} failed: {event.error}"
    return f"{head} · {tally.render()}"


class LineRenderer:
    """Prints ``[HH:MM:SS] ...`` lines; nodes inside maps only move the map's milestones."""

    def __init__(self) -> None:
        self._next_milestone: dict[str, int] = {}
        self._first_error: dict[str, str] = {}

    def _print(self, timestamp: float, text: str) -> None:
        stamp = time.strftime("%H:%M:%S", time.localtime(timestamp))
        print(f"[{stamp}] {text}", file=sys.stderr, flush=True)

    def reset(self) -> None:
        """Forget the milestones of the previous top-level call."""
        self._next_milestone.clear()
        self._first_error.clear()

    def run_started(self, run: RunInfo, timestamp: float) -> None:
        """Start counting milestones for a map."""
        if run.is_map:
            self._next_milestone[run.span_id] = 0

    def run_ended(self, run: RunInfo, event: RunEndEvent, tally: Tally) -> None:
        """Move a map's milestones; report a nested map's failures; print the final line."""
        parent = run.parent
        if parent is not None and parent.is_map and run.in_map is parent:
            if event.status is RunStatus.FAILED and event.error is not None:
                self._first_error.setdefault(parent.span_id, event.error)
            if parent.in_map is None:
                self._map_progress(parent, event.timestamp)
        if run.is_root:
            self._print(event.timestamp, final_line(run, event, tally))
        elif run.is_map and run.failed and run.in_map is None:
            first = self._first_error.get(run.span_id)
            self._print(
                event.timestamp,
                f"✗ {run.label}: {run.failed} of {run.map_size} items failed"
                + (f" (first: {first})" if first else ""),
            )

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
        failed = f", {m.failed} failed" if m.failed else ""
        # The label is the milestone reached (the highest, when one item passes several).
        label = MILESTONES[k - 1]
        self._print(timestamp, f"◈ {m.label}: {label}% ({m.done}/{m.map_size}{failed})")

    def node_started(self, node: NodeInfo, timestamp: float) -> None:
        """``▶ node started`` outside maps."""
        if node.run.enclosing_map is None:
            self._print(timestamp, f"▶ {node.path} started")

    def node_ended(self, node: NodeInfo, event: NodeEndEvent, tally: Tally) -> None:
        """``✓ node completed`` outside maps, with the overall count."""
        if node.run.enclosing_map is None:
            cached = " (cached)" if event.cached else ""
            self._print(event.timestamp, f"✓ {node.path} completed{cached} · {tally.render()}")

    def node_failed(self, node: NodeInfo, event: NodeErrorEvent, tally: Tally) -> None:
        """``✗ node FAILED: error`` outside maps, with the overall count."""
        if node.run.enclosing_map is None:
            self._print(
                event.timestamp, f"✗ {node.path} FAILED: {event.error} · {tally.render()}"
            )

    def close(self) -> None:
        """Nothing to release: every line is flushed as it is printed."""
