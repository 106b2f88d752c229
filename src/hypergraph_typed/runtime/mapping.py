"""``map()`` shared by both runners: item fan-out, error policy and the ``MapResult``."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from hypergraph_typed._sentinels import MISSING
from hypergraph_typed.compiler.plan import ExecutionPlan
from hypergraph_typed.runtime.results import MapResult, RunResult, RunStatus, new_run_id

MAX_UNBOUNDED_ITEMS = 10_000


def map_status(result: MapResult) -> RunStatus:
    """How a map ends for its RunEnd event: failed if any item failed, else completed."""
    return RunStatus.FAILED if any(r.failed for r in result.results) else RunStatus.COMPLETED


def _result(
    plan: ExecutionPlan, results: list[RunResult], names: Sequence[str], mode: str, t0: float,
    run_id: str | None = None,
) -> MapResult:
    return MapResult(
        tuple(results), (run_id or new_run_id()) if results else None,
        round((time.perf_counter() - t0) * 1000, 3), tuple(names), mode, plan.graph_name or "",
    )


def run_map_sync(
    plan: ExecutionPlan, items: list[dict[str, Any]], names: Sequence[str], mode: str,
    error_handling: str, run_item: Callable[[dict[str, Any]], RunResult],
    run_id: str | None = None,
) -> MapResult:
    t0 = time.perf_counter()
    results: list[RunResult] = []
    for item in items:
        r = run_item(item)
        if r.failed and error_handling == "raise":
            assert r.error is not None
            raise r.error
        results.append(r)
    return _result(plan, results, names, mode, t0, run_id)


async def run_map_async(
    plan: ExecutionPlan, items: list[dict[str, Any]], names: Sequence[str], mode: str,
    error_handling: str, max_concurrency: int | None,
    run_item: Callable[[dict[str, Any]], Awaitable[RunResult]],
    run_id: str | None = None,
) -> MapResult:
    t0 = time.perf_counter()
    if max_concurrency is None and len(items) > MAX_UNBOUNDED_ITEMS:
        raise ValueError(
            f"map() over {len(items)} items needs max_concurrency (more than "
            f"{MAX_UNBOUNDED_ITEMS} items would all start at once)"
        )
    if max_concurrency is None:
        results = list(await asyncio.gather(*(run_item(i) for i in items)))
    else:
        sem = asyncio.Semaphore(max_concurrency)
        stop = False

        async def guarded(item: dict[str, Any]) -> RunResult | None:
            nonlocal stop
            async with sem:
                if stop:
                    return None
                r = await run_item(item)
                if r.failed and error_handling == "raise":
                    stop = True
                return r

        maybe = await asyncio.gather(*(guarded(i) for i in items))
        results = [r for r in maybe if r is not None]
    if error_handling == "raise":
        for r in results:
            if r.failed:
                assert r.error is not None
                raise r.error
    return _result(plan, results, names, mode, t0, run_id)


def map_outputs(gn: Any, mapped: MapResult) -> tuple[list[Any], ...]:
    """A mapped GraphNode's outputs: one list per output; failed items contribute None."""
    cols: list[list[Any]] = [[] for _ in gn.inner_outputs]
    for r in mapped.results:
        if r.paused:
            continue
        for col, name in zip(cols, gn.inner_outputs):
            v = r.values.get(name, MISSING) if not r.failed else None
            col.append(None if v is MISSING else v)
    return tuple(cols)
