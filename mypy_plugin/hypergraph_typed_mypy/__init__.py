"""mypy plugin for hypergraph_typed: wiring mistakes become type errors.

Enable it with ``plugins = ["hypergraph_typed_mypy"]`` in the ``[tool.mypy]`` table
(or ``plugins = hypergraph_typed_mypy`` in ``mypy.ini``).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from mypy.plugin import Plugin


def _fingerprint() -> str:
    """A hash of the plugin's sources and the library rules it applies.

    mypy keys its cache on the plugin module's ``__version__``; hashing every file the
    checks depend on makes a changed rule invalidate cached results.
    """
    import hypergraph_typed

    here = Path(__file__).parent
    library = Path(hypergraph_typed.__file__).parent
    files = sorted(here.glob("*.py")) + sorted(library.rglob("*.py"))
    h = hashlib.sha256()
    for path in files:
        h.update(path.name.encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


__version__ = f"0.1.0+{_fingerprint()}"


def plugin(version: str) -> type[Plugin]:
    """mypy's entry point."""
    from hypergraph_typed_mypy._plugin import HypergraphPlugin

    return HypergraphPlugin
