"""mypy plugin for hypergraph_typed: wiring mistakes become type errors.

Enable it with ``plugins = ["hypergraph_typed_mypy"]`` in the ``[tool.mypy]`` table
(or ``plugins = hypergraph_typed_mypy`` in ``mypy.ini``).
"""

from __future__ import annotations

import hashlib
import importlib.util
from pathlib import Path

from mypy.plugin import Plugin

# The library code the plugin runs (its wiring analysis on stand-in nodes).
_RULES = ("compiler", "nodes", "_sentinels.py", "exceptions.py")


def _fingerprint() -> str:
    """A hash of the plugin's sources and the library rules it applies.

    mypy keys its cache on the plugin module's ``__version__``; hashing every file the
    checks depend on makes a changed rule invalidate cached results. The library is
    located without importing it: importing it costs more than a warm re-check of a
    small module.
    """
    spec = importlib.util.find_spec("hypergraph_typed")
    here = Path(__file__).parent
    files = sorted(here.glob("*.py"))
    if spec is not None and spec.origin is not None:
        library = Path(spec.origin).parent
        for rule in _RULES:
            path = library / rule
            files += sorted(path.rglob("*.py")) if path.is_dir() else [path]
    h = hashlib.sha256()
    for path in files:
        h.update(path.name.encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


__version__ = f"0.1.0+{_fingerprint()}"


def plugin(version: str) -> type[Plugin]:
    """mypy's entry point."""
    from hypergraph_typed_mypy._library import register_lazily

    register_lazily()
    from hypergraph_typed_mypy._plugin import HypergraphPlugin

    return HypergraphPlugin
