"""Running a plan's static region: the first supersteps of a run in one step.

The compiler fixed the region's schedule (``compiler.regions``); here it is executed
without any readiness work: by ``interpret``, a loop over its calls, for its first
``COMPILE_AFTER_RUNS`` runs, then by its generated function (``compiler.codegen``).
The outcome is what the general loop would have produced: the same values, status,
error and partial values, and the same run log (node order, superstep numbers, one
duration per call).
When the region is not the whole run, the scheduler is brought to the state the general
loop would have reached and the loop carries on from there.

The region is taken only by a plain run: none of events, cache, ``type_check="edges"``
or a checkpointer is on (each of them does work per node, which is what the region
leaves out), the run starts fresh (not from a checkpoint), ``max_iterations`` allows
all of its supersteps, and the run's inputs match what the schedule assumed (see
``Region.assumed``). Otherwise the general loop runs the whole call.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Iterator, Sequence
from typing import Any, NamedTuple

from hypergraph_typed._sentinels import MISSING
from hypergraph_typed.compiler import regions as regions_mod
from hypergraph_typed.compiler.codegen import compile_region
from hypergraph_typed.compiler.kinds import CONSTANT, DEEPCOPY
from hypergraph_typed.compiler.plan import ExecutionPlan
from hypergraph_typed.compiler.regions import ADAPTED, DIRECT_MANY, DIRECT_ONE, Region, StaticCall
from hypergraph_typed.runtime.context import Call
from hypergraph_typed.runtime.finish import result_of
from hypergraph_typed.runtime.prepare import Prepared
from hypergraph_typed.runtime.results import RunResult, RunStatus
from hypergraph_typed.runtime.scheduler import Scheduler


class Handoff(NamedTuple):
    """A region that is not the whole run: where the general loop carries on."""

    sched: Scheduler
    records: list[tuple[Any, ...]]
    superstep: int


class StampedSteps:
    """A region's run log, built only if someone reads it: one completed record per call,
    its duration the time between its timestamps."""

    __slots__ = ("calls", "stamps")

    def __init__(self, calls: Sequence[StaticCall], stamps: Sequence[float]) -> None:
        self.calls: Sequence[StaticCall] = calls
        self.stamps: Sequence[float] = stamps

    def __iter__(self) -> Iterator[tuple[Any, ...]]:
        stamps = self.stamps
        for i, c in enumerate(self.calls):
            yield (c.name, c.superstep, stamps[i + 1] - stamps[i], "completed")


def run_region(
    call: Call, plan: ExecutionPlan, prepared: Prepared, *, limit: int, error_handling: str,
    t0: float,
) -> RunResult | Handoff | None:
    """Run ``plan``'s region; ``None`` when this run cannot take it (see the module
    docstring). A failing region ends the run here, as the general loop would."""
    region = plan.region
    if region is None or region.n_supersteps > limit:
        return None
    initial = prepared.initial
    for s, given in region.assumed:
        if (s in initial) is not given:
            return None
    ext = externals(region, initial)
    if ext is None:
        return None
    stamps, table, failure = execute(region, ext)
    if failure is not None:
        error, now, failed = failure
        return _failed(
            call, plan, region, initial, table, stamps, failed, error, now, error_handling, t0
        )
    if region.complete:
        # Every node ran and wrote its outputs, so no selected output is missing:
        # ``on_missing`` has nothing to report.
        return result_of(
            plan, _result_values(region, table, initial), StampedSteps(region.calls, stamps),
            t0, status=RunStatus.COMPLETED,
        )
    sched = Scheduler(plan, initial)
    calls = region.calls
    bounds = region.bounds
    sched.replay(
        [(c.node, table[c.out:c.out + c.n_outs]) for c in calls[bounds[k]:bounds[k + 1]]]
        for k in range(region.n_supersteps)
    )
    return Handoff(sched, list(StampedSteps(calls, stamps)), region.n_supersteps)


def externals(region: Region, initial: dict[int, Any]) -> list[Any] | None:
    """The region's external values: given inputs, else the reading node's fallback;
    ``None`` when a fallback is an error the general loop raises at its own time."""
    values = []
    for x in region.externals:
        v = initial.get(x.slot, MISSING)
        if v is MISSING:
            if x.fallback_kind == CONSTANT:
                v = x.fallback_value
            elif x.fallback_kind == DEEPCOPY:
                v = copy.deepcopy(x.fallback_value)
            else:
                return None
        values.append(v)
    return values


def execute(
    region: Region, ext: list[Any]
) -> tuple[Sequence[float], Sequence[Any], tuple[Exception, float, int] | None]:
    """Run the region's calls: ``(stamps, table, None)``, or, when call ``failed`` raised
    ``error`` at time ``now``, ``(stamps so far, table so far, (error, now, failed))``."""
    code = region.code
    compiled = code.compiled
    if compiled is None:
        code.runs += 1
        if code.runs < regions_mod.COMPILE_AFTER_RUNS:
            return interpret(region, ext)
        compiled = code.compiled = compile_region(region)
    stamps, table, failure = compiled.function(*ext)
    if failure is None:
        return stamps, table, None
    error, now, frame = failure
    failed, stamps, table = compiled.failure(frame)
    return stamps, table, (error, now, failed)


def interpret(
    region: Region, ext: list[Any]
) -> tuple[list[float], list[Any], tuple[Exception, float, int] | None]:
    """``execute`` for a region without generated code: a loop over its calls."""
    table = [*ext, *[MISSING] * (region.n_values - len(ext))]
    perf = time.perf_counter
    stamps = [perf()]
    stamp = stamps.append
    try:
        for func, args, out, n_outs, shape in region.program:
            if shape == DIRECT_ONE:
                table[out] = func(table[args])
            elif shape == DIRECT_MANY:
                table[out] = func(*[table[a] for a in args])
            else:
                table[out:out + n_outs] = func(*[table[a] for a in args])
            stamp(perf())
    except Exception as error:
        return stamps, table, (error, perf(), len(stamps) - 1)
    return stamps, table, None


def _result_values(region: Region, table: Sequence[Any], initial: dict[int, Any]) -> dict[str, Any]:
    """The run's values after the whole region succeeded, in ``plan.result_slots`` order."""
    pick = region.result_pick
    if pick is not None:  # every value comes from a call (a node's output is never MISSING)
        names, values_of = pick
        return dict(zip(names, values_of(table)))
    values = {}
    for name, pos, s in region.results:
        v = table[pos] if pos >= 0 else initial.get(s, MISSING)
        if v is not MISSING:
            values[name] = v
    return values


def _failed_record(c: StaticCall, seconds: float, error: Exception) -> tuple[Any, ...]:
    return (c.name, c.superstep, seconds, "failed", None, f"{type(error).__name__}: {error}")


def _failed(
    call: Call, plan: ExecutionPlan, region: Region, initial: dict[int, Any],
    table: Sequence[Any], stamps: Sequence[float], failed: int, error: Exception, now: float,
    error_handling: str, t0: float,
) -> RunResult:
    """Call ``failed`` raised: end the run as the general loop does.

    The calls before it succeeded. ``SyncRunner`` stops the superstep at the failure;
    ``AsyncRunner`` runs the superstep's other nodes too. Then every success of the
    superstep is kept and the first error raised (or returned as a failed run).
    """
    calls = region.calls
    records: list[tuple[Any, ...]] = list(StampedSteps(calls[:failed], stamps))
    records.append(_failed_record(calls[failed], now - stamps[failed], error))
    done = list(calls[:failed])
    table = list(table)
    if not call.profile.sequential:
        perf = time.perf_counter
        for c in calls[failed + 1:region.bounds[calls[failed].superstep + 1]]:
            start = perf()
            try:
                result = c.func(*[table[a] for a in c.args])
            except Exception as exc:
                records.append(_failed_record(c, perf() - start, exc))
                continue
            records.append((c.name, c.superstep, perf() - start, "completed"))
            table[c.out:c.out + c.n_outs] = result if c.shape == ADAPTED else (result,)
            done.append(c)
    if error_handling == "raise":
        raise error
    state = dict(initial)
    nodes = plan.nodes
    for c in done:
        for k, s in enumerate(nodes[c.node].out_slots):
            v = table[c.out + k]
            if v is not MISSING:
                state[s] = v
    values = {
        name: state[s] for name, s in plan.result_slots
        if state.get(s, MISSING) is not MISSING
    }
    return result_of(plan, values, records, t0, status=RunStatus.FAILED, error=error)

