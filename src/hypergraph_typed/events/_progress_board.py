"""What the live display shows, kept apart from drawing it.

Events update the board in O(1) (a dict lookup and a few counters); nothing is drawn
then. The live display's own thread asks for ``visible_rows`` a few times a second,
which folds the oldest finished bars into one summary line so the frame always fits
the terminal, however many nodes a graph has.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hypergraph_typed.events._progress_stats import Stats
from hypergraph_typed.events._run_tree import NodeInfo, RunInfo


@dataclass
class Row:
    """One bar: a node (per graph, name and depth) or a map, with its counts."""

    label: str
    total: int | None
    is_map: bool = False
    done: int = 0
    running: int = 0
    stats: Stats = field(default_factory=Stats)

    @property
    def foldable(self) -> bool:
        """Finished, not a map and without failures: safe to fold into the summary line."""
        return self.running == 0 and not self.is_map and self.stats.failed == 0

    def count(self) -> str:
        """``done/total`` under a map, else how many times the node finished."""
        return f"{self.done}/{self.total}" if self.total is not None else str(self.done)


@dataclass(frozen=True)
class Frame:
    """What to draw: the folded summary (``None`` when nothing is folded) and the bars."""

    folded: Stats | None
    folded_rows: int
    rows: tuple[Row, ...]
    hidden_rows: int = 0


class Board:
    """The bars of one top-level call, in the order they first appeared."""

    def __init__(self) -> None:
        self._rows: dict[tuple[object, ...], Row] = {}

    def reset(self) -> None:
        """Forget every bar (a new top-level call begins)."""
        self._rows = {}

    def _row(self, key: tuple[object, ...], label: str, depth: int, total: int | None) -> Row:
        row = self._rows.get(key)
        if row is None:
            row = Row("  " * depth + label, total)
            self._rows[key] = row
        return row

    def map_row(self, run: RunInfo) -> Row:
        """The bar of a map run (created on first use)."""
        row = self._row(("map", run.span_id), f"◈ {run.label}", run.depth, run.map_size)
        row.is_map = True
        return row

    def node_row(self, node: NodeInfo) -> Row:
        """The bar shared by every call of this node name at this depth of this graph."""
        m = node.run.enclosing_map
        key = (node.run.graph_name, node.name, node.run.depth)
        return self._row(key, node.name, node.run.depth, m.map_size if m is not None else None)

    def visible_rows(self, max_rows: int) -> Frame:
        """At most ``max_rows`` lines: the oldest foldable bars become one summary line.

        Bars that are running, failed or belong to maps stay; if they alone exceed the
        room, the last line says how many more are hidden.
        """
        rows = list(self._rows.values())  # a snapshot: events may add rows meanwhile
        max_rows = max(max_rows, 2)
        if len(rows) <= max_rows:
            return Frame(None, 0, tuple(rows))
        excess = len(rows) - (max_rows - 1)  # one line goes to the summary
        folded = Stats()
        kept: list[Row] = []
        n_folded = 0
        for row in rows:
            if n_folded < excess and row.foldable:
                folded.merge(row.stats)
                n_folded += 1
            else:
                kept.append(row)
        room = max_rows - (1 if n_folded else 0)
        hidden = 0
        if len(kept) > room:
            hidden = len(kept) - (room - 1)
            kept = kept[: room - 1]
        return Frame(folded if n_folded else None, n_folded, tuple(kept), hidden)
