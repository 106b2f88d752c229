"""Small text helpers shared by the reprs of the persisted types."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime


def duration(ms: float | None) -> str:
    """``12ms``, ``1.5s``, ``2m05s``: short enough for a one-line repr."""
    if ms is None:
        return "-"
    if ms < 1000:
        return f"{ms:.0f}ms"
    if ms < 60_000:
        return f"{ms / 1000:.1f}s"
    minutes, seconds = divmod(round(ms / 1000), 60)
    return f"{minutes}m{seconds:02d}s"


def plural(n: int, word: str) -> str:
    """A count with its noun, plural unless the count is 1 (``1 run``, ``2 runs``)."""
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def timestamp(dt: datetime | None) -> str:
    """A timestamp for tables: seconds precision, in UTC."""
    return "-" if dt is None else dt.strftime("%Y-%m-%d %H:%M:%S")


def iso(dt: datetime | None) -> str | None:
    """ISO-8601 text of a timestamp, or ``None``."""
    return None if dt is None else dt.isoformat()


def table(header: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> list[str]:
    """Left-aligned columns, two spaces apart."""
    widths = [len(h) for h in header]
    for row in rows:
        widths = [max(w, len(c)) for w, c in zip(widths, row)]
    return [
        "  ".join(c.ljust(w) for c, w in zip(line, widths)).rstrip()
        for line in [header, *rows]
    ]
