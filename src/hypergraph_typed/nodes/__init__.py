"""Node declarations: immutable descriptions of functions, gates, interrupts and subgraphs."""

from hypergraph_typed._sentinels import _EMIT_SENTINEL, END, EndType
from hypergraph_typed.nodes.base import HyperNode, RenameEntry, RenameError
from hypergraph_typed.nodes.function import FunctionNode, node
from hypergraph_typed.nodes.gate import GateNode, IfElseNode, RouteNode, ifelse, route
from hypergraph_typed.nodes.graph_node import GraphNode
from hypergraph_typed.nodes.interrupt import InterruptNode, interrupt

__all__ = [
    "END",
    "_EMIT_SENTINEL",
    "EndType",
    "FunctionNode",
    "GateNode",
    "GraphNode",
    "HyperNode",
    "IfElseNode",
    "InterruptNode",
    "RenameEntry",
    "RenameError",
    "RouteNode",
    "ifelse",
    "interrupt",
    "node",
    "route",
]
