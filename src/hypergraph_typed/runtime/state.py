"""Name-keyed state types exported for compatibility and inspection (the interpreter uses slots)."""

from __future__ import annotations

import copy
import dataclasses
from typing import Any

from hypergraph_typed._sentinels import _EMIT_SENTINEL
from hypergraph_typed.runtime.results import PauseInfo
from hypergraph_typed.runtime.scheduler import changed


@dataclasses.dataclass
class NodeExecution:
    node_name: str
    input_versions: dict[str, int]
    outputs: dict[str, Any]
    output_versions: dict[str, int] = dataclasses.field(default_factory=dict)
    wait_for_versions: dict[str, int] = dataclasses.field(default_factory=dict)
    duration_ms: float = 0.0
    cached: bool = False


@dataclasses.dataclass
class GraphState:
    """Values with versions: a version increments on first set, on a changed value, and
    on every emit signal (each emit is a new event even though its value never changes)."""

    values: dict[str, Any] = dataclasses.field(default_factory=dict)
    versions: dict[str, int] = dataclasses.field(default_factory=dict)
    node_executions: dict[str, NodeExecution] = dataclasses.field(default_factory=dict)
    routing_decisions: dict[str, Any] = dataclasses.field(default_factory=dict)

    def update_value(self, name: str, value: Any) -> None:
        if value is _EMIT_SENTINEL or name not in self.values or changed(self.values[name], value):
            self.versions[name] = self.versions.get(name, 0) + 1
        self.values[name] = value

    def get_version(self, name: str) -> int:
        return self.versions.get(name, 0)

    def copy(self) -> GraphState:
        return GraphState(
            dict(self.values), dict(self.versions), copy.copy(self.node_executions),
            dict(self.routing_decisions),
        )


class PauseExecution(BaseException):
    """Internal pause signal; never escapes ``run()`` (pauses are returned, not raised)."""

    def __init__(self, pause_info: PauseInfo) -> None:
        self.pause_info = pause_info
        super().__init__(pause_info.node_name)
