"""Counters shared by the progress renderers, each updated in O(1) per event.

``Stats`` is one bar's counts (``3✓ 1✗ 2◉ ~40ms``); ``Tally`` is the whole top-level
call's (``12 nodes done, 1 failed; 200 map items, 1 failed``), the overall count that
every mode prints with its last line.
"""

from __future__ import annotations

from dataclasses import dataclass


def format_ms(ms: float) -> str:
    """A duration in readable units: ``40µs``, ``0.4ms``, ``12ms``, ``2.5s``."""
    if ms < 0.1:
        return f"{ms * 1000:.0f}µs"
    if ms < 1:
        return f"{ms:.1f}ms"
    return f"{ms:.0f}ms" if ms < 1000 else f"{ms / 1000:.1f}s"


@dataclass
class Stats:
    """Successes, failures, cache hits and the mean duration of what one bar counts."""

    ok: int = 0
    failed: int = 0
    cached: int = 0
    ms_total: float = 0.0
    ms_count: int = 0

    def add_ok(self, duration_ms: float) -> None:
        """Count a success that took ``duration_ms``."""
        self.ok += 1
        self.ms_total += duration_ms
        self.ms_count += 1

    def merge(self, other: Stats) -> None:
        """Add ``other``'s counts to these (used to fold finished bars into one line)."""
        self.ok += other.ok
        self.failed += other.failed
        self.cached += other.cached
        self.ms_total += other.ms_total
        self.ms_count += other.ms_count

    def render(self) -> str:
        """``3✓ 1✗ 2◉ ~40ms``, leaving out the parts that are zero."""
        parts = []
        if self.ok:
            parts.append(f"{self.ok}✓")
        if self.failed:
            parts.append(f"{self.failed}✗")
        if self.cached:
            parts.append(f"{self.cached}◉")
        if self.ms_count:
            parts.append("~" + format_ms(self.ms_total / self.ms_count))
        return " ".join(parts)


@dataclass
class Tally:
    """Overall counts of one top-level call: finished nodes and finished map items."""

    nodes: int = 0
    nodes_failed: int = 0
    items: int = 0
    items_failed: int = 0

    def render(self) -> str:
        """``3 nodes done, 1 failed; 200 map items, 1 failed`` (failures only when any)."""
        text = f"{self.nodes} node{'' if self.nodes == 1 else 's'} done"
        if self.nodes_failed:
            text += f", {self.nodes_failed} failed"
        if self.items:
            text += f"; {self.items} map item{'' if self.items == 1 else 's'}"
            if self.items_failed:
                text += f", {self.items_failed} failed"
        return text
