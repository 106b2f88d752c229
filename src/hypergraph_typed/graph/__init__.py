"""The declarative graph: ``Graph``, ``InputSpec`` and ``GraphConfigError``."""

from hypergraph_typed.compiler.scope import InputSpec
from hypergraph_typed.exceptions import GraphConfigError
from hypergraph_typed.graph.core import Graph, compute_input_spec, validate_graph

__all__ = ["Graph", "GraphConfigError", "InputSpec", "compute_input_spec", "validate_graph"]
