"""OpenTelemetryProcessor: lazy import with an install hint, and the span tree it builds.

OpenTelemetry is not a dependency, so the span tests drive the processor through a
small stand-in for the ``opentelemetry.trace`` calls it makes.
"""

from __future__ import annotations

import importlib
import sys
import types
from collections.abc import Iterator
from typing import Any

import pytest

from hypergraph_typed import END
from hypergraph_typed.events import (
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
from hypergraph_typed.events import otel as otel_module


def test_missing_opentelemetry_fails_on_instantiation_with_a_hint() -> None:
    try:
        with pytest.MonkeyPatch.context() as mp:
            mp.setitem(sys.modules, "opentelemetry", None)
            mp.setitem(sys.modules, "opentelemetry.trace", None)
            importlib.reload(otel_module)  # importing the module needs no opentelemetry
            with pytest.raises(
                ImportError, match=r"pip install opentelemetry-api opentelemetry-sdk"
            ):
                otel_module.OpenTelemetryProcessor()
    finally:
        importlib.reload(otel_module)


class FakeSpan:
    def __init__(self, name: str, parent: FakeSpan | None, attributes: dict[str, Any],
                 start_time: int | None) -> None:
        self.name, self.parent, self.start_time = name, parent, start_time
        self.attributes = dict(attributes)
        self.events: list[tuple[str, dict[str, Any], int | None]] = []
        self.status: Any = None
        self.end_time: int | None = None
        self.ended = 0

    def set_attribute(self, key: str, value: Any) -> None:
        self.attributes[key] = value

    def add_event(self, name: str, attributes: dict[str, Any], timestamp: int | None = None) -> None:
        self.events.append((name, attributes, timestamp))

    def set_status(self, status: Any) -> None:
        self.status = status

    def end(self, end_time: int | None = None) -> None:
        self.ended += 1
        self.end_time = end_time


class FakeTrace(types.ModuleType):
    """The subset of ``opentelemetry.trace`` the processor uses, recording every span."""

    class StatusCode:
        ERROR = "ERROR"

    class Status:
        def __init__(self, code: str, description: str | None = None) -> None:
            self.status_code, self.description = code, description

    def __init__(self) -> None:
        super().__init__("opentelemetry.trace")
        self.spans: list[FakeSpan] = []
        self.tracer_names: list[str] = []

    def get_tracer(self, name: str) -> Any:
        self.tracer_names.append(name)
        return types.SimpleNamespace(start_span=self._start_span)

    def set_span_in_context(self, span: FakeSpan) -> Any:
        return {"span": span}

    def _start_span(self, name: str, context: Any = None, attributes: Any = None,
                    start_time: int | None = None) -> FakeSpan:
        span = FakeSpan(name, context["span"] if context else None, attributes or {}, start_time)
        self.spans.append(span)
        return span


@pytest.fixture
def trace(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeTrace]:
    fake = FakeTrace()
    pkg = types.ModuleType("opentelemetry")
    pkg.trace = fake  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "opentelemetry", pkg)
    monkeypatch.setitem(sys.modules, "opentelemetry.trace", fake)
    yield fake


def by_name(trace: FakeTrace) -> dict[str, FakeSpan]:
    return {s.name: s for s in trace.spans}


def test_runs_and_nodes_become_a_span_tree(trace: FakeTrace) -> None:
    p = otel_module.OpenTelemetryProcessor("my-tracer")
    assert trace.tracer_names == ["my-tracer"]
    t = 1_700_000_000.0
    p.on_event(RunStartEvent("run-1", span_id="R", graph_name="outer", timestamp=t))
    p.on_event(NodeStartEvent("run-1", span_id="A", parent_span_id="R", node_name="fetch",
                              graph_name="outer", timestamp=t + 1))
    p.on_event(CacheHitEvent("run-1", span_id="A", parent_span_id="R", node_name="fetch",
                             cache_key="k"))
    p.on_event(NodeEndEvent("run-1", span_id="A", parent_span_id="R", node_name="fetch",
                            cached=True, timestamp=t + 2))
    p.on_event(NodeStartEvent("run-1", span_id="G", parent_span_id="R", node_name="inner"))
    p.on_event(RunStartEvent("run-2", span_id="I", parent_span_id="G", graph_name="inner_g"))
    p.on_event(NodeStartEvent("run-2", span_id="X", parent_span_id="I", node_name="step"))
    p.on_event(NodeEndEvent("run-2", span_id="X", parent_span_id="I", node_name="step",
                            duration_ms=4.5))
    p.on_event(RunEndEvent("run-2", span_id="I", parent_span_id="G", graph_name="inner_g"))
    p.on_event(NodeEndEvent("run-1", span_id="G", parent_span_id="R", node_name="inner"))
    p.on_event(RouteDecisionEvent("run-1", parent_span_id="R", node_name="gate",
                                  decision=["a", END], timestamp=t + 3))
    p.on_event(RunEndEvent("run-1", span_id="R", graph_name="outer", duration_ms=9.0,
                           timestamp=t + 4))
    spans = by_name(trace)
    assert list(spans) == ["run:outer", "node:fetch", "node:inner", "run:inner_g", "node:step"]
    run, fetch = spans["run:outer"], spans["node:fetch"]
    assert run.parent is None
    assert fetch.parent is run and spans["node:inner"].parent is run
    assert spans["run:inner_g"].parent is spans["node:inner"]
    assert spans["node:step"].parent is spans["run:inner_g"]
    assert all(s.ended == 1 for s in trace.spans)
    assert run.attributes == {
        "hypergraph.run_id": "run-1", "hypergraph.is_map": False,
        "hypergraph.graph_name": "outer", "hypergraph.status": "completed",
        "hypergraph.duration_ms": 9.0,
    }
    assert fetch.attributes["hypergraph.cached"] is True
    assert fetch.attributes["hypergraph.node_name"] == "fetch"
    assert fetch.attributes["hypergraph.status"] == "completed"
    assert spans["node:step"].attributes["hypergraph.duration_ms"] == 4.5
    assert (fetch.start_time, fetch.end_time) == (int((t + 1) * 1e9), int((t + 2) * 1e9))
    assert run.events == [(
        "route_decision",
        {"hypergraph.node_name": "gate", "hypergraph.decision": ["a", "END"]},
        int((t + 3) * 1e9),
    )]
    assert run.status is None


def test_failures_set_error_status(trace: FakeTrace) -> None:
    p = otel_module.OpenTelemetryProcessor()
    assert trace.tracer_names == ["hypergraph"]
    p.on_event(RunStartEvent("r", span_id="R", graph_name=None, is_map=True, map_size=3))
    p.on_event(NodeStartEvent("r", span_id="N", parent_span_id="R", node_name="bad"))
    p.on_event(NodeErrorEvent("r", span_id="N", parent_span_id="R", node_name="bad",
                              error="nope", error_type="builtins.ValueError"))
    p.on_event(RunEndEvent("r", span_id="R", status=RunStatus.FAILED, error="nope"))
    spans = by_name(trace)
    run, node = spans["run:unnamed"], spans["node:bad"]
    assert run.attributes["hypergraph.is_map"] is True
    assert run.attributes["hypergraph.map_size"] == 3
    assert "hypergraph.graph_name" not in run.attributes  # None is not an attribute value
    assert node.attributes["hypergraph.error_type"] == "builtins.ValueError"
    assert node.attributes["hypergraph.status"] == "failed"
    for span in (run, node):
        assert (span.status.status_code, span.status.description) == ("ERROR", "nope")
        assert span.ended == 1


def test_interrupt_ends_the_node_span_as_paused(trace: FakeTrace) -> None:
    p = otel_module.OpenTelemetryProcessor()
    p.on_event(RunStartEvent("r", span_id="R", graph_name="g"))
    p.on_event(NodeStartEvent("r", span_id="Q", parent_span_id="R", node_name="ask"))
    p.on_event(InterruptEvent("r", span_id="Q", parent_span_id="R", node_name="ask",
                              response_param="answer"))
    p.on_event(RunEndEvent("r", span_id="R", graph_name="g", status=RunStatus.PAUSED))
    spans = by_name(trace)
    ask = spans["node:ask"]
    assert ask.attributes["hypergraph.status"] == "paused"
    assert [e[0] for e in ask.events] == ["interrupt"]
    assert ask.ended == 1
    assert spans["run:g"].attributes["hypergraph.status"] == "paused"
    assert spans["run:g"].status is None


def test_shutdown_ends_spans_left_open(trace: FakeTrace) -> None:
    p = otel_module.OpenTelemetryProcessor()
    p.on_event(RunStartEvent("r", span_id="R", graph_name="g"))
    p.on_event(NodeStartEvent("r", span_id="N", parent_span_id="R", node_name="slow"))
    assert [s.ended for s in trace.spans] == [0, 0]
    p.shutdown()
    assert [s.ended for s in trace.spans] == [1, 1]
    p.shutdown()
    assert [s.ended for s in trace.spans] == [1, 1]


def test_real_opentelemetry_api_accepts_the_calls_when_installed() -> None:
    """With the real API (no SDK configured) the calls must match its signatures."""
    pytest.importorskip("opentelemetry.trace")
    p = otel_module.OpenTelemetryProcessor()
    p.on_event(RunStartEvent("r", span_id="R", graph_name="g", is_map=True, map_size=1))
    p.on_event(NodeStartEvent("r", span_id="N", parent_span_id="R", node_name="n"))
    p.on_event(CacheHitEvent("r", span_id="N", parent_span_id="R", node_name="n"))
    p.on_event(RouteDecisionEvent("r", parent_span_id="R", node_name="n", decision=None))
    p.on_event(NodeErrorEvent("r", span_id="N", parent_span_id="R", node_name="n",
                              error="x", error_type="builtins.ValueError"))
    p.on_event(NodeStartEvent("r", span_id="Q", parent_span_id="R", node_name="q"))
    p.on_event(InterruptEvent("r", span_id="Q", parent_span_id="R", node_name="q"))
    p.on_event(NodeStartEvent("r", span_id="O", parent_span_id="R", node_name="open"))
    p.on_event(RunEndEvent("r", span_id="R", graph_name="g", status=RunStatus.FAILED, error="x"))
    p.shutdown()
