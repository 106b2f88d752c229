"""Short cell texts for the tables: durations, timestamps, value previews, decisions."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any


def duration(ms: float | None) -> str:
    """``<0.1ms``, ``0.4ms``, ``12ms``, ``1.5s``, ``2m05s``: readable at a glance in a column."""
    if ms is None:
        return "-"
    if ms < 0.05:
        return "<0.1ms"
    if ms < 10:
        return f"{ms:.1f}ms"
    if ms < 1000:
        return f"{ms:.0f}ms"
    if ms < 60_000:
        return f"{ms / 1000:.1f}s"
    minutes, seconds = divmod(round(ms / 1000), 60)
    return f"{minutes}m{seconds:02d}s"


def timestamp(dt: datetime | None) -> str:
    """Seconds precision, always UTC, so rows from different machines compare."""
    if dt is None:
        return "-"
    if dt.tzinfo is not None:
        dt = dt.astimezone(timezone.utc)
    return dt.strftime("%Y-%m-%d %H:%M:%S")


def to_json(value: Any, *, indent: int | None = None) -> str:
    """JSON for any stored value; whatever JSON cannot encode is shown as ``str()``."""
    separators = None if indent else (", ", ": ")
    return json.dumps(jsonable(value), indent=indent, ensure_ascii=False, default=str,
                      separators=separators)


def jsonable(value: Any) -> Any:
    """``value`` with tuples as lists and dict keys JSON cannot have (tuples, bytes) as text."""
    if isinstance(value, dict):
        return {k if k is None or isinstance(k, (str, int, float)) else str(k): jsonable(v)
                for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    return value


def preview(value: Any, limit: int) -> str:
    """One line of compact JSON, cut at ``limit`` characters with an ellipsis."""
    text = to_json(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def listing(value: Any, max_lines: int, width: int) -> tuple[str, ...]:
    """A list one item per line (long lists end with ``… N more``); other values on one line."""
    if not isinstance(value, (list, tuple)) or not value:
        return (preview(value, width),)
    lines = [preview(item, width) for item in value[:max_lines]]
    if len(value) > max_lines:
        lines.append(f"… {len(value) - max_lines} more (--json shows all)")
    return tuple(lines)


def decision(value: Any) -> str:
    """A gate's decision as ``-> target`` (lists of targets joined by commas)."""
    if isinstance(value, (list, tuple)):
        return "-> " + ", ".join(str(v) for v in value)
    return f"-> {value}"


def type_name(value: Any) -> str:
    """``list[4]``, ``dict[2]``, ``str``: the shape of a state value without its content."""
    name = type(value).__name__
    if isinstance(value, (list, tuple, dict)):
        return f"{name}[{len(value)}]"
    return "null" if value is None else name
