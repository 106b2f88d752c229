"""Per-call argument checks and the initial state of a run (cheap: the plan did the analysis)."""

from __future__ import annotations

import copy
import itertools
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from hypergraph_typed.compiler.plan import ExecutionPlan
from hypergraph_typed.exceptions import GraphConfigError, IncompatibleRunnerError, MissingInputError
from hypergraph_typed.nodes._introspect import user_stacklevel

# The longest workflow id accepted: ids are keys in every store and appear in child ids.
MAX_WORKFLOW_ID_LENGTH = 200

UNSET: Any = object()
_RESERVED = ("on_internal_override", "_parent_span_id")


@attrs.frozen(slots=True)
class Prepared:
    """Validated inputs for one run: initial slot values and the interrupt answers.

    ``answers`` is keyed by answer slot; each entry is consumed by one interrupt visit.
    ``nested_answers`` maps a GraphNode name to the answers its inner run receives.
    """

    initial: dict[int, Any]
    answers: dict[int, Any]
    nested_answers: dict[str, dict[str, Any]]
    provided: dict[str, Any]


def merge_inputs(
    values: Mapping[str, Any] | None, input_values: Mapping[str, Any], *, sync: bool
) -> dict[str, Any]:
    merged = dict(values or {})
    for key, v in input_values.items():
        if key in _RESERVED or (sync and key == "max_concurrency"):
            raise ValueError(
                f"{key!r} is a reserved keyword of run(); to pass an input with that name, "
                "put it in the values dict"
            )
        if key in merged:
            raise ValueError(
                f"Input {key!r} was given both in values and as a keyword argument; pass it once"
            )
        merged[key] = v
    return merged


def check_options(
    plan: ExecutionPlan, *, on_missing: str, error_handling: str, workflow_id: str | None,
    select: Any, entrypoint: Any,
) -> None:
    if plan.unknown_node is not None:
        raise TypeError(
            f"Node {plan.unknown_node!r} is of a type no runner can execute; subclass "
            "FunctionNode or use @node/@route/@ifelse/@interrupt/as_node()"
        )
    if on_missing not in ("ignore", "warn", "error"):
        raise ValueError(f"on_missing must be 'ignore', 'warn' or 'error', got {on_missing!r}")
    if error_handling not in ("raise", "continue"):
        raise ValueError(f"error_handling must be 'raise' or 'continue', got {error_handling!r}")
    if workflow_id is not None:
        check_workflow_id(workflow_id)
    if select is not UNSET:
        raise ValueError(
            "run(select=...) is not supported: scope is configured on the graph. "
            "Use graph.select(...) instead"
        )
    if entrypoint is not None:
        raise ValueError(
            "run(entrypoint=...) is not supported: use graph.with_entrypoint(...) instead"
        )


def check_workflow_id(workflow_id: object) -> str:
    """A workflow id is a non-empty str of printable characters (``str.isprintable``)
    without '/', at most 200 long.

    It is a key in every store and in child run ids ("W/node"), so anything a store or a
    terminal could alter or misread is refused here, before anything is written.
    """
    rule = (
        "workflow_id must be a non-empty str of at most "
        f"{MAX_WORKFLOW_ID_LENGTH} printable characters (no control characters, "
        "unpaired surrogates or line breaks) without '/'"
    )
    if not isinstance(workflow_id, str):
        raise ValueError(f"{rule}; got {type(workflow_id).__name__} {workflow_id!r}")
    if not workflow_id:
        raise ValueError(f"{rule}; got the empty string (omit workflow_id to generate one)")
    if len(workflow_id) > MAX_WORKFLOW_ID_LENGTH:
        raise ValueError(f"{rule}; got {len(workflow_id)} characters ({workflow_id[:40]!r}...)")
    if "/" in workflow_id:
        raise ValueError(f"{rule}; {workflow_id!r} contains '/' (it separates child runs)")
    if not workflow_id.isprintable():
        bad = next(ch for ch in workflow_id if not ch.isprintable())
        raise ValueError(f"{rule}; {workflow_id!r} contains {bad!r}")
    return workflow_id


def check_sync_compat(plan: ExecutionPlan) -> None:
    if plan.first_async is not None:
        # A GraphNode whose inner graph is async counts as a top-level async node.
        top = plan.first_async.split("/", 1)[0]
        where = "" if top == plan.first_async else f" (via {plan.first_async!r})"
        raise IncompatibleRunnerError(
            f"Node {top!r} is async{where}; SyncRunner cannot run it. Use AsyncRunner",
            node_name=top, capability="supports_async_nodes",
        )
    if plan.first_interrupt is not None:
        raise IncompatibleRunnerError(
            f"Graph contains interrupt {plan.first_interrupt!r}; only AsyncRunner supports "
            "interrupts. Use AsyncRunner",
            node_name=plan.first_interrupt, capability="supports_interrupts",
        )


def prepare(plan: ExecutionPlan, merged: dict[str, Any]) -> Prepared:
    initial: dict[int, Any] = {}
    answers: dict[int, Any] = {}
    nested: dict[str, dict[str, Any]] = {}
    slot_index = plan.slot_index
    accepted = plan.accepted_inputs
    answer_slots = plan.answer_slots
    for key, v in merged.items():
        if "." in key:
            target = plan.nested_resume.get(key)
            if target is not None:
                nested.setdefault(target[0], {})[target[1]] = v
            else:
                warn_unknown_resume_key(plan, key)
            continue
        a = answer_slots.get(key)
        if a is not None:
            if key not in plan.seed_answers:
                answers[a] = v
        elif key in plan.internal:
            raise ValueError(
                f"Cannot provide {key!r}: it is produced by node {plan.internal[key]!r} inside "
                f"the graph, which will still run and overwrite it. To start from {key!r}, "
                f"slice the graph with .with_entrypoint(...) past {plan.internal[key]!r}"
            )
        elif key not in accepted:
            warnings.warn(
                f"{key!r} is not an input of graph {plan.graph_name or 'unnamed'!r} "
                f"(inputs: {sorted(accepted)}); it is kept in state but nothing reads it",
                UserWarning, stacklevel=user_stacklevel(),
            )
        s = slot_index.get(key)
        if s is not None:
            initial[s] = v
    missing = [r for r in plan.required if r not in merged]
    if missing:
        raise MissingInputError(sorted(missing), provided=sorted(merged))
    return Prepared(initial, answers, nested, merged)


def warn_unknown_resume_key(plan: ExecutionPlan, key: str) -> None:
    """A dotted key no nested interrupt answers to: warned about, then ignored."""
    known = sorted(plan.nested_resume)
    warnings.warn(
        f"Unknown resume key {key!r}: no interrupt of graph "
        f"{plan.graph_name or 'unnamed'!r} answers to it, so it is ignored. "
        + (f"Known nested resume keys: {known}; use " if known else "Use ")
        + "result.pause.response_key from the paused run",
        UserWarning, stacklevel=user_stacklevel(),
    )


def expand_map(
    merged: dict[str, Any], map_over: Sequence[str], mode: str, clone: bool | Sequence[str],
) -> list[dict[str, Any]]:
    """Per-item input dicts for map(): zip or product over ``map_over`` lists."""
    for name in map_over:
        if name not in merged:
            raise KeyError(f"map_over name {name!r} has no value; provide a list for it")
    lists = [list(merged[name]) for name in map_over]
    if mode == "zip":
        lengths = {len(items) for items in lists}
        if len(lengths) > 1:
            raise ValueError(
                f"map_mode='zip' needs equal lengths; got "
                f"{dict(zip(map_over, (len(x) for x in lists)))}. Use map_mode='product'"
            )
        combos: list[tuple[Any, ...]] = list(zip(*lists))
    elif mode == "product":
        combos = list(itertools.product(*lists))
    else:
        raise ValueError(f"Unknown map_mode {mode!r}; use 'zip' or 'product'")
    broadcast = {k: v for k, v in merged.items() if k not in map_over}
    to_clone = (
        list(broadcast) if clone is True else [c for c in clone] if clone else []
    )
    items = []
    for combo in combos:
        item = dict(broadcast)
        for name in to_clone:
            if name in item:
                try:
                    item[name] = copy.deepcopy(item[name])
                except Exception as exc:
                    raise GraphConfigError(
                        f"Cannot clone broadcast value {name!r} ({exc}); drop it from clone"
                    ) from exc
        item.update(zip(map_over, combo))
        items.append(item)
    return items


def check_map_compat(plan: ExecutionPlan) -> None:
    if plan.first_interrupt is not None:
        raise IncompatibleRunnerError(
            f"map() cannot run a graph containing interrupt {plan.first_interrupt!r}; "
            "run items one by one with run() and handle pauses per item",
            node_name=plan.first_interrupt, capability="supports_interrupts",
        )


