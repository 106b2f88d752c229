"""``RichProgressProcessor``: shows a run's progress as live bars or as plain lines.

The mode is chosen once, at construction: live bars (``rich``) in a terminal or a
notebook, timestamped lines on stderr when stdout is a pipe or a log file, or when
``rich`` is not installed. Every event costs O(1): live bars are redrawn by their own
thread a few times a second, never while a node is being timed.
"""

from __future__ import annotations

import logging
import sys
from typing import TYPE_CHECKING, Literal, Protocol

from hypergraph_typed.events._progress_lines import LineRenderer
from hypergraph_typed.events._progress_stats import Tally
from hypergraph_typed.events._run_tree import NodeInfo, RunInfo, RunTree
from hypergraph_typed.events.processor import TypedEventProcessor
from hypergraph_typed.events.types import (
    NodeEndEvent,
    NodeErrorEvent,
    NodeStartEvent,
    RunEndEvent,
    RunStartEvent,
    RunStatus,
)

if TYPE_CHECKING:
    from rich.console import Console

logger: logging.Logger = logging.getLogger("hypergraph_typed.events")

ProgressMode = Literal["tty", "notebook", "non-tty", "auto"]
_MODES = ("tty", "notebook", "non-tty", "auto")


class _Renderer(Protocol):
    def reset(self) -> None: ...
    def run_started(self, run: RunInfo, timestamp: float) -> None: ...
    def run_ended(self, run: RunInfo, event: RunEndEvent, tally: Tally) -> None: ...
    def node_started(self, node: NodeInfo, timestamp: float) -> None: ...
    def node_ended(self, node: NodeInfo, event: NodeEndEvent, tally: Tally) -> None: ...
    def node_failed(self, node: NodeInfo, event: NodeErrorEvent, tally: Tally) -> None: ...
    def close(self) -> None: ...


def _in_notebook() -> bool:
    """True inside a Jupyter kernel (IPython with a kernel attached)."""
    ipython = sys.modules.get("IPython")
    get_ipython = getattr(ipython, "get_ipython", None)
    shell = get_ipython() if callable(get_ipython) else None
    return getattr(shell, "kernel", None) is not None


def resolve_mode(force_mode: str) -> Literal["tty", "notebook", "non-tty"]:
    """The concrete mode for ``force_mode`` in the current process."""
    if force_mode not in _MODES:
        raise ValueError(f"force_mode must be one of {list(_MODES)}, got {force_mode!r}")
    if force_mode == "tty":
        return "tty"
    if force_mode == "notebook":
        return "notebook"
    if force_mode == "non-tty":
        return "non-tty"
    if _in_notebook():
        return "notebook"
    isatty = getattr(sys.stdout, "isatty", None)
    return "tty" if callable(isatty) and isatty() else "non-tty"


def _live_renderer(mode: str, console: Console | None, transient: bool) -> _Renderer | None:
    """Live bars, or ``None`` when ``rich`` is not installed."""
    try:
        from rich.console import Console as RichConsole

        from hypergraph_typed.events._progress_live import LiveRenderer
    except ImportError:
        logger.info(
            "RichProgressProcessor: rich is not installed, so %s mode prints plain lines "
            "(install it with the 'progress' extra for live bars)", mode,
        )
        return None
    if console is None:
        console = RichConsole(force_jupyter=True) if mode == "notebook" else RichConsole()
    return LiveRenderer(console, transient=transient)


class RichProgressProcessor(TypedEventProcessor):
    """Progress of runs and maps: live bars (tty/notebook) or timestamped lines (non-tty).

    Pass it in ``event_processors=[...]`` of ``run`` or ``map``. ``console`` (a
    ``rich.console.Console``) is an addition to hypergraph's API: where live bars are
    drawn; by default a new console on stdout. Without ``rich`` installed, the tty and
    notebook modes print plain lines instead (``mode`` then says ``"non-tty"``).
    """

    def __init__(
        self,
        *,
        transient: bool = False,
        force_mode: ProgressMode = "auto",
        console: Console | None = None,
    ) -> None:
        self.transient: bool = bool(transient)
        mode = resolve_mode(force_mode)
        live = None if mode == "non-tty" else _live_renderer(mode, console, self.transient)
        self.mode: Literal["tty", "notebook", "non-tty"] = mode if live is not None else "non-tty"
        self._renderer: _Renderer = live if live is not None else LineRenderer()
        self._tree = RunTree()
        self._tally = Tally()

    def on_run_start(self, event: RunStartEvent) -> None:
        """Open the display for a new top-level call; give maps their bar."""
        run = self._tree.start_run(event)
        if run.is_root:
            self._renderer.reset()
            self._tally = Tally()
        self._renderer.run_started(run, event.timestamp)

    def on_run_end(self, event: RunEndEvent) -> None:
        """Count a finished map item; close the display when the top-level call ends."""
        run = self._tree.end_run(event)
        if run is None:
            return
        parent = run.parent
        if parent is not None and parent.is_map and run.in_map is parent:
            self._tally.items += 1
            self._tally.items_failed += event.status is RunStatus.FAILED
        self._renderer.run_ended(run, event, self._tally)

    def on_node_start(self, event: NodeStartEvent) -> None:
        """Show the node as running."""
        node = self._tree.start_node(event)
        if node is not None:
            self._renderer.node_started(node, event.timestamp)

    def on_node_end(self, event: NodeEndEvent) -> None:
        """Count the node as done."""
        node = self._tree.node(event.span_id)
        if node is not None:
            self._tally.nodes += 1
            self._renderer.node_ended(node, event, self._tally)

    def on_node_error(self, event: NodeErrorEvent) -> None:
        """Count the node as failed; failures stay visible in every mode."""
        node = self._tree.node(event.span_id)
        if node is not None:
            self._tally.nodes += 1
            self._tally.nodes_failed += 1
            self._renderer.node_failed(node, event, self._tally)

    def shutdown(self) -> None:
        """Stop a live display left open (for example by a run that raised)."""
        self._renderer.close()
