"""Reading what a plain function declares: parameters, defaults, annotations, hash."""

from __future__ import annotations

import functools
import hashlib
import inspect
import os
import sys
import types
import typing
from collections.abc import Callable, Iterator, Mapping
from typing import Any


def signature_params(func: Callable[..., Any]) -> tuple[tuple[str, ...], dict[str, Any]]:
    """Parameter names in signature order and their defaults.

    ``*args`` and ``**kwargs`` count as inputs named ``args`` and ``kwargs``, without a
    default, as hypergraph reports them; their values are passed by keyword.
    """
    sig = inspect.signature(func)
    names: list[str] = []
    defaults: dict[str, Any] = {}
    for p in sig.parameters.values():
        names.append(p.name)
        if p.default is not inspect.Parameter.empty:
            defaults[p.name] = p.default
    return tuple(names), defaults


def positional_callable(func: Callable[..., Any]) -> bool:
    """True when every parameter can be passed positionally in signature order."""
    try:
        sig = inspect.signature(func)
    except (TypeError, ValueError):
        return False
    return all(
        p.kind in (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
        for p in sig.parameters.values()
    )


def type_hints(func: Callable[..., Any]) -> dict[str, Any]:
    """Resolved annotations (forward references included); ``{}`` when unresolvable."""
    return dict(LazyHints(func))


def raw_annotations(func: Callable[..., Any]) -> dict[str, Any]:
    """The function's ``__annotations__`` as written (unresolved)."""
    return dict(getattr(func, "__annotations__", {}) or {})


def annotation_owner(func: Callable[..., Any]) -> Any:
    """The object whose annotations describe a call of ``func``.

    A partial is described by the function it wraps, a callable instance by its
    ``__call__`` and a class by its ``__init__`` (the return type is the class itself).
    """
    while isinstance(func, functools.partial):
        func = func.func
    if inspect.isroutine(func):
        return func
    if inspect.isclass(func):
        return func.__init__
    try:
        call = type(func).__call__
    except AttributeError:
        return func
    return call if inspect.isroutine(call) else func


def _globals_of(owner: Any) -> dict[str, Any]:
    target = owner
    while hasattr(target, "__wrapped__"):
        target = target.__wrapped__
    globalns = getattr(target, "__globals__", None)
    return globalns if isinstance(globalns, dict) else {}


class LazyHints(Mapping[str, Any]):
    """A callable's resolved annotations, computed on first use instead of at decoration.

    Decoration runs while the module is still loading, so a string annotation naming a
    class defined further down cannot be resolved yet. Resolution is attempted when the
    hints are first needed (a strict graph, an edge check); a success is cached, a failure
    is retried once the module's globals have grown. Reads as ``{}`` while unresolvable,
    so only code that asks for types (strict graphs, runtime checks) ever notices.
    """

    __slots__ = ("_failed_at", "_func", "_hints")

    def __init__(self, func: Callable[..., Any]) -> None:
        self._func = func
        self._hints: dict[str, Any] | None = None
        self._failed_at = -2

    def resolve(self) -> dict[str, Any] | None:
        """The resolved hints, or ``None`` while some annotation cannot be resolved."""
        hints = self._hints
        if hints is not None:
            return hints
        owner = annotation_owner(self._func)
        globalns = _globals_of(owner)
        size = len(globalns)
        if size == self._failed_at:
            return None
        try:
            hints = typing.get_type_hints(owner, include_extras=True)
        except Exception:
            self._failed_at = size
            return None
        if inspect.isclass(self._func):
            hints.pop("self", None)
            hints["return"] = self._func
        elif owner is not self._func and not isinstance(self._func, functools.partial):
            hints.pop("self", None)  # a callable instance's __call__
        self._hints = hints
        return hints

    def unresolved(self) -> tuple[tuple[str, str, str], ...]:
        """``(key, annotation, reason)`` for each annotation that cannot be resolved now.

        ``key`` is a parameter name or ``"return"``. Used only to explain a failure.
        """
        owner = annotation_owner(self._func)
        globalns = _globals_of(owner)
        out: list[tuple[str, str, str]] = []
        for key, raw in raw_annotations(owner).items():
            try:
                _resolve_one(raw, globalns)
            except Exception as exc:
                text = raw if isinstance(raw, str) else repr(raw)
                out.append((key, text, _reason(exc)))
        return tuple(out)

    def __getitem__(self, key: str) -> Any:
        return (self.resolve() or {})[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.resolve() or {})

    def __len__(self) -> int:
        return len(self.resolve() or {})

    def __repr__(self) -> str:
        hints = self.resolve()
        return f"LazyHints({hints!r})" if hints is not None else "LazyHints(<unresolved>)"


def _resolve_one(annotation: Any, globalns: dict[str, Any]) -> Any:
    def probe() -> None: ...

    probe.__annotations__ = {"value": annotation}
    return typing.get_type_hints(probe, globalns=globalns, include_extras=True)["value"]


def _reason(exc: BaseException) -> str:
    if isinstance(exc, NameError) and getattr(exc, "name", None):
        return f"name {exc.name!r} is not defined"
    return f"{type(exc).__name__}: {exc}"


def definition_hash(func: Callable[..., Any]) -> str:
    """SHA-256 of the source; falls back to bytecode, then to ``module:qualname``. Never raises."""
    if isinstance(func, functools.partial):
        # A partial has no source of its own: hash the wrapped function and the bound args.
        try:
            bound = repr((func.args, sorted(func.keywords.items())))
        except Exception:
            bound = ""
        inner = definition_hash(func.func)
        return hashlib.sha256(f"partial:{inner}:{bound}".encode()).hexdigest()
    try:
        # A callable instance is defined by its class.
        target = func if inspect.isroutine(func) or inspect.isclass(func) else type(func)
        src = inspect.getsource(target)
        return hashlib.sha256(src.encode()).hexdigest()
    except Exception:
        pass
    try:
        parts = [
            _code_fingerprint(func.__code__),
            repr(getattr(func, "__defaults__", None)).encode(),
        ]
        closure = getattr(func, "__closure__", None) or ()
        parts.extend(repr(c.cell_contents).encode() for c in closure)
        return hashlib.sha256(b"\x00".join(parts)).hexdigest()
    except Exception:
        pass
    try:
        # Callable instances and partials have no qualname; their type's is address-free.
        owner = func if hasattr(func, "__qualname__") else type(func)
        ident = f"{getattr(owner, '__module__', '?')}:{owner.__qualname__}"
    except Exception:
        ident = "unknown"
    return hashlib.sha256(ident.encode()).hexdigest()


def _code_fingerprint(code: types.CodeType) -> bytes:
    """Bytecode, referenced names and constants; nested code objects (lambdas,
    comprehensions) are fingerprinted recursively, because their ``repr`` holds a
    memory address and would make the hash differ between processes."""
    parts = [code.co_code, repr(code.co_names).encode()]
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            parts.append(_code_fingerprint(const))
        else:
            parts.append(repr(const).encode())
    return b"\x01".join(parts)


def user_stacklevel() -> int:
    """``stacklevel`` for ``warnings.warn`` in the caller that points at the first frame
    outside this package, so a warning names the user's line, however deep the call."""
    package_dir = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    frame = sys._getframe(1)
    level = 1
    while frame.f_back is not None and os.path.abspath(frame.f_code.co_filename).startswith(
        package_dir + os.sep
    ):
        frame = frame.f_back
        level += 1
    return level


def is_async_callable(func: Callable[..., Any]) -> bool:
    """True for ``async def`` functions and async generators."""
    return inspect.iscoroutinefunction(func) or inspect.isasyncgenfunction(func)


def is_generator_callable(func: Callable[..., Any]) -> bool:
    """True for generator and async generator functions."""
    return inspect.isgeneratorfunction(func) or inspect.isasyncgenfunction(func)


def normalize_names(value: object, what: str, owner: str) -> tuple[str, ...]:
    """``None | str | tuple/list of str`` -> tuple; anything else is a clear TypeError."""
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, (tuple, list)) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise TypeError(
        f"{what} of {owner!r} must be a str or a tuple of str, got {value!r} "
        f"({type(value).__name__})"
    )
