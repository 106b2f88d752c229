"""The common node interface and the rename machinery every node kind shares."""

from __future__ import annotations

import abc
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal

import attrs

if TYPE_CHECKING:
    from typing_extensions import Self

    from hypergraph_typed.graph.core import Graph

NodeType = Literal["FUNCTION", "BRANCH", "GRAPH"]


class RenameError(Exception):
    """A rename named an unknown input/output or would produce duplicates."""


@attrs.frozen
class RenameEntry:
    """One applied rename: ``kind`` is ``"inputs"``, ``"outputs"`` or ``"name"``."""

    kind: str
    old: str
    new: str
    batch_id: int | None = None


_batch_counter = [0]


def _next_batch() -> int:
    _batch_counter[0] += 1
    return _batch_counter[0]


def _rename_chain(history: tuple[RenameEntry, ...], kind: str, name: str) -> list[str] | None:
    """The chain ``name -> ... -> current`` if ``name`` was renamed earlier, else None."""
    chain = [name]
    current = name
    found = False
    for entry in history:
        if entry.kind == kind and entry.old == current:
            chain.append(entry.new)
            current = entry.new
            found = True
    return chain if found else None


def apply_renames(
    names: tuple[str, ...],
    mapping: Mapping[str, str],
    kind: str,
    history: tuple[RenameEntry, ...],
) -> tuple[tuple[str, ...], tuple[RenameEntry, ...]]:
    """Apply all pairs of one rename call at once (so swaps work) and extend history."""
    label = kind
    for old, new in mapping.items():
        if not isinstance(old, str) or not isinstance(new, str):
            raise RenameError(f"Rename keys and values must be str, got {old!r}: {new!r}")
        if old not in names:
            chain = _rename_chain(history, kind, old)
            if chain is not None:
                raise RenameError(
                    f"{old!r} was renamed: {'→'.join(chain)}. Current {label}: {names!r}"
                )
            raise RenameError(f"{old!r} not found. Current {label}: {names!r}")
    renamed = tuple(mapping.get(n, n) for n in names)
    dupes = sorted({n for n in renamed if renamed.count(n) > 1})
    if dupes:
        raise RenameError(f"Rename produces duplicate {label}: {dupes}")
    batch = _next_batch()
    entries = tuple(RenameEntry(kind, o, n, batch) for o, n in mapping.items() if o != n)
    return renamed, history + entries


def apply_initial_renames(
    owner: str, names: tuple[str, ...], rename_inputs: Mapping[str, str]
) -> tuple[tuple[str, ...], tuple[RenameEntry, ...]]:
    """``rename_inputs=`` at construction; errors name the node, which has no history yet."""
    unknown = [old for old in rename_inputs if old not in names]
    if unknown:
        raise RenameError(
            f"Node {owner!r}: Cannot rename unknown inputs {unknown}. "
            f"Parameters: {names!r}; rename_inputs keys must be parameter names"
        )
    try:
        return apply_renames(names, rename_inputs, "inputs", ())
    except RenameError as exc:
        raise RenameError(f"Node {owner!r}: {exc}") from None


def merge_rename_args(
    mapping: Mapping[str, str] | None, kwargs: Mapping[str, str]
) -> dict[str, str]:
    """One rename mapping from the positional mapping and the keyword renames."""
    merged: dict[str, str] = dict(mapping or {})
    merged.update(kwargs)
    return merged


class HyperNode(abc.ABC):
    """Abstract base of all nodes. Nodes are immutable; ``with_*`` return copies."""

    name: str
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    data_outputs: tuple[str, ...]
    wait_for: tuple[str, ...]
    is_async: bool = False
    is_generator: bool = False
    is_interrupt: bool = False
    cache: bool = False
    hide: bool = False

    def __new__(cls, *args: Any, **kwargs: Any) -> Self:
        if cls is HyperNode:
            raise TypeError("HyperNode is abstract; use FunctionNode, a gate or GraphNode")
        return super().__new__(cls)

    @property
    @abc.abstractmethod
    def definition_hash(self) -> str:
        """SHA-256 hex identifying the node's definition (not its name)."""

    @property
    @abc.abstractmethod
    def node_type(self) -> NodeType:
        """The kind of node as a string: ``FUNCTION``, ``BRANCH`` (gates) or ``GRAPH``."""

    @property
    def nested_graph(self) -> Graph | None:
        """The graph a GraphNode runs; ``None`` for other nodes."""
        return None

    def has_default_for(self, param: str) -> bool:
        """True when input ``param`` has a default value."""
        return False

    def has_signature_default_for(self, param: str) -> bool:
        """Whether a function signature gives ``param`` a default (bindings do not count)."""
        return self.has_default_for(param)

    def get_default_for(self, param: str) -> Any:
        """The default of input ``param``; ``KeyError`` when it has none."""
        raise KeyError(f"{self.name!r} has no default for {param!r}")

    def get_input_type(self, param: str) -> Any:
        """The annotation of input ``param``, or ``None``."""
        return None

    def get_output_type(self, output: str) -> Any:
        """The annotation of ``output``, or ``None``."""
        return None

    def map_inputs_to_params(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """Values keyed by current input names, re-keyed by the function's own parameter names."""
        return dict(values)

    @abc.abstractmethod
    def with_name(self, name: str) -> Self:
        """A copy under another name."""

    @abc.abstractmethod
    def with_inputs(self, mapping: Mapping[str, str] | None = None, /, **kwargs: str) -> Self:
        """A copy with inputs renamed (``old=new``)."""

    @abc.abstractmethod
    def with_outputs(self, mapping: Mapping[str, str] | None = None, /, **kwargs: str) -> Self:
        """A copy with outputs renamed (``old=new``)."""
