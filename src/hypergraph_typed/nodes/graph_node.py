"""``GraphNode``: a whole graph used as one node of an outer graph (optionally mapped)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Generic, Literal, Protocol, runtime_checkable

import attrs
from typing_extensions import TypeVar

from hypergraph_typed.nodes.base import (
    HyperNode,
    NodeType,
    RenameEntry,
    RenameError,
    apply_renames,
    merge_rename_args,
)

if TYPE_CHECKING:
    from typing_extensions import Self

    from hypergraph_typed.graph.core import Graph

MapMode = Literal["zip", "product"]


@runtime_checkable
class GraphLike(Protocol):
    """What ``GraphNode`` needs of the graph it wraps (nodes sit below ``graph``)."""

    name: str | None

    def boundary_outputs(self) -> tuple[str, ...]:
        """What a node wrapping the graph outputs."""

    def compile(self) -> Any:
        """The graph's execution plan."""

    def iter_nodes(self) -> Any:
        """The graph's nodes."""
# Set by the mypy plugin (hypergraph_typed_mypy) on objects whose wiring it knows;
# ``Any`` otherwise, so annotations without it keep working.
Spec = TypeVar("Spec", covariant=True, default=Any)


def check_node_name(name: object, what: str) -> str:
    """``name`` if it is a non-empty str without ``.`` or ``/``, else ``ValueError``."""
    if not isinstance(name, str) or not name:
        raise ValueError(f"{what} needs a non-empty str name, got {name!r}")
    if "." in name or "/" in name:
        raise ValueError(
            f"{what} name {name!r} must not contain '.' or '/' (they separate nested paths)"
        )
    return name


@attrs.frozen(init=False, eq=False, slots=False, repr=False)
class GraphNode(HyperNode, Generic[Spec]):
    """Runs ``graph`` as a single node; inputs/outputs are renamed at the boundary only."""

    graph: Graph
    name: str
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    _inner_inputs: tuple[str, ...]
    _inner_outputs: tuple[str, ...]
    _map_params: tuple[str, ...] | None
    _map_mode: str
    _map_error_handling: str
    _clone: bool | tuple[str, ...]
    _history: tuple[RenameEntry, ...]

    def __init__(self, graph: Graph, name: str | None = None) -> None:
        if not isinstance(graph, GraphLike):
            raise TypeError(f"GraphNode wraps a Graph, got {graph!r}")
        node_name = name if name is not None else graph.name
        if node_name is None:
            raise ValueError(
                "GraphNode needs a name: give the graph one (Graph(..., name='inner')) "
                "or call graph.as_node(name='inner')"
            )
        check_node_name(node_name, "GraphNode")
        inner_in = graph.inputs.all
        inner_out = graph.boundary_outputs()
        self.__attrs_init__(
            graph, node_name, inner_in, inner_out, inner_in, inner_out, None, "zip",
            "raise", False, (),
        )

    # -- HyperNode ------------------------------------------------------------
    @property
    def data_outputs(self) -> tuple[str, ...]:  # type: ignore[override]
        """The node's outputs (the inner graph's, renamed at the boundary)."""
        return self.outputs

    @property
    def wait_for(self) -> tuple[str, ...]:  # type: ignore[override]
        """Always empty: a GraphNode waits for no signal."""
        return ()

    @property
    def node_type(self) -> NodeType:
        """``GRAPH``."""
        return "GRAPH"

    @property
    def nested_graph(self) -> Graph:
        """The graph this node runs."""
        return self.graph

    @property
    def definition_hash(self) -> str:
        """The inner graph's definition hash."""
        return self.graph.definition_hash

    @property
    def is_async(self) -> bool:  # type: ignore[override]
        """True when the inner graph has async nodes."""
        return self.graph.has_async_nodes

    @property
    def cache(self) -> bool:  # type: ignore[override]
        """Always ``False``: graph nodes are never cached."""
        return False

    @property
    def inner_inputs(self) -> tuple[str, ...]:
        """Inner names, parallel to ``inputs``."""
        return self._inner_inputs

    @property
    def inner_outputs(self) -> tuple[str, ...]:
        """Inner names, parallel to ``outputs``."""
        return self._inner_outputs

    def _to_inner_input(self, param: str) -> str | None:
        try:
            return self._inner_inputs[self.inputs.index(param)]
        except ValueError:
            return None

    def has_default_for(self, param: str) -> bool:
        """True when the inner graph has a default for this input."""
        inner = self._to_inner_input(param)
        return inner is not None and self.graph.has_default_for_input(inner)

    def has_signature_default_for(self, param: str) -> bool:
        """Every inner consumer of ``param`` has a signature default (bindings ignored)."""
        inner = self._to_inner_input(param)
        if inner is None:
            return False
        consumers = [n for n in self.graph.iter_nodes() if inner in n.inputs]
        return bool(consumers) and all(n.has_signature_default_for(inner) for n in consumers)

    def is_bound_inside(self, param: str) -> bool:
        """Whether the nested graph binds ``param`` (its value wins over any default)."""
        inner = self._to_inner_input(param)
        return inner is not None and inner in self.graph.inputs.bound

    def get_default_for(self, param: str) -> Any:
        """The inner graph's default for this input; ``KeyError`` when it has none."""
        inner = self._to_inner_input(param)
        if inner is None or not self.graph.has_default_for_input(inner):
            raise KeyError(f"GraphNode {self.name!r} has no default for {param!r}")
        return self.graph.default_for_input(inner)

    def get_input_type(self, param: str) -> Any:
        """The inner input's annotation (``list[...]`` for a mapped input), or ``None``."""
        inner = self._to_inner_input(param)
        t = None if inner is None else self.graph.input_type(inner)
        if t is not None and self._map_params and param in self._map_params:
            return list[t]  # type: ignore[valid-type]
        return t

    def get_output_type(self, output: str) -> Any:
        """The inner output's annotation (``list[...]`` under ``map_over``), or ``None``."""
        try:
            inner = self._inner_outputs[self.outputs.index(output)]
        except ValueError:
            return None
        t = self.graph.output_type(inner)
        if self._map_params:
            return list if t is None else list[t]  # type: ignore[valid-type]
        return t

    @property
    def output_annotation(self) -> dict[str, Any]:
        """Output name -> type, for the outputs whose type is known (``list[T]`` if mapped)."""
        types = ((o, self.get_output_type(o)) for o in self.outputs)
        return {o: t for o, t in types if t is not None}

    def map_inputs_to_params(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """Values keyed by outer input names, re-keyed by the inner graph's names."""
        back = dict(zip(self.inputs, self._inner_inputs))
        return {back.get(k, k): v for k, v in values.items()}

    # -- renaming ------------------------------------------------------------
    def _replace(self, **changes: Any) -> Self:
        new = object.__new__(type(self))
        new.__dict__.update(self.__dict__)
        for k, v in changes.items():
            object.__setattr__(new, k, v)
        return new

    def with_name(self, name: str) -> Self:
        """A copy under another name."""
        check_node_name(name, "GraphNode")
        return self._replace(name=name, _history=(*self._history, RenameEntry("name", self.name, name)))

    def with_inputs(self, mapping: Mapping[str, str] | None = None, /, **kwargs: str) -> Self:
        """A copy with outer input names renamed (``old=new``); mapped inputs follow."""
        renames = merge_rename_args(mapping, kwargs)
        if not renames:
            return self._replace()
        try:
            inputs, history = apply_renames(self.inputs, renames, "inputs", self._history)
        except RenameError as exc:
            raise RenameError(f"GraphNode {self.name!r}: {exc}") from None
        map_params = (
            tuple(renames.get(p, p) for p in self._map_params) if self._map_params else None
        )
        clone = (
            tuple(renames.get(p, p) for p in self._clone)
            if isinstance(self._clone, tuple)
            else self._clone
        )
        return self._replace(inputs=inputs, _history=history, _map_params=map_params, _clone=clone)

    def with_outputs(self, mapping: Mapping[str, str] | None = None, /, **kwargs: str) -> Self:
        """A copy with outer output names renamed (``old=new``)."""
        renames = merge_rename_args(mapping, kwargs)
        if not renames:
            return self._replace()
        try:
            outputs, history = apply_renames(self.outputs, renames, "outputs", self._history)
        except RenameError as exc:
            raise RenameError(f"GraphNode {self.name!r}: {exc}") from None
        return self._replace(outputs=outputs, _history=history)

    # -- map_over -------------------------------------------------------------
    def map_over(
        self,
        *params: str,
        mode: MapMode = "zip",
        error_handling: Literal["raise", "continue"] = "raise",
        clone: bool | Sequence[str] = False,
    ) -> Self:
        """Run the inner graph once per element of ``params``; every output becomes a list."""
        if not params:
            raise ValueError(f"GraphNode {self.name!r}: map_over needs at least one input name")
        for p in params:
            if p not in self.inputs:
                raise ValueError(
                    f"GraphNode {self.name!r}: cannot map over {p!r}, not an input. "
                    f"Inputs: {self.inputs!r}"
                )
        clone_cfg: bool | tuple[str, ...]
        if isinstance(clone, bool):
            clone_cfg = clone
        elif isinstance(clone, list):
            for c in clone:
                if not isinstance(c, str):
                    raise TypeError(f"GraphNode {self.name!r}: clone entries must be str, got {c!r}")
                if c in params or c not in self.inputs:
                    raise ValueError(
                        f"GraphNode {self.name!r}: clone entry {c!r} must be a broadcast "
                        "(non-mapped) input"
                    )
            clone_cfg = tuple(clone)
        else:
            raise TypeError(f"GraphNode {self.name!r}: clone must be a bool or a list of names")
        if error_handling not in ("raise", "continue"):
            raise ValueError(f"error_handling must be 'raise' or 'continue', got {error_handling!r}")
        return self._replace(
            _map_params=tuple(params), _map_mode=mode, _map_error_handling=error_handling,
            _clone=clone_cfg,
        )

    @property
    def map_config(self) -> tuple[list[str], str, str] | None:
        """``(mapped inputs, mode, error_handling)`` after ``map_over``, else ``None``."""
        if self._map_params is None:
            return None
        return (list(self._map_params), self._map_mode, self._map_error_handling)

    @property
    def clone_config(self) -> bool | tuple[str, ...]:
        """Which broadcast inputs each item gets a deep copy of (``True``: all)."""
        return self._clone

    def __repr__(self) -> str:
        return object.__repr__(self)
