"""``with_name``/``with_inputs``/``with_outputs``/``map_over``: derive a node's new spec.

Mirrors the ``with_*`` methods of ``FunctionNode``, ``GateNode`` and ``GraphNode``: the
same names are accepted and rejected, and the copy's spec follows the renames.
"""

from __future__ import annotations

from collections.abc import Callable

import attrs
from mypy.nodes import Context
from mypy.plugin import CheckerPluginInterface, MethodContext
from mypy.types import Type

from hypergraph_typed_mypy.codec import encoder, node_spec_of
from hypergraph_typed_mypy.declare import apply_renames, label, signal_problems
from hypergraph_typed_mypy.errors import NODE, fail, quoted
from hypergraph_typed_mypy.literals import UNKNOWN, expr_type, str_dict_value, str_value
from hypergraph_typed_mypy.model import NodeSpec, Port


def _mapping(ctx: MethodContext) -> dict[str, str] | None:
    """``mapping`` (positional dict) merged with ``**kwargs``; None when not literal."""
    merged: dict[str, str] = {}
    if ctx.args and ctx.args[0]:
        raw = str_dict_value(ctx.api, ctx.args[0][0])
        if raw is UNKNOWN:
            return None
        if isinstance(raw, dict):
            merged.update(raw)
    if len(ctx.args) > 1:
        for expr, name, kind in zip(ctx.args[1], ctx.arg_names[1], ctx.arg_kinds[1]):
            if name is None or kind.is_star():
                return None
            value = str_value(expr, expr_type(ctx.api, expr))
            if value is None:
                return None
            merged[name] = value
    return merged


def _finish(ctx: MethodContext, spec: NodeSpec | None, problems: list[str]) -> Type:
    for problem in problems:
        fail(ctx.api, problem, ctx.context, NODE)
    return encoder(ctx.api).attach(ctx.default_return_type, None if problems else spec)


def _renamed_ports(ports: tuple[Port, ...], mapping: dict[str, str]) -> tuple[Port, ...]:
    return tuple(attrs.evolve(p, name=mapping.get(p.name, p.name)) for p in ports)


def with_inputs_hook(ctx: MethodContext) -> Type:
    spec = node_spec_of(ctx.type)
    mapping = _mapping(ctx)
    if spec is None or mapping is None:
        return _finish(ctx, None, [])
    owner = label(spec.kind, spec.name)
    renamed, problem = apply_renames(owner, spec.input_names, mapping, "input")
    if renamed is None:
        return _finish(ctx, None, [problem or ""])
    new = attrs.evolve(
        spec, inputs=_renamed_ports(spec.inputs, mapping),
        map_params=(
            tuple(mapping.get(p, p) for p in spec.map_params) if spec.map_params else
            spec.map_params
        ),
    )
    return _finish(ctx, new, signal_problems(new))


def with_outputs_hook(ctx: MethodContext) -> Type:
    spec = node_spec_of(ctx.type)
    mapping = _mapping(ctx)
    if spec is None or mapping is None:
        return _finish(ctx, None, [])
    owner = label(spec.kind, spec.name)
    if spec.is_gate:
        emit, problem = apply_renames(owner, spec.emit, mapping, "emit name")
        if emit is None:
            note = "; a gate's decision output cannot be renamed, only its emit names"
            return _finish(ctx, None, [(problem or "") + note])
        new = attrs.evolve(spec, emit=emit)
        return _finish(ctx, new, signal_problems(new))
    renamed, problem = apply_renames(owner, spec.output_names, mapping, "output")
    if renamed is None:
        return _finish(ctx, None, [problem or ""])
    new = attrs.evolve(
        spec, outputs=_renamed_ports(spec.outputs, mapping),
        emit=tuple(mapping.get(e, e) for e in spec.emit),
        resume_direct=_renamed_ports(spec.resume_direct, mapping),
    )
    return _finish(ctx, new, signal_problems(new))


def _check_graph_node_name(api: CheckerPluginInterface, name: str, ctx: Context) -> bool:
    if not name or "." in name or "/" in name:
        fail(api, f'GraphNode name "{name}" must be non-empty and must not contain "." or "/" '
             "(they separate nested resume paths); pick a plain identifier", ctx, NODE)
        return False
    return True


def with_name_hook(ctx: MethodContext) -> Type:
    spec = node_spec_of(ctx.type)
    expr = ctx.args[0][0] if ctx.args and ctx.args[0] else None
    name = str_value(expr, expr_type(ctx.api, expr)) if expr is not None else None
    if spec is None or name is None:
        return _finish(ctx, None, [])
    if spec.kind == "graph" and not _check_graph_node_name(ctx.api, name, ctx.context):
        return _finish(ctx, None, [])
    outputs = spec.outputs
    if spec.is_gate:
        # The decision output follows the name (a fixed reference quirk).
        outputs = tuple(attrs.evolve(p, name=f"_{name}") for p in spec.outputs)
    return _finish(ctx, attrs.evolve(spec, name=name, outputs=outputs), [])


def map_over_hook(ctx: MethodContext) -> Type:
    spec = node_spec_of(ctx.type)
    params: list[str] = []
    for expr, kind in zip(ctx.args[0] if ctx.args else [], ctx.arg_kinds[0] if ctx.args else []):
        value = None if kind.is_star() else str_value(expr, expr_type(ctx.api, expr))
        if value is None:
            return _finish(ctx, None, [])
        params.append(value)
    if spec is None:
        return _finish(ctx, None, [])
    owner = label(spec.kind, spec.name)
    if not params:
        return _finish(ctx, None, [f"{owner}: map_over needs at least one input name"])
    unknown = [p for p in params if p not in spec.input_names]
    if unknown:
        return _finish(ctx, None, [
            f"{owner} cannot map over {quoted(unknown)}: not an input; its inputs are "
            f"{quoted(spec.input_names)}"
        ])
    return _finish(ctx, attrs.evolve(spec, map_params=tuple(params)), [])


HOOKS: dict[str, Callable[[MethodContext], Type]] = {
    "with_inputs": with_inputs_hook,
    "with_outputs": with_outputs_hook,
    "with_name": with_name_hook,
}
