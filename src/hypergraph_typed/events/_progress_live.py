"""The live progress renderer (tty and notebook modes), drawn with ``rich``.

One bar per ``(graph, node, depth)`` and one per map, indented by nesting depth so a
map's items sit under it. ``rich`` is imported by the caller, which turns a missing
install into an ``ImportError`` with a hint before this module is loaded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from rich.progress import BarColumn, Progress, TaskID, TextColumn

from hypergraph_typed.events._progress_lines import final_line
from hypergraph_typed.events._run_tree import NodeInfo, RunInfo
from hypergraph_typed.events.types import RunEndEvent, RunStatus

if TYPE_CHECKING:
    from rich.console import Console


@dataclass
class _Stats:
    ok: int = 0
    failed: int = 0
    cached: int = 0
    ms: list[float] = field(default_factory=list)

    def render(self) -> str:
        parts = []
        if self.ok:
            parts.append(f"{self.ok}✓")
        if self.failed:
            parts.append(f"{self.failed}✗")
        if self.cached:
            parts.append(f"{self.cached}◉")
        if self.ms:
            avg = sum(self.ms) / len(self.ms)
            if avg < 1:
                parts.append(f"~{avg:.1f}ms")
            else:
                parts.append(f"~{avg:.0f}ms" if avg < 1000 else f"~{avg / 1000:.1f}s")
        return " ".join(parts)


@dataclass
class _Bar:
    task: TaskID
    total: int | None
    done: int = 0
    stats: _Stats = field(default_factory=_Stats)

    def count(self) -> str:
        return f"{self.done}/{self.total}" if self.total is not None else str(self.done)


class LiveRenderer:
    """Keeps a ``rich.progress.Progress`` alive from the root run's start to its end."""

    def __init__(self, console: Console, *, transient: bool) -> None:
        self._console = console
        self._transient = transient
        self._progress: Progress | None = None
        self._bars: dict[tuple[object, ...], _Bar] = {}

    def _new_progress(self) -> Progress:
        return Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.fields[count]}"),
            TextColumn("{task.fields[stats]}"),
            console=self._console,
            transient=self._transient,
            auto_refresh=False,
        )

    def reset(self) -> None:
        self.close()
        self._bars.clear()

    def _bar(self, key: tuple[object, ...], label: str, depth: int, total: int | None) -> _Bar:
        bar = self._bars.get(key)
        if bar is None:
            assert self._progress is not None
            task = self._progress.add_task(
                "  " * depth + label, total=total, stats="", count=""
            )
            bar = _Bar(task, total)
            self._bars[key] = bar
        return bar

    def _update(self, bar: _Bar, *, advance: bool) -> None:
        assert self._progress is not None
        if advance:
            bar.done += 1
        self._progress.update(
            bar.task, completed=bar.done, stats=bar.stats.render(), count=bar.count()
        )
        self._progress.refresh()

    def run_started(self, run: RunInfo, timestamp: float) -> None:
        if run.is_root:
            self._progress = self._new_progress()
            self._progress.start()
        if run.is_map:
            bar = self._bar(("map", run.span_id), f"◈ {run.label}", run.depth, run.map_size)
            self._update(bar, advance=False)

    def run_ended(self, run: RunInfo, event: RunEndEvent) -> None:
        if self._progress is None:
            return
        parent = run.parent
        if parent is not None and parent.is_map and run.in_map is parent:
            bar = self._bars.get(("map", parent.span_id))
            if bar is not None:
                if event.status is RunStatus.FAILED:
                    bar.stats.failed += 1
                else:
                    bar.stats.ok += 1
                bar.stats.ms.append(event.duration_ms)
                self._update(bar, advance=True)
        if run.is_root:
            self._finish()
            self._console.print(final_line(run, event))

    def _node_bar(self, node: NodeInfo) -> _Bar:
        m = node.run.enclosing_map
        total = m.map_size if m is not None else None
        key = (node.run.graph_name, node.name, node.run.depth)
        return self._bar(key, node.name, node.run.depth, total)

    def node_started(self, node: NodeInfo, timestamp: float) -> None:
        if self._progress is not None:
            self._update(self._node_bar(node), advance=False)

    def node_ended(self, node: NodeInfo, timestamp: float, cached: bool, duration_ms: float) -> None:
        if self._progress is None:
            return
        bar = self._node_bar(node)
        if cached:
            bar.stats.cached += 1
        else:
            bar.stats.ok += 1
            bar.stats.ms.append(duration_ms)
        self._update(bar, advance=True)

    def node_failed(self, node: NodeInfo, timestamp: float) -> None:
        if self._progress is None:
            return
        bar = self._node_bar(node)
        bar.stats.failed += 1
        self._update(bar, advance=True)

    def _finish(self) -> None:
        """Fill open-ended bars to what ran, draw the last frame and stop the live display."""
        progress = self._progress
        if progress is None:
            return
        for bar in self._bars.values():
            if bar.total is None:
                progress.update(bar.task, total=max(bar.done, 1), completed=bar.done)
        progress.refresh()
        progress.stop()
        self._progress = None

    def close(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None
