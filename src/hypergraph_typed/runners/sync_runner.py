"""``SyncRunner``: runs a superstep's ready nodes one at a time, in graph order.

The interpreter (``runtime``) does all the work; this module only drives its flows by
calling: events go to ``emit``, store requests to the store's sync methods.
"""

from __future__ import annotations

from collections.abc import Generator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar, overload

from hypergraph_typed.checkpointers.protocol import RunStore, StoreRequest
from hypergraph_typed.runners.base import BaseRunner
from hypergraph_typed.runtime.context import SYNC
from hypergraph_typed.runtime.effects import Emit, Invoke
from hypergraph_typed.runtime.entry import UNSET, map_call, run_call
from hypergraph_typed.runtime.results import (
    ErrorHandling,
    MapResult,
    RunnerCapabilities,
    RunOutcome,
    as_outcome,
)

if TYPE_CHECKING:
    from hypergraph_typed.checkpointers._records import Checkpoint
    from hypergraph_typed.graph.core import Graph

T = TypeVar("T")


def drive(flow: Generator[Any, Any, T], store: Any) -> T:
    """Run a flow to its end, performing each effect it yields by a plain call."""
    send: Any = None
    error: Exception | None = None
    while True:
        try:
            effect = flow.send(send) if error is None else flow.throw(error)
        except StopIteration as stop:
            result: T = stop.value
            return result
        send = error = None
        try:
            if type(effect) is Emit:
                effect.dispatcher.emit(effect.event)
            elif isinstance(effect, StoreRequest):
                send = effect.send(store)
            elif type(effect) is Invoke:
                raise TypeError(
                    f"Node {effect.np.name!r} must be awaited; SyncRunner cannot run it. "
                    "Use AsyncRunner"
                )
            else:  # pragma: no cover - the interpreter yields nothing else to this driver
                raise TypeError(f"SyncRunner cannot perform {effect!r}")
        except Exception as exc:
            error = exc


class SyncRunner(BaseRunner):
    """Runs graphs of synchronous nodes; ready nodes of a superstep run sequentially."""

    profile = SYNC
    store_protocol = RunStore
    store_protocol_methods = "sync (load_run, start_run, claim_run, commit_run, ...)"

    @property
    def capabilities(self) -> RunnerCapabilities:
        """Sync nodes and cycles (no async nodes, no interrupts); checkpointing if configured."""
        return RunnerCapabilities(supports_checkpointing=self.checkpointer is not None)

    # Two signatures for type checkers. The second takes inputs unpacked from a dict
    # (``run(graph, **inputs)`` with a ``dict[str, int]``), which the first would match
    # against every keyword option (``on_missing: str``, ``workflow_id``, ...).
    @overload
    def run(
        self,
        graph: Graph,
        values: Mapping[str, Any] | None = None,
        *,
        select: Any = UNSET,
        on_missing: str = "ignore",
        entrypoint: Any = None,
        max_iterations: int | None = None,
        error_handling: ErrorHandling = "raise",
        event_processors: Sequence[Any] | None = None,
        checkpoint: Checkpoint | None = None,
        workflow_id: str | None = None,
        override_workflow: bool = False,
        fork_from: str | None = None,
        retry_from: str | None = None,
        **input_values: Any,
    ) -> RunOutcome: ...
    @overload
    def run(
        self, graph: Graph, values: Mapping[str, Any] | None = None, /, **input_values: Any
    ) -> RunOutcome: ...

    # Signature 2 allows a dict unpacked into ``**input_values`` to hold "graph" or
    # "values", which Python refuses at the call itself; nothing else differs.
    def run(  # type: ignore[misc]
        self,
        graph: Graph,
        values: Mapping[str, Any] | None = None,
        *,
        select: Any = UNSET,
        on_missing: str = "ignore",
        entrypoint: Any = None,
        max_iterations: int | None = None,
        error_handling: ErrorHandling = "raise",
        event_processors: Sequence[Any] | None = None,
        checkpoint: Checkpoint | None = None,
        workflow_id: str | None = None,
        override_workflow: bool = False,
        fork_from: str | None = None,
        retry_from: str | None = None,
        **input_values: Any,
    ) -> RunOutcome:
        """Run ``graph`` to completion (or failure) and return its ``RunResult``."""
        started = run_call(
            self._call(), graph, values, input_values, event_processors, select=select,
            on_missing=on_missing, entrypoint=entrypoint, max_iterations=max_iterations,
            error_handling=error_handling, checkpoint=checkpoint, workflow_id=workflow_id,
            override_workflow=override_workflow, fork_from=fork_from, retry_from=retry_from,
        )
        try:
            result = drive(started.flow, self.checkpointer)
        finally:
            if started.dispatcher is not None:
                started.dispatcher.shutdown()
        return as_outcome(result)

    # As for ``run``: the second signature takes inputs unpacked from a dict.
    @overload  # type: ignore[override]
    def map(
        self,
        graph: Graph,
        values: Mapping[str, Any] | None = None,
        *,
        map_over: str | Sequence[str],
        map_mode: str = "zip",
        clone: bool | Sequence[str] = False,
        select: Any = UNSET,
        on_missing: str = "ignore",
        entrypoint: Any = None,
        error_handling: ErrorHandling = "raise",
        event_processors: Sequence[Any] | None = None,
        workflow_id: str | None = None,
        **input_values: Any,
    ) -> MapResult: ...
    @overload
    def map(
        self, graph: Graph, values: Mapping[str, Any] | None = None, /, *,
        map_over: str | Sequence[str], **input_values: Any,
    ) -> MapResult: ...

    def map(  # type: ignore[misc]
        self,
        graph: Graph,
        values: Mapping[str, Any] | None = None,
        *,
        map_over: str | Sequence[str],
        map_mode: str = "zip",
        clone: bool | Sequence[str] = False,
        select: Any = UNSET,
        on_missing: str = "ignore",
        entrypoint: Any = None,
        error_handling: ErrorHandling = "raise",
        event_processors: Sequence[Any] | None = None,
        workflow_id: str | None = None,
        **input_values: Any,
    ) -> MapResult:
        """Run ``graph`` once per item of the ``map_over`` lists, one item after another."""
        started = map_call(
            self._call(), graph, values, input_values, event_processors, map_over=map_over,
            map_mode=map_mode, clone=clone, select=select, on_missing=on_missing,
            entrypoint=entrypoint, error_handling=error_handling, workflow_id=workflow_id,
        )
        try:
            return drive(started.flow, self.checkpointer)
        finally:
            if started.dispatcher is not None:
                started.dispatcher.shutdown()
