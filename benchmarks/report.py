"""Summarise a pytest-benchmark JSON file as a markdown table.

Runs no benchmarks itself. Usage::

    python benchmarks/report.py bench.json [more.json ...]

With several files (the same benchmarks run several times), each row shows the median
of the runs' means, which a busy machine disturbs less than any single run.

Each runner row is compared with the baseline of its own kind from the same run
(``sync`` with the plain loop, ``async`` with the plain ``async def`` on the same
event loop); the overhead per node is ``(runner - baseline) / nodes``. "vs direct"
compares every runner with the plain loop itself (the functions called directly).
"""

from __future__ import annotations

import json
import statistics
import sys
from typing import Any

# Each row is compared with the row of its baseline runner in the same case: runners
# with the plain loop, edge checks and progress with both off, durable stores with memory.
BASELINE_OF = {
    "sync": "baseline", "async": "async-baseline",
    "sync-edges": "sync-off", "async-edges": "async-off",
    "sqlite": "memory", "postgres": "memory",
    "sync-events": "sync-off", "sync-progress": "sync-off",
    "async-events": "async-off", "async-progress": "async-off",
    "chat-memory": "async-baseline", "chat-sqlite": "async-baseline",
}
# Durable stores: memory and SQLite beside the stateless flow, PostgreSQL beside one raw
# INSERT + COMMIT on the same database (its exchange is bound by commits).
CASE_BASELINE_OF = {
    ("checkpoint-pause-resume", "memory"): "stateless",
    ("checkpoint-pause-resume", "sqlite"): "stateless",
    ("checkpoint-pause-resume", "postgres"): "postgres-commit",
    ("checkpoint-pause-resume", "sqlite-statements"): "stateless",
    ("checkpoint-pause-resume", "postgres-statements"): "postgres-commit",
}
RUNNER_ORDER = (
    "baseline", "async-baseline", "sync", "async", "sync-off", "sync-edges", "async-off",
    "async-edges", "stateless", "sqlite-commit", "postgres-commit", "postgres-commit-async",
    "memory", "sqlite", "sqlite-statements",
    "postgres", "postgres-statements", "sync-events", "sync-progress", "async-events", "async-progress",
    "chat-memory", "chat-sqlite",
)


def load_all(paths: list[str]) -> dict[tuple[str, str], dict[str, Any]]:
    """``load`` each file; each row's mean is the median over the files that have it."""
    runs = [load(p) for p in paths]
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for key in {k for run in runs for k in run}:
        means = [run[key]["mean_us"] for run in runs if key in run]
        nodes = next(run[key]["nodes"] for run in runs if key in run)
        rows[key] = {"mean_us": statistics.median(means), "nodes": nodes}
    return rows


def load(path: str) -> dict[tuple[str, str], dict[str, Any]]:
    with open(path, encoding="utf-8") as fh:
        data = json.load(fh)
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for b in data["benchmarks"]:
        info = b.get("extra_info", {})
        if "case" not in info or "runner" not in info:
            continue
        rows[(info["case"], info["runner"])] = {
            # a round may repeat the case (``per_round``); report one repetition
            "mean_us": b["stats"]["mean"] * 1e6 / int(info.get("per_round", 1)),
            "nodes": int(info.get("nodes", 0)),
        }
    return rows


def _case_key(case: str) -> tuple[str, int]:
    kind, _, size = case.rpartition("-")
    return (kind, int(size)) if size.isdigit() else (case, 0)


def render(rows: dict[tuple[str, str], dict[str, Any]]) -> str:
    lines = [
        "| case | nodes | runner | mean µs | baseline mean µs | ratio | vs direct "
        "| overhead µs/node |",
        "|---|---:|---|---:|---:|---:|---:|---:|",
    ]
    cases = sorted({c for c, _ in rows}, key=_case_key)
    for case in cases:
        for runner in RUNNER_ORDER:
            row = rows.get((case, runner))
            if row is None:
                continue
            nodes = row["nodes"]
            direct = rows.get((case, "baseline"))
            vs_direct = (
                f"{row['mean_us'] / direct['mean_us']:.1f}x"
                if direct and runner != "baseline" else "–"
            )
            base_runner = CASE_BASELINE_OF.get((case, runner), BASELINE_OF.get(runner, ""))
            base = rows.get((case, base_runner))
            if base is None:
                lines.append(
                    f"| {case} | {nodes} | {runner} | {row['mean_us']:.2f} | – | – | "
                    f"{vs_direct} | – |"
                )
                continue
            ratio = row["mean_us"] / base["mean_us"]
            per_node = (row["mean_us"] - base["mean_us"]) / nodes if nodes else float("nan")
            lines.append(
                f"| {case} | {nodes} | {runner} | {row['mean_us']:.2f} | "
                f"{base['mean_us']:.2f} | {ratio:.1f}x | {vs_direct} | {per_node:.2f} |"
            )
    growth = []
    for runner in RUNNER_ORDER:
        small = rows.get(("chain-100", runner))
        large = rows.get(("chain-1000", runner))
        if small and large:
            growth.append(
                f"| {runner} | {small['mean_us']:.2f} | {large['mean_us']:.2f} | "
                f"{large['mean_us'] / small['mean_us']:.2f}x |"
            )
    if growth:
        lines += [
            "",
            "Chain growth, 1,000 vs 100 nodes (linear is ~10x):",
            "",
            "| runner | chain-100 µs | chain-1000 µs | growth |",
            "|---|---:|---:|---:|",
            *growth,
        ]
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print("usage: python benchmarks/report.py BENCH_JSON [BENCH_JSON ...]", file=sys.stderr)
        return 2
    print(render(load_all(argv[1:])))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
