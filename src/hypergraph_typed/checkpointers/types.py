"""Persisted types: runs, step records, checkpoints, and the tables the read API returns."""

from hypergraph_typed.checkpointers._records import (
    Checkpoint,
    Run,
    StepRecord,
    StepStatus,
    WorkflowStatus,
)
from hypergraph_typed.checkpointers._tables import LineageRow, LineageView, RunTable, StepTable
from hypergraph_typed.checkpointers.policy import CheckpointPolicy

__all__ = [
    "Checkpoint",
    "CheckpointPolicy",
    "LineageRow",
    "LineageView",
    "Run",
    "RunTable",
    "StepRecord",
    "StepStatus",
    "StepTable",
    "WorkflowStatus",
]
