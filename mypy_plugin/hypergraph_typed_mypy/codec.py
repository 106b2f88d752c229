"""Carry a ``NodeSpec``/``GraphSpec`` inside a mypy type, across modules and the cache.

The spec is encoded as a mypy type and stored in the ``extra_attrs`` of the
node/graph/result ``Instance``, which mypy serializes with the type. Names, flags and
edges go into one string literal (JSON); the value types stay mypy types, in tuples
next to it. Few type objects per node keep large graphs cheap to build, to write to the
cache and to read back.

The ``Spec`` type argument is set to ``object``: every plugin-made type differs from
the plain ``X[Any]`` of unchecked code (so re-assigning a variable to an unchecked graph
drops the old spec), while any two plugin-made types stay assignable to each other (so
``graph = graph.bind(x=1)`` is fine).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, Union

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
_TAG = "hypergraph_typed_mypy/3"
_KINDS: dict[str, NodeKind] = {
    "function": "function", "interrupt": "interrupt", "route": "route", "ifelse": "ifelse",
    "graph": "graph",
}

Spec = Union[NodeSpec, GraphSpec]
Decoded = Union[NodeSpec, GraphSpec, NodeOptions, None]


class _Bad(Exception):
    """The stored payload does not have the expected shape (an older plugin wrote it)."""


def _json(value: object) -> str:
    return json.dumps(value, separators=(",", ":"))


class Encoder:
    """Builds the types of an encoded spec (needs the checker's builtins).

    Get one with ``encoder(api)``: it is shared by every hook of a module.
    """

    def __init__(self, api: CheckerPluginInterface) -> None:
        self._str = api.named_generic_type("builtins.str", [])
        self._bool = api.named_generic_type("builtins.bool", [])
        self._object = api.named_generic_type("builtins.object", [])
        self._tuple = api.named_generic_type("builtins.tuple", [self._object])
        self._true = LiteralType(True, self._bool)

    @property
    def marker(self) -> Instance:
        return self._object

    def _text(self, value: str) -> LiteralType:
        return LiteralType(value, self._str)

    def _types(self, types: Sequence[Type]) -> TupleType:
        return TupleType(list(types), self._tuple)

    def node_body(self, n: NodeSpec) -> Type:
        """A node's encoded body, shared with the node's own payload when it has one."""
        cached = _BODIES.get(id(n))
        if cached is not None and cached[0] is n:
            return cached[1]
        meta = [
            "node", n.kind, n.name, [[p.name, p.optional] for p in n.inputs],
            [p.name for p in n.outputs], list(n.emit), list(n.wait_for), list(n.targets),
            n.multi_target, [p.name for p in n.resume_direct],
            [p.name for p in n.resume_nested],
            None if n.map_params is None else list(n.map_params), n.is_async,
        ]
        body = self._types([
            self._text(_json(meta)),
            *(self._types([p.type for p in ports])
              for ports in (n.inputs, n.outputs, n.resume_direct, n.resume_nested)),
        ])
        _keep(n, body)
        return body

    def _graph_body(self, g: GraphSpec) -> Type:
        edges = None if g.edges is None else [
            [e.src, e.dst, None if e.values is None else list(e.values)] for e in g.edges
        ]
        meta = [
            "graph", g.name, edges, list(g.shared), list(g.entrypoints), list(g.bound),
            None if g.selected is None else list(g.selected), g.name_known, g.strict_types,
        ]
        return self._types([
            self._text(_json(meta)), self._types([self.node_body(n) for n in g.nodes]),
        ])

    def _options_body(self, o: NodeOptions) -> Type:
        def names(v: tuple[str, ...] | None) -> list[str] | None:
            return None if v is None else list(v)

        meta = [
            "options", o.kind, names(o.outputs), names(o.emit), names(o.wait_for),
            None if o.renames is None else [list(r) for r in o.renames], o.name,
            None if o.targets is None else list(o.targets), o.multi_target,
        ]
        return self._types([self._text(_json(meta))])

    def spec(self, spec: Spec | NodeOptions) -> Type:
        if isinstance(spec, NodeSpec):
            body = self.node_body(spec)
        elif isinstance(spec, GraphSpec):
            body = self._graph_body(spec)
        else:
            body = self._options_body(spec)
        return self._types([self._text(_TAG), body])

    def _payload(self, spec: Spec | NodeOptions | None) -> Type:
        """The encoded ``spec``, made once per spec object and shared by every type that
        carries it; reading it back (``spec_of``) finds ``spec`` without decoding."""
        if spec is None:
            return NoneType()
        cached = _ENCODED.get(id(spec))
        if cached is not None and cached[0] is spec:
            return cached[1]
        payload = self.spec(spec)
        if len(_ENCODED) > 65536:
            _ENCODED.clear()
        _ENCODED[id(spec)] = (spec, payload)
        _remember(_items(payload, 2)[1], spec)
        return payload

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
        attrs: dict[str, Type] = {SPEC_ATTR: self._payload(spec)}
        if may_miss:
            attrs[MAY_MISS_ATTR] = self._true
        return Instance(
            inst.type, args, line=inst.line, column=inst.column,
            extra_attrs=ExtraAttrs(attrs, set(), None),
        )


# Encoded payloads by the identity of their spec (kept alive with it).
_ENCODED: dict[int, tuple[object, Type]] = {}
# Encoded node bodies by the identity of their NodeSpec: a graph's payload reuses the
# bodies of its nodes' payloads instead of encoding every node again.
_BODIES: dict[int, tuple[NodeSpec, Type]] = {}
_ENCODERS: dict[int, tuple[CheckerPluginInterface, Encoder]] = {}


def encoder(api: CheckerPluginInterface) -> Encoder:
    """The ``Encoder`` for ``api`` (one per type checker, so one per module checked)."""
    hit = _ENCODERS.get(id(api))
    if hit is not None and hit[0] is api:
        return hit[1]
    if len(_ENCODERS) > 64:
        _ENCODERS.clear()
    enc = _ENCODERS[id(api)] = (api, Encoder(api))
    return enc[1]


def _keep(n: NodeSpec, body: Type) -> None:
    if len(_BODIES) > 65536:
        _BODIES.clear()
    _BODIES[id(n)] = (n, body)


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


def _meta(t: Type, tag: str) -> list[Any]:
    meta = json.loads(_str(t))
    if not isinstance(meta, list) or not meta or meta[0] != tag:
        raise _Bad
    return meta


def _kind(value: object) -> NodeKind:
    kind = _KINDS.get(value) if isinstance(value, str) else None
    if kind is None:
        raise _Bad
    return kind


def _names(value: Any) -> tuple[str, ...]:
    return tuple(str(v) for v in value)


def _opt_names(value: Any) -> tuple[str, ...] | None:
    return None if value is None else _names(value)


def _ports(names: Sequence[str], types: Type, optional: Sequence[bool] = ()) -> tuple[Port, ...]:
    items = _items(types, len(names))
    flags = list(optional) or [False] * len(names)
    return tuple(Port(n, t, bool(o)) for n, t, o in zip(names, items, flags))


def _read_node(t: Type) -> NodeSpec:
    head, ins, outs, rdirect, rnested = _items(t, 5)
    (_, kind, name, inputs, outputs, emit, wait, targets, multi, rd, rn, mapped,
     is_async) = _meta(head, "node")
    return NodeSpec(
        kind=_kind(kind), name=str(name),
        inputs=_ports([str(i[0]) for i in inputs], ins, [bool(i[1]) for i in inputs]),
        outputs=_ports(_names(outputs), outs), emit=_names(emit), wait_for=_names(wait),
        targets=tuple(None if x is None else str(x) for x in targets),
        multi_target=bool(multi), resume_direct=_ports(_names(rd), rdirect),
        resume_nested=_ports(_names(rn), rnested), map_params=_opt_names(mapped),
        is_async=bool(is_async),
    )


def _node_of(body: Type) -> NodeSpec:
    """A node body decoded once: graphs share the bodies of their nodes' payloads."""
    found = _DECODED.get(id(body))
    if found is not None and found[0] is body and isinstance(found[1], NodeSpec):
        return found[1]
    node = _read_node(body)
    _remember(body, node)
    _keep(node, body)
    return node


def _read_graph(t: Type) -> GraphSpec:
    head, nodes = _items(t, 2)
    _, name, edges, shared, entry, bound, selected, known, strict = _meta(head, "graph")
    return GraphSpec(
        name=None if name is None else str(name),
        nodes=tuple(_node_of(n) for n in _items(nodes)),
        edges=None if edges is None else tuple(
            EdgeDecl(str(src), str(dst), _opt_names(values)) for src, dst, values in edges
        ),
        shared=_names(shared), entrypoints=_names(entry), bound=_names(bound),
        selected=_opt_names(selected), name_known=bool(known), strict_types=bool(strict),
    )


def _read_options(t: Type) -> NodeOptions:
    (head,) = _items(t, 1)
    _, kind, outputs, emit, wait, renames, name, targets, multi = _meta(head, "options")
    return NodeOptions(
        kind=_kind(kind), outputs=_opt_names(outputs), emit=_opt_names(emit),
        wait_for=_opt_names(wait),
        renames=None if renames is None else tuple((str(a), str(b)) for a, b in renames),
        name=None if name is None else str(name),
        targets=None if targets is None else tuple(
            None if x is None else str(x) for x in targets
        ),
        multi_target=bool(multi),
    )


def _payload(typ: Type | None) -> Type | None:
    if typ is None:
        return None
    inst: ProperType = get_proper_type(typ)
    if not isinstance(inst, Instance) or inst.extra_attrs is None:
        return None
    payload = inst.extra_attrs.attrs.get(SPEC_ATTR)
    if payload is None or isinstance(get_proper_type(payload), NoneType):
        return None
    try:
        tag, body = _items(payload, 2)
        return body if _str(tag) == _TAG else None
    except _Bad:
        return None


# Decoded specs by the identity of their payload. mypy copies a type's ``extra_attrs``
# by reference, so every read of a graph's result (``result["x"]``) finds the payload
# decoded once; the payload is kept alive with its spec, so an id is never reused.
_DECODED: dict[int, tuple[Type, Decoded]] = {}


def _remember(body: Type, spec: Decoded) -> None:
    if len(_DECODED) > 65536:
        _DECODED.clear()
    _DECODED[id(body)] = (body, spec)


def _decoded(typ: Type | None) -> Decoded:
    """What a plugin-made type carries, decoded once per payload."""
    body = _payload(typ)
    if body is None:
        return None
    found = _DECODED.get(id(body))
    if found is not None and found[0] is body:
        return found[1]
    spec: Decoded
    try:
        tag = json.loads(_str(_items(body)[0]))[0]
        if tag == "node":
            spec = _read_node(body)
            _keep(spec, body)
        elif tag == "graph":
            spec = _read_graph(body)
        elif tag == "options":
            spec = _read_options(body)
        else:
            spec = None
    except (_Bad, ValueError, TypeError, IndexError, KeyError):
        spec = None  # an older plugin's payload: the type reads as unknown
    _remember(body, spec)
    return spec


def options_of(typ: Type | None) -> NodeOptions | None:
    """The decorator arguments a ``@node(...)``-style decorator carries in its result type."""
    found = _decoded(typ)
    return found if isinstance(found, NodeOptions) else None


def spec_of(typ: Type | None) -> Spec | None:
    """The spec a plugin-made type carries, or ``None`` (unknown, or not plugin-made)."""
    found = _decoded(typ)
    return found if isinstance(found, (NodeSpec, GraphSpec)) else None


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
