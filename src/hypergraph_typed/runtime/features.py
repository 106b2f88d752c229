"""Optional per-run features: events, the node cache, runtime edge type checks, checkpoints.

A run that uses none of them has no ``RunFeatures`` and takes the interpreter's fast
path. With any of them, each node goes through the instrumented path, which asks this
object what to do; everything it needs per node was precomputed (edge checks per plan,
cache eligibility per node).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hypergraph_typed._sentinels import MISSING
from hypergraph_typed.cache import compute_cache_key
from hypergraph_typed.compiler.plan import GATE, GRAPH, ExecutionPlan, NodePlan
from hypergraph_typed.events.types import new_span_id
from hypergraph_typed.runtime.outputs import split_outputs

if TYPE_CHECKING:
    from hypergraph_typed.compiler.edge_types import EdgeChecks
    from hypergraph_typed.events.dispatcher import EventDispatcher
    from hypergraph_typed.runtime.durable import DurableRun

# Key under which a gate's decision is stored in its cached output dict.
_DECISION = "__decision__"


class RunFeatures:
    """What one run (or one nested run) does besides calling nodes."""

    __slots__ = (
        "base", "cache", "checks", "dispatcher", "graph_name", "light",
        "parent_span", "run_id", "run_span", "session", "type_check", "workflow_id",
    )

    def __init__(
        self, plan: ExecutionPlan, *, dispatcher: EventDispatcher | None, cache: Any,
        type_check: bool, session: DurableRun | None, run_id: str, parent_span: str | None,
        workflow_id: str | None,
    ) -> None:
        self.dispatcher: EventDispatcher | None = dispatcher
        self.cache: Any = cache
        self.type_check: bool = type_check
        self.checks: EdgeChecks | None = plan.edge_checks if type_check else None
        self.session: DurableRun | None = session
        self.run_id: str = run_id
        self.run_span: str = new_span_id()
        self.parent_span: str | None = parent_span
        self.graph_name: str | None = plan.graph_name
        self.workflow_id: str | None = workflow_id
        # Nothing wraps the node calls (no events, cache or edge checks): the run loop
        # may call plain functions inline and only stages checkpoint records.
        self.light: bool = dispatcher is None and cache is None and self.checks is None
        # First superstep number of this call (a resumed run continues the stored
        # numbering); run logs count from 0 within the call.
        self.base: int = 0

    def nested(self, plan: ExecutionPlan, parent_span: str | None, run_id: str) -> RunFeatures:
        """Features of a GraphNode's inner run: same processors, cache and checks; no store."""
        return RunFeatures(
            plan, dispatcher=self.dispatcher, cache=self.cache, type_check=self.type_check,
            session=None, run_id=run_id, parent_span=parent_span, workflow_id=self.workflow_id,
        )


def cache_key(feats: RunFeatures, np: NodePlan, args: list[Any]) -> str:
    """The node's cache key, or ``""`` when it is not cached in this run."""
    if feats.cache is None or np.kind == GRAPH or not getattr(np.node, "cache", False):
        return ""
    key: str = compute_cache_key(np.node.definition_hash, dict(zip(np.node.inputs, args)))
    return key


def to_cached(np: NodePlan, out: Any) -> dict[str, Any]:
    """The output dict stored in the cache (gates store their decision too)."""
    if np.kind == GATE:
        return {_DECISION: out[0]}
    return {
        name: v for name, v in zip(np.node.data_outputs, out) if v is not MISSING
    }


def from_cached(np: NodePlan, stored: dict[str, Any]) -> Any:
    """Rebuild the runner's output tuple from a cached output dict.

    The key ignores the node name and the output names, so the entry may have been
    written by another node of the same function under other output names
    (``with_outputs``, or two ``FunctionNode``s of one function). The dict keeps the
    order in which the function returned the values, so they are mapped by position,
    which is right whatever the names are (even swapped ones).
    """
    if np.kind == GATE:
        decision = stored[_DECISION]
        return (decision, np.node.selected_targets(decision))
    names = np.node.data_outputs
    values = tuple(stored.values())
    if len(values) == len(names):
        return values
    if len(values) == 1:
        # written by a single-output node: that is the whole return value; split it
        return split_outputs(np, values[0])
    if len(names) == 1:
        # written by a multi-output node: its outputs together are the return value
        return (values,)
    return tuple(stored.get(name, MISSING) for name in names)


def outputs_dict(np: NodePlan, out: Any) -> dict[str, Any]:
    """A finished node's outputs by name (a gate's decision under its internal name)."""
    if np.kind == GATE:
        return {np.node.data_outputs[0]: out[0]}
    return {name: v for name, v in zip(np.node.data_outputs, out) if v is not MISSING}
