"""Types on edges: what each node declares it sends and expects, and the runtime checks.

``output_type``/``input_types`` read a node's annotations as the type of the value that
actually travels (an interrupt's answer without ``None``, a generator's collected
``list``, a nested graph's inner producers and consumers). ``strict_types`` compares them
at construction; ``build_edge_checks`` turns them into precompiled runtime checks.
"""

from __future__ import annotations

import typing
import warnings
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Optional, Union

import attrs

from hypergraph_typed.compiler.kinds import INTERRUPT
from hypergraph_typed.compiler.types import (
    compatible,
    has_typevar,
    is_protocol,
    is_unchecked,
    strip_annotated,
    type_name,
    without_none,
    yielded_type,
)
from hypergraph_typed.nodes import _introspect as intro
from hypergraph_typed.nodes.gate import GateNode
from hypergraph_typed.nodes.graph_node import GraphNode

if TYPE_CHECKING:
    from hypergraph_typed.compiler.plan import ExecutionPlan
    from hypergraph_typed.nodes.base import HyperNode

TYPEGUARD_HINT = (
    "type_check='edges' needs typeguard: pip install 'hypergraph-typed[typecheck]'"
)


# -- declared types ----------------------------------------------------------------


@attrs.frozen
class Declared:
    """The type a node declares for one value, or why it has none (``problem``)."""

    type: Any
    node: str
    name: str
    kind: str  # "output" or "parameter"
    inner: str = ""  # for a GraphNode: which inner node declares it
    problem: str = ""
    fix: str = ""
    unresolved: bool = False  # the annotation exists but cannot be resolved

    @property
    def where(self) -> str:
        """``"parameter 'x' of 'f'"``, plus the inner node for a nested graph."""
        text = f"{self.kind} {self.name!r} of {self.node!r}"
        return f"{text} ({self.inner})" if self.inner else text


def _missing(node: HyperNode, name: str, kind: str, key: str) -> Declared:
    """A ``Declared`` without type, saying why ``key`` (a parameter or ``"return"``) of
    ``node`` has no usable annotation and how to fix it."""
    func = getattr(node, "func", None)
    problems = intro.LazyHints(func).unresolved() if func is not None else ()
    if problems:
        parts = [
            f"{'the return' if k == 'return' else f'parameter {k!r}'} is annotated {raw!r} ({why})"
            for k, raw, why in problems
        ]
        names = sorted({why.split("'")[1] for _, _, why in problems if why.startswith("name ")})
        what = ", ".join(repr(n) for n in names) if names else "the names it uses"
        return Declared(
            None, node.name, name, kind,
            problem="has an annotation that cannot be resolved: " + "; ".join(parts),
            fix=(
                f"Define or import {what} at module level (string annotations are resolved "
                "in the function's module: names imported only under TYPE_CHECKING and "
                "classes local to a function are not found there)"
            ),
            unresolved=True,
        )
    if key == "return":
        raw = intro.raw_annotations(intro.annotation_owner(func)) if func is not None else {}
        if "return" in raw:
            return Declared(None, node.name, name, kind, problem=(
                "has a return annotation that gives this output no type"
            ), fix=f"Annotate the return of {node.name!r} with the output's type")
        return Declared(
            None, node.name, name, kind, problem="has no return annotation",
            fix=f"Add a return annotation to {node.name!r}",
        )
    return Declared(
        None, node.name, name, kind, problem="has no annotation",
        fix=f"Annotate parameter {key!r} of {node.name!r}",
    )


def output_type(node: HyperNode, name: str) -> Declared:
    """The type of the value ``node`` writes to its data output ``name``."""
    if isinstance(node, GraphNode):
        return _graph_output(node, name)
    if isinstance(node, GateNode):
        return Declared(
            None, node.name, name, "output", problem="is a gate decision, which has no type",
            fix="Read the decision's inputs instead of the gate's internal output",
        )
    if node.is_interrupt:
        return _interrupt_output(node, name)
    if node.is_generator:
        return _generator_output(node, name)
    t = node.get_output_type(name)
    if t is None:
        ret = _return_annotation(node)
        if len(node.data_outputs) > 1 and ret is not None:
            return Declared(None, node.name, name, "output", problem=(
                f"has return annotation {type_name(ret)}, which is not a tuple of "
                f"{len(node.data_outputs)} types for outputs {node.data_outputs!r}"
            ), fix=f"Annotate {node.name!r} as returning tuple[...] with one type per output")
        return _missing(node, name, "output", "return")
    return Declared(t, node.name, name, "output")


def _return_annotation(node: HyperNode) -> Any:
    return getattr(node, "return_annotation", None)


def _interrupt_output(node: HyperNode, name: str) -> Declared:
    ret = _return_annotation(node)
    if ret is None:
        return _missing(node, name, "output", "return")
    answer = without_none(ret)
    if answer is None:
        return Declared(
            None, node.name, name, "output",
            problem="is an interrupt annotated to return only None (which pauses)",
            fix=f"Annotate the answer type of {node.name!r}, e.g. -> str | None",
        )
    if len(node.data_outputs) == 1:
        return Declared(answer, node.name, name, "output")
    # Several outputs: the handler returns a dict keyed by output name.
    body = strip_annotated(answer)
    fields = _typeddict_fields(body)
    if fields is not None and name in fields:
        return Declared(fields[name], node.name, name, "output")
    origin = typing.get_origin(body)
    args = typing.get_args(body)
    if isinstance(origin, type) and issubclass(origin, Mapping) and len(args) == 2:
        return Declared(args[1], node.name, name, "output")
    return Declared(None, node.name, name, "output", problem=(
        f"is an interrupt with outputs {node.data_outputs!r} whose return annotation "
        f"{type_name(ret)} does not give each key a type"
    ), fix=f"Annotate {node.name!r} as returning a TypedDict (or dict[str, X]) | None")


def _typeddict_fields(t: Any) -> dict[str, Any] | None:
    if isinstance(t, type) and issubclass(t, dict) and hasattr(t, "__total__"):
        try:
            return typing.get_type_hints(t)
        except Exception:
            return None
    return None


def _generator_output(node: HyperNode, name: str) -> Declared:
    ret = _return_annotation(node)
    if ret is None:
        return _missing(node, name, "output", "return")
    item = yielded_type(ret)
    if item is None:
        return Declared(None, node.name, name, "output", problem=(
            f"is a generator annotated {type_name(ret)}, which does not give its item type"
        ), fix=(
            f"Annotate {node.name!r} as Iterator[X] (or AsyncIterator[X]); its items are "
            "collected into a list[X]"
        ))
    if len(node.data_outputs) != 1:
        return Declared(
            None, node.name, name, "output",
            problem="is a generator with several outputs, whose types cannot be declared",
            fix=f"Give {node.name!r} a single output",
        )
    return Declared(list[item], node.name, name, "output")  # type: ignore[valid-type]


def _inner_nodes(gn: GraphNode) -> list[HyperNode]:
    g = gn.graph
    active = g.active_node_ids()
    return [n for i, n in enumerate(g.structure.nodes) if i in active]


def _nest(inner: Declared, gn: GraphNode, kind: str, outer_name: str) -> Declared:
    text = inner.inner or f"{inner.kind} {inner.name!r} of {inner.node!r}"
    return attrs.evolve(
        inner, node=gn.name, name=outer_name, kind=kind, inner=f"{text} inside {gn.name!r}"
    )


def _graph_output(gn: GraphNode, name: str) -> Declared:
    try:
        inner_name = gn.inner_outputs[gn.outputs.index(name)]
    except ValueError:
        return Declared(None, gn.name, name, "output", problem="is not an output of this node")
    found: list[Declared] = []
    for n in _inner_nodes(gn):
        if inner_name in n.data_outputs:
            d = output_type(n, inner_name)
            if d.type is None:
                return _nest(d, gn, "output", name)
            found.append(d)
    if not found:
        return Declared(None, gn.name, name, "output", problem="is produced by no node inside")
    types: list[Any] = []
    for d in found:
        if not any(d.type == t for t in types):
            types.append(d.type)
    t = types[0] if len(types) == 1 else Union[tuple(types)]
    cfg = gn.map_config
    if cfg is not None:
        # A mapped graph collects one value per item; "continue" leaves None for failures.
        t = list[Optional[t]] if cfg[2] == "continue" else list[t]  # type: ignore[valid-type]
    return _nest(attrs.evolve(found[0], type=t), gn, "output", name)


def input_types(node: HyperNode, name: str) -> tuple[Declared, ...]:
    """Every type the value ``name`` must have when ``node`` reads it.

    One entry for a plain node; for a GraphNode, one per inner consumer (all must hold).
    """
    if isinstance(node, GraphNode):
        return _graph_inputs(node, name)
    t = node.get_input_type(name)
    if t is None:
        orig = name
        params = getattr(node, "original_params", None)
        if params is not None and name in node.inputs:
            orig = params[node.inputs.index(name)]
        return (_missing(node, name, "parameter", orig),)
    return (Declared(t, node.name, name, "parameter"),)


def _graph_inputs(gn: GraphNode, name: str) -> tuple[Declared, ...]:
    try:
        inner_name = gn.inner_inputs[gn.inputs.index(name)]
    except ValueError:
        return (Declared(None, gn.name, name, "parameter", problem="is not an input of this node"),)
    cfg = gn.map_config
    mapped = cfg is not None and name in cfg[0]
    out: list[Declared] = []
    for n in _inner_nodes(gn):
        if inner_name in n.inputs:
            for d in input_types(n, inner_name):
                if mapped and d.type is not None:
                    d = attrs.evolve(d, type=list[d.type])  # type: ignore[name-defined]
                out.append(_nest(d, gn, "parameter", name))
    if not out:
        return (Declared(None, gn.name, name, "parameter", problem="is read by no node inside"),)
    return tuple(out)


def guarantees(declared: Any, expected: Any) -> bool:
    """True when a value verified against ``declared`` needs no check against ``expected``."""
    if declared is None or is_unchecked(declared) or has_typevar(declared):
        return False
    return compatible(declared, expected)


# -- runtime checks --------------------------------------------------------------------

# ``check(value)`` returns None when the value fits, else a detail ("" if nothing to add).
Checker = Callable[[Any], Optional[str]]


@attrs.frozen(slots=True)
class EdgeCheck:
    """One precompiled runtime check: the value at ``position`` must be an ``expected``.

    ``position`` indexes the node's argument list (inputs) or output tuple (outputs); it
    is -1 for answers and run values, which are keyed by slot/name instead.
    ``consumer``/``param`` are ``None`` when the check is the producer's own annotation.
    """

    position: int
    expected: Any
    name: str
    slot: int
    producers: tuple[str, ...]
    consumer: str | None
    param: str | None
    via: str
    check: Checker = attrs.field(eq=False, repr=False)


@attrs.frozen(slots=True)
class EdgeChecks:
    """All runtime checks of one plan; an empty tuple means "nothing to check here"."""

    inputs: tuple[tuple[EdgeCheck, ...], ...]
    outputs: tuple[tuple[EdgeCheck, ...], ...]
    answers: dict[int, tuple[EdgeCheck, ...]]
    values: dict[str, tuple[EdgeCheck, ...]]
    node_names: tuple[str, ...]
    all_items: bool

    @property
    def empty(self) -> bool:
        """True when nothing is checked anywhere, so runners can skip the check code."""
        return not (
            any(self.inputs) or any(self.outputs) or self.answers or self.values
        )


def _typeguard() -> Any:
    try:
        import typeguard
    except ImportError as exc:  # pragma: no cover - exercised only without the extra
        raise ImportError(TYPEGUARD_HINT) from exc
    return typeguard


# Classes whose typeguard check accepts every instance, so ``isinstance`` can accept fast.
_PLAIN_OK = (float, complex, bytes, list, dict, set, frozenset, type)


def make_checker(expected: Any, *, all_items: bool = False, globalns: dict[str, Any] | None = None) -> Checker:
    """A function ``value -> None | detail`` checking ``value`` against ``expected``.

    Uses typeguard's ``check_type_internal`` with a memo built once here (``check_type``
    would rebuild it from the caller's frame on every call). A plain class accepts with
    one ``isinstance`` and consults typeguard only to confirm and explain a failure.
    """
    tg = _typeguard()
    strategy = (
        tg.CollectionCheckStrategy.ALL_ITEMS if all_items
        else tg.CollectionCheckStrategy.FIRST_ITEM
    )
    memo = tg.TypeCheckMemo(
        globalns or {}, {}, config=tg.TypeCheckConfiguration(collection_check_strategy=strategy)
    )
    check_internal = tg.check_type_internal
    error = tg.TypeCheckError

    def full(value: Any) -> str | None:
        try:
            check_internal(value, expected, memo)
        except error as exc:
            detail = str(exc)
            # A top-level mismatch says nothing the message does not; a nested one
            # ("item 0 is not an instance of int") points at the offending element.
            return "" if detail.startswith("is not an instance of") else detail
        return None

    plain = _plain_class(expected, tg)
    if plain is None:
        return full

    def fast(value: Any) -> str | None:
        if isinstance(value, plain):
            return None
        return full(value)

    return fast


def _plain_class(t: Any, tg: Any) -> type | None:
    if not isinstance(t, type) or typing.get_origin(t) is not None or is_protocol(t):
        return None
    if t in _PLAIN_OK:
        return t
    for lookup in tg.checker_lookup_functions:
        if lookup(t, (), ()) is not None:
            return None
    return t


def _globals_of(node: Any) -> dict[str, Any]:
    func = getattr(node, "func", None)
    g = getattr(intro.annotation_owner(func), "__globals__", None) if func is not None else None
    return g if isinstance(g, dict) else {}


def build_edge_checks(plan: ExecutionPlan, *, all_items: bool = False) -> EdgeChecks:
    """Precompute every runtime type check of ``plan``.

    - outputs: each node's data outputs against its own declaration (gates: none);
    - inputs: each parameter against its annotation, but only where some producer's
      verified declaration does not already guarantee it (so a fully annotated graph
      whose annotations agree has no input checks at all);
    - answers: each interrupt answer slot against the interrupt's answer type and the
      consumers' annotations; values: each graph input against its consumers.

    ``all_items`` checks every element of collections instead of the first one.
    """
    _typeguard()
    warned: set[str] = set()

    def unchecked(d: Declared) -> bool:
        # One warning per function: its hints resolve all together or not at all.
        if d.unresolved and d.problem not in warned:
            warned.add(d.problem)
            warnings.warn(
                f"type_check='edges': {d.where} {d.problem}, so none of that node's "
                f"annotations are checked. {d.fix}",
                UserWarning, stacklevel=intro.user_stacklevel(),
            )
        return is_unchecked(d.type)

    nodes = plan.nodes
    names = tuple(np.name for np in nodes)
    cache: dict[tuple[Any, int], Checker] = {}

    def checker(expected: Any, node: Any) -> Checker:
        globalns = _globals_of(node)
        try:
            key = (expected, id(globalns))
            c = cache.get(key)
        except TypeError:  # an unhashable annotation (e.g. Annotated with a dict): no reuse
            return make_checker(expected, all_items=all_items, globalns=globalns)
        if c is None:
            c = cache[key] = make_checker(expected, all_items=all_items, globalns=globalns)
        return c

    producers: dict[int, list[int]] = {}
    declared: dict[tuple[int, int], Any] = {}
    outputs: list[tuple[EdgeCheck, ...]] = []
    for np in nodes:
        checks: list[EdgeCheck] = []
        if not isinstance(np.node, GateNode):
            for pos, (out, s) in enumerate(zip(np.node.data_outputs, np.out_slots)):
                producers.setdefault(s, []).append(np.index)
                d = output_type(np.node, out)
                if unchecked(d):
                    continue
                declared[(np.index, s)] = d.type
                checks.append(EdgeCheck(
                    pos, d.type, out, s, (np.name,), None, None, d.inner, checker(d.type, np.node),
                ))
        else:
            for s in np.out_slots:
                producers.setdefault(s, []).append(np.index)
        outputs.append(tuple(checks))

    accepted = plan.accepted_inputs
    inputs: list[tuple[EdgeCheck, ...]] = []
    consumers: dict[str, list[tuple[int, Declared]]] = {}
    for np in nodes:
        checks = []
        for pos, (name, s) in enumerate(zip(np.node.inputs, np.in_slots)):
            prods = producers.get(s, [])
            for d in input_types(np.node, name):
                if unchecked(d):
                    continue
                consumers.setdefault(name, []).append((np.index, d))
                if all(guarantees(declared.get((u, s)), d.type) for u in prods):
                    continue  # every producer's output check already covers it
                labels = tuple(names[u] for u in prods) + (("input",) if name in accepted else ())
                checks.append(EdgeCheck(
                    pos, d.type, name, s, labels, np.name, name, d.inner, checker(d.type, np.node),
                ))
        inputs.append(tuple(checks))

    answers: dict[int, tuple[EdgeCheck, ...]] = {}
    for name, s in plan.answer_slots.items():
        owner = next((u for u in producers.get(s, []) if nodes[u].kind == INTERRUPT), None)
        checks = []
        own: Any = None
        if owner is not None:
            d = output_type(nodes[owner].node, name)
            if not is_unchecked(d.type):
                own = d.type
                checks.append(EdgeCheck(
                    -1, own, name, s, ("resume answer",), nodes[owner].name, None, "",
                    checker(own, nodes[owner].node),
                ))
        for v, d in consumers.get(name, []):
            if not guarantees(own, d.type):
                checks.append(EdgeCheck(
                    -1, d.type, name, s, ("resume answer",), names[v], name, d.inner,
                    checker(d.type, nodes[v].node),
                ))
        if checks:
            answers[s] = tuple(checks)

    values: dict[str, tuple[EdgeCheck, ...]] = {}
    for name in (*plan.required, *plan.optional):
        s = plan.slot_index.get(name, -1)
        checks = []
        for v, d in consumers.get(name, []):
            if any(c.expected == d.type for c in checks):
                continue
            checks.append(EdgeCheck(
                -1, d.type, name, s, ("input",), names[v], name, d.inner,
                checker(d.type, nodes[v].node),
            ))
        if checks:
            values[name] = tuple(checks)

    return EdgeChecks(tuple(inputs), tuple(outputs), answers, values, names, all_items)
