"""Processor base classes: what a runner calls with each event.

``EventProcessor`` is called by both runners. ``AsyncEventProcessor`` adds coroutine
hooks that ``AsyncRunner`` awaits instead. ``TypedEventProcessor`` saves the
``isinstance`` ladder by routing each event to a method named after its exact type.
"""

from __future__ import annotations

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
    StopRequestedEvent,
    SuperstepStartEvent,
)


class EventProcessor:
    """Receives every event of a run; both hooks do nothing unless overridden."""

    def on_event(self, event: Event) -> None:
        """Handle one event. Keep it fast: the run waits for it."""

    def shutdown(self) -> None:
        """Release resources; called once after each top-level ``run``/``map`` call."""


class AsyncEventProcessor(EventProcessor):
    """A processor whose hooks ``AsyncRunner`` awaits (``SyncRunner`` calls the sync ones).

    The async hooks default to the sync ones, so overriding only ``on_event`` still
    receives events under ``AsyncRunner``.
    """

    async def on_event_async(self, event: Event) -> None:
        """Handle one event under ``AsyncRunner``; calls ``on_event`` unless overridden."""
        self.on_event(event)

    async def shutdown_async(self) -> None:
        """Release resources under ``AsyncRunner``; calls ``shutdown`` unless overridden."""
        self.shutdown()


class TypedEventProcessor(EventProcessor):
    """Routes each event by its exact type to ``on_<kind>``; subclasses of events are ignored."""

    def on_event(self, event: Event) -> None:
        """Call the ``on_<kind>`` method for the event's exact type."""
        method = _ROUTES.get(type(event))
        if method is not None:
            getattr(self, method)(event)

    def on_run_start(self, event: RunStartEvent) -> None:
        """A run or map began."""

    def on_run_end(self, event: RunEndEvent) -> None:
        """A run or map ended."""

    def on_node_start(self, event: NodeStartEvent) -> None:
        """A node was called."""

    def on_node_end(self, event: NodeEndEvent) -> None:
        """A node finished (``event.cached`` tells a cache hit)."""

    def on_cache_hit(self, event: CacheHitEvent) -> None:
        """A node's outputs came from the cache."""

    def on_node_error(self, event: NodeErrorEvent) -> None:
        """A node raised."""

    def on_route_decision(self, event: RouteDecisionEvent) -> None:
        """A gate decided where to go."""

    def on_superstep_start(self, event: SuperstepStartEvent) -> None:
        """A superstep began."""

    def on_interrupt(self, event: InterruptEvent) -> None:
        """The run paused at an interrupt."""

    def on_stop_requested(self, event: StopRequestedEvent) -> None:
        """A stop was requested."""


# Method names, looked up on the instance so that subclass overrides are called.
_ROUTES: dict[type[BaseEvent], str] = {
    RunStartEvent: "on_run_start",
    RunEndEvent: "on_run_end",
    NodeStartEvent: "on_node_start",
    NodeEndEvent: "on_node_end",
    CacheHitEvent: "on_cache_hit",
    NodeErrorEvent: "on_node_error",
    RouteDecisionEvent: "on_route_decision",
    SuperstepStartEvent: "on_superstep_start",
    InterruptEvent: "on_interrupt",
    StopRequestedEvent: "on_stop_requested",
}
