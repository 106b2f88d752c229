"""The plugin imports only the library modules its analysis runs.

``hypergraph_typed/__init__.py`` imports the whole library (stores, runners, events);
the plugin registers the package without running it, so a mypy process loads only the
compiler and the nodes. The first name read from the package completes it. Each case
runs in a fresh interpreter, as mypy loads the plugin.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap


def _run(code: str) -> str:
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


def test_the_plugin_loads_the_analysis_without_the_whole_library() -> None:
    out = _run("""
        import json, sys
        import hypergraph_typed_mypy
        hypergraph_typed_mypy.plugin("2.4")
        loaded = {m.split(".")[1] for m in sys.modules if m.startswith("hypergraph_typed.")}
        print(json.dumps(sorted(loaded)))
    """)
    loaded = set(json.loads(out))
    assert {"compiler", "nodes"} <= loaded
    assert not loaded & {"checkpointers", "runners", "events", "cache", "runtime", "cli"}


def test_the_first_name_read_completes_the_package() -> None:
    out = _run("""
        import hypergraph_typed_mypy
        hypergraph_typed_mypy.plugin("2.4")
        from hypergraph_typed import Graph, SyncRunner, node, __version__

        @node(output_name="y")
        def f(x: int) -> int:
            return x + 1

        import hypergraph_typed
        print(SyncRunner().run(Graph([f]), x=1)["y"], hypergraph_typed.RunResult.__name__)
    """)
    assert out == "2 RunResult"


def test_an_imported_library_is_left_alone() -> None:
    out = _run("""
        import hypergraph_typed
        import hypergraph_typed_mypy
        hypergraph_typed_mypy.plugin("2.4")
        import sys
        print(sys.modules["hypergraph_typed"] is hypergraph_typed, "__getattr__" in vars(hypergraph_typed))
    """)
    assert out == "True False"
