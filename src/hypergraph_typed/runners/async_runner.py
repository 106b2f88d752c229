"""``AsyncRunner``: runs a superstep's ready nodes concurrently; supports interrupts.

The interpreter (``runtime``) does all the work; this module only drives its flows by
awaiting: node calls that need it, forks (``asyncio.gather``, with the call's
``max_concurrency``), async event processors and the store's async methods.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Generator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar, overload

from hypergraph_typed.checkpointers.protocol import AsyncRunStore, StoreRequest
from hypergraph_typed.runners.base import BaseRunner
from hypergraph_typed.runtime.context import ASYNC
from hypergraph_typed.runtime.effects import Emit, Fork, Invoke
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


class _Driver:
    """Drives one call's flows; ``limit`` caps concurrent async node calls (whole call)."""

    __slots__ = ("sem", "store")

    def __init__(self, store: Any, max_concurrency: int | None) -> None:
        self.store = store
        self.sem = asyncio.Semaphore(max_concurrency) if max_concurrency else None

    async def drive(self, flow: Generator[Any, Any, T]) -> T:
        """Run a flow to its end, awaiting what its effects need."""
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
                kind = type(effect)
                if kind is Invoke:
                    send = await self._invoke(effect)
                elif kind is Emit:
                    await effect.dispatcher.emit_async(effect.event)
                elif kind is Fork:
                    send = await self._fork(effect)
                elif isinstance(effect, StoreRequest):
                    send = await effect.send_async(self.store)
                else:  # pragma: no cover - the interpreter yields nothing else
                    raise TypeError(f"AsyncRunner cannot perform {effect!r}")
            except Exception as exc:
                error = exc

    async def _invoke(self, invoke: Invoke) -> Any:
        np = invoke.np
        if self.sem is not None and np.is_async:
            async with self.sem:
                return await _call(np, invoke.args)
        return await _call(np, invoke.args)

    async def _fork(self, fork: Fork) -> list[Any]:
        flows = fork.flows
        if fork.limit is None:
            return list(await asyncio.gather(*(self.drive(f) for f in flows)))
        sem = asyncio.Semaphore(fork.limit)
        stopped = False

        async def guarded(flow: Generator[Any, Any, Any]) -> Any:
            nonlocal stopped
            async with sem:
                if stopped:
                    flow.close()
                    return None
                result = await self.drive(flow)
                if fork.stop is not None and fork.stop(result):
                    stopped = True
                return result

        return list(await asyncio.gather(*(guarded(f) for f in flows)))


async def _call(np: Any, args: list[Any]) -> Any:
    """Call a node function; await it, or collect its (async) generator."""
    f = np.func
    result = f(*args) if np.positional else f(**dict(zip(np.params, args)))
    if np.is_generator:
        if np.is_async:
            return [item async for item in result]
        return list(result)
    if inspect.isawaitable(result):
        return await result
    return result


class AsyncRunner(BaseRunner):
    """Runs graphs with sync and async nodes; ready nodes of a superstep run concurrently."""

    profile = ASYNC
    store_protocol = AsyncRunStore
    store_protocol_methods = "async (load_run_async, start_run_async, claim_run_async, ...)"

    @property
    def capabilities(self) -> RunnerCapabilities:
        """Async nodes, interrupts, coroutine ``run``/``map``; checkpointing with a checkpointer."""
        return RunnerCapabilities(
            supports_async_nodes=True, returns_coroutine=True, supports_interrupts=True,
            supports_checkpointing=self.checkpointer is not None,
        )

    # Two signatures for type checkers. The second takes inputs unpacked from a dict
    # (``run(graph, **inputs)`` with a ``dict[str, int]``), which the first would match
    # against every keyword option (``on_missing: str``, ``workflow_id``, ...).
    @overload
    async def run(
        self,
        graph: Graph,
        values: Mapping[str, Any] | None = None,
        *,
        select: Any = UNSET,
        on_missing: str = "ignore",
        entrypoint: Any = None,
        max_iterations: int | None = None,
        max_concurrency: int | None = None,
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
    async def run(
        self, graph: Graph, values: Mapping[str, Any] | None = None, /, **input_values: Any
    ) -> RunOutcome: ...

    # Signature 2 allows a dict unpacked into ``**input_values`` to hold "graph" or
    # "values", which Python refuses at the call itself; nothing else differs.
    async def run(  # type: ignore[misc]
        self,
        graph: Graph,
        values: Mapping[str, Any] | None = None,
        *,
        select: Any = UNSET,
        on_missing: str = "ignore",
        entrypoint: Any = None,
        max_iterations: int | None = None,
        max_concurrency: int | None = None,
        error_handling: ErrorHandling = "raise",
        event_processors: Sequence[Any] | None = None,
        checkpoint: Checkpoint | None = None,
        workflow_id: str | None = None,
        override_workflow: bool = False,
        fork_from: str | None = None,
        retry_from: str | None = None,
        **input_values: Any,
    ) -> RunOutcome:
        """Run ``graph``; returns a completed, failed (with ``continue``) or paused result."""
        started = run_call(
            self._call(max_concurrency), graph, values, input_values, event_processors,
            select=select, on_missing=on_missing, entrypoint=entrypoint,
            max_iterations=max_iterations, error_handling=error_handling,
            checkpoint=checkpoint, workflow_id=workflow_id,
            override_workflow=override_workflow, fork_from=fork_from, retry_from=retry_from,
        )
        try:
            result = await _Driver(self.checkpointer, max_concurrency).drive(started.flow)
        finally:
            if started.dispatcher is not None:
                await started.dispatcher.shutdown_async()
        return as_outcome(result)

    # As for ``run``: the second signature takes inputs unpacked from a dict.
    @overload  # type: ignore[override]
    async def map(
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
        max_concurrency: int | None = None,
        error_handling: ErrorHandling = "raise",
        event_processors: Sequence[Any] | None = None,
        workflow_id: str | None = None,
        **input_values: Any,
    ) -> MapResult: ...
    @overload
    async def map(
        self, graph: Graph, values: Mapping[str, Any] | None = None, /, *,
        map_over: str | Sequence[str], **input_values: Any,
    ) -> MapResult: ...

    async def map(  # type: ignore[misc]
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
        max_concurrency: int | None = None,
        error_handling: ErrorHandling = "raise",
        event_processors: Sequence[Any] | None = None,
        workflow_id: str | None = None,
        **input_values: Any,
    ) -> MapResult:
        """Run ``graph`` once per item, concurrently; results come back in input order."""
        started = map_call(
            self._call(max_concurrency), graph, values, input_values, event_processors,
            map_over=map_over, map_mode=map_mode, clone=clone, select=select,
            on_missing=on_missing, entrypoint=entrypoint, error_handling=error_handling,
            workflow_id=workflow_id,
        )
        try:
            return await _Driver(self.checkpointer, max_concurrency).drive(started.flow)
        finally:
            if started.dispatcher is not None:
                await started.dispatcher.shutdown_async()
