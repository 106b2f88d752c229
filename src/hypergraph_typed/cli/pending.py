"""What a paused workflow is waiting for.

A run records its pause (``Run.pause``): the interrupt's node path, the key each answer
goes under, and the value it showed. Stores written before pause records existed are
read the old way, from the step records: the pause is the ``paused`` record of an
interrupt in the last superstep. Its value (what the user was shown) is the interrupt's
first input, whose current value is in the run's state (or, for a value the run was
given rather than computed, among its stored inputs). The response key is the
interrupt's output name; a paused record has no outputs, so it is taken from an earlier
answer of the same interrupt and is unknown until the interrupt was answered once.
Nested pauses are followed through the GraphNode's ``child_run_id``; without one, the
paused GraphNode itself is reported, with a note.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hypergraph_typed.checkpointers import StepRecord, StepStatus
from hypergraph_typed.checkpointers.store import StoreCheckpointer

MAX_DEPTH = 32  # nested graphs deeper than this are surely a cycle in the data


@dataclass(frozen=True)
class PendingQuestion:
    """The question a paused workflow shows, and the key its answer must be given under."""

    node_name: str
    response_key: str | None
    value: Any
    input_name: str | None
    note: str | None = None

    def nested_in(self, graph_node: str) -> PendingQuestion:
        key = None if self.response_key is None else f"{graph_node}.{self.response_key}"
        return PendingQuestion(
            f"{graph_node}/{self.node_name}", key, self.value, self.input_name, self.note
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "node_name": self.node_name,
            "response_key": self.response_key,
            "value": self.value,
            "input_name": self.input_name,
            "note": self.note,
        }


def find_pending(store: StoreCheckpointer, run_id: str, depth: int = 0) -> PendingQuestion | None:
    """The pending question of a paused run, or ``None`` if no interrupt is waiting."""
    run = store.get_run(run_id)
    if run is not None and run.pause is not None:
        pause = run.pause
        if not pause.pending:
            return None
        shown = next(iter(pause.values), None) if pause.values else None
        return PendingQuestion(pause.node_name, pause.response_key, pause.value, shown)
    return _from_steps(store, run_id, depth)


def _from_steps(store: StoreCheckpointer, run_id: str, depth: int) -> PendingQuestion | None:
    """Stores without pause records: infer the question from the paused step records."""
    steps = list(store.steps(run_id))
    if not steps or depth > MAX_DEPTH:
        return None
    last = max(s.superstep for s in steps)
    paused = [s for s in steps if s.superstep == last and s.status is StepStatus.PAUSED]
    for record in paused:
        if record.node_type == "InterruptNode":
            return _question(store, run_id, record, steps)
    for record in paused:
        if record.child_run_id is not None:
            inner = _from_steps(store, record.child_run_id, depth + 1)
            if inner is not None:
                return inner.nested_in(record.node_name)
    for record in paused:
        if record.node_type == "GraphNode":
            note = "the interrupt is inside this nested graph, whose inner run is not recorded"
            return PendingQuestion(record.node_name, None, None, None, note)
    return None


def _question(
    store: StoreCheckpointer, run_id: str, record: StepRecord, steps: list[StepRecord]
) -> PendingQuestion:
    inputs = list(record.input_versions)  # in parameter order: the first one is shown
    input_name = inputs[0] if inputs else None
    value = None
    if input_name is not None:
        # node outputs win over the run's inputs (a nested run's values arrive as inputs)
        known = {**store.get_inputs(run_id), **store.state(run_id)}
        value = known.get(input_name)
    return PendingQuestion(record.node_name, _answer_key(record.node_name, steps), value,
                           input_name)


def _answer_key(node_name: str, steps: list[StepRecord]) -> str | None:
    for step in reversed(steps):
        if step.node_name == node_name and step.status is StepStatus.COMPLETED and step.values:
            return next(iter(step.values))
    return None
