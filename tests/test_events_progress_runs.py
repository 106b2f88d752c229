"""RichProgressProcessor under real runs: cost per event, folding, failures, no rich."""

from __future__ import annotations

import io
import os
import pty
import select
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from rich.console import Console

from harness import RunnerHarness
from hypergraph_typed import FunctionNode, Graph, node
from hypergraph_typed.events._progress_board import Board
from hypergraph_typed.events.rich_progress import RichProgressProcessor
from test_events_rich_progress import screen


def chain(n: int, body: Callable[[int], None] = lambda i: None) -> Graph:
    """``n`` nodes in a line, ``f_i(v{i}) -> v{i+1}``; node ``i`` calls ``body(i)`` first."""

    def make(i: int) -> FunctionNode:
        def step(x: int) -> int:
            body(i)
            return x + 1

        return FunctionNode(step, name=f"f_{i}", output_name=f"v{i + 1}",
                            rename_inputs={"x": f"v{i}"})

    return Graph([make(i) for i in range(n)], name="chain")


class FakeClock:
    """A ``perf_counter`` that moves only when told to: by a node's work or a draw."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class SlowTerminal(io.StringIO):
    """A terminal whose every write from the run's thread costs 10 ms of the fake clock."""

    def __init__(self, clock: FakeClock) -> None:
        super().__init__()
        self.clock = clock
        self.main = threading.get_ident()
        self.main_writes = 0

    def write(self, s: str) -> int:
        if threading.get_ident() == self.main:
            self.main_writes += 1
            self.clock.advance(0.010)
        return super().write(s)


def tty_console(file: io.StringIO, height: int = 25) -> Console:
    return Console(file=file, force_terminal=True, color_system=None, width=100, height=height)


def test_recorded_durations_are_not_inflated_by_drawing(
    kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each node does 20 ms of (fake-clock) work; drawing inside node timing would add 10 ms."""
    clock = FakeClock()
    monkeypatch.setattr(time, "perf_counter", clock)
    term = SlowTerminal(clock)
    g = chain(50, lambda i: clock.advance(0.020))
    progress = RichProgressProcessor(force_mode="tty", console=tty_console(term))
    result = RunnerHarness(kind).run(g, {"v0": 0}, event_processors=[progress])
    assert result["v50"] == 50
    assert result.log is not None
    assert [s.duration_ms for s in result.log.steps] == [20.0] * 50
    assert term.main_writes > 0  # the display was drawn: at the start and at the end


def test_events_draw_nothing_between_start_and_end(kind: str) -> None:
    """Drawing happens on the display's own thread (throttled) and when the run ends."""
    term = SlowTerminal(FakeClock())
    seen: list[int] = []
    g = chain(100, lambda i: seen.append(term.main_writes) if i in (0, 99) else None)
    progress = RichProgressProcessor(force_mode="tty", console=tty_console(term))
    RunnerHarness(kind).run(g, {"v0": 0}, event_processors=[progress])
    first, last = seen
    assert first > 0  # the first frame was drawn when the run started
    assert last == first  # ~200 node events later, the run's thread has drawn nothing more
    assert term.main_writes > last  # the last frame and the final line


def test_a_long_chain_folds_finished_nodes_into_one_summary_line() -> None:
    buf = io.StringIO()
    progress = RichProgressProcessor(force_mode="tty", console=tty_console(buf, height=12))
    RunnerHarness("sync").run(chain(200), {"v0": 0}, event_processors=[progress])
    final = screen(buf.getvalue())
    assert len(final) <= 12
    assert final[0].startswith("… 191 finished nodes: 191✓ ~"), final
    assert [line.split()[0] for line in final[1:-1]] == [f"f_{i}" for i in range(191, 200)]
    assert final[-1] == "✓ chain completed! · 200 nodes done"
    assert "..." not in buf.getvalue()  # rich's overflow marker never appears


def test_only_finished_clean_node_bars_fold() -> None:
    """Running, failed and map bars stay on screen; the oldest clean ones fold first."""
    board = Board()
    rows = [board._row(("n", i), f"n{i}", 0, None) for i in range(8)]
    for row in rows:
        row.done = 1
        row.stats.add_ok(1.0)
    rows[0].stats.failed = 1
    rows[1].running = 1
    rows[2].is_map = True
    frame = board.visible_rows(5)
    assert frame.folded is not None and frame.folded.ok == 4 and frame.folded_rows == 4
    assert [r.label for r in frame.rows] == ["n0", "n1", "n2", "n7"]
    assert frame.hidden_rows == 0
    for row in rows:
        row.running = 1  # nothing can fold: the last line says how many are hidden
    frame = board.visible_rows(5)
    assert frame.folded is None
    assert [r.label for r in frame.rows] == ["n0", "n1", "n2", "n3"]
    assert frame.hidden_rows == 4


# -- a map with one failing item ----------------------------------------------------------
@node(output_name="y")
def work(x: int) -> int:
    if x == 137:
        raise ValueError("bad item 137")
    return x * 2


BATCH = Graph([work], name="batch")
OUTER = Graph([BATCH.as_node().map_over("x", error_handling="continue")], name="outer")


def _map_outer(kind: str, progress: RichProgressProcessor) -> Any:
    return RunnerHarness(kind).run(OUTER, {"x": list(range(200))}, event_processors=[progress])


def test_plain_lines_show_a_failed_map_item(
    kind: str, capsys: pytest.CaptureFixture[str]
) -> None:
    result = _map_outer(kind, RichProgressProcessor(force_mode="non-tty"))
    assert result.completed and result["y"][137] is None
    out, err = capsys.readouterr()
    assert out == ""
    lines = [line[11:] for line in err.splitlines()]
    assert lines[-4:] == [
        "◈ batch: 100% (200/200, 1 failed)",
        "✗ batch: 1 of 200 items failed (first: bad item 137)",
        "✓ batch completed · 201 nodes done, 1 failed; 200 map items, 1 failed",
        "✓ outer completed! · 201 nodes done, 1 failed; 200 map items, 1 failed",
    ]
    assert [line for line in lines if line.startswith("◈")] == [
        "◈ batch: 10% (20/200)",
        "◈ batch: 25% (50/200)",
        "◈ batch: 50% (100/200)",
        "◈ batch: 75% (150/200, 1 failed)",
        "◈ batch: 100% (200/200, 1 failed)",
    ]


def test_live_bars_show_a_failed_map_item(kind: str) -> None:
    buf = io.StringIO()
    _map_outer(kind, RichProgressProcessor(force_mode="tty", console=tty_console(buf)))
    final = screen(buf.getvalue())
    assert [line.split("━")[0].rstrip() for line in final[:3]] == [
        "batch", "  ◈ batch", "    work",
    ]
    assert " 200/200 199✓ 1✗ ~" in final[1], final
    assert " 200/200 199✓ 1✗ ~" in final[2], final
    assert final[-1] == "✓ outer completed! · 201 nodes done, 1 failed; 200 map items, 1 failed"


def test_a_top_level_map_ends_failed_when_an_item_failed(
    capsys: pytest.CaptureFixture[str],
) -> None:
    RunnerHarness("sync").map(
        BATCH, {"x": list(range(200))}, map_over="x", error_handling="continue",
        event_processors=[RichProgressProcessor(force_mode="non-tty")],
    )
    last = capsys.readouterr().err.splitlines()[-1][11:]
    assert last == "✗ batch failed: bad item 137 · 200 nodes done, 1 failed; 200 map items, 1 failed"


# -- a terminal without rich ---------------------------------------------------------------
NO_RICH = """
import importlib.abc, sys

class NoRich(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "rich" or name.startswith("rich."):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

sys.meta_path.insert(0, NoRich())
from hypergraph_typed import Graph, SyncRunner, node
from hypergraph_typed.events.rich_progress import RichProgressProcessor

@node(output_name="y")
def double(x: int) -> int:
    return 2 * x

@node(output_name="z")
def inc(y: int) -> int:
    return y + 1

assert sys.stdout.isatty()
progress = RichProgressProcessor()
print("mode:", progress.mode)
SyncRunner().run(Graph([double, inc], name="small"), {"x": 1}, event_processors=[progress])
"""


def test_a_terminal_without_rich_gets_plain_lines_on_stderr() -> None:
    """A real process whose stdout is a terminal and which cannot import rich."""
    primary, secondary = pty.openpty()
    proc = subprocess.run(
        [sys.executable, "-c", NO_RICH],
        stdout=secondary, stderr=subprocess.PIPE, text=True, timeout=60, check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert select.select([primary], [], [], 10)[0]
    stdout = os.read(primary, 65536).decode()  # before closing our end: Linux drops it then
    os.close(secondary)
    os.close(primary)
    assert stdout.strip() == "mode: non-tty"
    lines = [line[11:] for line in proc.stderr.splitlines()]
    assert lines == [
        "▶ double started", "✓ double completed · 1 node done",
        "▶ inc started", "✓ inc completed · 2 nodes done",
        "✓ small completed! · 2 nodes done",
    ]
