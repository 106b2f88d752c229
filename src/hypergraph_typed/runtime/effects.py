"""What the interpreter asks its driver to do: the only points where sync and async differ.

The interpreter is written once, as generators ("flows") that yield effects and receive
their results. A runner is a driver loop that performs them: ``SyncRunner`` by calling,
``AsyncRunner`` by awaiting. Everything else (readiness, state, events, cache, edge
checks, checkpoint staging, pauses, results) happens inside the flows.

* ``Invoke``: call a node function whose result may need awaiting (async functions,
  async generators, interrupt handlers); plain sync functions are called inline.
* ``Fork``: run several flows (a superstep's nodes, a map's items): one after another,
  or concurrently, starting no new flow after ``stop`` said so.
* ``Emit``: deliver an event to the processors (awaiting async processors).
* a ``checkpointers.protocol.StoreRequest``: one store transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Sequence
from typing import TYPE_CHECKING, Any, TypeVar, Union

import attrs

from hypergraph_typed.checkpointers.protocol import StoreRequest
from hypergraph_typed.compiler.plan import NodePlan

if TYPE_CHECKING:
    from hypergraph_typed.events.dispatcher import EventDispatcher
    from hypergraph_typed.events.types import Event

T = TypeVar("T")


@attrs.frozen(slots=True)
class Invoke:
    """Call ``np``'s function with ``args``; await the result if it is awaitable."""

    np: NodePlan
    args: list[Any]


@attrs.frozen(slots=True)
class Fork:
    """Run ``flows`` and send back their results in order (``None`` for one never started).

    A sequential driver runs them one by one; a concurrent one starts them together,
    at most ``limit`` at a time. Once a finished flow's result satisfies ``stop``, no
    further flow is started.
    """

    flows: Sequence[Generator[Any, Any, Any]]
    stop: Callable[[Any], bool] | None = None
    limit: int | None = None


@attrs.frozen(slots=True)
class Emit:
    """Deliver ``event`` to the processors of ``dispatcher``."""

    dispatcher: EventDispatcher
    event: Event


Effect = Union[Invoke, Fork, Emit, StoreRequest[Any]]
Flow = Generator[Effect, Any, T]
