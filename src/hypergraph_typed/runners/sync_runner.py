"""``SyncRunner``: runs a superstep's ready nodes one at a time, in graph order."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from hypergraph_typed._sentinels import MISSING
from hypergraph_typed.compiler.plan import FUNCTION, GATE, GRAPH, ExecutionPlan, NodePlan
from hypergraph_typed.exceptions import InfiniteLoopError, MissingInputError
from hypergraph_typed.runners import _prepare as prep
from hypergraph_typed.runners.base import BaseRunner, finish, resolve_max_iterations
from hypergraph_typed.runners.mapping import map_outputs, run_map_sync
from hypergraph_typed.runners.results import (
    ErrorHandling,
    MapResult,
    RunnerCapabilities,
    RunResult,
    RunStatus,
)
from hypergraph_typed.runtime.execute import split_outputs
from hypergraph_typed.runtime.scheduler import Scheduler

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
        self._check_extra(event_processors, checkpoint, fork_from, retry_from)
        limit = resolve_max_iterations(max_iterations)
        merged = prep.merge_inputs(values, input_values, sync=True)
        prepared = prep.prepare(plan, merged)
        return self._run_plan(plan, prepared, limit, error_handling, on_missing)

    def _run_plan(
        self, plan: ExecutionPlan, prepared: prep.Prepared, limit: int,
        error_handling: str, on_missing: str,
    ) -> RunResult:
        t0 = time.perf_counter()
        sched = Scheduler(plan, prepared.initial)
        records: list[tuple[Any, ...]] = []
        nodes = plan.nodes
        nested = prepared.nested_answers
        superstep = 0
        perf = time.perf_counter
        next_ready = sched.next_ready
        gather = sched.gather
        commit = sched.commit
        add_record = records.append
        try:
            while True:
                ready = next_ready(False)
                if not ready:
                    break
                if superstep >= limit:
                    raise InfiniteLoopError(limit)
                np = nodes[ready[0]]
                if np.direct and len(ready) == 1:
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
                    self._superstep(nodes, sched, ready, records, superstep, nested)
                superstep += 1
            return finish(
                plan, sched, records, t0, status=RunStatus.COMPLETED, on_missing=on_missing
            )
        except Exception as exc:
            if error_handling == "raise":
                raise
            return finish(plan, sched, records, t0, status=RunStatus.FAILED, error=exc)

    def _superstep(
        self, nodes: tuple[NodePlan, ...], sched: Scheduler, ready: list[int],
        records: list[tuple[Any, ...]], superstep: int, nested: dict[str, dict[str, Any]],
    ) -> None:
        """Run the ready nodes one by one in graph order; commit what finished, even on error."""
        perf = time.perf_counter
        argsets = [sched.gather(n) for n in ready]
        done: list[tuple[int, Any]] = []
        try:
            for n, args in zip(ready, argsets):
                np = nodes[n]
                start = perf()
                try:
                    out, inner_log = self._call(np, args, nested)
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

    def _call(
        self, np: NodePlan, args: list[Any], nested: dict[str, dict[str, Any]]
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
            return self._call_graph(np, args, nested.pop(np.name, None))
        raise TypeError(f"SyncRunner cannot execute node {np.name!r} ({np.kind_name})")

    def _call_graph(
        self, np: NodePlan, args: list[Any], answers: dict[str, Any] | None
    ) -> tuple[Any, Any]:
        gn = np.node
        inner_plan = gn.graph.compile()
        if inner_plan.first_async is not None:
            prep.check_sync_compat(inner_plan)
        inner_values = dict(zip(gn.inner_inputs, args))
        if gn.map_config is None:
            prepared = prep.prepare(inner_plan, inner_values)
            result = self._run_plan(inner_plan, prepared, resolve_max_iterations(None), "raise", "ignore")
            return tuple(result.values.get(o, MISSING) for o in gn.inner_outputs), result.log
        params, mode, handling = gn.map_config
        inner_params = [gn.inner_inputs[gn.inputs.index(p)] for p in params]
        clone = gn.clone_config
        inner_clone = (
            [gn.inner_inputs[gn.inputs.index(c)] for c in clone] if isinstance(clone, tuple) else clone
        )
        mapped = self.map(
            gn.graph, inner_values, map_over=inner_params, map_mode=mode, clone=inner_clone,
            error_handling=handling,
        )
        return map_outputs(gn, mapped), mapped.log

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
        self._check_extra(event_processors, None, None, None)
        merged = prep.merge_inputs(values, input_values, sync=True)
        names = [map_over] if isinstance(map_over, str) else list(map_over)
        items = prep.expand_map(merged, names, map_mode, clone)
        limit = resolve_max_iterations(None)

        def run_item(item: dict[str, Any]) -> RunResult:
            try:
                prepared = prep.prepare(plan, item)
            except MissingInputError as exc:
                return RunResult({}, RunStatus.FAILED, error=exc)
            return self._run_plan(plan, prepared, limit, "continue", on_missing)

        return run_map_sync(plan, items, names, map_mode, error_handling, run_item)
