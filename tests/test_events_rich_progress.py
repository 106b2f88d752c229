"""RichProgressProcessor fed with synthetic event sequences, in each display mode."""

from __future__ import annotations

import io
import re
import sys
import time
import types
from collections.abc import Iterator

import pytest
from rich.console import Console

from hypergraph_typed.events import (
    CacheHitEvent,
    InterruptEvent,
    NodeEndEvent,
    NodeErrorEvent,
    NodeStartEvent,
    RunEndEvent,
    RunStartEvent,
    RunStatus,
)
from hypergraph_typed.events.rich_progress import RichProgressProcessor, resolve_mode
from hypergraph_typed.events.types import Event

T0 = 1_700_000_000.0  # 22:13:20 UTC


class Seq:
    """Builds a span-linked event sequence with timestamps one second apart."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self.t = T0

    def _ts(self) -> float:
        ts = self.t
        self.t += 1
        return ts

    def run_start(self, span: str, graph: str | None, parent: str | None = None,
                  map_size: int | None = None) -> None:
        self.events.append(RunStartEvent(
            "r", span_id=span, parent_span_id=parent, timestamp=self._ts(), graph_name=graph,
            is_map=map_size is not None, map_size=map_size,
        ))

    def run_end(self, span: str, graph: str | None, parent: str | None = None,
                status: RunStatus = RunStatus.COMPLETED, error: str | None = None,
                ms: float = 5.0) -> None:
        self.events.append(RunEndEvent(
            "r", span_id=span, parent_span_id=parent, timestamp=self._ts(), graph_name=graph,
            status=status, error=error, duration_ms=ms,
        ))

    def start(self, span: str, name: str, run: str, graph: str | None = "g") -> None:
        self.events.append(NodeStartEvent(
            "r", span_id=span, parent_span_id=run, timestamp=self._ts(), node_name=name,
            graph_name=graph,
        ))

    def end(self, span: str, name: str, run: str, graph: str | None = "g",
            ms: float = 10.0, cached: bool = False) -> None:
        if cached:
            self.events.append(CacheHitEvent(
                "r", span_id=span, parent_span_id=run, timestamp=self.t, node_name=name,
                graph_name=graph, cache_key="k",
            ))
        self.events.append(NodeEndEvent(
            "r", span_id=span, parent_span_id=run, timestamp=self._ts(), node_name=name,
            graph_name=graph, duration_ms=0.0 if cached else ms, cached=cached,
        ))

    def fail(self, span: str, name: str, run: str, graph: str | None = "g") -> None:
        self.events.append(NodeErrorEvent(
            "r", span_id=span, parent_span_id=run, timestamp=self._ts(), node_name=name,
            graph_name=graph, error="boom", error_type="builtins.ValueError",
        ))

    def node(self, span: str, name: str, run: str, graph: str | None = "g", **kw: object) -> None:
        self.start(span, name, run, graph)
        self.end(span, name, run, graph, **kw)  # type: ignore[arg-type]


def feed(p: RichProgressProcessor, seq: Seq) -> None:
    for ev in seq.events:
        p.on_event(ev)


@pytest.fixture
def utc(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def lines_of(capsys: pytest.CaptureFixture[str]) -> list[str]:
    """The progress lines, which go to stderr; stdout stays the program's own."""
    out, err = capsys.readouterr()
    assert out == ""
    return err.splitlines()


# -- non-tty -------------------------------------------------------------------------------
def test_non_tty_lines_for_a_run(utc: None, capsys: pytest.CaptureFixture[str]) -> None:
    s = Seq()
    s.run_start("R", "pipeline")
    s.node("a", "fetch", "R")
    s.node("b", "parse", "R", cached=True)
    s.start("c", "store", "R")
    s.fail("c", "store", "R")
    s.run_end("R", "pipeline", status=RunStatus.FAILED, error="boom")
    p = RichProgressProcessor(force_mode="non-tty")
    feed(p, s)
    assert p.mode == "non-tty"
    assert lines_of(capsys) == [
        "[22:13:21] ▶ fetch started",
        "[22:13:22] ✓ fetch completed · 1 node done",
        "[22:13:23] ▶ parse started",
        "[22:13:24] ✓ parse completed (cached) · 2 nodes done",
        "[22:13:25] ▶ store started",
        "[22:13:26] ✗ store FAILED: boom · 3 nodes done, 1 failed",
        "[22:13:27] ✗ pipeline failed: boom · 3 nodes done, 1 failed",
    ]


def test_non_tty_nested_nodes_use_path_names(utc: None, capsys: pytest.CaptureFixture[str]) -> None:
    s = Seq()
    s.run_start("R", "outer")
    s.start("gn", "inner", "R", "outer")
    s.run_start("I", "inner_graph", parent="gn")
    s.node("x", "step", "I", "inner_graph")
    s.run_end("I", "inner_graph", parent="gn")
    s.end("gn", "inner", "R", "outer")
    s.run_end("R", "outer")
    feed(RichProgressProcessor(force_mode="non-tty"), s)
    assert [line[11:] for line in lines_of(capsys)] == [
        "▶ inner started",
        "▶ inner/step started",
        "✓ inner/step completed · 1 node done",
        "✓ inner completed · 2 nodes done",
        "✓ outer completed! · 2 nodes done",
    ]


def test_non_tty_paused_and_unnamed(utc: None, capsys: pytest.CaptureFixture[str]) -> None:
    s = Seq()
    s.run_start("R", None)
    s.start("q", "ask", "R", None)
    s.events.append(InterruptEvent(
        "r", span_id="q", parent_span_id="R", timestamp=s.t, node_name="ask",
        value="approve?", response_param="answer",
    ))
    s.run_end("R", None, status=RunStatus.PAUSED)
    feed(RichProgressProcessor(force_mode="non-tty"), s)
    assert [line[11:] for line in lines_of(capsys)] == ["▶ ask started", "‖ Run paused · 0 nodes done"]


def _map_seq(size: int, graph: str | None, failing: frozenset[int] = frozenset()) -> Seq:
    s = Seq()
    s.run_start("M", graph, map_size=size)
    for i in range(size):
        s.run_start(f"I{i}", graph, parent="M")
        s.start(f"n{i}", "work", f"I{i}", graph)
        if i in failing:
            s.fail(f"n{i}", "work", f"I{i}", graph)
            s.run_end(f"I{i}", graph, parent="M", status=RunStatus.FAILED, error="boom")
        else:
            s.end(f"n{i}", "work", f"I{i}", graph)
            s.run_end(f"I{i}", graph, parent="M")
    s.run_end("M", graph)
    return s


def test_non_tty_map_prints_milestones_only(utc: None, capsys: pytest.CaptureFixture[str]) -> None:
    feed(RichProgressProcessor(force_mode="non-tty"), _map_seq(8, "batch", failing=frozenset({3})))
    out = [line[11:] for line in lines_of(capsys)]
    assert out == [
        "◈ batch: 10% (1/8)",
        "◈ batch: 25% (2/8)",
        "◈ batch: 50% (4/8, 1 failed)",
        "◈ batch: 75% (6/8, 1 failed)",
        "◈ batch: 100% (8/8, 1 failed)",
        "✓ batch completed! · 8 nodes done, 1 failed; 8 map items, 1 failed",
    ]


def test_non_tty_map_prints_once_when_several_milestones_pass(
    utc: None, capsys: pytest.CaptureFixture[str]
) -> None:
    feed(RichProgressProcessor(force_mode="non-tty"), _map_seq(3, None))
    assert [line[11:] for line in lines_of(capsys)] == [
        "◈ Run: 25% (1/3)",
        "◈ Run: 50% (2/3)",
        "◈ Run: 100% (3/3)",
        "✓ Run completed! · 3 nodes done; 3 map items",
    ]


def test_new_top_level_run_resets_state(utc: None, capsys: pytest.CaptureFixture[str]) -> None:
    s = _map_seq(4, "batch")
    s.events = s.events[:4]  # the map and its first item start; nothing ends
    s.run_start("R2", "second")  # a new top-level call
    s.node("z", "solo", "R2", "second")
    s.run_end("R2", "second")
    # A stray end of the abandoned map's item is ignored after the reset.
    s.run_end("I0", "batch", parent="M")
    feed(RichProgressProcessor(force_mode="non-tty"), s)
    assert [line[11:] for line in lines_of(capsys)] == [
        "▶ solo started", "✓ solo completed · 1 node done", "✓ second completed! · 1 node done",
    ]


# -- tty (rich) ----------------------------------------------------------------------------
def screen(raw: str) -> list[str]:
    """The final text on a terminal that received ``raw`` (the codes rich uses for Live)."""
    rows: list[list[str]] = [[]]
    row = col = 0
    i = 0
    while i < len(raw):
        m = re.match(r"\x1b\[(\??)(\d*)([A-Za-z])", raw[i:])
        if m:
            n = int(m.group(2) or 1)
            code = m.group(3)
            if code == "A":
                row = max(0, row - n)
            elif code == "K":
                rows[row] = [] if m.group(2) == "2" else rows[row][:col]
            i += m.end()
            continue
        c = raw[i]
        if c == "\r":
            col = 0
        elif c == "\n":
            row += 1
            col = 0
            while len(rows) <= row:
                rows.append([])
        else:
            line = rows[row]
            line.extend(" " * (col - len(line)))
            if col < len(line):
                line[col] = c
            else:
                line.append(c)
            col += 1
        i += 1
    text = ["".join(r).rstrip() for r in rows]
    while text and not text[-1]:
        text.pop()
    return text


def tty_processor(**kw: object) -> tuple[RichProgressProcessor, io.StringIO]:
    buf = io.StringIO()
    console = Console(file=buf, force_terminal=True, color_system=None, width=100)
    p = RichProgressProcessor(force_mode="tty", console=console, **kw)  # type: ignore[arg-type]
    return p, buf


def _run_with_repeats() -> Seq:
    s = Seq()
    s.run_start("R", "pipe")
    s.node("a1", "a", "R", "pipe", ms=10.0)
    s.node("b1", "b", "R", "pipe", ms=30.0)
    s.node("a2", "a", "R", "pipe", cached=True)
    s.node("a3", "a", "R", "pipe", ms=50.0)
    s.start("c1", "c", "R", "pipe")
    s.fail("c1", "c", "R", "pipe")
    s.run_end("R", "pipe", status=RunStatus.FAILED, error="boom")
    return s


def test_tty_one_bar_per_node_with_stats() -> None:
    p, buf = tty_processor()
    feed(p, _run_with_repeats())
    assert p.mode == "tty"
    final = screen(buf.getvalue())
    assert final[-1] == "✗ pipe failed: boom · 5 nodes done, 1 failed"
    bars = final[:-1]
    assert len(bars) == 3
    assert re.fullmatch(r"a +━+ 3 2✓ 1◉ ~30ms", bars[0]), bars
    assert re.fullmatch(r"b +━+ 1 1✓ ~30ms", bars[1]), bars
    assert re.fullmatch(r"c +━+ 1 1✗", bars[2]), bars


def test_tty_transient_clears_bars() -> None:
    p, buf = tty_processor(transient=True)
    feed(p, _run_with_repeats())
    assert "a ━" in buf.getvalue()  # bars were drawn while running
    assert screen(buf.getvalue()) == ["✗ pipe failed: boom · 5 nodes done, 1 failed"]


def test_tty_map_bar_with_items_nested_under_it() -> None:
    p, buf = tty_processor()
    feed(p, _map_seq(4, "batch", failing=frozenset({2})))
    final = screen(buf.getvalue())
    assert final[-1] == "✓ batch completed! · 4 nodes done, 1 failed; 4 map items, 1 failed"
    assert len(final) == 3
    assert re.fullmatch(r"◈ batch +━+ 4/4 3✓ 1✗ ~5ms", final[0]), final
    assert re.fullmatch(r"  work +━+ 4/4 3✓ 1✗ ~10ms", final[1]), final


def test_tty_nested_graph_nodes_are_indented() -> None:
    s = Seq()
    s.run_start("R", "outer")
    s.start("gn", "inner", "R", "outer")
    s.run_start("I", "inner_graph", parent="gn")
    s.node("x", "step", "I", "inner_graph")
    s.run_end("I", "inner_graph", parent="gn")
    s.end("gn", "inner", "R", "outer", ms=12.0)
    s.run_end("R", "outer", status=RunStatus.PAUSED)
    p, buf = tty_processor()
    feed(p, s)
    final = screen(buf.getvalue())
    assert final[-1] == "‖ outer paused · 2 nodes done"
    assert re.fullmatch(r"inner +━+ 1 1✓ ~12ms", final[0]), final
    assert re.fullmatch(r"  step +━+ 1 1✓ ~10ms", final[1]), final


def test_tty_second_run_starts_with_fresh_bars() -> None:
    s = Seq()
    s.run_start("R1", "first")
    s.node("a", "alpha", "R1", "first")
    s.run_end("R1", "first")
    s.run_start("R2", "second")
    s.node("b", "beta", "R2", "second")
    s.run_end("R2", "second")
    p, buf = tty_processor()
    feed(p, s)
    final = screen(buf.getvalue())
    assert [line.split(" ")[0] for line in final] == ["alpha", "✓", "beta", "✓"]
    assert final[1] == "✓ first completed! · 1 node done"
    assert final[3] == "✓ second completed! · 1 node done"


def test_shutdown_stops_a_live_display_left_open() -> None:
    s = Seq()
    s.run_start("R", "pipe")
    s.start("a", "a", "R", "pipe")
    p, buf = tty_processor()
    feed(p, s)
    p.shutdown()
    assert "\x1b[?25h" in buf.getvalue()  # the cursor is shown again: the live display stopped
    p.shutdown()  # idempotent


def test_notebook_mode_draws_live_bars() -> None:
    buf = io.StringIO()
    console = Console(file=buf, force_terminal=True, color_system=None, width=100)
    p = RichProgressProcessor(force_mode="notebook", console=console)
    assert p.mode == "notebook"
    feed(p, _run_with_repeats())
    assert screen(buf.getvalue())[-1] == "✗ pipe failed: boom · 5 nodes done, 1 failed"
    assert any(line.startswith("a ━") for line in screen(buf.getvalue()))


# -- mode selection ----------------------------------------------------------------------------
class _Stdout(io.StringIO):
    def __init__(self, tty: bool) -> None:
        super().__init__()
        self._tty = tty

    def isatty(self) -> bool:
        return self._tty


def test_auto_mode_follows_stdout(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(sys.modules, "IPython", raising=False)
    monkeypatch.setattr(sys, "stdout", _Stdout(tty=True))
    assert resolve_mode("auto") == "tty"
    monkeypatch.setattr(sys, "stdout", _Stdout(tty=False))
    assert resolve_mode("auto") == "non-tty"
    assert RichProgressProcessor().mode == "non-tty"


def test_auto_mode_detects_a_jupyter_kernel(monkeypatch: pytest.MonkeyPatch) -> None:
    shell = types.SimpleNamespace(kernel=object())
    fake = types.ModuleType("IPython")
    fake.get_ipython = lambda: shell  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "IPython", fake)
    monkeypatch.setattr(sys, "stdout", _Stdout(tty=False))
    assert resolve_mode("auto") == "notebook"
    shell.kernel = None  # a terminal IPython has no kernel
    assert resolve_mode("auto") == "non-tty"


def test_unknown_mode_is_rejected() -> None:
    with pytest.raises(ValueError, match="force_mode must be one of"):
        RichProgressProcessor(force_mode="fancy")  # type: ignore[arg-type]


def test_live_modes_without_rich_print_plain_lines(
    utc: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "rich", None)
    monkeypatch.setitem(sys.modules, "rich.console", None)
    for mode in ("tty", "notebook"):
        p = RichProgressProcessor(force_mode=mode)  # type: ignore[arg-type]
        assert p.mode == "non-tty"
        feed(p, _run_with_repeats())
        lines = [line[11:] for line in lines_of(capsys)]
        assert lines[-1] == "✗ pipe failed: boom · 5 nodes done, 1 failed"
        assert "✓ a completed (cached) · 3 nodes done" in lines


def test_tty_average_uses_readable_units() -> None:
    s = Seq()
    s.run_start("R", "pipe")
    s.node("f", "fast", "R", "pipe", ms=0.4)
    s.node("w", "slow", "R", "pipe", ms=2500.0)
    s.node("t", "tiny", "R", "pipe", ms=0.04)
    s.run_end("R", "pipe")
    p, buf = tty_processor()
    feed(p, s)
    final = screen(buf.getvalue())
    assert re.fullmatch(r"fast +━+ 1 1✓ ~0\.4ms", final[0]), final
    assert re.fullmatch(r"tiny +━+ 1 1✓ ~40µs", final[2]), final
    assert re.fullmatch(r"slow +━+ 1 1✓ ~2\.5s", final[1]), final
