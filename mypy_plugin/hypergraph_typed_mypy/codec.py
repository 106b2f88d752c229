"""Carry a ``NodeSpec``/``GraphSpec`` inside a mypy type, across modules and the cache.

The spec is encoded as a mypy type (literals, tuples and the real value types) and
stored in the ``extra_attrs`` of the node/graph/result ``Instance``, which mypy
serializes with the type. The ``Spec`` type argument is set to ``object``: every
plugin-made type differs from the plain ``X[Any]`` of unchecked code (so re-assigning a
variable to an unchecked graph drops the old spec), while any two plugin-made types
stay assignable to each other (so ``graph = graph.bind(x=1)`` is fine).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Union

from mypy.plugin import CheckerPluginInterface
from mypy.types import (
    ExtraAttrs,
    Instance,
    LiteralType,
    NoneType,
    ProperType,
    TupleType,
    Type,
    get_proper_type,
)

from hypergraph_typed_mypy.model import (
    EdgeDecl,
    GraphSpec,
    NodeKind,
    NodeOptions,
    NodeSpec,
    Port,
)

SPEC_ATTR = "__hypergraph_spec__"
MAY_MISS_ATTR = "__hypergraph_may_miss__"
_TAG = "hypergraph_typed_mypy/2"
_KINDS: dict[str, NodeKind] = {
    "function": "function", "interrupt": "interrupt", "route": "route", "ifelse": "ifelse",
    "graph": "graph",
}

Encodable = Union[str, bool, None, Type, tuple["Encodable", ...]]
Spec = Union[NodeSpec, GraphSpec]


class _Bad(Exception):
    """The stored payload does not have the expected shape (an older plugin wrote it)."""


class Encoder:
    """Builds the literal/tuple types of an encoded spec (needs the checker's builtins)."""

    def __init__(self, api: CheckerPluginInterface) -> None:
        self._str = api.named_generic_type("builtins.str", [])
        self._bool = api.named_generic_type("builtins.bool", [])
        self._object = api.named_generic_type("builtins.object", [])
        self._tuple = api.named_generic_type("builtins.tuple", [self._object])
        self._encoded: dict[int, tuple[object, Type]] = {}

    @property
    def marker(self) -> Instance:
        return self._object

    def value(self, v: Encodable) -> Type:
        if v is None:
            return NoneType()
        if isinstance(v, bool):
            return LiteralType(v, self._bool)
        if isinstance(v, str):
            return LiteralType(v, self._str)
        if isinstance(v, tuple):
            return TupleType([self.value(x) for x in v], self._tuple)
        return v

    def spec(self, spec: Spec | NodeOptions | None) -> Type:
        if spec is None:
            return NoneType()
        if isinstance(spec, NodeSpec):
            body = _node(spec)
        elif isinstance(spec, GraphSpec):
            body = _graph(spec)
        else:
            body = _options(spec)
        return self.value((_TAG, body))

    def attach(
        self, typ: Type, spec: Spec | NodeOptions | None, *, may_miss: bool = False
    ) -> Type:
        """``typ`` (an Instance whose last type argument is ``Spec``) carrying ``spec``.

        ``None`` records "not statically known" explicitly, so an assignment replaces
        whatever spec the variable held before. ``may_miss`` marks a ``MapResult`` whose
        items may lack outputs (failed or paused items read as ``None``).
        """
        inst = get_proper_type(typ)
        if not isinstance(inst, Instance) or not inst.args:
            return typ
        args = [*inst.args[:-1], self._object]
        # Encoding a large graph is costly: one payload serves every type it is attached to.
        key = id(spec)
        cached = self._encoded.get(key)
        if cached is None or cached[0] is not spec:
            cached = self._encoded[key] = (spec, self.spec(spec))
        attrs = {SPEC_ATTR: cached[1]}
        if may_miss:
            attrs[MAY_MISS_ATTR] = self.value(True)
        return Instance(
            inst.type, args, line=inst.line, column=inst.column,
            extra_attrs=ExtraAttrs(attrs, set(), None),
        )


def _ports(ports: Sequence[Port]) -> Encodable:
    return tuple((p.name, p.type, p.optional) for p in ports)


def _node(n: NodeSpec) -> Encodable:
    return (
        "node", n.kind, n.name, _ports(n.inputs), _ports(n.outputs), n.emit, n.wait_for,
        n.targets, n.multi_target, _ports(n.resume_direct), _ports(n.resume_nested),
        n.map_params, n.is_async,
    )


def _graph(g: GraphSpec) -> Encodable:
    edges: Encodable = (
        None if g.edges is None else tuple((e.src, e.dst, e.values) for e in g.edges)
    )
    return (
        "graph", g.name, tuple(_node(n) for n in g.nodes), edges, g.shared, g.entrypoints,
        g.bound, g.selected, g.name_known, g.strict_types,
    )


def _options(o: NodeOptions) -> Encodable:
    renames: Encodable = None if o.renames is None else tuple((a, b) for a, b in o.renames)
    return (
        "options", o.kind, o.outputs, o.emit, o.wait_for, renames, o.name, o.targets,
        o.multi_target,
    )


# -- decoding ---------------------------------------------------------------------------


def _items(t: Type, n: int | None = None) -> list[Type]:
    p = get_proper_type(t)
    if not isinstance(p, TupleType) or (n is not None and len(p.items) != n):
        raise _Bad
    return p.items


def _str(t: Type) -> str:
    p = get_proper_type(t)
    if isinstance(p, LiteralType) and isinstance(p.value, str):
        return p.value
    raise _Bad


def _bool(t: Type) -> bool:
    p = get_proper_type(t)
    if isinstance(p, LiteralType) and isinstance(p.value, bool):
        return p.value
    raise _Bad


def _is_none(t: Type) -> bool:
    return isinstance(get_proper_type(t), NoneType)


def _kind(t: Type) -> NodeKind:
    kind = _KINDS.get(_str(t))
    if kind is None:
        raise _Bad
    return kind


def _opt_str(t: Type) -> str | None:
    return None if _is_none(t) else _str(t)


def _strs(t: Type) -> tuple[str, ...]:
    return tuple(_str(x) for x in _items(t))


def _opt_strs(t: Type) -> tuple[str, ...] | None:
    return None if _is_none(t) else _strs(t)


def _read_ports(t: Type) -> tuple[Port, ...]:
    out = []
    for item in _items(t):
        name, typ, optional = _items(item, 3)
        out.append(Port(_str(name), typ, _bool(optional)))
    return tuple(out)


def _read_node(t: Type) -> NodeSpec:
    (tag, kind, name, ins, outs, emit, wait, targets, multi, rdirect, rnested,
     mparams, is_async) = _items(t, 13)
    if _str(tag) != "node":
        raise _Bad
    return NodeSpec(
        kind=_kind(kind), name=_str(name), inputs=_read_ports(ins), outputs=_read_ports(outs),
        emit=_strs(emit), wait_for=_strs(wait),
        targets=tuple(_opt_str(x) for x in _items(targets)), multi_target=_bool(multi),
        resume_direct=_read_ports(rdirect), resume_nested=_read_ports(rnested),
        map_params=_opt_strs(mparams), is_async=_bool(is_async),
    )


def _read_graph(t: Type) -> GraphSpec:
    tag, name, nodes, edges, shared, entry, bound, selected, known, strict = _items(t, 10)
    if _str(tag) != "graph":
        raise _Bad
    edge_decls: tuple[EdgeDecl, ...] | None = None
    if not _is_none(edges):
        decls = []
        for e in _items(edges):
            src, dst, values = _items(e, 3)
            decls.append(EdgeDecl(_str(src), _str(dst), _opt_strs(values)))
        edge_decls = tuple(decls)
    return GraphSpec(
        name=_opt_str(name), nodes=tuple(_read_node(n) for n in _items(nodes)),
        edges=edge_decls, shared=_strs(shared), entrypoints=_strs(entry), bound=_strs(bound),
        selected=_opt_strs(selected), name_known=_bool(known), strict_types=_bool(strict),
    )


def _read_options(t: Type) -> NodeOptions:
    tag, kind, outs, emit, wait, renames, name, targets, multi = _items(t, 9)
    if _str(tag) != "options":
        raise _Bad
    pairs: tuple[tuple[str, str], ...] | None = None
    if not _is_none(renames):
        pairs = tuple((_str(a), _str(b)) for a, b in (_items(r, 2) for r in _items(renames)))
    return NodeOptions(
        kind=_kind(kind), outputs=_opt_strs(outs), emit=_opt_strs(emit), wait_for=_opt_strs(wait),
        renames=pairs, name=_opt_str(name),
        targets=None if _is_none(targets) else tuple(_opt_str(x) for x in _items(targets)),
        multi_target=_bool(multi),
    )


def _payload(typ: Type | None) -> Type | None:
    if typ is None:
        return None
    inst: ProperType = get_proper_type(typ)
    if not isinstance(inst, Instance) or inst.extra_attrs is None:
        return None
    payload = inst.extra_attrs.attrs.get(SPEC_ATTR)
    if payload is None or _is_none(payload):
        return None
    try:
        tag, body = _items(payload, 2)
        return body if _str(tag) == _TAG else None
    except (_Bad, ValueError):
        return None


def options_of(typ: Type | None) -> NodeOptions | None:
    """The decorator arguments a ``@node(...)``-style decorator carries in its result type."""
    body = _payload(typ)
    if body is None:
        return None
    try:
        return _read_options(body) if _str(_items(body)[0]) == "options" else None
    except (_Bad, ValueError):
        return None


# Decoded specs by the identity of their payload. mypy copies a type's ``extra_attrs``
# by reference, so every read of a graph's result (``result["x"]``) finds the payload
# decoded once; the payload is kept alive with its spec, so an id is never reused.
_DECODED: dict[int, tuple[Type, Spec | None]] = {}


def spec_of(typ: Type | None) -> Spec | None:
    """The spec a plugin-made type carries, or ``None`` (unknown, or not plugin-made)."""
    body = _payload(typ)
    if body is None:
        return None
    found = _DECODED.get(id(body))
    if found is not None and found[0] is body:
        return found[1]
    spec = _decode(body)
    if len(_DECODED) > 4096:
        _DECODED.clear()
    _DECODED[id(body)] = (body, spec)
    return spec


def _decode(body: Type) -> Spec | None:
    try:
        kind = _str(_items(body)[0])
        if kind == "node":
            return _read_node(body)
        return _read_graph(body) if kind == "graph" else None
    except (_Bad, ValueError):
        return None


def node_spec_of(typ: Type | None) -> NodeSpec | None:
    spec = spec_of(typ)
    return spec if isinstance(spec, NodeSpec) else None


def graph_spec_of(typ: Type | None) -> GraphSpec | None:
    spec = spec_of(typ)
    return spec if isinstance(spec, GraphSpec) else None


def may_miss(typ: Type | None) -> bool:
    """Whether a ``MapResult`` type was marked as possibly holding ``None`` items."""
    inst = get_proper_type(typ) if typ is not None else None
    return (
        isinstance(inst, Instance) and inst.extra_attrs is not None
        and MAY_MISS_ATTR in inst.extra_attrs.attrs
    )
