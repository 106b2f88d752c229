"""Building the events of a run, with the span rules of the spec, for both runners.

Run events use the run's span (parented by the caller's span); everything inside the
run is parented by the run span; a node's start/end/error/cache-hit share its span.
"""

from __future__ import annotations

import time
from typing import Any

from hypergraph_typed.compiler.plan import NodePlan
from hypergraph_typed.events import types as et
from hypergraph_typed.runtime.features import RunFeatures
from hypergraph_typed.runtime.results import PauseInfo


def run_start(f: RunFeatures) -> et.RunStartEvent:
    """The ``RunStartEvent`` of a run, on the run's span under the caller's span."""
    return et.RunStartEvent(
        f.run_id, span_id=f.run_span, parent_span_id=f.parent_span,
        graph_name=f.graph_name, workflow_id=f.workflow_id,
    )


def map_start(f: RunFeatures, size: int) -> et.RunStartEvent:
    """The ``RunStartEvent`` of a ``map()`` call: ``is_map``, with the number of items."""
    return et.RunStartEvent(
        f.run_id, span_id=f.run_span, parent_span_id=f.parent_span,
        graph_name=f.graph_name, workflow_id=f.workflow_id, is_map=True, map_size=size,
    )


def run_end(
    f: RunFeatures, status: Any, error: BaseException | None, t0: float
) -> et.RunEndEvent:
    """The ``RunEndEvent``: status, error text, and the duration since ``t0`` (``perf_counter``)."""
    return et.RunEndEvent(
        f.run_id, span_id=f.run_span, parent_span_id=f.parent_span, graph_name=f.graph_name,
        status=et.RunStatus(status.value), error=None if error is None else str(error),
        duration_ms=round((time.perf_counter() - t0) * 1000, 3),
    )


def superstep_start(f: RunFeatures, superstep: int) -> et.SuperstepStartEvent:
    """The ``SuperstepStartEvent`` of one superstep, under the run's span."""
    return et.SuperstepStartEvent(
        f.run_id, parent_span_id=f.run_span, graph_name=f.graph_name, superstep=superstep
    )


def node_start(f: RunFeatures, np: NodePlan, span: str) -> et.NodeStartEvent:
    """The ``NodeStartEvent`` of a node, on the node's own span."""
    return et.NodeStartEvent(
        f.run_id, span_id=span, parent_span_id=f.run_span, node_name=np.name,
        graph_name=f.graph_name,
    )


def node_end(
    f: RunFeatures, np: NodePlan, span: str, seconds: float, cached: bool, inner_log: Any
) -> et.NodeEndEvent:
    """The ``NodeEndEvent`` of a node: its duration, whether it was a cache hit, a nested log."""
    return et.NodeEndEvent(
        f.run_id, span_id=span, parent_span_id=f.run_span, node_name=np.name,
        graph_name=f.graph_name, duration_ms=round(seconds * 1000, 3), cached=cached,
        inner_logs=() if inner_log is None else (inner_log,),
    )


def node_error(f: RunFeatures, np: NodePlan, span: str, exc: BaseException) -> et.NodeErrorEvent:
    """The ``NodeErrorEvent`` of a node that raised ``exc``, on the node's span."""
    return et.NodeErrorEvent(
        f.run_id, span_id=span, parent_span_id=f.run_span, node_name=np.name,
        graph_name=f.graph_name, error=str(exc), error_type=et.error_type_name(exc),
    )


def cache_hit(f: RunFeatures, np: NodePlan, span: str, key: str) -> et.CacheHitEvent:
    """The ``CacheHitEvent`` of a node whose outputs came from the cache under ``key``."""
    return et.CacheHitEvent(
        f.run_id, span_id=span, parent_span_id=f.run_span, node_name=np.name,
        graph_name=f.graph_name, cache_key=key,
    )


def route_decision(f: RunFeatures, np: NodePlan, decision: Any) -> et.RouteDecisionEvent:
    """The ``RouteDecisionEvent`` of a gate node, with the decision it returned."""
    return et.RouteDecisionEvent(
        f.run_id, parent_span_id=f.run_span, node_name=np.name, graph_name=f.graph_name,
        decision=decision,
    )


def interrupt(f: RunFeatures, span: str, pause: PauseInfo) -> et.InterruptEvent:
    """The ``InterruptEvent`` of a pause: the interrupt, the value it shows, what to answer."""
    return et.InterruptEvent(
        f.run_id, span_id=span, parent_span_id=f.run_span, node_name=pause.node_name,
        graph_name=f.graph_name, workflow_id=f.workflow_id, value=pause.value,
        response_param=pause.output_param,
    )
