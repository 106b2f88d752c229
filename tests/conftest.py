"""Shared fixtures: run a graph on either runner through one synchronous helper."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from hypergraph_typed import AsyncRunner, MapResult, RunResult, SyncRunner


class RunnerHarness:
    """Calls ``run``/``map`` on a SyncRunner or an AsyncRunner with the same signature."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.runner = SyncRunner() if kind == "sync" else AsyncRunner()

    def run(self, graph: Any, values: Any = None, **kwargs: Any) -> RunResult:
        if self.kind == "sync":
            return self.runner.run(graph, values, **kwargs)  # type: ignore[no-any-return]
        return asyncio.run(self.runner.run(graph, values, **kwargs))  # type: ignore[no-any-return]

    def map(self, graph: Any, values: Any = None, **kwargs: Any) -> MapResult:
        if self.kind == "sync":
            return self.runner.map(graph, values, **kwargs)  # type: ignore[no-any-return]
        return asyncio.run(self.runner.map(graph, values, **kwargs))  # type: ignore[no-any-return]


@pytest.fixture(params=["sync", "async"])
def runner(request: pytest.FixtureRequest) -> RunnerHarness:
    """Parametrizes a test over both runners."""
    return RunnerHarness(request.param)


@pytest.fixture
def run_async() -> Callable[..., Any]:
    return asyncio.run
