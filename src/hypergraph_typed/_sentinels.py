"""Process-wide sentinels: ``END`` (route to no node) and the emit signal value."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final, final

if TYPE_CHECKING:
    # Statically END is a ``str``: routes are annotated ``-> str`` (as hypergraph's docs
    # write them) and return either a target name or END. At run time END is not a str.
    _EndBase = str
else:
    _EndBase = object


@final
class EndType(_EndBase):
    """The type of ``END``: a unique, uncallable marker meaning "route to no node".

    Use it in annotations of routes that return precise names, e.g.
    ``-> Literal["retry", "publish"] | EndType``. Type checkers treat it as a subtype
    of ``str``, so ``-> str`` routes may ``return END`` too; at run time ``END`` is not a
    string (``isinstance(END, str)`` is False, ``END != "END"``): test it with ``is END``.
    """

    _instance: EndType | None = None

    def __new__(cls) -> EndType:
        if cls._instance is not None:
            raise TypeError("END is a sentinel; use `END` itself, do not call it")
        inst = object.__new__(cls)
        cls._instance = inst
        return inst

    def __repr__(self) -> str:
        return "END"

    __str__ = __repr__

    def __reduce__(self) -> str:
        return "END"

    def __copy__(self) -> EndType:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> EndType:
        return self


_EndType = EndType  # the former private name, kept for imports that used it

END: Final[EndType] = EndType()


@final
class _EmitSentinelType:
    """Value written for emit (ordering-only) signals."""

    def __repr__(self) -> str:
        return "<emit>"

    def __reduce__(self) -> str:
        return "_EMIT_SENTINEL"


_EMIT_SENTINEL: Final = _EmitSentinelType()


@final
class _MissingType:
    """Marks an empty value slot in run state (distinct from a stored ``None``)."""

    def __repr__(self) -> str:
        return "<missing>"


MISSING: Final = _MissingType()
