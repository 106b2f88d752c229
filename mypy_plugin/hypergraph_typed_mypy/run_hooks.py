"""Hooks on ``runner.run(graph, ...)`` and on reading its ``RunResult``.

``run`` checks literal input keys the way ``runtime.prepare.prepare`` sorts them
(inputs, interrupt answers, nested ``gn.key`` answers, values produced inside the
graph, unknown names) and returns a result that remembers the graph, so that
``result["name"]`` is checked against the graph's outputs and typed precisely.
"""

from __future__ import annotations

import attrs
from mypy.erasetype import remove_instance_last_known_values
from mypy.maptype import map_instance_to_supertype
from mypy.nodes import Context, DictExpr
from mypy.plugin import CheckerPluginInterface, MethodContext
from mypy.subtypes import is_subtype
from mypy.typeops import make_simplified_union
from mypy.types import (
    AnyType,
    CallableType,
    Instance,
    NoneType,
    Overloaded,
    Type,
    TypeOfAny,
    UnionType,
    get_proper_type,
)

from hypergraph_typed_mypy.analysis import GraphFacts, analyse
from hypergraph_typed_mypy.codec import Encoder, encoder, graph_spec_of, may_miss
from hypergraph_typed_mypy.errors import KEY, RUNNER, VALUE, fail, quoted, show
from hypergraph_typed_mypy.graph_hooks import check_edge_types, check_value
from hypergraph_typed_mypy.graph_types import answer_type, output_type, solved_with, typed
from hypergraph_typed_mypy.literals import (
    CallArgs,
    Value,
    expr_type,
    is_none,
    names_value,
    str_value,
    typeinfo,
)
from hypergraph_typed_mypy.model import GraphSpec


def _facts(typ: Type | None) -> GraphFacts | None:
    spec = graph_spec_of(typ)
    return analyse(spec).facts if spec is not None else None


def _accepted_keys(facts: GraphFacts) -> str:
    keys = quoted(facts.accepted)
    answers = [*facts.answers, *facts.nested_resume]
    return keys + (f"; resume keys: {quoted(answers)}" if answers else "")


def check_input(
    api: CheckerPluginInterface, facts: GraphFacts, key: str, value: Value, context: Context
) -> None:
    """One ``run()`` input, sorted like ``runtime.prepare.prepare`` sorts it."""
    answer = answer_type(facts, key)
    if answer is not None:
        if not value.fits(answer):
            fail(api, f'Resume answer "{key}" has type {show(api, value.shown())}, but the '
                 f"interrupt answers with {show(api, answer)}", context, VALUE)
        return
    if key in facts.accepted:
        check_value(api, facts, key, value, context)
        return
    producer = facts.internal.get(key)
    if producer is not None:
        fail(api, f'Cannot provide "{key}": it is produced by node "{producer}" inside the '
             "graph, which will still run and overwrite it. To start from it, slice the graph "
             f'with .with_entrypoint(...) past "{producer}"', context, KEY)
        return
    fail(api, f'"{key}" is not an input of the graph; it accepts {_accepted_keys(facts)}',
         context, KEY)


class _Items(Value):
    """A ``map_over`` value: an iterable whose items are the per-run inputs."""

    def infer(self, context: Type | None) -> tuple[Type, bool]:
        outer = None
        if context is not None:
            outer = self.api.named_generic_type("typing.Iterable", [context])
        whole, errors = super().infer(outer)
        item = _item_type(self.api, whole)
        return (item if item is not None else AnyType(TypeOfAny.special_form)), errors


_RESULTS = "hypergraph_typed.runtime.results"
_OUTCOMES = tuple(
    f"{_RESULTS}.{name}RunResult" for name in ("Completed", "Paused", "Failed")
)


def _with_spec(
    api: CheckerPluginInterface, enc: Encoder, typ: Type, spec: GraphSpec | None,
    missing: bool,
) -> Type:
    """``typ`` carrying ``spec``; a plain ``RunResult`` becomes the union ``RunOutcome``,
    so that ``if result.paused:`` narrows (as it does once run() is annotated with it)."""
    p = get_proper_type(typ)
    if isinstance(p, UnionType):
        return make_simplified_union(
            [_with_spec(api, enc, item, spec, missing) for item in p.items]
        )
    if isinstance(p, Instance) and p.type.fullname == f"{_RESULTS}.RunResult":
        infos = [typeinfo(api, name) for name in _OUTCOMES]
        if all(infos):
            return make_simplified_union([
                enc.attach(Instance(info, [AnyType(TypeOfAny.special_form)]), spec)
                for info in infos if info is not None
            ])
    return enc.attach(typ, spec, may_miss=missing)


def _result(
    ctx: MethodContext, enc: Encoder, spec: GraphSpec | None, *, missing: bool = False
) -> Type:
    """The declared return type with the graph attached to its ``RunResult``/``MapResult``."""
    ret = get_proper_type(ctx.default_return_type)
    if isinstance(ret, Instance) and ret.type.fullname == "typing.Coroutine" and ret.args:
        inner = _with_spec(ctx.api, enc, ret.args[-1], spec, missing)
        return ret.copy_modified(args=[*ret.args[:-1], inner])
    return _with_spec(ctx.api, enc, ctx.default_return_type, spec, missing)


def _solved_spec(ctx: MethodContext, facts: GraphFacts, given: dict[str, Type]) -> GraphSpec:
    """The graph with its generic nodes solved from the run's inputs too.

    The edges whose types this changes are checked at the call; the result carries the
    solved graph, so ``result["x"]`` has the solved type.
    """
    view = typed(ctx.api, facts)
    if not view.generic or not given:
        return facts.spec
    nodes = solved_with(ctx.api, facts, given)
    if nodes == view.nodes:
        return facts.spec
    check_edge_types(ctx.api, facts, [], ctx.context, nodes=nodes, before=view.nodes,
                     solved_from="the run's inputs")
    return attrs.evolve(facts.spec, nodes=nodes)


_RESERVED = frozenset({"on_internal_override", "_parent_span_id"})


def _is_async(ctx: MethodContext) -> bool:
    """AsyncRunner's methods are coroutines; SyncRunner's return the result directly."""
    ret = get_proper_type(ctx.default_return_type)
    return isinstance(ret, Instance) and ret.type.fullname == "typing.Coroutine"


def _first_async(facts: GraphFacts) -> str | None:
    """The first async node (a GraphNode counts when any node inside it is async)."""
    return next((n.name for n in facts.spec.nodes if n.is_async), None)


def _check_sync(ctx: MethodContext, facts: GraphFacts, what: str) -> None:
    """``prepare.check_sync_compat``: SyncRunner refuses async nodes, then interrupts."""
    if _is_async(ctx):
        return
    node = _first_async(facts)
    if node is not None:
        fail(ctx.api, f'SyncRunner cannot {what} this graph: node "{node}" is async; use '
             f'AsyncRunner, or make "{node}" a plain def', ctx.context, RUNNER)


_RESUMES = ("workflow_id", "fork_from", "retry_from")


def _check_required(ctx: MethodContext, facts: GraphFacts) -> None:
    """``prepare.prepare`` raises MissingInputError for a required input left out.

    Only when every value is visible: a dict display (or nothing) and plain keywords. A
    checkpointed resume (``workflow_id=``, ``fork_from=``, ``retry_from=``) restores the
    persisted inputs, so it is not checked.
    """
    args = CallArgs(ctx)
    for name in _RESUMES:
        expr, typ = args.get(name)
        if expr is not None and not is_none(expr, typ):
            return
    given: set[str] = set()
    values_expr, values_type = args.get("values", 1)
    if isinstance(values_expr, DictExpr):
        for key_expr, _ in values_expr.items:
            key = None if key_expr is None else str_value(key_expr, expr_type(ctx.api, key_expr))
            if key is None:
                return
            given.add(key)
    elif values_expr is not None and not is_none(values_expr, values_type):
        return
    for _, _, keyword, kind in args.all("input_values"):
        if keyword is None or kind.is_star() or keyword in _RESUMES:
            return  # (a resume option lands here when only the second overload matched)
        given.add(keyword)
    missing = sorted(r for r in facts.required if r not in given)  # as MissingInputError
    if missing:
        fail(ctx.api, f"run() is missing required input{'s' if len(missing) > 1 else ''} "
             f"{quoted(missing)} (MissingInputError at run time); pass "
             + ", ".join(f'"{m}": ...' for m in missing) + " in the values dict, bind "
             f"{'them' if len(missing) > 1 else 'it'} with graph.bind(...), or give the "
             "parameter a default", ctx.context, KEY)


def _first_interrupt(facts: GraphFacts) -> str | None:
    """The first interrupt at any depth, as ``Graph.find_interrupt`` names it."""
    for n in facts.spec.nodes:
        if n.kind == "interrupt":
            return n.name
        if n.kind == "graph" and (n.resume_direct or n.resume_nested):
            return n.name
    return None


def _check_inputs(
    ctx: MethodContext, facts: GraphFacts, mapped: frozenset[str], method: str
) -> dict[str, Type]:
    """Literal keys of ``values`` and the keyword inputs; mapped names take lists.

    Returns the type of each graph input given (per item for mapped names), for solving
    generic nodes; only computed when the graph has some.
    """
    api = ctx.api
    args = CallArgs(ctx)
    given: dict[str, Type] = {}
    generic = typed(api, facts).generic
    options = _options(ctx, method)

    def check(key: str, value: Value, where: Context) -> None:
        if key in mapped:
            shown = get_proper_type(value.shown())
            if isinstance(shown, Instance) and shown.type.fullname in ("builtins.str",
                                                                       "builtins.bytes"):
                fail(api, f'map_over input "{key}" is {show(api, shown)}: map would run once per '
                     f'character. Pass a list: "{key}": [text]', where, VALUE)
                return
            if _item_type(api, value.shown()) is None:
                fail(api, f'map_over input "{key}" needs a list of values, got '
                     f"{show(api, value.shown())}", where, VALUE)
                return
            value = _Items(api, value.expr, value.stored)
        check_input(api, facts, key, value, where)
        if generic and key in facts.accepted:
            given[key] = value.shown()

    values_expr, _ = args.get("values", 1)
    if isinstance(values_expr, DictExpr):
        for key_expr, value_expr in values_expr.items:
            if key_expr is None:
                continue
            key = str_value(key_expr, expr_type(api, key_expr))
            stored = expr_type(api, value_expr)
            if key is not None and stored is not None:
                check(key, Value(api, value_expr, stored), key_expr)
    sync = not _is_async(ctx)
    for expr, typ, name, kind in args.all("input_values"):
        if name is None or kind.is_star():
            continue
        if name in _RESERVED or (sync and name == "max_concurrency"):
            fail(api, f'"{name}" is a reserved keyword of run()/map(); to pass an input with '
                 "that name, put it in the values dict", expr, KEY)
            continue
        option = options.get(name)
        if option is not None:
            _check_option(api, method, name, Value(api, expr, typ), option, expr)
            continue
        check(name, Value(api, expr, typ), expr)
    return given


def _options(ctx: MethodContext, method: str) -> dict[str, Type]:
    """The keyword options of ``method``'s full signature (its first overload).

    A call that matches only the second overload (inputs unpacked with ``**``) passes
    its options through ``**input_values``, where type checkers no longer see their
    declared types.
    """
    receiver = get_proper_type(ctx.type)
    sym = receiver.type.get(method) if isinstance(receiver, Instance) else None
    full = get_proper_type(sym.type) if sym is not None and sym.type is not None else None
    if isinstance(full, Overloaded):
        full = full.items[0]
    if not isinstance(full, CallableType):
        return {}
    return {
        name: t for name, t, kind in zip(full.arg_names, full.arg_types, full.arg_kinds)
        if name is not None and name != "graph" and not kind.is_star()
    }


def _check_option(
    api: CheckerPluginInterface, method: str, name: str, value: Value, declared: Type,
    context: Context,
) -> None:
    if not value.fits(declared):
        fail(api, f'{method}() option "{name}" expects {show(api, declared)}, got '
             f"{show(api, value.shown())}; to pass an input with that name, put it in the "
             "values dict", context, VALUE)


def _item_type(api: CheckerPluginInterface, value: Type) -> Type | None:
    """The element type of an iterable value (what ``map`` feeds each item)."""
    iterable = api.named_generic_type("typing.Iterable", [AnyType(TypeOfAny.special_form)])
    if not is_subtype(value, iterable, options=api.options):
        return None
    p = get_proper_type(value)
    if isinstance(p, Instance):
        mapped = map_instance_to_supertype(p, iterable.type)
        if mapped.args:
            return mapped.args[0]
    return AnyType(TypeOfAny.special_form)


def run_hook(ctx: MethodContext) -> Type:
    """``SyncRunner.run`` / ``AsyncRunner.run``."""
    enc = encoder(ctx.api)
    _, graph_type = CallArgs(ctx).get("graph", 0)
    facts = _facts(graph_type)
    if facts is None:
        return _result(ctx, enc, None)
    _check_sync(ctx, facts, "run")
    where = _first_interrupt(facts)
    if not _is_async(ctx) and where is not None:
        fail(ctx.api, f'SyncRunner cannot run this graph: it contains interrupt "{where}"; '
             "only AsyncRunner supports interrupts. Use AsyncRunner", ctx.context, RUNNER)
    given = _check_inputs(ctx, facts, frozenset(), "run")
    _check_required(ctx, facts)
    return _result(ctx, enc, _solved_spec(ctx, facts, given))


def map_hook(ctx: MethodContext) -> Type:
    """``SyncRunner.map`` / ``AsyncRunner.map``: one run per item of the mapped inputs."""
    api = ctx.api
    enc = encoder(api)
    args = CallArgs(ctx)
    _, graph_type = args.get("graph", 0)
    facts = _facts(graph_type)
    if facts is None:
        return _result(ctx, enc, None)
    _check_sync(ctx, facts, "map")
    where = _first_interrupt(facts)
    if where is not None:
        fail(api, f'map() cannot run this graph: it contains interrupt "{where}"; run items '
             "one by one with run() and handle pauses per item", ctx.context, RUNNER)
    over_expr, over_type = args.get("map_over")
    over = names_value(api, over_expr, over_type)
    if isinstance(over, tuple):
        # Which inputs take lists is known only from a literal map_over.
        for name in over:
            if name not in facts.accepted:
                fail(api, f'Cannot map over "{name}": not an input of the graph; it accepts '
                     f"{_accepted_keys(facts)}", over_expr or ctx.context, KEY)
        spec = _solved_spec(ctx, facts, _check_inputs(ctx, facts, frozenset(over), "map"))
    else:
        spec = facts.spec
    handling_expr, handling_type = args.get("error_handling")
    missing = str_value(handling_expr, handling_type) == "continue"
    return _result(ctx, enc, spec, missing=missing)


def _key(ctx: MethodContext) -> tuple[str | None, Context]:
    if not ctx.args or not ctx.args[0]:
        return None, ctx.context
    expr = ctx.args[0][0]
    return str_value(expr, ctx.arg_types[0][0]), expr


def getitem_hook(ctx: MethodContext) -> Type:
    """``result["name"]``: an output of the graph, typed as its producer declares."""
    facts = _facts(ctx.type)
    key, where = _key(ctx)
    if facts is None or key is None:
        return ctx.default_return_type
    if key not in facts.result_names:
        _unknown_key(ctx, facts, key, where)
        return ctx.default_return_type
    return output_type(ctx.api, facts, key)


def _unknown_key(ctx: MethodContext, facts: GraphFacts, key: str, where: Context) -> None:
    names = facts.result_names
    if key in facts.emit_names:
        why = "it is an emit signal, and results never hold signals"
    elif facts.spec.selected:
        why = f"the graph selects only {quoted(names)}"
    else:
        why = f"the graph's outputs are {quoted(names)}"
    fail(ctx.api, f'"{key}" is not an output of the graph ({why}); results hold only '
         "outputs", where, KEY)


def get_hook(ctx: MethodContext) -> Type:
    """``result.get("name", default)``: the output's type, or the default's.

    A name the graph never outputs always gives the default, so it is reported like
    ``result["name"]`` (almost always a typo).
    """
    facts = _facts(ctx.type)
    key, where = _key(ctx)
    if facts is None or key is None:
        return ctx.default_return_type
    if key not in facts.result_names:
        _unknown_key(ctx, facts, key, where)
        return ctx.default_return_type
    default: Type = NoneType()
    if len(ctx.arg_types) > 1 and ctx.arg_types[1]:
        default = remove_instance_last_known_values(ctx.arg_types[1][0])
    return make_simplified_union([output_type(ctx.api, facts, key), default])


def map_getitem_hook(ctx: MethodContext) -> Type:
    """``many["name"]``: that output per item; ``many[0]``: one item's ``RunResult``."""
    facts = _facts(ctx.type)
    if facts is None or not ctx.args or not ctx.args[0]:
        return ctx.default_return_type
    p = get_proper_type(ctx.arg_types[0][0])
    if isinstance(p, Instance) and p.type.fullname == "builtins.int":
        return _with_spec(ctx.api, encoder(ctx.api), ctx.default_return_type, facts.spec, False)
    key, where = _key(ctx)
    if key is None:
        return ctx.default_return_type
    if key not in facts.result_names:
        fail(ctx.api, f'"{key}" is not an output of the graph (its outputs are '
             f"{quoted(facts.result_names)}); map results hold only outputs", where, KEY)
        return ctx.default_return_type
    item = output_type(ctx.api, facts, key)
    if may_miss(ctx.type):
        item = make_simplified_union([item, NoneType()])
    return ctx.api.named_generic_type("builtins.list", [item])


def map_get_hook(ctx: MethodContext) -> Type:
    """``many.get("name", default)``: that output per item, or the default."""
    facts = _facts(ctx.type)
    key, where = _key(ctx)
    if facts is None or key is None:
        return ctx.default_return_type
    if key not in facts.result_names:
        _unknown_key(ctx, facts, key, where)
        return ctx.default_return_type
    default: Type = NoneType()
    if len(ctx.arg_types) > 1 and ctx.arg_types[1]:
        default = remove_instance_last_known_values(ctx.arg_types[1][0])
    item = make_simplified_union([output_type(ctx.api, facts, key), default])
    return ctx.api.named_generic_type("builtins.list", [item])
