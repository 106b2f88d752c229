"""Node declaration rules, mirrored from ``hypergraph_typed.nodes``: build a ``NodeSpec``.

Functions here return the spec (or ``None`` when the library would refuse to build the
node) plus the problems to report; they never touch mypy's error machinery, so each
rule can be read next to the library code it mirrors.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import attrs
from mypy.erasetype import erase_typevars
from mypy.nodes import Context
from mypy.plugin import CheckerPluginInterface
from mypy.subtypes import is_subtype
from mypy.types import (
    AnyType,
    Instance,
    LiteralType,
    Type,
    TypedDictType,
    UnionType,
    get_proper_type,
)

from hypergraph_typed_mypy.errors import NODE, fail, quoted, show
from hypergraph_typed_mypy.model import NodeOptions, NodeSpec, Port, any_type
from hypergraph_typed_mypy.signatures import FuncShape, split_outputs, without_none

KIND_LABEL = {
    "function": "Node", "interrupt": "Interrupt", "route": "Route", "ifelse": "IfElse",
    "graph": "GraphNode",
}


def label(spec_kind: str, name: str) -> str:
    return f'{KIND_LABEL.get(spec_kind, "Node")} "{name}"'


def apply_renames(
    owner: str, names: Sequence[str], mapping: Mapping[str, str], what: str
) -> tuple[tuple[str, ...] | None, str | None]:
    """All pairs at once (so swaps work), as ``nodes.base.apply_renames`` does.

    ``what`` is singular: ``"parameter"``, ``"input"`` or ``"output"``.
    """
    unknown = [old for old in mapping if old not in names]
    if unknown:
        have = f"its {what}s are {quoted(names)}" if names else f"it has no {what}s"
        return None, f"{owner} has no {what} {quoted(unknown)} to rename; {have}"
    renamed = tuple(mapping.get(n, n) for n in names)
    dupes = sorted({n for n in renamed if renamed.count(n) > 1})
    if dupes:
        return None, (
            f"{owner}: renaming gives duplicate {what}s {quoted(dupes)}; pick distinct names"
        )
    return renamed, None


def signal_problems(spec: NodeSpec) -> list[str]:
    """``check_signal_names``: emit/wait_for must not clash with outputs, inputs, each other."""
    owner = label(spec.kind, spec.name)
    problems = []
    data = spec.data_output_names
    for e in spec.emit:
        if e in data:
            problems.append(
                f'{owner}: emit name "{e}" is also a data output; pick a distinct signal name'
            )
    for w in spec.wait_for:
        if w in spec.input_names:
            problems.append(
                f'{owner}: wait_for name "{w}" is also an input; wait_for is ordering-only, '
                "use a different name"
            )
    both = sorted(set(spec.emit) & set(spec.wait_for))
    if both:
        problems.append(f"{owner}: {quoted(both)} are both emit and wait_for names; use one")
    return problems


def _literal_strings(typ: Type, out: list[str]) -> None:
    p = get_proper_type(typ)
    if isinstance(p, LiteralType) and isinstance(p.value, str):
        out.append(p.value)
    elif isinstance(p, UnionType):
        for item in p.items:
            _literal_strings(item, out)
    elif isinstance(p, Instance) and p.type.fullname in ("builtins.list", "typing.Sequence") \
            and p.args:
        _literal_strings(p.args[0], out)


def route_return_problems(name: str, targets: Sequence[str | None], value: Type) -> list[str]:
    """Literal return values that ``RouteNode.decide`` would reject at run time."""
    returned: list[str] = []
    _literal_strings(value, returned)
    problems = []
    for v in dict.fromkeys(returned):
        if v == "END":
            problems.append(
                f'Route "{name}" may return the string "END"; return the END sentinel '
                "(from hypergraph_typed import END) instead"
            )
        elif v not in targets:
            problems.append(
                f'Route "{name}" may return "{v}", which is not one of its targets '
                f"({quoted(targets)}); add it to targets or change the return type"
            )
    return problems


@attrs.frozen
class Declared:
    spec: NodeSpec | None
    problems: tuple[str, ...] = ()


def declare(
    api: CheckerPluginInterface, opts: NodeOptions, shape: FuncShape | None, name: str | None
) -> Declared:
    """The node the library would build from ``opts`` and a function of ``shape``."""
    if (shape is None or name is None or opts.outputs is None or opts.emit is None
            or opts.wait_for is None or opts.renames is None or opts.targets is None):
        return Declared(None)
    owner = label(opts.kind, name)
    inputs = tuple(p.name for p in shape.params)
    if opts.renames:
        renamed, problem = apply_renames(owner, inputs, dict(opts.renames), "parameter")
        if renamed is None:
            return Declared(None, (problem or "",))
        inputs = renamed
    ports = tuple(attrs.evolve(p, name=n) for p, n in zip(shape.params, inputs))
    problems: list[str] = []
    if opts.kind in ("route", "ifelse"):
        if shape.is_async or shape.is_generator:
            what = "async" if shape.is_async else "a generator"
            return Declared(None, (
                f"{owner}: a routing function cannot be {what}; routing functions must be "
                "plain synchronous functions (compute async values in a preceding @node)",
            ))
        outputs: tuple[Port, ...] = (Port(f"_{name}", shape.value),)
        if opts.kind == "route":
            problems += route_return_problems(name, opts.targets, erase_typevars(shape.value))
    else:
        value = shape.value
        if opts.kind == "interrupt":
            value = without_none(value)
        outputs, arity = split_outputs(value, opts.outputs, interrupt=opts.kind == "interrupt")
        if arity is not None:
            problems.append(
                f"{owner} has {len(opts.outputs)} output names {_tuple(opts.outputs)} but "
                f"returns {show(api, value)}, a tuple of {arity}; give one output name per item"
            )
        elif len(opts.outputs) > 1:
            # A type variable may stand for a tuple or a dict: judge it as Any.
            problems += _several_outputs_problems(api, owner, opts, erase_typevars(value))
    spec = NodeSpec(
        kind=opts.kind, name=name, inputs=ports, outputs=outputs, emit=opts.emit,
        wait_for=opts.wait_for, targets=opts.targets, multi_target=opts.multi_target,
        is_async=shape.is_async,
    )
    signal = signal_problems(spec)
    if signal:
        return Declared(None, tuple(problems + signal))
    return Declared(spec, tuple(problems))


def _several_outputs_problems(
    api: CheckerPluginInterface, owner: str, opts: NodeOptions, value: Type
) -> list[str]:
    """Several output names need a value the runtime can split: ``execute.split_outputs``
    unpacks an iterable in order; ``InterruptNode.resolve_handler_result`` takes a dict."""
    names = opts.outputs or ()
    p = get_proper_type(value)
    if isinstance(p, AnyType):
        return []
    shown = show(api, value)
    if opts.kind == "interrupt":
        mapping = api.named_generic_type("typing.Mapping", [any_type(), any_type()])
        if isinstance(p, TypedDictType) or is_subtype(value, mapping, options=api.options):
            return []
        return [
            f"{owner} has {len(names)} outputs {_tuple(names)}, so its handler must return a "
            f"dict with exactly those keys, but it returns {shown}; return "
            "{" + ", ".join(f'"{n}": ...' for n in names) + "} (annotate it as a TypedDict)"
        ]
    iterable = api.named_generic_type("typing.Iterable", [any_type()])
    is_text = isinstance(p, Instance) and p.type.fullname in ("builtins.str", "builtins.bytes")
    if is_text or not is_subtype(value, iterable, options=api.options):
        return [
            f"{owner} has {len(names)} output names {_tuple(names)} but returns {shown}, "
            f"which is not a tuple; return a tuple of {len(names)} values "
            f"(-> tuple[...]) or use one output name"
        ]
    return []


def _tuple(names: Sequence[str]) -> str:
    return "(" + ", ".join(f'"{n}"' for n in names) + ("," if len(names) == 1 else "") + ")"


def report(api: CheckerPluginInterface, declared: Declared, context: Context) -> None:
    for problem in declared.problems:
        fail(api, problem, context, NODE)

