"""``map()``: a graph run once per item (``runner.map`` and ``map_over`` GraphNodes).

Items run one after another on ``SyncRunner`` and concurrently on ``AsyncRunner``
(``run_all``); each item is a ``run()`` with ``error_handling="continue"``, and the
map's own ``error_handling`` decides whether a failed item raises. With features, the
map is a run of its own (events, spans) and each item a child of it; with a
checkpointer and a ``workflow_id`` the map is persisted (``durable_map``).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from hypergraph_typed.compiler.plan import ExecutionPlan
from hypergraph_typed.exceptions import EdgeTypeError, MissingInputError
from hypergraph_typed.runtime import durable_map
from hypergraph_typed.runtime import event_factory as ev
from hypergraph_typed.runtime import prepare as prep
from hypergraph_typed.runtime.context import Call
from hypergraph_typed.runtime.durable import DurableRun
from hypergraph_typed.runtime.effects import Emit, Flow
from hypergraph_typed.runtime.features import RunFeatures
from hypergraph_typed.runtime.interpreter import DEFAULT_MAX_ITERATIONS, run_all, run_plan
from hypergraph_typed.runtime.results import MapResult, RunResult, RunStatus, new_run_id
from hypergraph_typed.runtime.typecheck import check_prepared

MAX_UNBOUNDED_ITEMS = 10_000


def map_status(result: MapResult) -> RunStatus:
    """How a map ends for its RunEnd event: failed if any item failed, else completed."""
    return RunStatus.FAILED if any(r.failed for r in result.results) else RunStatus.COMPLETED


def _item_failed(result: RunResult | None) -> bool:
    return result is not None and result.failed


def map_plan(
    call: Call, plan: ExecutionPlan, merged: dict[str, Any], names: Sequence[str], mode: str,
    clone: bool | Sequence[str], error_handling: str, on_missing: str,
    feats: RunFeatures | None, span: str | None, *, top: bool = False,
    workflow_id: str | None = None, parent_run_id: str | None = None,
) -> Flow[MapResult]:
    """Run ``plan`` once per item of the ``names`` lists; see the module docstring."""
    items = prep.expand_map(merged, names, mode, clone)
    limit = call.max_concurrency
    if not call.profile.sequential and limit is None and len(items) > MAX_UNBOUNDED_ITEMS:
        raise ValueError(
            f"map() over {len(items)} items needs max_concurrency (more than "
            f"{MAX_UNBOUNDED_ITEMS} items would all start at once)"
        )
    t0 = time.perf_counter()
    map_feats = feats
    if feats is not None and not top:
        map_feats = feats.nested(plan, span, new_run_id()) if span is not None else None
    disp = map_feats.dispatcher if map_feats is not None and items else None
    if disp is not None and map_feats is not None:
        yield Emit(disp, ev.map_start(map_feats, len(items)))
    parent_span = map_feats.run_span if map_feats is not None else None
    store = None
    if workflow_id is not None and call.checkpointer is not None:
        store = yield from durable_map.begin(plan, workflow_id, call.policy, parent_run_id)

    def item_flow(index: int, item: dict[str, Any]) -> Flow[RunResult]:
        session: DurableRun | None = None
        if store is not None:
            got = yield from durable_map.item(store, index, item)
            if isinstance(got, durable_map.Skip):
                return got.result(plan)
            session = got
        item_feats = _item_features(call, plan, map_feats, parent_span, session)
        try:
            prepared = prep.prepare(plan, item)
            check_prepared(plan, prepared)
        except (MissingInputError, EdgeTypeError) as exc:
            if session is not None:
                yield from session.finish(RunStatus.FAILED, 0.0)
            return RunResult({}, RunStatus.FAILED, error=exc)
        result: RunResult = yield from run_plan(
            call, plan, prepared, item_feats, limit=DEFAULT_MAX_ITERATIONS,
            error_handling="continue", on_missing=on_missing,
        )
        if session is not None:
            result.workflow_id = session.workflow_id
        return result

    try:
        done = yield from run_all(
            call, [item_flow(i, item) for i, item in enumerate(items)],
            stop=_item_failed if error_handling == "raise" else None, limit=limit,
        )
        results: list[RunResult] = [r for r in done if r is not None]
        if error_handling == "raise":
            for r in results:
                if r.failed and r.error is not None:
                    raise r.error
        result = MapResult(
            tuple(results),
            (map_feats.run_id if map_feats is not None and items else new_run_id())
            if results else None,
            round((time.perf_counter() - t0) * 1000, 3), tuple(names), mode,
            plan.graph_name or "",
        )
    except Exception as exc:
        if store is not None:
            yield from durable_map.end(store, None)
        if disp is not None and map_feats is not None:
            yield Emit(disp, ev.run_end(map_feats, RunStatus.FAILED, exc, t0))
        raise
    if store is not None:
        yield from durable_map.end(store, result)
    if disp is not None and map_feats is not None:
        failed = next((r.error for r in result.results if r.failed), None)
        yield Emit(disp, ev.run_end(map_feats, map_status(result), failed, t0))
    return result


def _item_features(
    call: Call, plan: ExecutionPlan, map_feats: RunFeatures | None, parent_span: str | None,
    session: DurableRun | None,
) -> RunFeatures | None:
    """Features of one map item: a child of the map's run, plus its step writer."""
    feats = (
        map_feats.nested(plan, parent_span, new_run_id())
        if map_feats is not None and parent_span is not None
        else call.features(plan, None, session=session)
    )
    if feats is not None and session is not None:
        feats.session = session
        feats.workflow_id = session.workflow_id
    return feats
