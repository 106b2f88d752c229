"""Process-wide sentinels: ``END`` (route to no node) and the emit signal value."""

from __future__ import annotations

from typing import Any, Final, final


@final
class _EndType:
    """The type of ``END``: a unique, uncallable marker meaning "route to no node"."""

    _instance: _EndType | None = None

    def __new__(cls) -> _EndType:
        if cls._instance is not None:
            raise TypeError("END is a sentinel; use `END` itself, do not call it")
        inst = super().__new__(cls)
        cls._instance = inst
        return inst

    def __repr__(self) -> str:
        return "END"

    __str__ = __repr__

    def __reduce__(self) -> str:
        return "END"

    def __copy__(self) -> _EndType:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> _EndType:
        return self


END: Final = _EndType()


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
