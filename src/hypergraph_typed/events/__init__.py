"""Run events and the processors that observe them (progress bars, tracing, your own)."""

from hypergraph_typed.events.dispatcher import EventDispatcher
from hypergraph_typed.events.processor import (
    AsyncEventProcessor,
    EventProcessor,
    TypedEventProcessor,
)
from hypergraph_typed.events.types import (
    BaseEvent,
    CacheHitEvent,
    Event,
    InterruptEvent,
    NodeEndEvent,
    NodeErrorEvent,
    NodeStartEvent,
    RouteDecisionEvent,
    RunEndEvent,
    RunStartEvent,
    RunStatus,
    StopRequestedEvent,
    SuperstepStartEvent,
)

__all__ = [
    "AsyncEventProcessor",
    "BaseEvent",
    "CacheHitEvent",
    "Event",
    "EventDispatcher",
    "EventProcessor",
    "InterruptEvent",
    "NodeEndEvent",
    "NodeErrorEvent",
    "NodeStartEvent",
    "RouteDecisionEvent",
    "RunEndEvent",
    "RunStartEvent",
    "RunStatus",
    "StopRequestedEvent",
    "SuperstepStartEvent",
    "TypedEventProcessor",
]
