"""``FunctionNode`` and ``@node``: a plain function declared as a graph node."""

from __future__ import annotations

import typing
import warnings
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Generic, overload

import attrs
from typing_extensions import ParamSpec, TypeVar

from hypergraph_typed.nodes import _introspect as intro
from hypergraph_typed.nodes.base import (
    HyperNode,
    NodeType,
    RenameEntry,
    RenameError,
    apply_initial_renames,
    apply_renames,
    merge_rename_args,
)

if TYPE_CHECKING:
    from typing_extensions import Self

P = ParamSpec("P")
R = TypeVar("R")
# Set by the mypy plugin (hypergraph_typed_mypy) on objects whose wiring it knows;
# ``Any`` otherwise, so annotations without it keep working.
Spec = TypeVar("Spec", covariant=True, default=Any)

NameArg = str | tuple[str, ...] | None


def check_signal_names(
    owner: str, inputs: tuple[str, ...], data_outputs: tuple[str, ...],
    emit: tuple[str, ...], wait_for: tuple[str, ...],
) -> None:
    """emit/wait_for must not collide with data outputs, inputs or each other."""
    for e in emit:
        if e in data_outputs:
            raise ValueError(
                f"Node {owner!r}: emit name {e!r} is also a data output; pick a distinct signal name"
            )
    for w in wait_for:
        if w in inputs:
            raise ValueError(
                f"Node {owner!r}: wait_for name {w!r} is also an input; "
                "wait_for is ordering-only, use a different name"
            )
    both = sorted(set(emit) & set(wait_for))
    if both:
        raise ValueError(f"Node {owner!r}: {both} are both emit and wait_for names")


@attrs.frozen(init=False, eq=False, repr=False, slots=False)
class FunctionNode(HyperNode, Generic[P, R, Spec]):
    """A node wrapping a plain (sync/async, optionally generator) function.

    Inputs come from the signature, outputs from ``output_name``. Calling the node
    calls the function unchanged.
    """

    func: Callable[P, R]
    name: str
    inputs: tuple[str, ...]
    data_outputs: tuple[str, ...]
    emit: tuple[str, ...]
    wait_for: tuple[str, ...]
    cache: bool
    hide: bool
    is_async: bool
    is_generator: bool
    _params: tuple[str, ...]
    _param_defaults: dict[str, Any]
    _hints: intro.LazyHints
    _history: tuple[RenameEntry, ...]
    _hash: str

    def __init__(
        self,
        source: Callable[P, R] | FunctionNode[P, R],
        name: str | None = None,
        output_name: NameArg = None,
        *,
        rename_inputs: Mapping[str, str] | None = None,
        cache: bool = False,
        hide: bool = False,
        emit: NameArg = None,
        wait_for: NameArg = None,
    ) -> None:
        func = source.func if isinstance(source, FunctionNode) else source
        if not callable(func):
            raise TypeError(
                f"{type(self).__name__} needs a callable, got {func!r} ({type(func).__name__}). "
                "Decorate a function with @node or pass one to FunctionNode(...)"
            )
        node_name = name if name is not None else getattr(func, "__name__", None)
        if not isinstance(node_name, str):
            raise TypeError(f"Cannot infer a node name from {func!r}; pass name=...")
        data_outputs = intro.normalize_names(output_name, "output_name", node_name)
        emits = intro.normalize_names(emit, "emit", node_name)
        waits = intro.normalize_names(wait_for, "wait_for", node_name)
        try:
            params, defaults = intro.signature_params(func)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"Cannot read the signature of {node_name!r}: {exc}") from exc
        hints = intro.LazyHints(func)
        self.__attrs_init__(
            func, node_name, params, data_outputs, emits, waits, bool(cache), bool(hide),
            intro.is_async_callable(func), intro.is_generator_callable(func),
            params, defaults, hints, (), intro.definition_hash(func),
        )
        if output_name is None:
            self._warn_missing_output(func)
        if rename_inputs:
            renamed, history = apply_initial_renames(node_name, self.inputs, rename_inputs)
            object.__setattr__(self, "inputs", renamed)
            object.__setattr__(self, "_history", history)
        check_signal_names(node_name, self.inputs, data_outputs, emits, waits)

    def _warn_missing_output(self, func: Callable[..., Any]) -> None:
        raw = intro.raw_annotations(func)
        if "return" not in raw:
            return
        ret = self._hints.get("return", raw["return"])
        # An unresolved ``-> None`` (string annotations whose hints fail) is still None.
        if ret is not None and ret is not type(None) and not (isinstance(ret, str) and ret == "None"):
            warnings.warn(
                f"Node {self.name!r} has return annotation {ret!r} but no output_name; "
                "its return value will be dropped. Pass output_name=... to keep it.",
                UserWarning,
                stacklevel=intro.user_stacklevel(),
            )

    # -- identity -------------------------------------------------------------
    @property
    def outputs(self) -> tuple[str, ...]:  # type: ignore[override]
        """Data outputs followed by emit signals."""
        return self.data_outputs + self.emit

    @property
    def node_type(self) -> NodeType:
        """``FUNCTION``."""
        return "FUNCTION"

    @property
    def definition_hash(self) -> str:
        """SHA-256 of the function's code: changes when the code changes, not with renames."""
        return self._hash

    @property
    def __wrapped__(self) -> Callable[P, R]:
        return self.func

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        return self.func(*args, **kwargs)

    def __repr__(self) -> str:
        fname = getattr(self.func, "__name__", repr(self.func))
        label = fname if fname == self.name else f"{fname} as {self.name!r}"
        return f"{type(self).__name__}({label}, outputs={self.outputs!r})"

    # -- params, defaults, types --------------------------------------------
    @property
    def original_params(self) -> tuple[str, ...]:
        """Parameter names as the function declares them, parallel to ``inputs``."""
        return self._params

    @property
    def defaults(self) -> dict[str, Any]:
        """Default values by current input name."""
        return {
            cur: self._param_defaults[orig]
            for cur, orig in zip(self.inputs, self._params)
            if orig in self._param_defaults
        }

    @property
    def parameter_annotations(self) -> dict[str, Any]:
        """Resolved parameter annotations by current input name (``{}`` until they resolve)."""
        return {
            cur: self._hints[orig]
            for cur, orig in zip(self.inputs, self._params)
            if orig in self._hints
        }

    @property
    def return_annotation(self) -> Any:
        """The resolved return annotation, or ``None`` when absent."""
        return self._hints.get("return")

    @property
    def output_annotation(self) -> dict[str, Any]:
        """Resolved return annotation per data output (a tuple is split per output)."""
        if "return" not in self._hints or not self.data_outputs:
            return {}
        ret = self._hints["return"]
        if len(self.data_outputs) == 1:
            return {self.data_outputs[0]: ret}
        if typing.get_origin(ret) is tuple:
            args = typing.get_args(ret)
            if len(args) == len(self.data_outputs) and Ellipsis not in args:
                return dict(zip(self.data_outputs, args))
        return {}

    def has_default_for(self, param: str) -> bool:
        """True when input ``param`` has a default value."""
        return param in self.defaults

    def get_default_for(self, param: str) -> Any:
        """The default of input ``param``; ``KeyError`` when it has none."""
        defaults = self.defaults
        if param not in defaults:
            raise KeyError(f"Node {self.name!r} has no default for {param!r}")
        return defaults[param]

    def get_input_type(self, param: str) -> Any:
        """The annotation of input ``param``, or ``None``."""
        return self.parameter_annotations.get(param)

    def get_output_type(self, output: str) -> Any:
        """The annotation of ``output``, or ``None``."""
        return self.output_annotation.get(output)

    def map_inputs_to_params(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """Values keyed by current input names, re-keyed by the function's parameter names."""
        back = dict(zip(self.inputs, self._params))
        return {back.get(k, k): v for k, v in values.items()}

    # -- renaming --------------------------------------------------------------
    def _replace(self, **changes: Any) -> Self:
        new = object.__new__(type(self))
        new.__dict__.update(self.__dict__)
        for key, value in changes.items():
            object.__setattr__(new, key, value)
        return new

    def with_name(self, name: str) -> Self:
        """A copy under another name (the function is shared)."""
        entry = RenameEntry("name", self.name, name)
        return self._replace(name=name, _history=(*self._history, entry))

    def with_inputs(self, mapping: Mapping[str, str] | None = None, /, **kwargs: str) -> Self:
        """A copy with inputs renamed (``old=new``); the function's parameters stay."""
        renames = merge_rename_args(mapping, kwargs)
        if not renames:
            return self._replace()
        try:
            inputs, history = apply_renames(self.inputs, renames, "inputs", self._history)
        except RenameError as exc:
            raise RenameError(f"Node {self.name!r}: {exc}") from None
        check_signal_names(self.name, inputs, self.data_outputs, self.emit, self.wait_for)
        return self._replace(inputs=inputs, _history=history)

    def with_outputs(self, mapping: Mapping[str, str] | None = None, /, **kwargs: str) -> Self:
        """A copy with outputs or emit signals renamed (``old=new``)."""
        renames = merge_rename_args(mapping, kwargs)
        if not renames:
            return self._replace()
        try:
            outputs, history = apply_renames(self.outputs, renames, "outputs", self._history)
        except RenameError as exc:
            raise RenameError(f"Node {self.name!r}: {exc}") from None
        n = len(self.data_outputs)
        data, emit = outputs[:n], outputs[n:]
        check_signal_names(self.name, self.inputs, data, emit, self.wait_for)
        return self._replace(data_outputs=data, emit=emit, _history=history)


@overload
def node(
    source: Callable[P, R],
    output_name: NameArg = None,
    *,
    rename_inputs: Mapping[str, str] | None = None,
    cache: bool = False,
    hide: bool = False,
    emit: NameArg = None,
    wait_for: NameArg = None,
) -> FunctionNode[P, R]: ...


@overload
def node(
    source: None = None,
    output_name: NameArg = None,
    *,
    rename_inputs: Mapping[str, str] | None = None,
    cache: bool = False,
    hide: bool = False,
    emit: NameArg = None,
    wait_for: NameArg = None,
) -> Callable[[Callable[P, R]], FunctionNode[P, R]]: ...


def node(
    source: Callable[P, R] | None = None,
    output_name: NameArg = None,
    *,
    rename_inputs: Mapping[str, str] | None = None,
    cache: bool = False,
    hide: bool = False,
    emit: NameArg = None,
    wait_for: NameArg = None,
) -> FunctionNode[P, R] | Callable[[Callable[P, R]], FunctionNode[P, R]]:
    """Declare a function as a graph node; works bare (``@node``) or with arguments."""

    def wrap(func: Callable[P, R]) -> FunctionNode[P, R]:
        return FunctionNode(
            func, None, output_name, rename_inputs=rename_inputs, cache=cache,
            hide=hide, emit=emit, wait_for=wait_for,
        )

    if source is None:
        return wrap
    if isinstance(source, str):
        raise TypeError(
            f"@node got the string {source!r} as its function; "
            f"write @node(output_name={source!r}) instead"
        )
    return wrap(source)
