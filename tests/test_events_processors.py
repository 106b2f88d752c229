"""Processor base classes and the dispatcher's delivery, logging and strict rules."""

from __future__ import annotations

import asyncio
import logging

import pytest

from hypergraph_typed.events import (
    AsyncEventProcessor,
    CacheHitEvent,
    EventDispatcher,
    EventProcessor,
    InterruptEvent,
    NodeEndEvent,
    NodeErrorEvent,
    NodeStartEvent,
    RouteDecisionEvent,
    RunEndEvent,
    RunStartEvent,
    StopRequestedEvent,
    SuperstepStartEvent,
    TypedEventProcessor,
)
from hypergraph_typed.events.types import BaseEvent, Event


class Recorder(EventProcessor):
    def __init__(self, tag: str, log: list[str]) -> None:
        self.tag, self.log = tag, log

    def on_event(self, event: Event) -> None:
        self.log.append(f"{self.tag}:{type(event).__name__}")

    def shutdown(self) -> None:
        self.log.append(f"{self.tag}:shutdown")


class Failing(EventProcessor):
    def __init__(self, log: list[str]) -> None:
        self.log = log

    def on_event(self, event: Event) -> None:
        raise RuntimeError("processor broke")

    def shutdown(self) -> None:
        self.log.append("failing:shutdown")
        raise OSError("shutdown broke")


class AsyncRecorder(AsyncEventProcessor):
    def __init__(self, log: list[str]) -> None:
        self.log = log

    def on_event(self, event: Event) -> None:
        self.log.append("sync")

    async def on_event_async(self, event: Event) -> None:
        await asyncio.sleep(0)
        self.log.append("async")

    def shutdown(self) -> None:
        self.log.append("sync-shutdown")

    async def shutdown_async(self) -> None:
        self.log.append("async-shutdown")


def test_base_processor_hooks_do_nothing() -> None:
    p = EventProcessor()
    assert p.on_event(RunStartEvent("r")) is None
    assert p.shutdown() is None


def test_typed_processor_routes_each_exact_type_to_its_method() -> None:
    seen: list[tuple[str, type]] = []
    methods = [
        ("on_run_start", RunStartEvent), ("on_run_end", RunEndEvent),
        ("on_node_start", NodeStartEvent), ("on_node_end", NodeEndEvent),
        ("on_cache_hit", CacheHitEvent), ("on_node_error", NodeErrorEvent),
        ("on_route_decision", RouteDecisionEvent), ("on_superstep_start", SuperstepStartEvent),
        ("on_interrupt", InterruptEvent), ("on_stop_requested", StopRequestedEvent),
    ]

    class All(TypedEventProcessor):
        pass

    for name, _ in methods:
        setattr(All, name, lambda self, ev, _n=name: seen.append((_n, type(ev))))
    p = All()
    for _, cls in methods:
        p.on_event(cls("r"))
    assert seen == methods


def test_typed_processor_ignores_subclasses_of_event_types() -> None:
    got: list[BaseEvent] = []

    class OnlyStart(TypedEventProcessor):
        def on_node_start(self, event: NodeStartEvent) -> None:
            got.append(event)

    class MyStart(NodeStartEvent):
        pass

    p = OnlyStart()
    p.on_event(MyStart("r"))  # not routed: exact type only
    exact = NodeStartEvent("r", node_name="a")
    p.on_event(exact)
    p.on_event(NodeEndEvent("r"))  # default hook: no-op
    assert got == [exact]


def test_async_processor_defaults_delegate_to_the_sync_hooks() -> None:
    log: list[str] = []

    class SyncOnly(AsyncEventProcessor):
        def on_event(self, event: Event) -> None:
            log.append(type(event).__name__)

        def shutdown(self) -> None:
            log.append("shutdown")

    p = SyncOnly()
    asyncio.run(p.on_event_async(RunStartEvent("r")))
    asyncio.run(p.shutdown_async())
    assert log == ["RunStartEvent", "shutdown"]


def test_dispatcher_active_only_with_processors() -> None:
    assert not EventDispatcher().active
    assert not EventDispatcher([]).active
    assert EventDispatcher([EventProcessor()]).active


def test_dispatcher_rejects_objects_that_are_not_processors() -> None:
    with pytest.raises(TypeError, match=r"event_processors\[1\].*on_event"):
        EventDispatcher([EventProcessor(), object()])  # type: ignore[list-item]


def test_emit_delivers_in_list_order() -> None:
    log: list[str] = []
    d = EventDispatcher([Recorder("a", log), Recorder("b", log)])
    d.emit(RunStartEvent("r"))
    d.emit(RunEndEvent("r"))
    d.shutdown()
    assert log == [
        "a:RunStartEvent", "b:RunStartEvent", "a:RunEndEvent", "b:RunEndEvent",
        "a:shutdown", "b:shutdown",
    ]


def test_best_effort_logs_and_continues(caplog: pytest.LogCaptureFixture) -> None:
    log: list[str] = []
    d = EventDispatcher([Failing(log), Recorder("after", log)])
    with caplog.at_level(logging.WARNING, logger="hypergraph_typed.events"):
        d.emit(NodeStartEvent("r"))
        d.shutdown()
    assert log == ["after:NodeStartEvent", "failing:shutdown", "after:shutdown"]
    messages = [r.getMessage() for r in caplog.records]
    assert any("Failing" in m and "processor broke" in m for m in messages)
    assert any("shutdown broke" in m for m in messages)


def test_strict_emit_propagates_and_stops() -> None:
    log: list[str] = []
    d = EventDispatcher([Failing(log), Recorder("after", log)], strict=True)
    with pytest.raises(RuntimeError, match="processor broke"):
        d.emit(NodeStartEvent("r"))
    assert log == []


def test_strict_shutdown_calls_everyone_then_raises_the_first_error() -> None:
    log: list[str] = []

    class AlsoFailing(Recorder):
        def shutdown(self) -> None:
            super().shutdown()
            raise ValueError("second")

    d = EventDispatcher([Failing(log), AlsoFailing("x", log), Recorder("y", log)], strict=True)
    with pytest.raises(OSError, match="shutdown broke"):
        d.shutdown()
    assert log == ["failing:shutdown", "x:shutdown", "y:shutdown"]


def test_emit_async_awaits_async_processors_and_calls_sync_ones() -> None:
    log: list[str] = []
    d = EventDispatcher([AsyncRecorder(log), Recorder("plain", log)])

    async def go() -> None:
        await d.emit_async(RunStartEvent("r"))
        await d.shutdown_async()

    asyncio.run(go())
    assert log == ["async", "plain:RunStartEvent", "async-shutdown", "plain:shutdown"]


def test_sync_emit_uses_sync_hooks_of_async_processors() -> None:
    log: list[str] = []
    d = EventDispatcher([AsyncRecorder(log)])
    d.emit(RunStartEvent("r"))
    d.shutdown()
    assert log == ["sync", "sync-shutdown"]


def test_emit_async_best_effort_and_strict(caplog: pytest.LogCaptureFixture) -> None:
    class Broken(AsyncEventProcessor):
        async def on_event_async(self, event: Event) -> None:
            raise KeyError("async broke")

        async def shutdown_async(self) -> None:
            raise KeyError("async shutdown broke")

    log: list[str] = []
    relaxed = EventDispatcher([Broken(), Recorder("next", log)])
    with caplog.at_level(logging.WARNING, logger="hypergraph_typed.events"):
        asyncio.run(relaxed.emit_async(RunStartEvent("r")))
        asyncio.run(relaxed.shutdown_async())
    assert log == ["next:RunStartEvent", "next:shutdown"]
    assert any("async broke" in r.getMessage() for r in caplog.records)

    strict = EventDispatcher([Broken(), Recorder("next", log)], strict=True)
    with pytest.raises(KeyError, match="async broke"):
        asyncio.run(strict.emit_async(RunStartEvent("r")))
    log.clear()
    with pytest.raises(KeyError, match="async shutdown broke"):
        asyncio.run(strict.shutdown_async())
    assert log == ["next:shutdown"]
