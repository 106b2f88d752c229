"""The compiler: wiring analysis, validation and ``ExecutionPlan`` construction."""

from hypergraph_typed.compiler.plan import ExecutionPlan, NodePlan
from hypergraph_typed.compiler.types import compatible

__all__ = ["ExecutionPlan", "NodePlan", "compatible"]
