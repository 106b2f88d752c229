"""``AsyncRunner``: runs a superstep's ready nodes concurrently; supports interrupts."""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from hypergraph_typed._sentinels import MISSING
from hypergraph_typed.compiler.plan import FUNCTION, GATE, GRAPH, INTERRUPT, ExecutionPlan, NodePlan
from hypergraph_typed.exceptions import InfiniteLoopError, MissingInputError
from hypergraph_typed.runners import _prepare as prep
from hypergraph_typed.runners.base import BaseRunner, finish, resolve_max_iterations
from hypergraph_typed.runners.mapping import map_outputs, run_map_async
from hypergraph_typed.runners.results import (
    ErrorHandling,
    MapResult,
    PauseInfo,
    RunnerCapabilities,
    RunResult,
    RunStatus,
)
from hypergraph_typed.runtime.execute import (
    handler_failed,
    nested_pause,
    pause_info,
    split_outputs,
    take_answers,
)
from hypergraph_typed.runtime.scheduler import Scheduler

if TYPE_CHECKING:
    from hypergraph_typed.graph.core import Graph


class _Paused:
    """Returned (not raised) by a node call that paused the run."""

    __slots__ = ("info", "inner_log")

    def __init__(self, info: PauseInfo, inner_log: Any = None) -> None:
        self.info = info
        self.inner_log = inner_log


class _Ctx:
    """Per top-level call: the shared concurrency limit."""

    __slots__ = ("limit", "sem")

    def __init__(self, max_concurrency: int | None) -> None:
        if max_concurrency is not None and (
            not isinstance(max_concurrency, int) or max_concurrency < 1
        ):
            raise ValueError(f"max_concurrency must be a positive int, got {max_concurrency!r}")
        self.limit = max_concurrency
        self.sem = asyncio.Semaphore(max_concurrency) if max_concurrency else None


async def _maybe_await(value: Any) -> Any:
    if inspect.isawaitable(value):
        return await value
    return value


class AsyncRunner(BaseRunner):
    """Runs graphs with sync and async nodes; ready nodes of a superstep run concurrently."""

    @property
    def capabilities(self) -> RunnerCapabilities:
        return RunnerCapabilities(
            supports_async_nodes=True, returns_coroutine=True, supports_interrupts=True,
            supports_checkpointing=self.checkpointer is not None,
        )

    async def run(
        self,
        graph: Graph,
        values: Mapping[str, Any] | None = None,
        *,
        select: Any = prep.UNSET,
        on_missing: str = "ignore",
        entrypoint: Any = None,
        max_iterations: int | None = None,
        max_concurrency: int | None = None,
        error_handling: ErrorHandling = "raise",
        event_processors: Sequence[Any] | None = None,
        checkpoint: Any = None,
        workflow_id: str | None = None,
        override_workflow: bool = False,
        fork_from: str | None = None,
        retry_from: str | None = None,
        **input_values: Any,
    ) -> RunResult:
        """Run ``graph``; returns a completed, failed (with ``continue``) or paused result."""
        plan = graph.compile()
        prep.check_options(
            plan, on_missing=on_missing, error_handling=error_handling,
            workflow_id=workflow_id, select=select, entrypoint=entrypoint,
        )
        self._check_extra(event_processors, checkpoint, fork_from, retry_from)
        limit = resolve_max_iterations(max_iterations)
        ctx = _Ctx(max_concurrency)
        merged = prep.merge_inputs(values, input_values, sync=False)
        prepared = prep.prepare(plan, merged)
        return await self._run_plan(plan, prepared, limit, error_handling, on_missing, ctx)

    async def _run_plan(
        self, plan: ExecutionPlan, prepared: prep.Prepared, limit: int,
        error_handling: str, on_missing: str, ctx: _Ctx,
    ) -> RunResult:
        t0 = time.perf_counter()
        sched = Scheduler(plan, prepared.initial)
        records: list[tuple[Any, ...]] = []
        nodes = plan.nodes
        superstep = 0
        perf = time.perf_counter
        next_ready = sched.next_ready
        gather = sched.gather
        commit = sched.commit
        add_record = records.append
        try:
            while True:
                ready = next_ready(True)
                if not ready:
                    break
                if superstep >= limit:
                    raise InfiniteLoopError(limit)
                np = nodes[ready[0]]
                if np.direct and len(ready) == 1:
                    # The common case: one plain sync function; call it inline.
                    n = ready[0]
                    args = gather(n)
                    start = perf()
                    try:
                        res = np.func(*args)
                    except Exception as exc:
                        add_record((np.name, superstep, perf() - start, "failed", None,
                                    f"{type(exc).__name__}: {exc}"))
                        raise
                    add_record((np.name, superstep, perf() - start, "completed"))
                    commit(n, (res,))
                else:
                    paused = await self._superstep(nodes, sched, ready, records, superstep,
                                                   prepared, ctx)
                    if paused is not None:
                        return finish(
                            plan, sched, records, t0, status=RunStatus.PAUSED, pause=paused.info
                        )
                superstep += 1
            return finish(
                plan, sched, records, t0, status=RunStatus.COMPLETED, on_missing=on_missing
            )
        except Exception as exc:
            if error_handling == "raise":
                raise
            return finish(plan, sched, records, t0, status=RunStatus.FAILED, error=exc)

    async def _superstep(
        self, nodes: tuple[NodePlan, ...], sched: Scheduler, ready: list[int],
        records: list[tuple[Any, ...]], superstep: int, prepared: prep.Prepared, ctx: _Ctx,
    ) -> _Paused | None:
        """Run the ready nodes concurrently; apply successes, then raise the first error.

        Plain sync functions run inline (a task would only add overhead: they block the
        loop either way). A nested graph may pause while its co-ready nodes finish: their
        outputs are applied and the first pause (in ready order) is returned, unless some
        node failed.
        """
        perf = time.perf_counter
        argsets = [sched.gather(n) for n in ready]
        outcomes: list[Any] = [None] * len(ready)
        pending: list[Any] = []
        pending_at: list[int] = []
        for k, (n, args) in enumerate(zip(ready, argsets)):
            np = nodes[n]
            if np.direct:
                start = perf()
                try:
                    outcomes[k] = ((np.func(*args),), None, perf() - start)
                except Exception as exc:
                    outcomes[k] = (exc, None, perf() - start)
            else:
                pending.append(self._timed(np, args, prepared, ctx))
                pending_at.append(k)
        if len(pending) == 1:
            outcomes[pending_at[0]] = await pending[0]
        elif pending:
            for k, outcome in zip(pending_at, await asyncio.gather(*pending)):
                outcomes[k] = outcome
        first_error: Exception | None = None
        first_pause: _Paused | None = None
        for n, (out, log, dt) in zip(ready, outcomes):
            np = nodes[n]
            if isinstance(out, Exception):
                records.append((np.name, superstep, dt, "failed", None,
                                f"{type(out).__name__}: {out}"))
                first_error = first_error or out
            elif type(out) is _Paused:
                # named by its path ("inner/approval") when the pause is nested
                records.append((out.info.node_name, superstep, dt, "paused", None, None,
                                False, None, out.inner_log))
                first_pause = first_pause or out
            elif np.kind == GATE:
                records.append((np.name, superstep, dt, "completed", None, None,
                                False, out[0], log))
                sched.commit_gate(n, out[0], out[1])
            else:
                records.append((np.name, superstep, dt, "completed", None, None,
                                False, None, log))
                sched.commit(n, out)
        if first_error is not None:
            raise first_error
        return first_pause

    async def _timed(
        self, np: NodePlan, args: list[Any], prepared: prep.Prepared, ctx: _Ctx
    ) -> tuple[Any, Any, float]:
        start = time.perf_counter()
        try:
            out, log = await self._call(np, args, prepared, ctx)
        except Exception as exc:
            return exc, None, time.perf_counter() - start
        return out, log, time.perf_counter() - start

    async def _call(
        self, np: NodePlan, args: list[Any], prepared: prep.Prepared, ctx: _Ctx
    ) -> tuple[Any, Any]:
        kind = np.kind
        if kind == FUNCTION or kind == GATE:
            f = np.func
            if np.is_async and ctx.sem is not None:
                async with ctx.sem:
                    result = await self._invoke(np, f, args)
            else:
                result = await self._invoke(np, f, args)
            if kind == GATE:
                decision = np.node.decide(result)
                return (decision, np.node.selected_targets(decision)), None
            return split_outputs(np, result), None
        if kind == INTERRUPT:
            return await self._call_interrupt(np, args, prepared), None
        if kind == GRAPH:
            return await self._call_graph(np, args, prepared.nested_answers.pop(np.name, None), ctx)
        raise TypeError(f"AsyncRunner cannot execute node {np.name!r} ({np.kind_name})")

    @staticmethod
    async def _invoke(np: NodePlan, f: Any, args: list[Any]) -> Any:
        result = f(*args) if np.positional else f(**dict(zip(np.params, args)))
        if np.is_generator:
            if np.is_async:
                return [item async for item in result]
            return list(result)
        if np.is_async:
            return await result
        return result

    async def _call_interrupt(self, np: NodePlan, args: list[Any], prepared: prep.Prepared) -> Any:
        answered = take_answers(np, prepared.answers)
        if answered is not None:
            return answered
        try:
            f = np.func
            result = await _maybe_await(
                f(*args) if np.positional else f(**dict(zip(np.params, args)))
            )
        except Exception as exc:
            raise handler_failed(np, exc) from exc
        if result is None:
            return _Paused(pause_info(np, args))
        return np.node.resolve_handler_result(result)

    async def _call_graph(
        self, np: NodePlan, args: list[Any], answers: dict[str, Any] | None, ctx: _Ctx
    ) -> tuple[Any, Any]:
        gn = np.node
        inner_plan = gn.graph.compile()
        inner_values = dict(zip(gn.inner_inputs, args))
        if answers:
            # Keys were mapped to the inner graph's names by the plan (nested_resume).
            inner_values.update(answers)
        if gn.map_config is None:
            prepared = prep.prepare(inner_plan, inner_values)
            result = await self._run_plan(
                inner_plan, prepared, resolve_max_iterations(None), "raise", "ignore", ctx
            )
            if result.paused:
                assert result.pause is not None
                return _Paused(nested_pause(np.name, gn, result.pause), result.log), None
            return tuple(result.values.get(o, MISSING) for o in gn.inner_outputs), result.log
        params, mode, handling = gn.map_config
        inner_params = [gn.inner_inputs[gn.inputs.index(p)] for p in params]
        clone = gn.clone_config
        inner_clone = (
            [gn.inner_inputs[gn.inputs.index(c)] for c in clone] if isinstance(clone, tuple) else clone
        )
        mapped = await self._map_plan(
            inner_plan, inner_values, inner_params, mode, inner_clone, handling, "ignore", ctx
        )
        return map_outputs(gn, mapped), mapped.log

    async def map(  # type: ignore[override]
        self,
        graph: Graph,
        values: Mapping[str, Any] | None = None,
        *,
        map_over: str | Sequence[str],
        map_mode: str = "zip",
        clone: bool | Sequence[str] = False,
        select: Any = prep.UNSET,
        on_missing: str = "ignore",
        entrypoint: Any = None,
        max_concurrency: int | None = None,
        error_handling: ErrorHandling = "raise",
        event_processors: Sequence[Any] | None = None,
        workflow_id: str | None = None,
        **input_values: Any,
    ) -> MapResult:
        """Run ``graph`` once per item, concurrently; results come back in input order."""
        plan = graph.compile()
        prep.check_map_compat(plan)
        prep.check_options(
            plan, on_missing=on_missing, error_handling=error_handling,
            workflow_id=workflow_id, select=select, entrypoint=entrypoint,
        )
        self._check_extra(event_processors, None, None, None)
        ctx = _Ctx(max_concurrency)
        merged = prep.merge_inputs(values, input_values, sync=False)
        names = [map_over] if isinstance(map_over, str) else list(map_over)
        return await self._map_plan(plan, merged, names, map_mode, clone, error_handling,
                                    on_missing, ctx)

    async def _map_plan(
        self, plan: ExecutionPlan, merged: dict[str, Any], names: list[str], mode: str,
        clone: bool | Sequence[str], error_handling: str, on_missing: str, ctx: _Ctx,
    ) -> MapResult:
        items = prep.expand_map(merged, names, mode, clone)
        limit = resolve_max_iterations(None)

        async def run_item(item: dict[str, Any]) -> RunResult:
            try:
                prepared = prep.prepare(plan, item)
            except MissingInputError as exc:
                return RunResult({}, RunStatus.FAILED, error=exc)
            return await self._run_plan(plan, prepared, limit, "continue", on_missing, ctx)

        return await run_map_async(
            plan, items, names, mode, error_handling, ctx.limit, run_item
        )
