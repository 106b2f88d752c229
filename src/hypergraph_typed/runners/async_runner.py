"""``AsyncRunner``: runs a superstep's ready nodes concurrently; supports interrupts."""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from hypergraph_typed._sentinels import MISSING
from hypergraph_typed.compiler.plan import FUNCTION, GATE, GRAPH, INTERRUPT, ExecutionPlan, NodePlan
from hypergraph_typed.events.types import new_span_id
from hypergraph_typed.exceptions import (
    EdgeTypeError,
    InfiniteLoopError,
    MissingInputError,
)
from hypergraph_typed.runners.base import BaseRunner, finish, resolve_max_iterations
from hypergraph_typed.runtime import checkpointed_start as cs
from hypergraph_typed.runtime import event_factory as ev
from hypergraph_typed.runtime import map_persist, persist
from hypergraph_typed.runtime import prepare as prep
from hypergraph_typed.runtime.execute import (
    handler_failed,
    has_answers,
    nested_pause,
    pause_info,
    split_outputs,
    take_answers,
)
from hypergraph_typed.runtime.features import RunFeatures, cache_key, from_cached, to_cached
from hypergraph_typed.runtime.mapping import map_outputs, map_status, run_map_async
from hypergraph_typed.runtime.results import (
    ErrorHandling,
    MapResult,
    PauseInfo,
    RunnerCapabilities,
    RunResult,
    RunStatus,
    new_run_id,
)
from hypergraph_typed.runtime.scheduler import Scheduler
from hypergraph_typed.runtime.typecheck import check_inputs, check_outputs

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
        self._check_checkpoint_args(checkpoint, fork_from, retry_from)
        limit = resolve_max_iterations(max_iterations)
        ctx = _Ctx(max_concurrency)
        merged = prep.merge_inputs(values, input_values, sync=False)
        dispatcher = self._dispatcher(event_processors)
        try:
            if self.checkpointer is not None:
                return await self._run_checkpointed(
                    plan, merged, limit, error_handling, on_missing, ctx, dispatcher,
                    checkpoint=checkpoint, workflow_id=workflow_id,
                    override_workflow=override_workflow, fork_from=fork_from,
                    retry_from=retry_from,
                )
            prepared = prep.prepare(plan, merged)
            feats = self._features(plan, dispatcher)
            self._check_inputs(feats, plan, prepared)
            return await self._run_plan(plan, prepared, limit, error_handling, on_missing, ctx, feats)
        finally:
            if dispatcher is not None:
                await dispatcher.shutdown_async()

    async def _run_checkpointed(
        self, plan: ExecutionPlan, merged: dict[str, Any], limit: int, error_handling: str,
        on_missing: str, ctx: _Ctx, dispatcher: Any, *, checkpoint: Any,
        workflow_id: str | None, override_workflow: bool, fork_from: str | None,
        retry_from: str | None,
    ) -> RunResult:
        """The spec's resume / fork / retry rules, then the run with a step writer."""
        cp = self.checkpointer
        begin = await cs.drive_async(cp, cs.start(
            cp, plan, merged, checkpoint=checkpoint, workflow_id=workflow_id,
            override_workflow=override_workflow, fork_from=fork_from, retry_from=retry_from,
        ))
        return await self._run_session(
            plan, begin.prepared, limit, error_handling, on_missing, ctx, dispatcher,
            begin.session, begin.sched, begin.superstep,
        )

    async def _run_session(
        self, plan: ExecutionPlan, prepared: prep.Prepared, limit: int, error_handling: str,
        on_missing: str, ctx: _Ctx, dispatcher: Any, session: persist.CheckpointSession,
        sched: Scheduler | None, superstep: int,
    ) -> RunResult:
        feats = self._features(
            plan, dispatcher, session=session, workflow_id=session.workflow_id
        )
        self._check_inputs(feats, plan, prepared)
        result = await self._run_plan(
            plan, prepared, limit, error_handling, on_missing, ctx, feats, sched, superstep
        )
        result.workflow_id = session.workflow_id
        return result

    async def _run_plan(
        self, plan: ExecutionPlan, prepared: prep.Prepared, limit: int,
        error_handling: str, on_missing: str, ctx: _Ctx, feats: RunFeatures | None = None,
        sched: Scheduler | None = None, superstep: int = 0,
    ) -> RunResult:
        t0 = time.perf_counter()
        if sched is None:
            sched = Scheduler(plan, prepared.initial)
        records: list[tuple[Any, ...]] = []
        nodes = plan.nodes
        first_superstep = superstep
        perf = time.perf_counter
        next_ready = sched.next_ready
        gather = sched.gather
        commit = sched.commit
        add_record = records.append
        fast = feats is None
        if feats is not None:
            feats.base = first_superstep
        run_id = None if feats is None else feats.run_id
        disp = None if feats is None else feats.dispatcher
        if disp is not None and feats is not None:
            await disp.emit_async(ev.run_start(feats))
        try:
            while True:
                ready = next_ready(True)
                if not ready:
                    break
                if superstep - first_superstep >= limit:
                    raise InfiniteLoopError(limit)
                np = nodes[ready[0]]
                if fast and np.direct and len(ready) == 1:
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
                    if disp is not None and feats is not None:
                        await disp.emit_async(ev.superstep_start(feats, superstep - first_superstep))
                    paused = await self._superstep(nodes, sched, ready, records, superstep,
                                                   prepared, ctx, feats)
                    if paused is not None:
                        if feats is not None:
                            await self._end(feats, t0, RunStatus.PAUSED, None)
                        return finish(
                            plan, sched, records, t0, status=RunStatus.PAUSED,
                            pause=paused.info, run_id=run_id,
                        )
                superstep += 1
            result = finish(
                plan, sched, records, t0, status=RunStatus.COMPLETED, on_missing=on_missing,
                run_id=run_id,
            )
        except Exception as exc:
            if feats is not None:
                await self._end(feats, t0, RunStatus.FAILED, exc)
            if error_handling == "raise":
                raise
            return finish(
                plan, sched, records, t0, status=RunStatus.FAILED, error=exc, run_id=run_id
            )
        if feats is not None:
            await self._end(feats, t0, RunStatus.COMPLETED, None)
        return result

    @staticmethod
    async def _end(
        feats: RunFeatures, t0: float, status: RunStatus, error: BaseException | None
    ) -> None:
        if feats.session is not None:
            await feats.session.finish_async(status, time.perf_counter() - t0, error)
        if feats.dispatcher is not None:
            await feats.dispatcher.emit_async(ev.run_end(feats, status, error, t0))

    async def _superstep(
        self, nodes: tuple[NodePlan, ...], sched: Scheduler, ready: list[int],
        records: list[tuple[Any, ...]], superstep: int, prepared: prep.Prepared, ctx: _Ctx,
        feats: RunFeatures | None,
    ) -> _Paused | None:
        """Run the ready nodes concurrently; apply successes, then raise the first error.

        Plain sync functions run inline when no feature instruments the run (a task would
        only add overhead: they block the loop either way). A nested graph may pause while
        its co-ready nodes finish: their outputs are applied and the first pause (in ready
        order) is returned, unless some node failed.
        """
        perf = time.perf_counter
        if feats is not None and feats.session is not None:
            await feats.session.write_async()  # the previous superstep, before this one
        argsets = [sched.gather(n) for n in ready]
        outcomes: list[Any] = [None] * len(ready)
        pending: list[Any] = []
        pending_at: list[int] = []
        for k, (n, args) in enumerate(zip(ready, argsets)):
            np = nodes[n]
            if feats is not None:
                pending.append(self._instrumented(np, args, prepared, ctx, feats, sched))
                pending_at.append(k)
            elif np.direct:
                start = perf()
                try:
                    outcomes[k] = ((np.func(*args),), None, perf() - start, None, False)
                except Exception as exc:
                    outcomes[k] = (exc, None, perf() - start, None, False)
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
        session = None if feats is None else feats.session
        step_no = superstep if feats is None else superstep - feats.base  # within this call
        for n, (out, log, dt, span, hit) in zip(ready, outcomes):
            np = nodes[n]
            if isinstance(out, Exception):
                records.append((np.name, step_no, dt, "failed", span,
                                f"{type(out).__name__}: {out}"))
                if session is not None:
                    session.stage(np, "failed", dt, None, error=out)
                first_error = first_error or out
            elif type(out) is _Paused:
                # named by its path ("inner/approval") when the pause is nested
                records.append((out.info.node_name, step_no, dt, "paused", span, None,
                                False, None, out.inner_log))
                if session is not None:
                    session.stage(np, "paused", dt, None)
                first_pause = first_pause or out
            elif np.kind == GATE:
                records.append((np.name, step_no, dt, "completed", span, None,
                                hit, out[0], log))
                if session is not None:
                    session.stage(np, "completed", dt, out, cached=hit, decision=out[0])
                sched.commit_gate(n, out[0], out[1])
            else:
                records.append((np.name, step_no, dt, "completed", span, None,
                                hit, None, log))
                if session is not None:
                    session.stage(np, "completed", dt, out, cached=hit)
                sched.commit(n, out)
        if session is not None:
            session.seal(sched, superstep)
        if first_error is not None:
            raise first_error
        return first_pause

    async def _timed(
        self, np: NodePlan, args: list[Any], prepared: prep.Prepared, ctx: _Ctx
    ) -> tuple[Any, Any, float, None, bool]:
        start = time.perf_counter()
        try:
            out, log = await self._call(np, args, prepared, ctx, None, None)
        except Exception as exc:
            return exc, None, time.perf_counter() - start, None, False
        return out, log, time.perf_counter() - start, None, False

    async def _instrumented(
        self, np: NodePlan, args: list[Any], prepared: prep.Prepared, ctx: _Ctx,
        feats: RunFeatures, sched: Scheduler,
    ) -> tuple[Any, Any, float, str, bool]:
        """One node with events, edge checks and the cache around the call.

        Returns ``(outputs or exception or _Paused, inner log, seconds, span, cache hit)``.
        """
        disp = feats.dispatcher
        span = new_span_id()
        start = time.perf_counter()
        if disp is not None:
            await disp.emit_async(ev.node_start(feats, np, span))
        hit = False
        log: Any = None
        try:
            if feats.checks is not None:
                check_inputs(feats.checks, np.index, args, sched)
            key = cache_key(feats, np, args)
            if key and np.kind == INTERRUPT and has_answers(np, prepared.answers):
                key = ""  # a supplied answer wins over the cache and is never stored
            if key:
                hit, stored = feats.cache.get(key)
            if hit:
                out = from_cached(np, stored)
                if disp is not None:
                    await disp.emit_async(ev.cache_hit(feats, np, span, key))
            else:
                out, log = await self._call(np, args, prepared, ctx, feats, span)
                if type(out) is not _Paused:
                    if feats.checks is not None:
                        check_outputs(feats.checks, np.index, out)
                    if key:
                        feats.cache.set(key, to_cached(np, out))
        except Exception as exc:
            dt = time.perf_counter() - start
            if disp is not None:
                await disp.emit_async(ev.node_error(feats, np, span, exc))
            return exc, None, dt, span, False
        dt = time.perf_counter() - start
        if disp is not None:
            if type(out) is _Paused:
                await disp.emit_async(ev.interrupt(feats, span, out.info))
            else:
                if np.kind == GATE:
                    await disp.emit_async(ev.route_decision(feats, np, out[0]))
                await disp.emit_async(ev.node_end(feats, np, span, 0.0 if hit else dt, hit, log))
        return out, log, dt, span, hit

    async def _call(
        self, np: NodePlan, args: list[Any], prepared: prep.Prepared, ctx: _Ctx,
        feats: RunFeatures | None, span: str | None,
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
            return await self._call_graph(
                np, args, prepared.nested_answers.pop(np.name, None), ctx, feats, span
            )
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
        self, np: NodePlan, args: list[Any], answers: dict[str, Any] | None, ctx: _Ctx,
        feats: RunFeatures | None, span: str | None,
    ) -> tuple[Any, Any]:
        gn = np.node
        inner_plan = gn.graph.compile()
        inner_values = dict(zip(gn.inner_inputs, args))
        if answers:
            # Keys were mapped to the inner graph's names by the plan (nested_resume).
            inner_values.update(answers)
        if gn.map_config is None:
            if feats is not None and feats.session is not None and span is not None:
                result = await self._run_child(
                    np, inner_plan, dict(zip(gn.inner_inputs, args)), answers or {}, ctx,
                    feats, span,
                )
                if result.paused:
                    assert result.pause is not None
                    return _Paused(nested_pause(np.name, gn, result.pause), result.log), None
                return tuple(result.values.get(o, MISSING) for o in gn.inner_outputs), result.log
            prepared = prep.prepare(inner_plan, inner_values)
            inner_feats = (
                feats.nested(inner_plan, span, new_run_id())
                if feats is not None and span is not None else None
            )
            result = await self._run_plan(
                inner_plan, prepared, resolve_max_iterations(None), "raise", "ignore", ctx,
                inner_feats,
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
            inner_plan, inner_values, inner_params, mode, inner_clone, handling, "ignore", ctx,
            feats, span,
        )
        return map_outputs(gn, mapped), mapped.log

    async def _run_child(
        self, np: NodePlan, plan: ExecutionPlan, inputs: dict[str, Any],
        answers: dict[str, Any], ctx: _Ctx, feats: RunFeatures, span: str,
    ) -> RunResult:
        """A GraphNode inside a checkpointed run: its own run "{workflow}/{node}".

        A paused child resumes from its own steps (inner nodes that ran are not run
        again); a child that already completed (the parent crashed before recording it)
        yields its stored results.
        """
        parent = feats.session
        assert parent is not None
        cp = parent.checkpointer
        begin = await cs.drive_async(cp, cs.start_child(
            cp, plan, parent.child_id(np.name), parent.workflow_id, inputs, answers
        ))
        inner = feats.nested(plan, span, new_run_id())
        inner.session = begin.session
        inner.workflow_id = begin.session.workflow_id
        return await self._run_plan(
            plan, begin.prepared, resolve_max_iterations(None), "raise", "ignore", ctx, inner,
            begin.sched, begin.superstep,
        )

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
        ctx = _Ctx(max_concurrency)
        merged = prep.merge_inputs(values, input_values, sync=False)
        names = [map_over] if isinstance(map_over, str) else list(map_over)
        dispatcher = self._dispatcher(event_processors)
        try:
            map_feats = self._features(plan, dispatcher)
            return await self._map_plan(plan, merged, names, map_mode, clone, error_handling,
                                        on_missing, ctx, map_feats, None, top=True,
                                        workflow_id=workflow_id)
        finally:
            if dispatcher is not None:
                await dispatcher.shutdown_async()

    async def _map_plan(
        self, plan: ExecutionPlan, merged: dict[str, Any], names: list[str], mode: str,
        clone: bool | Sequence[str], error_handling: str, on_missing: str, ctx: _Ctx,
        feats: RunFeatures | None, span: str | None, *, top: bool = False,
        workflow_id: str | None = None,
    ) -> MapResult:
        """Items concurrently; with features, each item is a child run of the map.

        With a checkpointer and a ``workflow_id``, the map is persisted (``map_persist``).
        """
        items = prep.expand_map(merged, names, mode, clone)
        limit = resolve_max_iterations(None)
        t0 = time.perf_counter()
        # The map is a run of its own (events, spans): the top-level call's, or, for a
        # map_over GraphNode, a child of the node's span. An empty map emits nothing.
        map_feats = feats
        if feats is not None and not top:
            map_feats = feats.nested(plan, span, new_run_id()) if span is not None else None
        disp = map_feats.dispatcher if map_feats is not None and items else None
        if disp is not None and map_feats is not None:
            await disp.emit_async(ev.map_start(map_feats, len(items)))
        parent = map_feats.run_span if map_feats is not None else None

        cp = self.checkpointer
        store = (
            await cs.drive_async(cp, map_persist.begin(cp, plan, workflow_id))
            if workflow_id is not None and cp is not None and top else None
        )
        index_of = {id(item): i for i, item in enumerate(items)}

        async def run_item(item: dict[str, Any]) -> RunResult:
            session = None
            if store is not None:
                got = await cs.drive_async(cp, map_persist.item(store, index_of[id(item)], item))
                if isinstance(got, map_persist.Skip):
                    return got.result(plan)
                session = got
            item_feats = self._item_features(plan, map_feats, parent, session)
            try:
                prepared = prep.prepare(plan, item)
                self._check_inputs(item_feats, plan, prepared)
            except (MissingInputError, EdgeTypeError) as exc:
                if session is not None:
                    await session.finish_async(RunStatus.FAILED, 0.0, exc)
                return RunResult({}, RunStatus.FAILED, error=exc)
            result = await self._run_plan(
                plan, prepared, limit, "continue", on_missing, ctx, item_feats
            )
            if session is not None:
                result.workflow_id = session.workflow_id
            return result

        try:
            result = await run_map_async(
                plan, items, names, mode, error_handling, ctx.limit, run_item,
                run_id=map_feats.run_id if map_feats is not None and items else None,
            )
        except Exception as exc:
            if store is not None:
                await cs.call_async(cp, map_persist.end(store, None))
            if disp is not None and map_feats is not None:
                await disp.emit_async(ev.run_end(map_feats, RunStatus.FAILED, exc, t0))
            raise
        if store is not None:
            await cs.call_async(cp, map_persist.end(store, result))
        if disp is not None and map_feats is not None:
            failed = next((r.error for r in result.results if r.failed), None)
            await disp.emit_async(ev.run_end(map_feats, map_status(result), failed, t0))
        return result
