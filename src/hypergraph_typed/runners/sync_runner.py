"""``SyncRunner``: runs a superstep's ready nodes one at a time, in graph order."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from hypergraph_typed._sentinels import MISSING
from hypergraph_typed.compiler.plan import FUNCTION, GATE, GRAPH, ExecutionPlan, NodePlan
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
from hypergraph_typed.runtime.execute import split_outputs
from hypergraph_typed.runtime.features import RunFeatures, cache_key, from_cached, to_cached
from hypergraph_typed.runtime.mapping import map_outputs, map_status, run_map_sync
from hypergraph_typed.runtime.results import (
    ErrorHandling,
    MapResult,
    RunnerCapabilities,
    RunResult,
    RunStatus,
    new_run_id,
)
from hypergraph_typed.runtime.scheduler import Scheduler
from hypergraph_typed.runtime.typecheck import check_inputs, check_outputs

if TYPE_CHECKING:
    from hypergraph_typed.graph.core import Graph


class SyncRunner(BaseRunner):
    """Runs graphs of synchronous nodes; ready nodes of a superstep run sequentially."""

    @property
    def capabilities(self) -> RunnerCapabilities:
        return RunnerCapabilities(supports_checkpointing=self.checkpointer is not None)

    def run(
        self,
        graph: Graph,
        values: Mapping[str, Any] | None = None,
        *,
        select: Any = prep.UNSET,
        on_missing: str = "ignore",
        entrypoint: Any = None,
        max_iterations: int | None = None,
        error_handling: ErrorHandling = "raise",
        event_processors: Sequence[Any] | None = None,
        checkpoint: Any = None,
        workflow_id: str | None = None,
        override_workflow: bool = False,
        fork_from: str | None = None,
        retry_from: str | None = None,
        **input_values: Any,
    ) -> RunResult:
        """Run ``graph`` to completion (or failure) and return its ``RunResult``."""
        plan = graph.compile()
        prep.check_sync_compat(plan)
        prep.check_options(
            plan, on_missing=on_missing, error_handling=error_handling,
            workflow_id=workflow_id, select=select, entrypoint=entrypoint,
        )
        self._check_checkpoint_args(checkpoint, fork_from, retry_from)
        limit = resolve_max_iterations(max_iterations)
        merged = prep.merge_inputs(values, input_values, sync=True)
        dispatcher = self._dispatcher(event_processors)
        try:
            if self.checkpointer is not None:
                return self._run_checkpointed(
                    plan, merged, limit, error_handling, on_missing, dispatcher,
                    checkpoint=checkpoint, workflow_id=workflow_id,
                    override_workflow=override_workflow, fork_from=fork_from,
                    retry_from=retry_from,
                )
            prepared = prep.prepare(plan, merged)
            feats = self._features(plan, dispatcher)
            self._check_inputs(feats, plan, prepared)
            return self._run_plan(plan, prepared, limit, error_handling, on_missing, feats)
        finally:
            if dispatcher is not None:
                dispatcher.shutdown()

    def _run_checkpointed(
        self, plan: ExecutionPlan, merged: dict[str, Any], limit: int, error_handling: str,
        on_missing: str, dispatcher: Any, *, checkpoint: Any,
        workflow_id: str | None, override_workflow: bool, fork_from: str | None,
        retry_from: str | None,
    ) -> RunResult:
        """The spec's resume / fork / retry rules, then the run with a step writer."""
        cp = self.checkpointer
        begin = cs.drive_sync(cp, cs.start(
            cp, plan, merged, checkpoint=checkpoint, workflow_id=workflow_id,
            override_workflow=override_workflow, fork_from=fork_from, retry_from=retry_from,
        ))
        return self._run_session(
            plan, begin.prepared, limit, error_handling, on_missing, dispatcher,
            begin.session, begin.sched, begin.superstep,
        )

    def _run_session(
        self, plan: ExecutionPlan, prepared: prep.Prepared, limit: int, error_handling: str,
        on_missing: str, dispatcher: Any, session: persist.CheckpointSession,
        sched: Scheduler | None, superstep: int,
    ) -> RunResult:
        feats = self._features(
            plan, dispatcher, session=session, workflow_id=session.workflow_id
        )
        self._check_inputs(feats, plan, prepared)
        result = self._run_plan(
            plan, prepared, limit, error_handling, on_missing, feats, sched, superstep
        )
        result.workflow_id = session.workflow_id
        return result

    def _run_plan(
        self, plan: ExecutionPlan, prepared: prep.Prepared, limit: int,
        error_handling: str, on_missing: str, feats: RunFeatures | None = None,
        sched: Scheduler | None = None, superstep: int = 0,
    ) -> RunResult:
        t0 = time.perf_counter()
        if sched is None:
            sched = Scheduler(plan, prepared.initial)
        records: list[tuple[Any, ...]] = []
        nodes = plan.nodes
        nested = prepared.nested_answers
        first_superstep = superstep
        perf = time.perf_counter
        next_ready = sched.next_ready
        gather = sched.gather
        commit = sched.commit
        add_record = records.append
        fast = feats is None
        if feats is not None:
            feats.base = first_superstep
        disp = feats.dispatcher if feats is not None else None
        if disp is not None and feats is not None:
            disp.emit(ev.run_start(feats))
        try:
            while True:
                ready = next_ready(False)
                if not ready:
                    break
                if superstep - first_superstep >= limit:
                    raise InfiniteLoopError(limit)
                np = nodes[ready[0]]
                if fast and np.direct and len(ready) == 1:
                    # The common case: one plain function; call it inline.
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
                        disp.emit(ev.superstep_start(feats, superstep - first_superstep))
                    self._superstep(nodes, sched, ready, records, superstep, nested, feats)
                superstep += 1
            result = finish(
                plan, sched, records, t0, status=RunStatus.COMPLETED, on_missing=on_missing,
                run_id=feats.run_id if feats is not None else None,
            )
        except Exception as exc:
            if feats is not None:
                self._end(feats, t0, RunStatus.FAILED, exc)
            if error_handling == "raise":
                raise
            return finish(
                plan, sched, records, t0, status=RunStatus.FAILED, error=exc,
                run_id=feats.run_id if feats is not None else None,
            )
        if feats is not None:
            self._end(feats, t0, RunStatus.COMPLETED, None)
        return result

    @staticmethod
    def _end(
        feats: RunFeatures, t0: float, status: RunStatus, error: BaseException | None
    ) -> None:
        if feats.session is not None:
            feats.session.finish_sync(status, time.perf_counter() - t0, error)
        if feats.dispatcher is not None:
            feats.dispatcher.emit(ev.run_end(feats, status, error, t0))

    def _superstep(
        self, nodes: tuple[NodePlan, ...], sched: Scheduler, ready: list[int],
        records: list[tuple[Any, ...]], superstep: int, nested: dict[str, dict[str, Any]],
        feats: RunFeatures | None,
    ) -> None:
        """Run the ready nodes one by one in graph order; commit what finished, even on error."""
        perf = time.perf_counter
        if feats is not None and feats.session is not None:
            feats.session.write_sync()  # the previous superstep, before this one
        argsets = [sched.gather(n) for n in ready]
        done: list[tuple[int, Any]] = []
        try:
            for n, args in zip(ready, argsets):
                np = nodes[n]
                if feats is not None:
                    done.append((n, self._instrumented(
                        np, args, nested, feats, superstep - feats.base, records, sched)))
                    continue
                start = perf()
                try:
                    out, inner_log = self._call(np, args, nested, None, None)
                except Exception as exc:
                    records.append((np.name, superstep, perf() - start, "failed", None,
                                    f"{type(exc).__name__}: {exc}"))
                    raise
                decision = out[0] if np.kind == GATE else None
                records.append((np.name, superstep, perf() - start, "completed", None, None,
                                False, decision, inner_log))
                done.append((n, out))
        finally:
            for n, out in done:
                if nodes[n].kind == GATE:
                    sched.commit_gate(n, out[0], out[1])
                else:
                    sched.commit(n, out)
            if feats is not None and feats.session is not None:
                feats.session.seal(sched, superstep)

    def _instrumented(
        self, np: NodePlan, args: list[Any], nested: dict[str, dict[str, Any]],
        feats: RunFeatures, superstep: int, records: list[tuple[Any, ...]], sched: Scheduler,
    ) -> Any:
        """One node with events, edge checks, cache and step staging around the call."""
        disp = feats.dispatcher
        span = new_span_id()
        start = time.perf_counter()
        if disp is not None:
            disp.emit(ev.node_start(feats, np, span))
        hit = False
        inner_log: Any = None
        try:
            if feats.checks is not None:
                check_inputs(feats.checks, np.index, args, sched)
            key = cache_key(feats, np, args)
            if key:
                hit, stored = feats.cache.get(key)
            if hit:
                out = from_cached(np, stored)
                if disp is not None:
                    disp.emit(ev.cache_hit(feats, np, span, key))
            else:
                out, inner_log = self._call(np, args, nested, feats, span)
                if feats.checks is not None:
                    check_outputs(feats.checks, np.index, out)
                if key:
                    feats.cache.set(key, to_cached(np, out))
        except Exception as exc:
            dt = time.perf_counter() - start
            records.append((np.name, superstep, dt, "failed", span, f"{type(exc).__name__}: {exc}"))
            if feats.session is not None:
                feats.session.stage(np, "failed", dt, None, error=exc)
            if disp is not None:
                disp.emit(ev.node_error(feats, np, span, exc))
            raise
        dt = time.perf_counter() - start
        decision = out[0] if np.kind == GATE else None
        records.append((np.name, superstep, dt, "completed", span, None, hit, decision, inner_log))
        if feats.session is not None:
            feats.session.stage(np, "completed", dt, out, cached=hit, decision=decision)
        if disp is not None:
            if np.kind == GATE:
                disp.emit(ev.route_decision(feats, np, decision))
            disp.emit(ev.node_end(feats, np, span, 0.0 if hit else dt, hit, inner_log))
        return out

    def _call(
        self, np: NodePlan, args: list[Any], nested: dict[str, dict[str, Any]],
        feats: RunFeatures | None, span: str | None,
    ) -> tuple[Any, Any]:
        kind = np.kind
        if kind == FUNCTION or kind == GATE:
            result = np.func(*args) if np.positional else np.func(**dict(zip(np.params, args)))
            if kind == GATE:
                decision = np.node.decide(result)
                return (decision, np.node.selected_targets(decision)), None
            if np.is_generator:
                result = list(result)
            return split_outputs(np, result), None
        if kind == GRAPH:
            return self._call_graph(np, args, nested.pop(np.name, None), feats, span)
        raise TypeError(f"SyncRunner cannot execute node {np.name!r} ({np.kind_name})")

    def _call_graph(
        self, np: NodePlan, args: list[Any], answers: dict[str, Any] | None,
        feats: RunFeatures | None, span: str | None,
    ) -> tuple[Any, Any]:
        gn = np.node
        inner_plan = gn.graph.compile()
        if inner_plan.first_async is not None:
            prep.check_sync_compat(inner_plan)
        inner_values = dict(zip(gn.inner_inputs, args))
        if gn.map_config is None:
            if feats is not None and feats.session is not None and span is not None:
                result = self._run_child(np, inner_plan, inner_values, feats, span)
                return tuple(result.values.get(o, MISSING) for o in gn.inner_outputs), result.log
            prepared = prep.prepare(inner_plan, inner_values)
            inner_feats = (
                feats.nested(inner_plan, span, new_run_id())
                if feats is not None and span is not None else None
            )
            result = self._run_plan(
                inner_plan, prepared, resolve_max_iterations(None), "raise", "ignore", inner_feats
            )
            return tuple(result.values.get(o, MISSING) for o in gn.inner_outputs), result.log
        params, mode, handling = gn.map_config
        inner_params = [gn.inner_inputs[gn.inputs.index(p)] for p in params]
        clone = gn.clone_config
        inner_clone = (
            [gn.inner_inputs[gn.inputs.index(c)] for c in clone] if isinstance(clone, tuple) else clone
        )
        mapped = self._map_plan(
            inner_plan, inner_values, inner_params, mode, inner_clone, handling, "ignore",
            feats, span,
        )
        return map_outputs(gn, mapped), mapped.log

    def _run_child(
        self, np: NodePlan, plan: ExecutionPlan, inputs: dict[str, Any], feats: RunFeatures,
        span: str,
    ) -> RunResult:
        """A GraphNode inside a checkpointed run: its own run "{workflow}/{node}"."""
        parent = feats.session
        assert parent is not None
        cp = parent.checkpointer
        begin = cs.drive_sync(cp, cs.start_child(
            cp, plan, parent.child_id(np.name), parent.workflow_id, inputs, {}
        ))
        inner = feats.nested(plan, span, new_run_id())
        inner.session = begin.session
        inner.workflow_id = begin.session.workflow_id
        return self._run_plan(
            plan, begin.prepared, resolve_max_iterations(None), "raise", "ignore", inner,
            begin.sched, begin.superstep,
        )

    def map(  # type: ignore[override]
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
        error_handling: ErrorHandling = "raise",
        event_processors: Sequence[Any] | None = None,
        workflow_id: str | None = None,
        **input_values: Any,
    ) -> MapResult:
        """Run ``graph`` once per item of the ``map_over`` lists, one item after another."""
        plan = graph.compile()
        prep.check_sync_compat(plan)
        prep.check_map_compat(plan)
        prep.check_options(
            plan, on_missing=on_missing, error_handling=error_handling,
            workflow_id=workflow_id, select=select, entrypoint=entrypoint,
        )
        merged = prep.merge_inputs(values, input_values, sync=True)
        names = [map_over] if isinstance(map_over, str) else list(map_over)
        dispatcher = self._dispatcher(event_processors)
        try:
            map_feats = self._features(plan, dispatcher)
            return self._map_plan(
                plan, merged, names, map_mode, clone, error_handling, on_missing, map_feats, None,
                top=True, workflow_id=workflow_id,
            )
        finally:
            if dispatcher is not None:
                dispatcher.shutdown()

    def _map_plan(
        self, plan: ExecutionPlan, merged: dict[str, Any], names: list[str], mode: str,
        clone: bool | Sequence[str], error_handling: str, on_missing: str,
        feats: RunFeatures | None, span: str | None, *, top: bool = False,
        workflow_id: str | None = None,
    ) -> MapResult:
        """Items one after another; with features, each item is a child run of the map.

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
            disp.emit(ev.map_start(map_feats, len(items)))
        parent = map_feats.run_span if map_feats is not None else None

        cp = self.checkpointer
        store = (
            cs.drive_sync(cp, map_persist.begin(cp, plan, workflow_id))
            if workflow_id is not None and cp is not None and top else None
        )
        index_of = {id(item): i for i, item in enumerate(items)}

        def run_item(item: dict[str, Any]) -> RunResult:
            session = None
            if store is not None:
                got = cs.drive_sync(cp, map_persist.item(store, index_of[id(item)], item))
                if isinstance(got, map_persist.Skip):
                    return got.result(plan)
                session = got
            item_feats = self._item_features(plan, map_feats, parent, session)
            try:
                prepared = prep.prepare(plan, item)
                self._check_inputs(item_feats, plan, prepared)
            except (MissingInputError, EdgeTypeError) as exc:
                if session is not None:
                    session.finish_sync(RunStatus.FAILED, 0.0, exc)
                return RunResult({}, RunStatus.FAILED, error=exc)
            result = self._run_plan(plan, prepared, limit, "continue", on_missing, item_feats)
            if session is not None:
                result.workflow_id = session.workflow_id
            return result

        try:
            result = run_map_sync(
                plan, items, names, mode, error_handling, run_item,
                run_id=map_feats.run_id if map_feats is not None and items else None,
            )
        except Exception as exc:
            if store is not None:
                cs.call_sync(cp, map_persist.end(store, None))
            if disp is not None and map_feats is not None:
                disp.emit(ev.run_end(map_feats, RunStatus.FAILED, exc, t0))
            raise
        if store is not None:
            cs.call_sync(cp, map_persist.end(store, result))
        if disp is not None and map_feats is not None:
            failed = next((r.error for r in result.results if r.failed), None)
            disp.emit(ev.run_end(map_feats, map_status(result), failed, t0))
        return result
