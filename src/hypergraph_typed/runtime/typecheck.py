"""Runtime edge type checks (``type_check="edges"``): run a plan's precompiled checks.

The plan's ``EdgeChecks`` (``compiler.edge_types.build_edge_checks``) say what to check
per node; the functions here only index into them, so a node with nothing to check
costs one tuple lookup. A failure raises ``EdgeTypeError`` naming where the value came
from, who expected what, and what arrived.
"""

from __future__ import annotations

import reprlib
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from hypergraph_typed._sentinels import MISSING
from hypergraph_typed.compiler.edge_types import TYPEGUARD_HINT, EdgeCheck, EdgeChecks
from hypergraph_typed.compiler.types import type_name
from hypergraph_typed.exceptions import EdgeTypeError

if TYPE_CHECKING:
    from hypergraph_typed.compiler.plan import ExecutionPlan

__all__ = [
    "EdgeTypeError",
    "SlotState",
    "check_answers",
    "check_inputs",
    "check_outputs",
    "check_prepared",
    "check_values",
    "require_typeguard",
]


class SlotState(Protocol):
    """What ``check_inputs`` reads from the run state (the scheduler has both lists)."""

    values: list[Any]
    writer: list[int]


def require_typeguard() -> None:
    """Raise ``ImportError`` with an install hint when typeguard is missing."""
    try:
        import typeguard  # noqa: F401
    except ImportError as exc:  # pragma: no cover - exercised only without the extra
        raise ImportError(TYPEGUARD_HINT) from exc


_REPR = reprlib.Repr()
_REPR.maxstring = 60
_REPR.maxother = 60


def _describe(value: Any) -> str:
    try:
        shown = _REPR.repr(value)
    except Exception:
        shown = "<unprintable>"
    return f"{type(value).__qualname__} {shown}"


_SOURCES = {
    "input": "the run input",
    "bound value": "the bound value",
    "resume answer": "the resume answer",
}


def _source(producer: str) -> str:
    return " or ".join(_SOURCES.get(p, f"node {p!r}") for p in producer.split(" or "))


def _fail(c: EdgeCheck, value: Any, producer: str, detail: str) -> EdgeTypeError:
    expected = type_name(c.expected)
    got = _describe(value)
    extra = f" ({detail})" if detail else ""
    src = _source(producer)
    if c.consumer is None:
        msg = (
            f"Edge type check failed for {c.name!r}: {src} returned {got}{extra}, but its "
            f"annotation declares {expected}{f' ({c.via})' if c.via else ''}. Return a "
            "value of the declared type, or correct the annotation"
        )
    elif c.param is None:
        msg = (
            f"Edge type check failed for {c.name!r}: {src} is {got}{extra}, but interrupt "
            f"{c.consumer!r} declares {expected}. Resume with a value of that type"
        )
    else:
        via = f" ({c.via})" if c.via else ""
        fix = (
            "Pass a value of that type" if producer in _SOURCES
            else f"Convert the value before it reaches {c.consumer!r}, or correct the annotations"
        )
        msg = (
            f"Edge type check failed for {c.name!r}: {src} gave {got}{extra} to parameter "
            f"{c.param!r} of node {c.consumer!r}{via}, which expects {expected}. {fix}"
        )
    return EdgeTypeError(
        msg, producer=producer, consumer=c.consumer, param=c.param, value_name=c.name,
        expected=c.expected, value=value,
    )


def check_inputs(
    checks: EdgeChecks, node_index: int, args: Sequence[Any], state: SlotState | None = None,
) -> None:
    """Check node ``node_index``'s arguments (in ``in_slots`` order) before the call.

    With ``state`` (the run's scheduler), an argument filled from a default or a bound
    value is not an edge and is skipped, and the error names the node that actually
    wrote the value; without it every argument is checked and the producer is named
    from the plan (all candidates when several nodes write the value).
    """
    todo = checks.inputs[node_index]
    if not todo:
        return
    for c in todo:
        value = args[c.position]
        detail = c.check(value)
        if detail is None:
            continue
        if state is not None:
            if state.values[c.slot] is MISSING:
                continue  # a default or bound value filled it: not an edge
            w = state.writer[c.slot]
            producer = checks.node_names[w] if w >= 0 else "input"
        else:
            producer = " or ".join(c.producers)
        raise _fail(c, value, producer, detail)


def check_outputs(checks: EdgeChecks, node_index: int, outputs: Sequence[Any]) -> None:
    """Check a finished node's data outputs (in ``out_slots`` order) against its annotations."""
    todo = checks.outputs[node_index]
    if not todo:
        return
    for c in todo:
        value = outputs[c.position]
        detail = c.check(value)
        if detail is None or value is MISSING:
            continue
        raise _fail(c, value, c.producers[0], detail)


def check_answers(checks: EdgeChecks, answers_by_slot: Mapping[int, Any]) -> None:
    """Check resume answers (keyed by answer slot) before the run starts."""
    table = checks.answers
    if not table:
        return
    for slot, value in answers_by_slot.items():
        for c in table.get(slot, ()):
            detail = c.check(value)
            if detail is not None:
                raise _fail(c, value, "resume answer", detail)


def check_values(
    checks: EdgeChecks, plan: ExecutionPlan, values_by_name: Mapping[str, Any],
) -> None:
    """Check run inputs and bound values against every parameter that reads them.

    A value that is the graph's bound value (by identity) is reported as ``"bound
    value"``, anything else as ``"input"``. Names that are not graph inputs (resume
    answers, nested ``gn.key`` paths, unknown names) are left to their own checks.
    """
    table = checks.values
    if not table:
        return
    bound = plan.bound
    for name, value in values_by_name.items():
        todo = table.get(name)
        if not todo:
            continue
        for c in todo:
            detail = c.check(value)
            if detail is not None:
                producer = "bound value" if name in bound and bound[name] is value else "input"
                raise _fail(c, value, producer, detail)


def check_prepared(plan: ExecutionPlan, prepared: Any) -> None:
    """Under ``type_check="edges"``: a call's inputs, bound values and answers, up front.

    Runs before anything is written or any node runs, so a bad input leaves no trace.
    A plan without edge checks (the default) costs one attribute read.
    """
    checks = plan.edge_checks
    if checks is None:
        return
    check_values(checks, plan, {**plan.bound, **prepared.provided})
    if prepared.answers:
        check_answers(checks, prepared.answers)
