"""Import the library modules the plugin runs without running the library's ``__init__``.

``import hypergraph_typed.compiler.structure`` first runs ``hypergraph_typed/__init__.py``,
which imports the whole library (runners, stores, events, cache). In a mypy process that
costs about three times what the modules the plugin needs (nodes, compiler) cost, and it
was most of the plugin's share of a warm re-check. So the package is registered without
running its ``__init__``; the first attribute read from it (``from hypergraph_typed import
Graph`` in the same process) runs it then, and the package is complete from there on.
"""

from __future__ import annotations

import importlib.util
import sys
from typing import Any

PACKAGE = "hypergraph_typed"


def register_lazily() -> None:
    """Make ``hypergraph_typed`` importable piecewise (no effect if already imported)."""
    if PACKAGE in sys.modules:
        return
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or spec.loader is None or spec.submodule_search_locations is None:
        return  # not installed as a package: the plugin's imports report it
    module = importlib.util.module_from_spec(spec)
    loader = spec.loader

    def complete(name: str) -> Any:
        # Runs once: the package's own __init__ defines every public name.
        del module.__dict__["__getattr__"]
        loader.exec_module(module)
        return getattr(module, name)

    module.__dict__["__getattr__"] = complete
    sys.modules[PACKAGE] = module
