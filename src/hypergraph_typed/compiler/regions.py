"""Static regions: the supersteps at the start of a run whose schedule is fixed at compile time.

The general loop decides at every superstep which nodes are ready (activation, startup
predecessors, inputs present, inputs gone stale). For the first supersteps of a run
those decisions can often be taken here, once: the state they look at is the run's
initial state plus what the earlier supersteps wrote, and neither depends on values
as long as no gate has decided, no interrupt has paused and no node ran twice.

``find_region`` replays the scheduler's readiness rules on that compile-time state and
keeps going while every answer is certain and every ready node can be called inline (a
plain sync function: not a gate, interrupt, nested graph, async node, signal or a node
on a cycle). The supersteps it got through are the region: the exact call order, each
call's argument and output positions in one value table, and its superstep. Facts about
the run's inputs that the answers relied on (an optional input given, an output name
not passed in) are listed and checked by the runtime before it takes the region.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Collection, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

import attrs

from hypergraph_typed.compiler.kinds import DEEPCOPY, FUNCTION, GATE, GRAPH, INTERRUPT
from hypergraph_typed.compiler.returns import split_outputs

if TYPE_CHECKING:
    from hypergraph_typed.compiler.plan import NodePlan

# A region runs in the runtime's interpreter (a loop over its calls) until it has run
# this many times; then its generated function (``compiler.codegen``) takes over.
# Generating and compiling costs about 10 µs per call, once; the generated function
# saves 25-40 ns per call on every run. Compiling at once would make the first run of
# a 100-node graph cost 1 ms more; a region that runs this often earns it back soon.
COMPILE_AFTER_RUNS = 100


class RegionCode:
    """A region's generated function, made once the region has run often enough.

    The only mutable part of a plan: a run counter, and the function written once
    (a race at worst compiles twice and keeps one).
    """

    __slots__ = ("compiled", "runs")

    def __init__(self) -> None:
        self.runs: int = 0
        self.compiled: Any = None


# How the executor calls a node: its function with one argument / several arguments,
# its value being the one output (``DIRECT_*``); or an adapter that returns the tuple of
# outputs (keyword calls, generators, zero or several outputs).
DIRECT_ONE, DIRECT_MANY, ADAPTED = 0, 1, 2


@attrs.frozen(slots=True)
class External:
    """A value the region reads from the run's inputs: ``slot`` if given, else the reading
    node's fallback (a bound value or default, deep-copied when mutable)."""

    slot: int
    fallback_kind: int
    fallback_value: Any


class StaticCall(NamedTuple):
    """One node call of a region, with its arguments resolved to value-table positions."""

    node: int
    name: str
    superstep: int
    func: Callable[..., Any]
    shape: int
    args: tuple[int, ...]
    # the value-table positions of its outputs: out, out + 1, ..., out + n_outs - 1
    out: int
    n_outs: int


@attrs.frozen(slots=True)
class Region:
    """The static prefix of every run of a plan (see the module docstring).

    The value table holds the externals first (positions ``0 .. len(externals) - 1``)
    and then every output of every call, each in a position of its own.
    """

    calls: tuple[StaticCall, ...]
    # position in ``calls`` where each superstep starts, plus ``len(calls)``
    bounds: tuple[int, ...]
    externals: tuple[External, ...]
    # (slot, given): facts about the run's initial values the schedule relies on
    assumed: tuple[tuple[int, bool], ...]
    n_values: int
    # the run's result values in ``plan.result_slots`` order: (name, value position,
    # or -1 when no call writes it, slot)
    results: tuple[tuple[str, int, int], ...]
    # the run ends with the region: every node ran, nothing is ready after it
    complete: bool
    # why the general loop takes over after the region (``None`` when complete)
    reason: str | None
    # the calls as flat tuples ``(func, args, out, n_outs, shape)`` for the runtime's
    # interpreter; a one-argument direct call holds its argument position, not a tuple
    program: tuple[tuple[Callable[..., Any], Any, int, int, int], ...] = attrs.field(
        init=False, repr=False, eq=False,
    )
    # where the generated function goes once the region earned it (``RegionCode``)
    code: RegionCode = attrs.field(factory=lambda: RegionCode(), repr=False, eq=False)

    # when every result value comes from a call: their names, and a function picking
    # their values out of the table in that order (``None`` otherwise)
    result_pick: tuple[tuple[str, ...], Callable[[Sequence[Any]], Any]] | None = attrs.field(
        init=False, repr=False, eq=False,
    )

    @result_pick.default
    def _result_pick(self) -> tuple[tuple[str, ...], Callable[[Sequence[Any]], Any]] | None:
        positions = [pos for _name, pos, _slot in self.results]
        if len(positions) < 2 or min(positions) < 0:
            return None
        return tuple(name for name, _pos, _slot in self.results), operator.itemgetter(*positions)

    @program.default
    def _program(self) -> tuple[tuple[Callable[..., Any], Any, int, int, int], ...]:
        return tuple(
            (c.func, c.args[0] if c.shape == DIRECT_ONE else c.args, c.out, c.n_outs, c.shape)
            for c in self.calls
        )

    @property
    def n_supersteps(self) -> int:
        """How many supersteps the region spans."""
        return len(self.bounds) - 1

    def describe(self) -> str:
        """One line for ``ExecutionPlan.describe()``."""
        steps = self.n_supersteps
        span = "superstep 0" if steps == 1 else f"supersteps 0-{steps - 1}"
        how = (
            "compiled" if self.code.compiled is not None
            else f"interpreted (compiled after {COMPILE_AFTER_RUNS} runs)"
        )
        tail = "the whole run" if self.complete else f"then the general loop: {self.reason}"
        return f"static region: {span}, {len(self.calls)} calls, {how}; {tail}"


def _adapter(np: NodePlan) -> Callable[..., tuple[Any, ...]]:
    """Call ``np`` as the general loop does and return its outputs as a tuple."""
    func = np.func
    params = np.params
    positional = np.positional
    generator = np.is_generator

    def call(*args: Any) -> tuple[Any, ...]:
        result = func(*args) if positional else func(**dict(zip(params, args)))
        if generator:
            result = list(result)
        return split_outputs(np, result)

    return call


def _not_inline(np: NodePlan, cyclic: Collection[int]) -> str | None:
    """Why the region cannot call ``np`` itself, or ``None`` when it can."""
    if np.kind == GATE:
        return f"gate {np.name!r} decides at run time"
    if np.kind == INTERRUPT:
        return f"interrupt {np.name!r} may pause the run"
    if np.kind == GRAPH:
        return f"nested graph {np.name!r} runs its own plan"
    if np.kind != FUNCTION:
        return f"node {np.name!r} is of kind {np.kind_name}"
    if np.is_async:
        return f"async node {np.name!r} is awaited"
    if np.emit_slots or np.wait_slots:
        return f"node {np.name!r} emits or waits for signals"
    if np.index in cyclic:
        return f"node {np.name!r} lies on a cycle"
    return None


class _Replay:
    """The scheduler's readiness rules on the compile-time state (see the module docstring)."""

    def __init__(
        self, nodes: Sequence[NodePlan], given: Collection[int], refused: Collection[int],
        optional: Collection[int],
    ) -> None:
        self.nodes = nodes
        self.given = given
        self.refused = refused
        self.optional = optional
        self.ran = [False] * len(nodes)
        self.consumed_at = [-1] * len(nodes)
        self.last_write: dict[int, int] = {}
        self.assumed: dict[int, bool] = {}

    def present(self, s: int) -> bool:
        """Whether slot ``s`` holds a value: written, or (assumed) given at the start."""
        if s in self.last_write or s in self.given:
            return True
        if s in self.refused:
            return False
        p = self.assumed.get(s)
        if p is None:
            p = self.assumed[s] = s in self.optional
        return p

    def activated(self, n: int) -> bool:
        """No gate has decided yet, so a gated node is activated only by default."""
        np = self.nodes[n]
        return not np.controllers or (not self.ran[n] and any(np.opens_by_default))

    def ready(self, n: int) -> bool | None:
        """``Scheduler._is_ready``; ``None`` when the answer depends on run-time values."""
        np = self.nodes[n]
        ran = self.ran[n]
        if ran and not np.wait_slots:
            # It runs again only if an input it read was rewritten: whether the version
            # moved depends on the new value's equality with the old.
            consumed = self.consumed_at[n]
            for _pos, s, _wired in np.stale_inputs:
                if self.last_write.get(s, -1) >= consumed:
                    return None
            return False
        if np.controllers and not self.activated(n):
            return False
        if ran or not np.is_entrypoint:
            for p in np.startup_preds:
                if not self.ran[p] and self.activated(p):
                    return False
        for s, fb in zip(np.in_slots, np.fallback_kinds):
            if not fb and not self.present(s):
                return False
        if np.wait_slots:
            if not all(self.present(s) for s in np.wait_slots):
                return False
            if ran:
                return None
        return True


def find_region(
    nodes: Sequence[NodePlan], initial_candidates: Sequence[int], *,
    given: Collection[int], refused: Collection[int], optional: Collection[int],
    cyclic: Collection[int], result_slots: Sequence[tuple[str, int]],
) -> tuple[Region | None, str | None]:
    """The plan's static region and why the general loop takes over after it.

    ``given``: slots every run has at the start (required inputs); ``refused``: slots no
    run may pass (values produced inside the graph); ``optional``: the other inputs.
    Returns ``(None, reason)`` when not even the first superstep is static.
    """
    replay = _Replay(nodes, given, refused, optional)
    calls: list[tuple[NodePlan, int, list[int], int]] = []
    bounds: list[int] = []
    externals: list[External] = []
    shared_ext: dict[tuple[int, int, int], int] = {}
    current: dict[int, int] = {}  # slot -> output number holding its value
    n_outs = 0
    candidates = set(initial_candidates)
    reason: str | None = None
    step = 0

    def external(np: NodePlan, pos: int, s: int) -> int:
        kind, value = np.fallback_kinds[pos], np.fallback_values[pos]
        key = (s, kind, id(value))
        if kind != DEEPCOPY and key in shared_ext:
            return shared_ext[key]
        externals.append(External(s, kind, value))
        ref = ~(len(externals) - 1)
        shared_ext[key] = ref
        return ref

    while True:
        ready: list[int] = []
        for n in sorted(candidates):
            verdict = replay.ready(n)
            if verdict is None:
                reason = f"whether {nodes[n].name!r} runs again depends on run-time values"
                break
            if verdict:
                ready.append(n)
        if reason is not None or not ready:
            break
        for n in ready:
            reason = _not_inline(nodes[n], cyclic)
            if reason is not None:
                break
        if reason is not None:
            break
        bounds.append(len(calls))
        for n in ready:  # every node reads the state as it was when the superstep began
            np = nodes[n]
            replay.consumed_at[n] = step
            args = [
                current[s] if s in current else external(np, pos, s)
                for pos, s in enumerate(np.in_slots)
            ]
            calls.append((np, step, args, n_outs))
            n_outs += len(np.out_slots)
        for np, at, _args, out in calls[bounds[-1]:]:  # then their outputs, in order
            for k, s in enumerate(np.out_slots):
                current[s] = out + k
                replay.last_write[s] = at
            replay.ran[np.index] = True
        candidates = {r for n in ready for r in nodes[n].recheck}
        step += 1
    if not calls:
        return None, reason or "nothing is ready at the start"
    if reason is None and len(calls) < len(nodes):
        # The run ends there, but without some nodes: the general loop finishes it (it
        # finds nothing ready) and reports any selected output they would have made.
        reason = "some nodes never become ready"
    base = len(externals)
    static_calls = []
    for np, at, args, out in calls:
        if np.direct:
            func, shape = np.func, DIRECT_ONE if len(args) == 1 else DIRECT_MANY
        else:
            func, shape = _adapter(np), ADAPTED
        static_calls.append(StaticCall(
            np.index, np.name, at, func, shape,
            tuple([~a if a < 0 else base + a for a in args]), base + out, len(np.out_slots),
        ))
    region = Region(
        calls=tuple(static_calls),
        bounds=(*bounds, len(calls)),
        externals=tuple(externals),
        assumed=tuple(replay.assumed.items()),
        n_values=base + n_outs,
        results=tuple(
            (name, base + current[s] if s in current else -1, s) for name, s in result_slots
        ),
        complete=reason is None,
        reason=reason,
    )
    return region, reason

