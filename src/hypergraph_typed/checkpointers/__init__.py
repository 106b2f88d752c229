"""Checkpointers: persist runs and step records so workflows can pause, resume, fork and retry."""

from hypergraph_typed.checkpointers._records import (
    Checkpoint,
    PauseRecord,
    Run,
    StepRecord,
    StepStatus,
    WorkflowStatus,
)
from hypergraph_typed.checkpointers._tables import LineageRow, LineageView, RunTable, StepTable
from hypergraph_typed.checkpointers.base import Checkpointer, SyncCheckpointerProtocol
from hypergraph_typed.checkpointers.inspector import RunInspector, SqliteRunInspector
from hypergraph_typed.checkpointers.memory import MemoryCheckpointer
from hypergraph_typed.checkpointers.policy import CheckpointPolicy
from hypergraph_typed.checkpointers.postgres import PostgresCheckpointer
from hypergraph_typed.checkpointers.serializers import (
    JsonSerializer,
    PickleSerializer,
    Serializer,
    UndecodableValueError,
    UnsupportedValueError,
)
from hypergraph_typed.checkpointers.sqlite import SqliteCheckpointer
from hypergraph_typed.checkpointers.store import StoreCheckpointer

__all__ = [
    "Checkpoint",
    "CheckpointPolicy",
    "Checkpointer",
    "JsonSerializer",
    "LineageRow",
    "LineageView",
    "MemoryCheckpointer",
    "PauseRecord",
    "PickleSerializer",
    "PostgresCheckpointer",
    "Run",
    "RunInspector",
    "RunTable",
    "Serializer",
    "SqliteCheckpointer",
    "SqliteRunInspector",
    "StepRecord",
    "StepStatus",
    "StepTable",
    "StoreCheckpointer",
    "SyncCheckpointerProtocol",
    "UndecodableValueError",
    "UnsupportedValueError",
    "WorkflowStatus",
]
