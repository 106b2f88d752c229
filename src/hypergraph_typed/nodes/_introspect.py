"""Reading what a plain function declares: parameters, defaults, annotations, hash."""

from __future__ import annotations

import functools
import hashlib
import inspect
import os
import sys
import types
import typing
from collections.abc import Callable
from typing import Any

_SKIP_KINDS = (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)


def signature_params(func: Callable[..., Any]) -> tuple[tuple[str, ...], dict[str, Any]]:
    """Parameter names (``*args``/``**kwargs`` excluded) and their defaults."""
    sig = inspect.signature(func)
    names: list[str] = []
    defaults: dict[str, Any] = {}
    for p in sig.parameters.values():
        if p.kind in _SKIP_KINDS:
            continue
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
    try:
        return typing.get_type_hints(func, include_extras=True)
    except Exception:
        return {}


def raw_annotations(func: Callable[..., Any]) -> dict[str, Any]:
    return dict(getattr(func, "__annotations__", {}) or {})


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
    return inspect.iscoroutinefunction(func) or inspect.isasyncgenfunction(func)


def is_generator_callable(func: Callable[..., Any]) -> bool:
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
