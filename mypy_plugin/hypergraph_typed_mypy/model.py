"""What the plugin knows about a node or a graph: names plus mypy types, nothing else.

These are the static counterparts of the library's declarations. A ``NodeSpec`` holds
exactly what wiring depends on (name, inputs, outputs, signals, gate targets); a
``GraphSpec`` holds the constructor arguments and the derived configuration (bindings,
selection, entrypoints), so every derived fact is recomputed by the library's own
wiring rules (see ``analysis``).
"""

from __future__ import annotations

from typing import Literal

import attrs
from mypy.types import AnyType, Type, TypeOfAny

NodeKind = Literal["function", "interrupt", "route", "ifelse", "graph"]
GATE_KINDS: frozenset[str] = frozenset({"route", "ifelse"})


def any_type() -> AnyType:
    return AnyType(TypeOfAny.special_form)


@attrs.frozen
class Port:
    """A named value with its static type; ``optional`` marks an input with a default."""

    name: str
    type: Type
    optional: bool = False


@attrs.frozen
class NodeSpec:
    """A node as wiring sees it.

    ``inputs`` use the current (renamed) names; ``outputs`` are the data outputs (a
    gate's single ``_<name>`` decision). For a GraphNode, ``inputs``/``outputs`` are the
    boundary before ``map_over`` (``map_params`` says which inputs are mapped) and
    ``resume_direct``/``resume_nested`` are the answer keys it accepts below it.
    """

    kind: NodeKind
    name: str
    inputs: tuple[Port, ...]
    outputs: tuple[Port, ...]
    emit: tuple[str, ...] = ()
    wait_for: tuple[str, ...] = ()
    # Gate targets; ``None`` stands for END.
    targets: tuple[str | None, ...] = ()
    multi_target: bool = False
    resume_direct: tuple[Port, ...] = ()
    resume_nested: tuple[Port, ...] = ()
    map_params: tuple[str, ...] | None = None
    # ``async def`` (for a GraphNode: some node at any depth is), which SyncRunner refuses.
    is_async: bool = False

    @property
    def is_gate(self) -> bool:
        return self.kind in GATE_KINDS

    @property
    def input_names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.inputs)

    @property
    def output_names(self) -> tuple[str, ...]:
        """All outputs, data first then emit names (the library's ``outputs``)."""
        return tuple(p.name for p in self.outputs) + self.emit

    @property
    def data_output_names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.outputs)


@attrs.frozen
class EdgeDecl:
    """One explicit edge: source and destination node names, and the values if given."""

    src: str
    dst: str
    values: tuple[str, ...] | None = None


@attrs.frozen
class GraphSpec:
    """The arguments of ``Graph(...)`` plus the configuration derived graphs add."""

    name: str | None
    nodes: tuple[NodeSpec, ...]
    edges: tuple[EdgeDecl, ...] | None = None
    shared: tuple[str, ...] = ()
    entrypoints: tuple[str, ...] = ()
    bound: tuple[str, ...] = ()
    selected: tuple[str, ...] | None = None
    # False when ``name=`` was not a literal: ``as_node()`` then cannot know its name.
    name_known: bool = True
    strict_types: bool = False

    def node(self, name: str) -> NodeSpec | None:
        return next((n for n in self.nodes if n.name == name), None)


@attrs.frozen
class NodeOptions:
    """Decorator arguments waiting for the function (``@node(...)`` before it is applied).

    ``None`` in a tuple-valued field means "not statically known".
    """

    kind: NodeKind
    outputs: tuple[str, ...] | None = ()
    emit: tuple[str, ...] | None = ()
    wait_for: tuple[str, ...] | None = ()
    renames: tuple[tuple[str, str], ...] | None = ()
    name: str | None = None
    targets: tuple[str | None, ...] | None = ()
    multi_target: bool = False
