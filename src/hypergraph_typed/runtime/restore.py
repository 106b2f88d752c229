"""Rebuilding a run's scheduler from its stored steps (resume, fork, retry, nested child).

Inputs enter as the run's initial values; each completed step is then committed again,
in order, with its recorded input versions, which rebuilds values, versions, "has run"
flags and gate decisions exactly as the live run had them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from hypergraph_typed._sentinels import END, MISSING
from hypergraph_typed.checkpointers._records import StepRecord, StepStatus
from hypergraph_typed.compiler.plan import GATE, ExecutionPlan
from hypergraph_typed.exceptions import MissingInputError
from hypergraph_typed.runtime.scheduler import Scheduler


def _decision(value: Any) -> Any:
    """Stored decisions come back in serialized form: ``"END"`` is ``END`` again."""
    if value == "END":
        return END
    if isinstance(value, list):
        return [_decision(v) for v in value]
    return value


def restore(
    plan: ExecutionPlan, steps: Iterable[StepRecord], inputs: Mapping[str, Any],
    state: Mapping[str, Any] | None = None,
) -> tuple[Scheduler, int]:
    """A scheduler in the state the stored steps left, and the next superstep number.

    ``state`` (a checkpoint's folded values) fills any value the replay did not produce,
    e.g. outputs of nodes that a different graph version ran.
    """
    slot_index = plan.slot_index
    initial = {slot_index[k]: v for k, v in inputs.items() if k in slot_index}
    sched = Scheduler(plan, initial, restored=True)
    by_name = plan.node_index
    last = -1
    # outputs of nodes this plan does not run (e.g. resumed with_entrypoint downstream)
    outside: dict[str, Any] = {}
    for rec in sorted(steps, key=lambda r: r.index):
        if rec.superstep > last:
            last = rec.superstep
        if rec.status is not StepStatus.COMPLETED:
            continue
        n = by_name.get(rec.node_name)
        if n is None:
            if rec.values:
                outside.update(rec.values)
            continue
        np = plan.nodes[n]
        iv = rec.input_versions
        sched.consumed[n] = [iv.get(name, 0) for name in np.node.inputs]
        if np.wait_slots:
            sched.wait_consumed[n] = [iv.get(name, 0) for name in np.node.wait_for]
        values = rec.values or {}
        if np.kind == GATE:
            decision = _decision(values.get(np.node.data_outputs[0], rec.decision))
            sched.commit_gate(n, decision, np.node.selected_targets(decision))
        else:
            sched.commit(n, tuple(values.get(o, MISSING) for o in np.node.data_outputs))
    if outside:
        state = {**outside, **(state or {})}
    if state:
        for name, v in state.items():
            s = slot_index.get(name)
            if s is not None and sched.values[s] is MISSING:
                sched.values[s] = v
                sched.versions[s] = 1
    sched.candidates = set(range(len(plan.nodes)))
    return sched, last + 1


def override(sched: Scheduler, plan: ExecutionPlan, values: Mapping[str, Any]) -> None:
    """Runtime values on top of restored state: a new version, and their consumers run again.

    Graph inputs are not staleness sources in a live run (they never change mid-run), so
    consumers are reset to "not run yet" explicitly.
    """
    for name, v in values.items():
        s = plan.slot_index.get(name)
        if s is None:
            continue
        sched.values[s] = v
        sched.versions[s] += 1
        for n in plan.slot_readers[s]:
            sched.ran[n] = False
            sched.consumed[n] = None


def check_seed_inputs(sched: Scheduler, plan: ExecutionPlan, provided: Iterable[str]) -> None:
    """A run from a checkpoint skips the usual input check; if nothing can run and a
    node that has not run lacks a graph input, say so instead of completing empty."""
    if sched.any_ready():
        return
    graph_inputs = plan.accepted_inputs
    missing: list[str] = []
    for n, np in enumerate(plan.nodes):
        if sched.ran[n]:
            continue
        for s, fb in zip(np.in_slots, np.fallback_kinds):
            name = plan.slot_names[s]
            if not fb and sched.values[s] is MISSING and name in graph_inputs:
                if name not in missing:
                    missing.append(name)
    if missing:
        names = ", ".join(repr(m) for m in missing)
        raise MissingInputError(
            missing, provided,
            f"Checkpoint resume is missing required seed inputs: {names}. The checkpoint "
            "holds no value for them and no node can run without them; pass them to "
            f"run(), e.g. run(graph, {{{missing[0]!r}: ...}}, checkpoint=...)",
        )
