"""Static regions give exactly what the general loop gives, on random graphs.

Each example draws a DAG with random node kinds and failures (``static_graphs``), runs
it through the general loop, the region interpreter and the generated code, on both
runners, under both ``error_handling`` modes and through ``map``, and compares
everything observable: values (and their order), status, the error, the pause, and the
run log (node order, superstep numbers, statuses, errors, nested logs; durations are
checked to be non-negative floats).
"""

from __future__ import annotations

import warnings
from typing import Any

from hypothesis import HealthCheck, event, example, given, reject, settings
from hypothesis import strategies as st

from harness import RunnerHarness
from hypergraph_typed import GraphConfigError
from hypergraph_typed.runtime.prepare import prepare
from hypergraph_typed.runtime.scheduler import Scheduler
from hypergraph_typed.runtime.static import externals, interpret
from static_graphs import NodeSpec, build_graph, node_specs, run_three_ways

# Each example runs its graph a dozen times; keep the budget bounded.
BUDGET = settings(max_examples=120, suppress_health_check=[HealthCheck.too_slow])


def _graph_or_reject(specs: Any) -> Any:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            graph = build_graph(specs)
    except GraphConfigError:
        reject()
    region = graph.compile().region
    if region is None:
        event("no static region")
    elif region.complete:
        event("region is the whole run")
    else:
        event("region, then the general loop")
    return graph


def _inputs(draw: st.DrawFn) -> dict[str, Any]:
    values: dict[str, Any] = {"x": draw(st.integers(-20, 20))}
    if draw(st.booleans()):
        values["y"] = draw(st.integers(-20, 20))
    for optional in ("z", "w"):  # the parameters with defaults
        if draw(st.integers(0, 4)) == 0:
            values[optional] = draw(st.integers(-3, 3))
    if draw(st.integers(0, 5)) == 0:
        # an output passed in: refused when a node reads it, else kept in the state
        # until the node that produces it overwrites it
        values[f"o{draw(st.integers(0, 6))}"] = 100
    return values


@st.composite
def cases(draw: st.DrawFn, kind: str) -> tuple[Any, dict[str, Any], str]:
    specs = draw(node_specs(async_runner=kind == "async"))
    return specs, _inputs(draw), draw(st.sampled_from(["raise", "continue"]))


def _check_run(kind: str, case: tuple[Any, dict[str, Any], str]) -> None:
    specs, values, error_handling = case
    graph = _graph_or_reject(specs)
    runner = RunnerHarness(kind)

    def run() -> Any:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return runner.run(graph, values, error_handling=error_handling)

    general, interpreted, compiled = run_three_ways(run)
    assert interpreted == general
    assert compiled == general


@BUDGET
@given(case=cases("sync"))
def test_sync_runs_match_the_general_loop(case: Any) -> None:
    _check_run("sync", case)


@BUDGET
@given(case=cases("async"))
def test_async_runs_match_the_general_loop(case: Any) -> None:
    _check_run("async", case)


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(
    kind=st.sampled_from(["sync", "async"]),
    specs=st.data(),
    xs=st.lists(st.integers(-20, 20), max_size=4),
    error_handling=st.sampled_from(["raise", "continue"]),
)
def test_map_results_match_the_general_loop(
    kind: str, specs: Any, xs: list[int], error_handling: str
) -> None:
    drawn = specs.draw(node_specs(async_runner=False, max_nodes=5))
    if any(s.kind == "interrupt" for s in drawn):
        reject()
    graph = _graph_or_reject(drawn)
    runner = RunnerHarness(kind)

    def run() -> Any:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return runner.map(graph, {"x": xs, "y": 1}, map_over="x",
                              error_handling=error_handling)

    general, interpreted, compiled = run_three_ways(run)
    assert interpreted == general
    assert compiled == general


def _state(sched: Scheduler) -> Any:
    return (
        list(sched.values), sched.versions, sched.writer, sched.ran, sched.consumed,
        sched.wait_consumed, sched.gate_ran, sched.gate_selected, sorted(sched.candidates),
    )


# A gate whose target reads only graph inputs: activated before the gate decides only
# with default_open; the target then runs in superstep 0 beside the gate's producer.
GATED_TARGET = [
    [NodeSpec(0, "plain", ("x",), 0), NodeSpec(1, "gate", ("o0",), 0, ("n2", "END"), False),
     NodeSpec(2, "plain", ("x",), 0)],
    [NodeSpec(0, "plain", ("x",), 0), NodeSpec(1, "gate", ("o0",), 0, ("n2", "END"), True),
     NodeSpec(2, "plain", ("x",), 0)],
    # a gated node that is a startup predecessor: its successor waits only if it is open
    [NodeSpec(0, "plain", ("x",), 0), NodeSpec(1, "gate", ("o0",), 0, ("n2", "END"), False),
     NodeSpec(2, "default", ("x",), 0), NodeSpec(3, "plain", ("x",), 0),
     NodeSpec(4, "default", ("o2",), 0)],
]


@settings(max_examples=120, suppress_health_check=[HealthCheck.too_slow])
@given(specs=node_specs(async_runner=False), data=st.data())
@example(specs=GATED_TARGET[0], data=None).via("a gated target, closed before the gate")
@example(specs=GATED_TARGET[1], data=None).via("a gated target, open before the gate")
@example(specs=GATED_TARGET[2], data=None).via("a closed gated predecessor")
def test_the_schedule_is_what_the_scheduler_decides(specs: Any, data: Any) -> None:
    """Driving the general scheduler by hand picks the region's supersteps, and the
    handover (``Scheduler.replay``) reaches the very same state."""
    graph = _graph_or_reject(specs)
    plan = graph.compile()
    region = plan.region
    if region is None:
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            prepared = prepare(plan, {"x": 1} if data is None else _inputs(data.draw))
        except Exception:
            reject()
    if any((s in prepared.initial) is not given for s, given in region.assumed):
        return  # this run does not take the region
    ext = externals(region, prepared.initial)
    assert ext is not None
    _stamps, table, failure = interpret(region, ext)
    if failure is not None:
        return
    by_hand = Scheduler(plan, prepared.initial)
    for k in range(region.n_supersteps):
        calls = region.calls[region.bounds[k]:region.bounds[k + 1]]
        assert by_hand.next_ready(False) == [c.node for c in calls]
        for c in calls:
            by_hand.gather(c.node)
        for c in calls:
            by_hand.commit(c.node, table[c.out:c.out + c.n_outs])
    replayed = Scheduler(plan, prepared.initial)
    replayed.replay(
        [(c.node, table[c.out:c.out + c.n_outs])
         for c in region.calls[region.bounds[k]:region.bounds[k + 1]]]
        for k in range(region.n_supersteps)
    )
    assert _state(replayed) == _state(by_hand)
    if region.complete:
        assert by_hand.next_ready(False) == []
