"""The live progress renderer (tty and notebook modes), drawn with ``rich``.

Events only update a ``Board`` (O(1), no drawing), so a node's recorded duration and
the async event loop never wait for the terminal. A ``rich.live.Live`` redraws the
board from its own thread a few times a second, and once more when the top-level run
ends. ``rich`` is imported by the caller, which falls back to plain lines when it is
missing, before this module is loaded.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.live import Live
from rich.text import Text

from hypergraph_typed.events._progress_board import Board, Frame, Row
from hypergraph_typed.events._progress_lines import final_line
from hypergraph_typed.events._progress_stats import Tally
from hypergraph_typed.events._run_tree import NodeInfo, RunInfo
from hypergraph_typed.events.types import NodeEndEvent, NodeErrorEvent, RunEndEvent, RunStatus

if TYPE_CHECKING:
    from rich.console import Console

REFRESH_PER_SECOND = 4.0
BAR_WIDTH = 40
MAX_ROWS = 12  # at most this many lines, however tall the terminal: a glance, not a log


def _bar(row: Row, width: int) -> Text:
    """``━━━━━━`` filled in proportion to what finished (open-ended: to what started)."""
    total = row.total if row.total is not None else max(row.done + row.running, 1)
    filled = width if total <= 0 else min(width, width * row.done // total)
    return Text.assemble(("━" * filled, "bar.complete"), ("━" * (width - filled), "bar.back"))


def render_frame(frame: Frame) -> Text:
    """One line per bar (label, bar, count, stats), under the summary of the folded ones.

    Plain ``Text`` lines: a frame costs microseconds per bar, so the display's thread
    takes little from the run it watches.
    """
    label_w = max((len(r.label) for r in frame.rows), default=0)
    count_w = max((len(r.count()) for r in frame.rows), default=0)
    lines: list[Text] = []
    if frame.folded is not None:
        n = frame.folded_rows
        lines.append(Text(f"… {n} finished node{'' if n == 1 else 's'}: {frame.folded.render()}"))
    for row in frame.rows:
        line = Text(row.label.ljust(label_w) + " ")
        line.append_text(_bar(row, BAR_WIDTH))
        line.append(f" {row.count().ljust(count_w)} {row.stats.render()}".rstrip())
        lines.append(line)
    if frame.hidden_rows:
        lines.append(Text(f"… {frame.hidden_rows} more running"))
    return Text("\n").join(lines)


class LiveRenderer:
    """Keeps a ``rich.live.Live`` open from the root run's start to its end."""

    def __init__(
        self, console: Console, *, transient: bool,
        refresh_per_second: float = REFRESH_PER_SECOND,
    ) -> None:
        self._console = console
        self._transient = transient
        self._refresh_per_second = refresh_per_second
        self._board = Board()
        self._live: Live | None = None

    def _frame(self) -> Text:
        """Called by the live display's thread: fit the board to the terminal's height."""
        height = min(self._console.size.height - 2, MAX_ROWS)
        return render_frame(self._board.visible_rows(height))

    def reset(self) -> None:
        """Close a display left open and start a new board."""
        self.close()
        self._board.reset()

    def run_started(self, run: RunInfo, timestamp: float) -> None:
        """Open the display for a root run; give a map its bar."""
        if run.is_root:
            self._live = Live(
                console=self._console, transient=self._transient, auto_refresh=True,
                refresh_per_second=self._refresh_per_second, get_renderable=self._frame,
            )
            self._live.start()
        if run.is_map:
            self._board.map_row(run)

    def run_ended(self, run: RunInfo, event: RunEndEvent, tally: Tally) -> None:
        """Count a map item; at the root, draw the last frame and print the final line."""
        if self._live is None:
            return
        parent = run.parent
        if parent is not None and parent.is_map and run.in_map is parent:
            row = self._board.map_row(parent)
            row.done += 1
            if event.status is RunStatus.FAILED:
                row.stats.failed += 1
            else:
                row.stats.add_ok(event.duration_ms)
        if run.is_root:
            self.close()
            self._console.print(Text(final_line(run, event, tally)))

    def node_started(self, node: NodeInfo, timestamp: float) -> None:
        """Mark the node's bar as running."""
        if self._live is not None:
            self._board.node_row(node).running += 1

    def node_ended(self, node: NodeInfo, event: NodeEndEvent, tally: Tally) -> None:
        """Advance the node's bar."""
        if self._live is None:
            return
        row = self._board.node_row(node)
        row.running = max(row.running - 1, 0)
        row.done += 1
        if event.cached:
            row.stats.cached += 1
        else:
            row.stats.add_ok(event.duration_ms)

    def node_failed(self, node: NodeInfo, event: NodeErrorEvent, tally: Tally) -> None:
        """Advance the node's bar and count the failure (failed bars are never folded)."""
        if self._live is None:
            return
        row = self._board.node_row(node)
        row.running = max(row.running - 1, 0)
        row.done += 1
        row.stats.failed += 1

    def close(self) -> None:
        """Draw the last frame and stop the display's thread (idempotent)."""
        live, self._live = self._live, None
        if live is not None:
            live.stop()
