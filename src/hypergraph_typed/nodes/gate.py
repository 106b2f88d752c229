"""Gates: ``@route`` / ``RouteNode`` and ``@ifelse`` / ``IfElseNode`` decide which targets run."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Generic, Union

import attrs
from typing_extensions import ParamSpec, TypeVar

from hypergraph_typed._sentinels import END, EndType
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
from hypergraph_typed.nodes.function import NameArg, check_signal_names

if TYPE_CHECKING:
    from typing_extensions import Self

P = ParamSpec("P")
R = TypeVar("R")
# Set by the mypy plugin (hypergraph_typed_mypy) on objects whose wiring it knows;
# ``Any`` otherwise, so annotations without it keep working.
Spec = TypeVar("Spec", covariant=True, default=Any)

Target = Union[str, EndType]


def _check_target(t: object, owner: str) -> Target:
    if t is END:
        return END
    if t == "END":
        raise ValueError(
            f"Gate {owner!r}: the string 'END' is not a target; import END from "
            "hypergraph_typed and use the END sentinel"
        )
    if isinstance(t, HyperNode):
        return t.name
    if not isinstance(t, str):
        raise TypeError(f"Gate {owner!r}: target {t!r} must be a node name (str) or END")
    return t


@attrs.frozen(init=False, eq=False, repr=False, slots=False)
class GateNode(HyperNode, Generic[P, R, Spec]):
    """Abstract gate: a sync routing function whose decision activates target nodes."""

    func: Callable[P, R]
    name: str
    inputs: tuple[str, ...]
    emit: tuple[str, ...]
    wait_for: tuple[str, ...]
    targets: list[Target]
    descriptions: dict[Any, str]
    default_open: bool
    cache: bool
    hide: bool
    _params: tuple[str, ...]
    _param_defaults: dict[str, Any]
    _hints: intro.LazyHints
    _history: tuple[RenameEntry, ...]
    _hash: str

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Without this, ``GateNode(f)`` would return a half-built node (no attributes set).
        raise TypeError("GateNode is abstract; use RouteNode (@route) or IfElseNode (@ifelse)")

    def _gate_init(
        self, func: Callable[P, R], name: str | None, targets: list[Target],
        descriptions: dict[Any, str], *, default_open: bool, cache: bool, hide: bool,
        rename_inputs: Mapping[str, str] | None, emit: NameArg, wait_for: NameArg,
    ) -> None:
        if type(self) is GateNode:
            raise TypeError("GateNode is abstract; use RouteNode or IfElseNode")
        if not callable(func):
            raise TypeError(f"A gate needs a callable, got {func!r}")
        gname = name if name is not None else getattr(func, "__name__", None)
        if not isinstance(gname, str):
            raise TypeError(f"Cannot infer a gate name from {func!r}; pass name=...")
        if intro.is_async_callable(func):
            raise TypeError(
                f"Gate {gname!r}: routing functions must be synchronous; "
                "compute async values in a preceding @node"
            )
        if intro.is_generator_callable(func):
            raise TypeError(f"Gate {gname!r}: routing functions cannot be generators")
        params, defaults = intro.signature_params(func)
        emits = intro.normalize_names(emit, "emit", gname)
        waits = intro.normalize_names(wait_for, "wait_for", gname)
        self.__attrs_init__(
            func, gname, params, emits, waits, targets, descriptions, bool(default_open),
            bool(cache), bool(hide), params, defaults, intro.LazyHints(func), (),
            intro.definition_hash(func),
        )
        if rename_inputs:
            renamed, history = apply_initial_renames(gname, self.inputs, rename_inputs)
            object.__setattr__(self, "inputs", renamed)
            object.__setattr__(self, "_history", history)
        check_signal_names(gname, self.inputs, self.data_outputs, emits, waits)

    @property
    def decision_output(self) -> str:
        """The internal value name (``_<gate>``) that stores the raw decision."""
        return f"_{self.name}"

    @property
    def data_outputs(self) -> tuple[str, ...]:  # type: ignore[override]
        """The internal decision value (``_<gate>``)."""
        return (self.decision_output,)

    @property
    def outputs(self) -> tuple[str, ...]:  # type: ignore[override]
        """The decision value followed by emit signals."""
        return (self.decision_output, *self.emit)

    @property
    def node_type(self) -> NodeType:
        """``BRANCH``."""
        return "BRANCH"

    @property
    def is_async(self) -> bool:  # type: ignore[override]
        """Always ``False``: gate functions are synchronous."""
        return False

    @property
    def is_generator(self) -> bool:  # type: ignore[override]
        """Always ``False``."""
        return False

    @property
    def definition_hash(self) -> str:
        """SHA-256 of the gate's code and settings."""
        return self._hash

    @property
    def original_params(self) -> tuple[str, ...]:
        """Parameter names as the function declares them, parallel to ``inputs``."""
        return self._params

    @property
    def defaults(self) -> dict[str, Any]:
        """Default values by current input name."""
        return {
            c: self._param_defaults[o]
            for c, o in zip(self.inputs, self._params)
            if o in self._param_defaults
        }

    @property
    def parameter_annotations(self) -> dict[str, Any]:
        """Resolved parameter annotations by current input name."""
        return {c: self._hints[o] for c, o in zip(self.inputs, self._params) if o in self._hints}

    @property
    def return_annotation(self) -> Any:
        """The resolved return annotation, or ``None``."""
        return self._hints.get("return")

    @property
    def __wrapped__(self) -> Callable[P, R]:
        return self.func

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        return self.func(*args, **kwargs)

    def has_default_for(self, param: str) -> bool:
        """True when input ``param`` has a default value."""
        return param in self.defaults

    def get_default_for(self, param: str) -> Any:
        """The default of input ``param``; ``KeyError`` when it has none."""
        d = self.defaults
        if param not in d:
            raise KeyError(f"Gate {self.name!r} has no default for {param!r}")
        return d[param]

    def get_input_type(self, param: str) -> Any:
        """The annotation of input ``param``, or ``None``."""
        return self.parameter_annotations.get(param)

    def map_inputs_to_params(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """Values keyed by current input names, re-keyed by the function's parameter names."""
        back = dict(zip(self.inputs, self._params))
        return {back.get(k, k): v for k, v in values.items()}

    def _replace(self, **changes: Any) -> Self:
        new = object.__new__(type(self))
        new.__dict__.update(self.__dict__)
        for k, v in changes.items():
            object.__setattr__(new, k, v)
        return new

    def with_name(self, name: str) -> Self:
        # Fixed hypergraph quirk: outputs follow the name, so the copy is a valid node.
        """A copy under another name (its decision output follows the name)."""
        return self._replace(name=name, _history=(*self._history, RenameEntry("name", self.name, name)))

    def with_inputs(self, mapping: Mapping[str, str] | None = None, /, **kwargs: str) -> Self:
        """A copy with inputs renamed (``old=new``)."""
        renames = merge_rename_args(mapping, kwargs)
        if not renames:
            return self._replace()
        try:
            inputs, history = apply_renames(self.inputs, renames, "inputs", self._history)
        except RenameError as exc:
            raise RenameError(f"Gate {self.name!r}: {exc}") from None
        check_signal_names(self.name, inputs, self.data_outputs, self.emit, self.wait_for)
        return self._replace(inputs=inputs, _history=history)

    def with_outputs(self, mapping: Mapping[str, str] | None = None, /, **kwargs: str) -> Self:
        """A copy with emit signals renamed (``old=new``)."""
        renames = merge_rename_args(mapping, kwargs)
        if not renames:
            return self._replace()
        try:
            emit, history = apply_renames(self.emit, renames, "outputs", self._history)
        except RenameError as exc:
            raise RenameError(
                f"Gate {self.name!r}: {exc}. Only emit names of a gate can be renamed"
            ) from None
        check_signal_names(self.name, self.inputs, self.data_outputs, emit, self.wait_for)
        return self._replace(emit=emit, _history=history)

    def _repr_label(self) -> str:
        """``decide``, or ``decide as 'my_gate'`` once renamed (as function nodes show it)."""
        fname = getattr(self.func, "__name__", repr(self.func))
        return fname if fname == self.name else f"{fname} as {self.name!r}"

    def selected_targets(self, decision: Any) -> tuple[str, ...]:
        """Target names a (validated) decision activates."""
        raise NotImplementedError

    def decide(self, result: Any) -> Any:
        """Validate the routing function's raw result and return the stored decision."""
        raise NotImplementedError


class RouteNode(GateNode[P, R, Spec]):
    """Routes to one target (or several with ``multi_target=True``), or to ``END``."""

    fallback: Target | None
    multi_target: bool

    def __init__(
        self,
        func: Callable[P, R],
        targets: Sequence[Any] | Mapping[Any, str],
        *,
        fallback: Any = None,
        multi_target: bool = False,
        cache: bool = False,
        hide: bool = False,
        default_open: bool = True,
        name: str | None = None,
        rename_inputs: Mapping[str, str] | None = None,
        emit: NameArg = None,
        wait_for: NameArg = None,
    ) -> None:
        owner = str(name or getattr(func, "__name__", "route"))
        if isinstance(targets, Mapping):
            descriptions = {_check_target(k, owner): str(v) for k, v in targets.items()}
            raw: list[Any] = list(targets.keys())
        elif isinstance(targets, (list, tuple)):
            descriptions = {}
            raw = list(targets)
        else:
            raise TypeError(f"Route {owner!r}: targets must be a list or a dict, got {targets!r}")
        checked: list[Target] = []
        for t in raw:
            ct = _check_target(t, owner)
            if ct not in checked:
                checked.append(ct)
        if not checked:
            raise ValueError(f"Route {owner!r}: targets must not be empty")
        if fallback is not None and multi_target:
            raise ValueError(f"Route {owner!r}: fallback cannot be combined with multi_target=True")
        fb: Target | None = None
        if fallback is not None:
            fb = _check_target(fallback, owner)
            if fb not in checked:
                checked.append(fb)
        object.__setattr__(self, "fallback", fb)
        object.__setattr__(self, "multi_target", bool(multi_target))
        self._gate_init(
            func, name, checked, descriptions, default_open=default_open, cache=cache,
            hide=hide, rename_inputs=rename_inputs, emit=emit, wait_for=wait_for,
        )

    def __repr__(self) -> str:
        return f"RouteNode({self._repr_label()}, targets={[str(t) for t in self.targets]!r})"

    def decide(self, result: Any) -> Any:
        """Check the function's result and apply the fallback: a target, a list of targets, ``END``
        or ``None``.
        """
        if result is None and self.fallback is not None:
            result = self.fallback
        if result is None:
            return result
        if self.multi_target:
            # A bare END is rejected too: a multi-target route stops with [] or [END].
            if not isinstance(result, list):
                raise TypeError(
                    f"Route {self.name!r} has multi_target=True and must return a list "
                    f"(or None), got {result!r}; return [] or [END] to route nowhere"
                )
            for item in result:
                self._check_choice(item)
            return result
        if result is END:
            self._check_choice(result)
            return result
        if isinstance(result, list):
            raise TypeError(
                f"Route {self.name!r} returned a list {result!r}; set multi_target=True "
                "to route to several targets"
            )
        self._check_choice(result)
        return result

    def _check_choice(self, choice: Any) -> None:
        if choice is END:
            if END not in self.targets:
                raise ValueError(
                    f"Route {self.name!r} returned END, but END is not among its targets "
                    f"{[str(t) for t in self.targets]}. Add END to targets=[...] to let "
                    "it stop the run"
                )
            return
        if choice == "END":
            warnings.warn(
                f"Route {self.name!r} returned the string 'END'; return the END sentinel",
                UserWarning,
                stacklevel=2,
            )
        if choice not in self.targets:
            valid = ", ".join(str(t) for t in self.targets)
            raise ValueError(
                f"Route {self.name!r} returned invalid target {choice!r}. Valid targets: {valid}"
            )

    def selected_targets(self, decision: Any) -> tuple[str, ...]:
        """The target node names a decision activates (none for ``END`` or ``None``)."""
        if decision is None or decision is END:
            return ()
        if isinstance(decision, list):
            return tuple(d for d in decision if isinstance(d, str))
        return (decision,) if isinstance(decision, str) else ()


class IfElseNode(GateNode[P, R, Spec]):
    """Routes to ``when_true`` or ``when_false`` on a strict ``bool`` result."""

    when_true: Target
    when_false: Target

    def __init__(
        self,
        func: Callable[P, R],
        when_true: Any,
        when_false: Any,
        *,
        cache: bool = False,
        hide: bool = False,
        default_open: bool = True,
        name: str | None = None,
        rename_inputs: Mapping[str, str] | None = None,
        emit: NameArg = None,
        wait_for: NameArg = None,
    ) -> None:
        owner = str(name or getattr(func, "__name__", "ifelse"))
        t = _check_target(when_true, owner)
        f = _check_target(when_false, owner)
        if t == f:
            raise ValueError(f"IfElse {owner!r}: when_true and when_false are both {t!r}")
        object.__setattr__(self, "when_true", t)
        object.__setattr__(self, "when_false", f)
        self._gate_init(
            func, name, [t, f], {True: "True", False: "False"}, default_open=default_open,
            cache=cache, hide=hide, rename_inputs=rename_inputs, emit=emit, wait_for=wait_for,
        )

    def __repr__(self) -> str:
        return (
            f"IfElseNode({self._repr_label()}, true={self.when_true}, false={self.when_false})"
        )

    def decide(self, result: Any) -> Any:
        """Check that the function returned exactly ``True`` or ``False``."""
        if not isinstance(result, bool):
            raise TypeError(
                f"IfElse {self.name!r} must return exactly True or False, got {result!r} "
                f"({type(result).__name__})"
            )
        return result

    def selected_targets(self, decision: Any) -> tuple[str, ...]:
        """The branch a decision activates (none when it is ``END``)."""
        chosen = self.when_true if decision is True else self.when_false
        return (chosen,) if isinstance(chosen, str) else ()


def route(
    targets: Sequence[Any] | Mapping[Any, str],
    *,
    fallback: Any = None,
    multi_target: bool = False,
    cache: bool = False,
    hide: bool = False,
    default_open: bool = True,
    name: str | None = None,
    rename_inputs: Mapping[str, str] | None = None,
    emit: NameArg = None,
    wait_for: NameArg = None,
) -> Callable[[Callable[P, R]], RouteNode[P, R]]:
    """Declare a routing function whose return value picks the next node(s)."""

    def wrap(func: Callable[P, R]) -> RouteNode[P, R]:
        return RouteNode(
            func, targets, fallback=fallback, multi_target=multi_target, cache=cache,
            hide=hide, default_open=default_open, name=name, rename_inputs=rename_inputs,
            emit=emit, wait_for=wait_for,
        )

    return wrap


def ifelse(
    when_true: Any,
    when_false: Any,
    *,
    cache: bool = False,
    hide: bool = False,
    default_open: bool = True,
    name: str | None = None,
    rename_inputs: Mapping[str, str] | None = None,
    emit: NameArg = None,
    wait_for: NameArg = None,
) -> Callable[[Callable[P, bool]], IfElseNode[P, bool]]:
    """Declare a boolean gate: ``True`` activates ``when_true``, ``False`` ``when_false``."""

    def wrap(func: Callable[P, bool]) -> IfElseNode[P, bool]:
        return IfElseNode(
            func, when_true, when_false, cache=cache, hide=hide, default_open=default_open,
            name=name, rename_inputs=rename_inputs, emit=emit, wait_for=wait_for,
        )

    return wrap
