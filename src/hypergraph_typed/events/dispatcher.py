"""``EventDispatcher``: delivers events to processors without letting them break a run.

By default a failing processor is logged and skipped (observability must not change
results). ``strict=True`` makes processor errors propagate, which tests want.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from hypergraph_typed.events.processor import AsyncEventProcessor, EventProcessor
from hypergraph_typed.events.types import Event

logger: logging.Logger = logging.getLogger("hypergraph_typed.events")


def _check_processor(p: object, position: int) -> EventProcessor:
    on_event = getattr(p, "on_event", None)
    shutdown = getattr(p, "shutdown", None)
    if not callable(on_event) or not callable(shutdown):
        raise TypeError(
            f"event_processors[{position}] is {p!r}, which has no on_event()/shutdown(); "
            "subclass EventProcessor (or TypedEventProcessor) and override on_event"
        )
    return p  # type: ignore[return-value]


class EventDispatcher:
    """Sends each event to every processor, in list order."""

    __slots__ = ("_processors", "strict")

    def __init__(
        self, processors: Iterable[EventProcessor] | None = None, *, strict: bool = False
    ) -> None:
        self._processors: tuple[EventProcessor, ...] = tuple(
            _check_processor(p, i) for i, p in enumerate(processors or ())
        )
        self.strict: bool = bool(strict)

    @property
    def processors(self) -> tuple[EventProcessor, ...]:
        """The processors, in delivery order."""
        return self._processors

    @property
    def active(self) -> bool:
        """True when there is at least one processor, so building events is worth it."""
        return bool(self._processors)

    def _failed(self, p: EventProcessor, what: str, exc: Exception) -> None:
        logger.warning(
            "Event processor %s failed in %s and was skipped: %s: %s",
            type(p).__name__, what, type(exc).__name__, exc, exc_info=exc,
        )

    def emit(self, event: Event) -> None:
        """Call ``on_event`` on every processor."""
        for p in self._processors:
            try:
                p.on_event(event)
            except Exception as exc:
                if self.strict:
                    raise
                self._failed(p, f"on_event({type(event).__name__})", exc)

    async def emit_async(self, event: Event) -> None:
        """Await ``on_event_async`` on async processors; call ``on_event`` on the others."""
        for p in self._processors:
            try:
                if isinstance(p, AsyncEventProcessor):
                    await p.on_event_async(event)
                else:
                    p.on_event(event)
            except Exception as exc:
                if self.strict:
                    raise
                self._failed(p, f"on_event_async({type(event).__name__})", exc)

    def shutdown(self) -> None:
        """Shut every processor down; under ``strict`` raise the first error afterwards."""
        first: Exception | None = None
        for p in self._processors:
            try:
                p.shutdown()
            except Exception as exc:
                if self.strict:
                    first = first or exc
                else:
                    self._failed(p, "shutdown()", exc)
        if first is not None:
            raise first

    async def shutdown_async(self) -> None:
        """Like ``shutdown``, awaiting ``shutdown_async`` on async processors."""
        first: Exception | None = None
        for p in self._processors:
            try:
                if isinstance(p, AsyncEventProcessor):
                    await p.shutdown_async()
                else:
                    p.shutdown()
            except Exception as exc:
                if self.strict:
                    first = first or exc
                else:
                    self._failed(p, "shutdown_async()", exc)
        if first is not None:
            raise first
