"""Run a graph on either runner through one synchronous call (shared by the tests)."""

from __future__ import annotations

import asyncio
from typing import Any

from hypergraph_typed import AsyncRunner, MapResult, RunResult, SyncRunner


class RunnerHarness:
    """Calls ``run``/``map`` on a SyncRunner or an AsyncRunner with the same signature."""

    def __init__(self, kind: str, **options: Any) -> None:
        self.kind = kind
        self.runner: Any = SyncRunner(**options) if kind == "sync" else AsyncRunner(**options)

    def run(self, graph: Any, values: Any = None, **kwargs: Any) -> RunResult:
        if self.kind == "sync":
            return self.runner.run(graph, values, **kwargs)  # type: ignore[no-any-return]
        return asyncio.run(self.runner.run(graph, values, **kwargs))  # type: ignore[no-any-return]

    def map(self, graph: Any, values: Any = None, **kwargs: Any) -> MapResult:
        if self.kind == "sync":
            return self.runner.map(graph, values, **kwargs)  # type: ignore[no-any-return]
        return asyncio.run(self.runner.map(graph, values, **kwargs))  # type: ignore[no-any-return]
