"""Event records: fields, defaults, immutability and the span-id format."""

from __future__ import annotations

import dataclasses
import re
import typing

import pytest

import hypergraph_typed.events as events
from hypergraph_typed import END
from hypergraph_typed.events import types as et
from hypergraph_typed.runners import RunStatus as RunnerStatus

EVENT_CLASSES = [
    et.RunStartEvent, et.RunEndEvent, et.SuperstepStartEvent, et.NodeStartEvent,
    et.NodeEndEvent, et.NodeErrorEvent, et.CacheHitEvent, et.RouteDecisionEvent,
    et.InterruptEvent, et.StopRequestedEvent,
]


def _defaults(cls: type) -> dict[str, object]:
    out: dict[str, object] = {}
    for f in dataclasses.fields(cls):
        if f.default is not dataclasses.MISSING:
            out[f.name] = f.default
    return out


def test_events_module_exports_exactly_the_spec_names() -> None:
    assert sorted(events.__all__) == sorted([
        "BaseEvent", "CacheHitEvent", "Event", "InterruptEvent", "NodeEndEvent",
        "NodeErrorEvent", "NodeStartEvent", "RouteDecisionEvent", "RunEndEvent",
        "RunStartEvent", "RunStatus", "StopRequestedEvent", "SuperstepStartEvent",
        "AsyncEventProcessor", "EventProcessor", "TypedEventProcessor", "EventDispatcher",
    ])
    for name in events.__all__:
        assert getattr(events, name) is not None
    assert events.RunEndEvent is et.RunEndEvent


def test_event_union_is_the_ten_classes() -> None:
    assert set(typing.get_args(events.Event)) == set(EVENT_CLASSES)


@pytest.mark.parametrize("cls", EVENT_CLASSES)
def test_every_event_is_frozen_and_needs_only_run_id(cls: type) -> None:
    ev = cls("run-1")
    assert ev.run_id == "run-1"
    assert ev.parent_span_id is None
    assert re.fullmatch(r"[0-9a-f]{16}", ev.span_id)
    assert isinstance(ev.timestamp, float)
    assert isinstance(ev, et.BaseEvent)
    with pytest.raises(dataclasses.FrozenInstanceError):
        ev.run_id = "other"  # type: ignore[misc]
    names = [f.name for f in dataclasses.fields(cls)]
    assert names[:4] == ["run_id", "span_id", "parent_span_id", "timestamp"]


def test_span_ids_are_fresh_per_event() -> None:
    ids = {et.NodeStartEvent("r").span_id for _ in range(50)}
    assert len(ids) == 50


def test_field_defaults_follow_the_spec() -> None:
    assert _defaults(et.RunStartEvent) == {
        "parent_span_id": None, "graph_name": "", "workflow_id": None, "is_map": False,
        "map_size": None,
    }
    end = et.RunEndEvent("r")
    assert (end.status, end.error, end.duration_ms) == (et.RunStatus.COMPLETED, None, 0.0)
    node_end = et.NodeEndEvent("r")
    assert (node_end.cached, node_end.inner_logs, node_end.duration_ms) == (False, (), 0.0)
    assert et.SuperstepStartEvent("r").superstep == 0
    assert et.InterruptEvent("r").workflow_id is None
    assert et.StopRequestedEvent("r").workflow_id is None
    assert [f.name for f in dataclasses.fields(et.NodeErrorEvent)][4:] == [
        "node_name", "graph_name", "error", "error_type",
    ]
    assert [f.name for f in dataclasses.fields(et.InterruptEvent)][4:] == [
        "node_name", "graph_name", "workflow_id", "value", "response_param",
    ]


def test_run_end_status_string_becomes_the_enum() -> None:
    ev = et.RunEndEvent("r", status="paused")  # type: ignore[arg-type]
    assert ev.status is et.RunStatus.PAUSED
    with pytest.raises(ValueError, match="completed"):
        et.RunEndEvent("r", status="partial")  # type: ignore[arg-type]


def test_events_run_status_is_not_the_runner_enum() -> None:
    assert [m.name for m in et.RunStatus] == ["COMPLETED", "FAILED", "PAUSED"]
    assert et.RunStatus is not RunnerStatus
    assert not hasattr(et.RunStatus, "PARTIAL")
    assert str(et.RunStatus.FAILED) == "failed"


def test_route_decision_keeps_the_raw_decision() -> None:
    assert et.RouteDecisionEvent("r", decision=END).decision is END
    assert et.RouteDecisionEvent("r", decision=["a", "b"]).decision == ["a", "b"]
    assert et.RouteDecisionEvent("r").decision is None


def test_error_type_name_is_module_qualified() -> None:
    class LocalError(Exception):
        pass

    assert et.error_type_name(ValueError("x")) == "builtins.ValueError"
    assert et.error_type_name(LocalError()) == (
        f"{__name__}.test_error_type_name_is_module_qualified.<locals>.LocalError"
    )
