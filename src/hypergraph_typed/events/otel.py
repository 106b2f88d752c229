"""``OpenTelemetryProcessor``: runs and nodes as OpenTelemetry spans.

``opentelemetry`` is imported when the processor is created, not with this module, so
importing ``hypergraph_typed.events.otel`` works without it installed.
"""

from __future__ import annotations

import importlib
from typing import Any

from hypergraph_typed.events.processor import TypedEventProcessor
from hypergraph_typed.events.types import (
    CacheHitEvent,
    InterruptEvent,
    NodeEndEvent,
    NodeErrorEvent,
    NodeStartEvent,
    RouteDecisionEvent,
    RunEndEvent,
    RunStartEvent,
    RunStatus,
)

_P = "hypergraph."


def _ns(timestamp: float) -> int:
    return int(timestamp * 1_000_000_000)


def _decision_attr(decision: Any) -> str | list[str]:
    """A gate decision as an attribute value (OpenTelemetry takes no None or mixed lists)."""
    if isinstance(decision, (list, tuple)):
        return [str(d) for d in decision]
    return str(decision)


class OpenTelemetryProcessor(TypedEventProcessor):
    """Emits ``run:{graph}`` spans with ``node:{name}`` children through a tracer.

    Spans are created through the globally configured tracer provider; a top-level
    run becomes a child of whatever span is current when it starts.
    """

    def __init__(self, tracer_name: str = "hypergraph") -> None:
        try:
            trace = importlib.import_module("opentelemetry.trace")
        except ImportError as exc:
            raise ImportError(
                "OpenTelemetryProcessor needs OpenTelemetry, which is not installed. "
                "Install it with: pip install opentelemetry-api opentelemetry-sdk "
                "(and configure a tracer provider and exporter)"
            ) from exc
        self._trace: Any = trace
        self._tracer: Any = trace.get_tracer(tracer_name)
        self._runs: dict[str, Any] = {}
        self._nodes: dict[str, Any] = {}

    def _parent_context(self, parent_span_id: str | None) -> Any:
        parent = None
        if parent_span_id is not None:
            parent = self._nodes.get(parent_span_id) or self._runs.get(parent_span_id)
        return None if parent is None else self._trace.set_span_in_context(parent)

    def _error(self, span: Any, message: str | None) -> None:
        span.set_status(self._trace.Status(self._trace.StatusCode.ERROR, message or None))

    def on_run_start(self, event: RunStartEvent) -> None:
        """Open a ``run:{graph}`` span under its parent node, map or the current span."""
        attrs: dict[str, Any] = {f"{_P}run_id": event.run_id, f"{_P}is_map": event.is_map}
        if event.graph_name is not None:
            attrs[f"{_P}graph_name"] = event.graph_name
        if event.map_size is not None:
            attrs[f"{_P}map_size"] = event.map_size
        self._runs[event.span_id] = self._tracer.start_span(
            f"run:{event.graph_name or 'unnamed'}",
            context=self._parent_context(event.parent_span_id),
            attributes=attrs,
            start_time=_ns(event.timestamp),
        )

    def on_run_end(self, event: RunEndEvent) -> None:
        """End the run span with its status; a failed run gets the error status."""
        span = self._runs.pop(event.span_id, None)
        if span is None:
            return
        span.set_attribute(f"{_P}status", event.status.value)
        span.set_attribute(f"{_P}duration_ms", event.duration_ms)
        if event.status is RunStatus.FAILED:
            self._error(span, event.error)
        span.end(end_time=_ns(event.timestamp))

    def on_node_start(self, event: NodeStartEvent) -> None:
        """Open a ``node:{name}`` span under its run span."""
        attrs: dict[str, Any] = {f"{_P}node_name": event.node_name, f"{_P}run_id": event.run_id}
        if event.graph_name is not None:
            attrs[f"{_P}graph_name"] = event.graph_name
        self._nodes[event.span_id] = self._tracer.start_span(
            f"node:{event.node_name}",
            context=self._parent_context(event.parent_span_id),
            attributes=attrs,
            start_time=_ns(event.timestamp),
        )

    def on_cache_hit(self, event: CacheHitEvent) -> None:
        """Mark the node span as served from the cache."""
        span = self._nodes.get(event.span_id)
        if span is not None:
            span.set_attribute(f"{_P}cached", True)

    def on_node_end(self, event: NodeEndEvent) -> None:
        """End the node span with its duration."""
        span = self._nodes.pop(event.span_id, None)
        if span is None:
            return
        span.set_attribute(f"{_P}duration_ms", event.duration_ms)
        span.set_attribute(f"{_P}cached", event.cached)
        span.set_attribute(f"{_P}status", "completed")
        span.end(end_time=_ns(event.timestamp))

    def on_node_error(self, event: NodeErrorEvent) -> None:
        """End the node span with the error status and the error type."""
        span = self._nodes.pop(event.span_id, None)
        if span is None:
            return
        span.set_attribute(f"{_P}status", "failed")
        span.set_attribute(f"{_P}error_type", event.error_type)
        self._error(span, event.error)
        span.end(end_time=_ns(event.timestamp))

    def on_route_decision(self, event: RouteDecisionEvent) -> None:
        """Add a ``route_decision`` event to the run span."""
        span = self._runs.get(event.parent_span_id) if event.parent_span_id else None
        if span is not None:
            span.add_event(
                "route_decision",
                {f"{_P}node_name": event.node_name, f"{_P}decision": _decision_attr(event.decision)},
                timestamp=_ns(event.timestamp),
            )

    def on_interrupt(self, event: InterruptEvent) -> None:
        """End the interrupt's node span: the run pauses there."""
        span = self._nodes.pop(event.span_id, None)
        if span is None:
            return
        span.set_attribute(f"{_P}status", "paused")
        span.add_event(
            "interrupt", {f"{_P}response_param": event.response_param},
            timestamp=_ns(event.timestamp),
        )
        span.end(end_time=_ns(event.timestamp))

    def shutdown(self) -> None:
        """End spans left open (a run that raised out of the runner), nodes first."""
        for spans in (self._nodes, self._runs):
            for span in reversed(list(spans.values())):
                span.end()
            spans.clear()
