"""``RichProgressProcessor``: shows a run's progress as live bars or as plain lines.

The mode is chosen once, at construction: live bars (``rich``) in a terminal or a
notebook, timestamped lines when stdout is a pipe or a log file.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Literal, Protocol

from hypergraph_typed.events._progress_lines import LineRenderer
from hypergraph_typed.events._run_tree import NodeInfo, RunInfo, RunTree
from hypergraph_typed.events.processor import TypedEventProcessor
from hypergraph_typed.events.types import (
    NodeEndEvent,
    NodeErrorEvent,
    NodeStartEvent,
    RunEndEvent,
    RunStartEvent,
)

if TYPE_CHECKING:
    from rich.console import Console

ProgressMode = Literal["tty", "notebook", "non-tty", "auto"]
_MODES = ("tty", "notebook", "non-tty", "auto")


class _Renderer(Protocol):
    def reset(self) -> None: ...
    def run_started(self, run: RunInfo, timestamp: float) -> None: ...
    def run_ended(self, run: RunInfo, event: RunEndEvent) -> None: ...
    def node_started(self, node: NodeInfo, timestamp: float) -> None: ...
    def node_ended(
        self, node: NodeInfo, timestamp: float, cached: bool, duration_ms: float
    ) -> None: ...
    def node_failed(self, node: NodeInfo, timestamp: float) -> None: ...
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


def _live_renderer(mode: str, console: Console | None, transient: bool) -> _Renderer:
    try:
        from rich.console import Console as RichConsole

        from hypergraph_typed.events._progress_live import LiveRenderer
    except ImportError as exc:
        raise ImportError(
            f"RichProgressProcessor in {mode!r} mode draws live bars with rich, which is not "
            "installed. Install it with: pip install 'hypergraph-typed[progress]' (or "
            "pip install rich), or pass force_mode='non-tty' for plain log lines"
        ) from exc
    if console is None:
        console = RichConsole(force_jupyter=True) if mode == "notebook" else RichConsole()
    return LiveRenderer(console, transient=transient)


class RichProgressProcessor(TypedEventProcessor):
    """Progress of runs and maps: live bars (tty/notebook) or timestamped lines (non-tty).

    ``console`` (a ``rich.console.Console``) is an addition to the reference API: where
    live bars are drawn; by default a new console on stdout.
    """

    def __init__(
        self,
        *,
        transient: bool = False,
        force_mode: ProgressMode = "auto",
        console: Console | None = None,
    ) -> None:
        self.transient = bool(transient)
        self.mode = resolve_mode(force_mode)
        self._renderer: _Renderer = (
            LineRenderer() if self.mode == "non-tty"
            else _live_renderer(self.mode, console, self.transient)
        )
        self._tree = RunTree()

    def on_run_start(self, event: RunStartEvent) -> None:
        run = self._tree.start_run(event)
        if run.is_root:
            self._renderer.reset()
        self._renderer.run_started(run, event.timestamp)

    def on_run_end(self, event: RunEndEvent) -> None:
        run = self._tree.end_run(event)
        if run is not None:
            self._renderer.run_ended(run, event)

    def on_node_start(self, event: NodeStartEvent) -> None:
        node = self._tree.start_node(event)
        if node is not None:
            self._renderer.node_started(node, event.timestamp)

    def on_node_end(self, event: NodeEndEvent) -> None:
        node = self._tree.node(event.span_id)
        if node is not None:
            self._renderer.node_ended(node, event.timestamp, event.cached, event.duration_ms)

    def on_node_error(self, event: NodeErrorEvent) -> None:
        node = self._tree.node(event.span_id)
        if node is not None:
            self._renderer.node_failed(node, event.timestamp)

    def shutdown(self) -> None:
        """Stop a live display left open (for example by a run that raised)."""
        self._renderer.close()
