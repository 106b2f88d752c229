"""OpenTelemetryProcessor with the real SDK that the ``otel`` extra installs."""

from __future__ import annotations

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from hypergraph_typed import Graph, SyncRunner, node
from hypergraph_typed.events.otel import OpenTelemetryProcessor


@node(output_name="y")
def double(x: int) -> int:
    return 2 * x


@node(output_name="z")
def inc(y: int) -> int:
    return y + 1


def test_a_run_exports_a_run_span_with_node_children(monkeypatch: pytest.MonkeyPatch) -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    # A provider of this test's own, without replacing the process-wide one for good.
    monkeypatch.setattr(trace, "get_tracer", provider.get_tracer)

    result = SyncRunner().run(
        Graph([double, inc], name="small"), {"x": 3}, event_processors=[OpenTelemetryProcessor()]
    )
    assert result["z"] == 7
    spans = {s.name: s for s in exporter.get_finished_spans()}
    assert set(spans) == {"run:small", "node:double", "node:inc"}
    run = spans["run:small"]
    for name in ("node:double", "node:inc"):
        assert spans[name].parent is not None
        assert spans[name].parent.span_id == run.context.span_id
        assert spans[name].attributes is not None
        assert spans[name].attributes["hypergraph.node_name"] == name.split(":")[1]
    assert run.attributes is not None and run.attributes["hypergraph.run_id"] == result.run_id
