"""What a checkpointer persists: runs, step records, and checkpoints built from them."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import attrs

from hypergraph_typed.checkpointers import _format


class StepStatus(str, enum.Enum):
    """Outcome of one node execution inside a superstep."""

    COMPLETED = "completed"
    FAILED = "failed"
    PAUSED = "paused"


class WorkflowStatus(str, enum.Enum):
    """Lifecycle state of a whole run (workflow)."""

    ACTIVE = "active"
    PAUSED = "paused"
    COMPLETED = "completed"
    FAILED = "failed"


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def _step_status(value: StepStatus | str) -> StepStatus:
    return value if type(value) is StepStatus else StepStatus(value)


@attrs.frozen(repr=False)
class StepRecord:
    """One node execution: enough to rebuild state (``values``) and to audit the run."""

    run_id: str
    superstep: int
    node_name: str
    index: int
    status: StepStatus = attrs.field(converter=_step_status)
    input_versions: dict[str, int]
    values: dict[str, Any] | None = None
    duration_ms: float = 0.0
    cached: bool = False
    decision: Any = None
    error: str | None = None
    node_type: str | None = None
    created_at: datetime = attrs.field(factory=utcnow)
    completed_at: datetime | None = None
    child_run_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain fields; enums as their string values and datetimes as ISO-8601 text."""
        return {
            "run_id": self.run_id,
            "superstep": self.superstep,
            "node_name": self.node_name,
            "index": self.index,
            "status": self.status.value,
            "input_versions": dict(self.input_versions),
            "values": None if self.values is None else dict(self.values),
            "duration_ms": self.duration_ms,
            "cached": self.cached,
            "decision": self.decision,
            "error": self.error,
            "node_type": self.node_type,
            "created_at": _format.iso(self.created_at),
            "completed_at": _format.iso(self.completed_at),
            "child_run_id": self.child_run_id,
        }

    def __repr__(self) -> str:
        return (
            f"Step [{self.index}] {self.node_name} | {self.status.value} | "
            f"{_format.duration(self.duration_ms)} | superstep {self.superstep}"
        )


@attrs.frozen(repr=False)
class PauseRecord:
    """What a paused run waits for: readable by any process (and the CLI).

    ``node_name`` is the interrupt's path (``"inner/approval"`` when nested),
    ``response_keys`` maps each of its outputs to the key a resume passes the answer
    under, ``value``/``values`` are what the interrupt surfaced (its first input / all
    of them). ``answer`` holds the answers once a resume claimed the run with them
    (``None`` while the pause is pending): a resume delivered twice is recognised by it.
    """

    node_name: str
    response_keys: dict[str, str]
    superstep: int
    value: Any = None
    values: dict[str, Any] | None = None
    answer: dict[str, Any] | None = None

    @property
    def pending(self) -> bool:
        """True while no resume has answered the pause."""
        return self.answer is None

    @property
    def response_key(self) -> str:
        """The key of the (first) output: ``run(..., {pause.response_key: answer})``."""
        return next(iter(self.response_keys.values()))

    def to_dict(self) -> dict[str, Any]:
        """Plain fields (the values as they are)."""
        return {
            "node_name": self.node_name,
            "response_keys": dict(self.response_keys),
            "superstep": self.superstep,
            "value": self.value,
            "values": None if self.values is None else dict(self.values),
            "answer": None if self.answer is None else dict(self.answer),
        }

    def __repr__(self) -> str:
        state = "pending" if self.answer is None else "answered"
        keys = ", ".join(self.response_keys.values())
        return f"Pause {self.node_name} | {state} | answer under {keys} | superstep {self.superstep}"


@dataclass(frozen=True, repr=False)
class Run:
    """One workflow: its status, statistics, lineage, lease and current pause.

    ``epoch`` is the lease: it moves on each time a call claims the run (start, resume).
    ``version`` moves on with every write. A claim is a compare-and-set on the version
    the caller read; every write is fenced by the epoch and version its writer holds.
    ``pause`` is what the run waits for (or last waited for), ``None`` if it never paused.
    """

    id: str
    status: WorkflowStatus
    graph_name: str | None = None
    duration_ms: float | None = None
    node_count: int = 0
    error_count: int = 0
    parent_run_id: str | None = None
    forked_from: str | None = None
    fork_superstep: int | None = None
    retry_of: str | None = None
    retry_index: int | None = None
    config: dict[str, Any] | None = None
    created_at: datetime = field(default_factory=utcnow)
    completed_at: datetime | None = None
    epoch: int = 0
    version: int = 0
    pause: PauseRecord | None = None
    # when the run was last written (a run that is active but no longer written to
    # is one whose process may have died)
    updated_at: datetime | None = None

    def __post_init__(self) -> None:
        if type(self.status) is not WorkflowStatus:
            object.__setattr__(self, "status", WorkflowStatus(self.status))

    def to_dict(self) -> dict[str, Any]:
        """Plain fields; the status as its string value and datetimes as ISO-8601 text."""
        return {
            "id": self.id,
            "status": self.status.value,
            "graph_name": self.graph_name,
            "duration_ms": self.duration_ms,
            "node_count": self.node_count,
            "error_count": self.error_count,
            "parent_run_id": self.parent_run_id,
            "forked_from": self.forked_from,
            "fork_superstep": self.fork_superstep,
            "retry_of": self.retry_of,
            "retry_index": self.retry_index,
            "config": None if self.config is None else dict(self.config),
            "created_at": _format.iso(self.created_at),
            "completed_at": _format.iso(self.completed_at),
            "epoch": self.epoch,
            "version": self.version,
            "pause": None if self.pause is None else self.pause.to_dict(),
            "updated_at": _format.iso(self.updated_at),
        }

    def __repr__(self) -> str:
        head = f"Run: {self.id}" + (f" ({self.graph_name})" if self.graph_name else "")
        details = [_format.plural(self.node_count, "step")]
        if self.error_count:
            details.append(_format.plural(self.error_count, "error"))
        if self.retry_of is not None:
            details.append(f"retry #{self.retry_index} of {self.retry_of}")
        elif self.forked_from is not None:
            at = "" if self.fork_superstep is None else f"@{self.fork_superstep}"
            details.append(f"fork of {self.forked_from}{at}")
        if self.parent_run_id is not None:
            details.append(f"child of {self.parent_run_id}")
        parts = [head, self.status.value]
        if self.duration_ms is not None:
            parts.append(_format.duration(self.duration_ms))
        parts.append(", ".join(details))
        return " | ".join(parts)


@dataclass(frozen=True, repr=False)
class Checkpoint:
    """A run's state at some superstep: the seed of a fork, a retry or a restore."""

    values: dict[str, Any]
    steps: list[StepRecord]
    source_run_id: str | None = None
    source_superstep: int | None = None
    retry_of: str | None = None
    retry_index: int | None = None

    def __repr__(self) -> str:
        source = ""
        if self.source_run_id is not None:
            at = "" if self.source_superstep is None else f"@{self.source_superstep}"
            source = f" from {self.source_run_id}{at}"
        return (
            f"Checkpoint{source}: {_format.plural(len(self.values), 'value')}, "
            f"{_format.plural(len(self.steps), 'step')}"
        )
