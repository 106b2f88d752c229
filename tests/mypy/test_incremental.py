"""The plugin's facts survive mypy's incremental cache.

A graph declared in one module and run in another must be checked the same way when
the declaring module is analysed afresh (cold cache) and when it is loaded from the
cache (warm): the node and graph specs travel inside the cached types.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

PIPELINE = '''
from hypergraph_typed import Graph, interrupt, node

@node(output_name="doubled")
def double(x: int) -> int:
    return x * 2

@interrupt(output_name="decision")
def approval(doubled: int) -> str | None:
    return None

graph = Graph([double, approval], name="pipeline")
renamed = double.with_outputs(doubled="twice")
'''

MAIN = '''
from hypergraph_typed import AsyncRunner, Graph, SyncRunner
from pipeline import graph, renamed

async def main() -> None:
    result = await AsyncRunner().run(graph, {"x": 1, "decision": 2})
    reveal_type(result["decision"])
    result["nope"]
    outer = Graph([graph.as_node(), renamed])
    await AsyncRunner().run(outer, {"x": 1, "pipeline.decision": "ok"})
    reveal_type(SyncRunner().run(Graph([renamed]), x=1)["twice"])
'''

EXPECTED = [
    'main.py:6: error: Resume answer "decision" has type "int", but the interrupt answers '
    'with "str"  [hg-value]',
    'main.py:7: note: Revealed type is "str"',
    'main.py:8: error: "nope" is not an output of the graph (the graph\'s outputs are '
    '"doubled", "decision"); results hold only outputs  [hg-key]',
    'main.py:11: note: Revealed type is "int"',
]


def _mypy(project: Path) -> list[str]:
    proc = subprocess.run(
        [
            sys.executable, "-m", "mypy", "--strict", "--no-error-summary",
            "--hide-error-context", "--no-pretty", "--cache-dir", str(project / ".cache"),
            "--config-file", str(project / "mypy.ini"), "main.py",
        ],
        cwd=project, capture_output=True, text=True, check=False,
    )
    assert proc.stderr == "", proc.stderr
    return proc.stdout.splitlines()


def test_specs_survive_the_incremental_cache(tmp_path: Path) -> None:
    (tmp_path / "mypy.ini").write_text("[mypy]\nplugins = hypergraph_typed_mypy\n")
    (tmp_path / "pipeline.py").write_text(PIPELINE)
    main = tmp_path / "main.py"
    main.write_text(MAIN.replace('"x": 1, "decision": 2', '"x": 1, "decision": "ok"'))
    # Cold: everything is analysed; this run has no errors in main.py except line 8.
    cold = _mypy(tmp_path)
    assert [line for line in cold if "error" in line] == [EXPECTED[2]]
    # Warm: only main.py changed, pipeline.py (and its graph) comes from the cache.
    main.write_text(MAIN)
    warm = _mypy(tmp_path)
    assert sorted(warm) == sorted(EXPECTED)
    # Warm again with the declaring module changed: the new declaration is used.
    (tmp_path / "pipeline.py").write_text(PIPELINE.replace("str | None", "int | None"))
    changed = _mypy(tmp_path)
    assert 'main.py:6: error: Resume answer "decision"' not in "\n".join(changed)
    assert 'main.py:7: note: Revealed type is "int"' in changed
