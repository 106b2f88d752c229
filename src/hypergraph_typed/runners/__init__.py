"""Runners interpret compiled plans: ``SyncRunner`` and ``AsyncRunner`` plus result types."""

from hypergraph_typed.runners.async_runner import AsyncRunner
from hypergraph_typed.runners.base import BaseRunner
from hypergraph_typed.runners.sync_runner import SyncRunner
from hypergraph_typed.runtime.results import (
    ErrorHandling,
    MapLog,
    MapResult,
    NodeRecord,
    NodeStats,
    PauseInfo,
    RunLog,
    RunnerCapabilities,
    RunResult,
    RunStatus,
)
from hypergraph_typed.runtime.state import GraphState, NodeExecution, PauseExecution

__all__ = [
    "AsyncRunner",
    "BaseRunner",
    "ErrorHandling",
    "GraphState",
    "MapLog",
    "MapResult",
    "NodeExecution",
    "NodeRecord",
    "NodeStats",
    "PauseExecution",
    "PauseInfo",
    "RunLog",
    "RunResult",
    "RunStatus",
    "RunnerCapabilities",
    "SyncRunner",
]
