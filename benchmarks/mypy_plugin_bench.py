"""The mypy plugin's cost: mypy with the plugin against plain mypy on generated graphs.

Each case writes one module: a chain of N ``@node`` functions (``f_i(v_i: int) -> int``
producing ``v_{i+1}``), ``Graph([...])`` over all of them, one run and 100 reads of
``result["v_k"]``. mypy (``--strict``) checks it

- cold: with an empty cache directory, so the library and the standard library are
  analysed too;
- warm: again after the module changed (a new comment), so only that module is
  re-checked while everything else comes from the cache, as in an editor session.

Each is timed with the plugin enabled and without it, in a fresh subprocess, and the
report gives the median seconds and the ratio plugin / plain. It is a script, not a
test (timings never go into unit tests); run it from the repository root::

    .venv/bin/python benchmarks/mypy_plugin_bench.py            # 300 and 1,000 nodes
    .venv/bin/python benchmarks/mypy_plugin_bench.py 300 --repeat 5
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

READS = 100


def graph_module(nodes: int, stamp: int) -> str:
    """Source of a module with an ``nodes``-node chain, one run and ``READS`` reads."""
    lines = [
        f"# revision {stamp}",
        "from hypergraph_typed import Graph, SyncRunner, node",
        "",
    ]
    for i in range(nodes):
        lines += [
            f'@node(output_name="v{i + 1}")',
            f"def f{i}(v{i}: int) -> int:",
            f"    return v{i} + 1",
            "",
        ]
    lines.append("graph = Graph([" + ", ".join(f"f{i}" for i in range(nodes)) + "])")
    lines.append('result = SyncRunner().run(graph, {"v0": 0})')
    step = max(1, nodes // READS)
    for k in range(READS):
        lines.append(f'value{k}: int = result["v{(k * step) % nodes + 1}"]')
    return "\n".join(lines) + "\n"


def _mypy(project: Path, plugin: bool) -> float:
    config = project / ("with_plugin.ini" if plugin else "plain.ini")
    cache = project / (".cache-plugin" if plugin else ".cache-plain")
    # Bytecode is written (and then reused), as in a usual environment: otherwise the
    # plugin's and the library's modules would be compiled again by every run.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--config-file", str(config),
         "--cache-dir", str(cache), "graph_module.py"],
        cwd=project, capture_output=True, text=True, check=False, env=env,
    )
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"mypy failed on the generated module:\n{proc.stdout}{proc.stderr}")
    return elapsed


def measure(nodes: int, repeat: int) -> dict[str, float]:
    """Median seconds for cold and warm runs, with and without the plugin.

    Plain and plugin runs alternate within each repetition, so a change in the machine's
    load during the measurement affects both alike.
    """
    times: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp)
        (project / "with_plugin.ini").write_text("[mypy]\nplugins = hypergraph_typed_mypy\n")
        (project / "plain.ini").write_text("[mypy]\n")
        module = project / "graph_module.py"
        stamp = 0
        for _ in range(repeat):
            for plugin in (False, True):
                label = "plugin" if plugin else "plain"
                for cache in project.glob(".cache-*"):
                    subprocess.run(["rm", "-rf", str(cache)], check=True)
                stamp += 1
                module.write_text(graph_module(nodes, stamp))
                times.setdefault(f"{label}-cold", []).append(_mypy(project, plugin))
                stamp += 1
                module.write_text(graph_module(nodes, stamp))
                times.setdefault(f"{label}-warm", []).append(_mypy(project, plugin))
    return {key: statistics.median(values) for key, values in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[300, 1000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print("| nodes | run | plain mypy (s) | with plugin (s) | ratio |")
    print("|---:|---|---:|---:|---:|")
    for nodes in args.sizes:
        t = measure(nodes, args.repeat)
        for run in ("cold", "warm"):
            plain, plugin = t[f"plain-{run}"], t[f"plugin-{run}"]
            print(f"| {nodes} | {run} | {plain:.2f} | {plugin:.2f} | {plugin / plain:.2f}x |")


if __name__ == "__main__":
    main()
