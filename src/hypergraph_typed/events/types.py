"""Event types: frozen records of what a run did, in the order it did it.

Runners build them; processors only read them. Every field after ``run_id`` has a
default so that runners (and tests) can set just what they know.
"""

from __future__ import annotations

import enum
import time
from dataclasses import dataclass, field
from typing import Any, Union

from hypergraph_typed._ids import random_hex


class RunStatus(str, enum.Enum):
    """How a run ended, as reported by ``RunEndEvent`` (not the runner's ``RunStatus``)."""

    COMPLETED = "completed"
    FAILED = "failed"
    PAUSED = "paused"

    def __str__(self) -> str:
        return self.value


def new_span_id() -> str:
    """16 random hex characters, the id format of every span."""
    return random_hex(16)


def error_type_name(exc: BaseException) -> str:
    """``"builtins.ValueError"`` style name for ``NodeErrorEvent.error_type``."""
    cls = type(exc)
    return f"{cls.__module__}.{cls.__qualname__}"


@dataclass(frozen=True)
class BaseEvent:
    """Fields shared by every event: the run, the span, its parent and when it happened."""

    run_id: str
    span_id: str = field(default_factory=new_span_id)
    parent_span_id: str | None = None
    timestamp: float = field(default_factory=time.time)


@dataclass(frozen=True)
class RunStartEvent(BaseEvent):
    """A run (or a map, with ``is_map=True``) began."""

    graph_name: str | None = ""
    workflow_id: str | None = None
    is_map: bool = False
    map_size: int | None = None


@dataclass(frozen=True)
class RunEndEvent(BaseEvent):
    """A run ended; ``status`` accepts the enum or its string value."""

    graph_name: str | None = ""
    status: RunStatus = RunStatus.COMPLETED
    error: str | None = None
    duration_ms: float = 0.0

    def __post_init__(self) -> None:
        if not isinstance(self.status, RunStatus):
            try:
                status = RunStatus(self.status)
            except ValueError:
                raise ValueError(
                    f"RunEndEvent.status must be one of {[s.value for s in RunStatus]}, "
                    f"got {self.status!r}"
                ) from None
            object.__setattr__(self, "status", status)


@dataclass(frozen=True)
class SuperstepStartEvent(BaseEvent):
    """A superstep began; ``superstep`` counts from 0 within one call."""

    graph_name: str | None = ""
    superstep: int = 0


@dataclass(frozen=True)
class NodeStartEvent(BaseEvent):
    """A node was called (its span id is shared by its End/Error/CacheHit events)."""

    node_name: str = ""
    graph_name: str | None = ""


@dataclass(frozen=True)
class NodeEndEvent(BaseEvent):
    """A node finished; ``inner_logs`` holds a GraphNode's inner ``RunLog`` objects."""

    node_name: str = ""
    graph_name: str | None = ""
    duration_ms: float = 0.0
    cached: bool = False
    inner_logs: tuple[Any, ...] = ()


@dataclass(frozen=True)
class NodeErrorEvent(BaseEvent):
    """A node raised: ``error`` is ``str(exc)``, ``error_type`` its qualified class name."""

    node_name: str = ""
    graph_name: str | None = ""
    error: str = ""
    error_type: str = ""


@dataclass(frozen=True)
class CacheHitEvent(BaseEvent):
    """A node's outputs came from the cache under ``cache_key``."""

    node_name: str = ""
    graph_name: str | None = ""
    cache_key: str = ""


@dataclass(frozen=True)
class RouteDecisionEvent(BaseEvent):
    """A gate decided: the raw decision (a name, a list of names, ``END`` or ``None``)."""

    node_name: str = ""
    graph_name: str | None = ""
    decision: Any = None


@dataclass(frozen=True)
class InterruptEvent(BaseEvent):
    """A run paused at an interrupt; ``node_name`` is the path name in outer runs."""

    node_name: str = ""
    graph_name: str | None = ""
    workflow_id: str | None = None
    value: Any = None
    response_param: str = ""


@dataclass(frozen=True)
class StopRequestedEvent(BaseEvent):
    """A stop was requested for a workflow (declared for compatibility; never emitted)."""

    workflow_id: str | None = None


Event = Union[
    RunStartEvent,
    RunEndEvent,
    SuperstepStartEvent,
    NodeStartEvent,
    NodeEndEvent,
    NodeErrorEvent,
    CacheHitEvent,
    RouteDecisionEvent,
    InterruptEvent,
    StopRequestedEvent,
]

__all__ = [
    "BaseEvent",
    "CacheHitEvent",
    "Event",
    "InterruptEvent",
    "NodeEndEvent",
    "NodeErrorEvent",
    "NodeStartEvent",
    "RouteDecisionEvent",
    "RunEndEvent",
    "RunStartEvent",
    "RunStatus",
    "StopRequestedEvent",
    "SuperstepStartEvent",
    "error_type_name",
    "new_span_id",
]
