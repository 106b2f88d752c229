"""``@interrupt`` / ``InterruptNode``: a node whose handler may pause the run by returning None."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from typing_extensions import ParamSpec, TypeVar

from hypergraph_typed.nodes import _introspect as intro
from hypergraph_typed.nodes.function import FunctionNode, NameArg

P = ParamSpec("P")
R = TypeVar("R")
# Set by the mypy plugin (hypergraph_typed_mypy) on objects whose wiring it knows;
# ``Any`` otherwise, so annotations without it keep working.
Spec = TypeVar("Spec", covariant=True, default=Any)


class InterruptNode(FunctionNode[P, R, Spec]):
    """A pause point. The handler's ``None`` pauses; any other value resolves the node."""

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
        label = name or getattr(func, "__name__", repr(func))
        if output_name is None:
            raise TypeError(
                f"InterruptNode requires output_name: name the value(s) the answer to "
                f"{label!r} is stored under, e.g. @interrupt(output_name='decision')"
            )
        if callable(func) and intro.is_generator_callable(func):
            # Fixed hypergraph quirk: a generator handler would be taken as the answer.
            raise TypeError(
                f"Interrupt handler {label!r} is a generator; handlers must return the "
                "answer (or None to pause), not yield it"
            )
        super().__init__(
            source, name, output_name, rename_inputs=rename_inputs, cache=cache,
            hide=hide, emit=emit, wait_for=wait_for,
        )

    @property
    def is_interrupt(self) -> bool:  # type: ignore[override]
        """Always ``True``: the run may pause here."""
        return True

    def resolve_handler_result(self, result: Any) -> tuple[Any, ...]:
        """Map a non-None handler result onto the data outputs, in order."""
        outs = self.data_outputs
        if len(outs) == 1:
            return (result,)
        if not isinstance(result, dict):
            # Fixed hypergraph quirk: a non-dict would silently fill only the first output.
            raise TypeError(
                f"Interrupt {self.name!r} has outputs {outs!r}; its handler must return a "
                f"dict with exactly those keys, got {type(result).__name__}"
            )
        missing = [o for o in outs if o not in result]
        extra = [k for k in result if k not in outs]
        if missing or extra:
            raise ValueError(
                f"Interrupt {self.name!r} handler returned keys {list(result)!r}; "
                f"missing {missing!r}, extra {extra!r}. Expected exactly {list(outs)!r}"
            )
        return tuple(result[o] for o in outs)


def interrupt(
    output_name: str | tuple[str, ...],
    *,
    rename_inputs: Mapping[str, str] | None = None,
    cache: bool = False,
    emit: NameArg = None,
    wait_for: NameArg = None,
    hide: bool = False,
) -> Callable[[Callable[P, R]], InterruptNode[P, R]]:
    """Declare a pause point; inputs from the signature, answer slot(s) from ``output_name``."""
    if callable(output_name):
        raise TypeError("@interrupt needs output_name: write @interrupt(output_name='...')")

    def wrap(func: Callable[P, R]) -> InterruptNode[P, R]:
        return InterruptNode(
            func, None, output_name, rename_inputs=rename_inputs, cache=cache,
            hide=hide, emit=emit, wait_for=wait_for,
        )

    return wrap
