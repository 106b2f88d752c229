"""Fail when pyright's type completeness of the public API drops below a threshold.

``pyright --verifytypes`` reports the share of exported symbols whose types are fully
known. pyright skips packages installed in editable mode, so the sources are put on
``PYTHONPATH``. Usage: ``python tests/typing/verifytypes.py MIN_PERCENT``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def completeness() -> float:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    pyright = Path(sys.executable).parent / "pyright"
    proc = subprocess.run(
        [str(pyright), "--pythonpath", sys.executable, "--outputjson", "--ignoreexternal",
         "--verifytypes", "hypergraph_typed"],
        cwd=ROOT / "tests" / "typing", env=env, capture_output=True, text=True, check=False,
    )
    report = json.loads(proc.stdout)
    return float(report["typeCompleteness"]["completenessScore"]) * 100


def main() -> None:
    minimum = float(sys.argv[1])
    score = completeness()
    print(f"pyright --verifytypes hypergraph_typed: {score:.2f}% (minimum {minimum:g}%)")
    if score < minimum:
        raise SystemExit(
            "Type completeness dropped: annotate the public symbols pyright lists with "
            "`pyright --verifytypes hypergraph_typed --ignoreexternal` (PYTHONPATH=src)"
        )


if __name__ == "__main__":
    main()
