"""``Graph.nx_graph``: the wired graph as a networkx ``DiGraph`` (networkx is optional)."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from hypergraph_typed.nodes.gate import GateNode
from hypergraph_typed.nodes.graph_node import GraphNode

if TYPE_CHECKING:
    from hypergraph_typed.graph.core import Graph
    from hypergraph_typed.nodes.base import HyperNode

INSTALL_HINT = (
    "Graph.nx_graph needs networkx, an optional dependency: "
    "pip install 'hypergraph-typed[networkx]' (or pip install networkx)"
)


def _node_attrs(n: HyperNode) -> dict[str, Any]:
    attrs: dict[str, Any] = {
        "node_type": n.node_type,
        "inputs": n.inputs,
        "outputs": n.outputs,
        "data_outputs": n.data_outputs,
        "wait_for": n.wait_for,
        "is_async": n.is_async,
        "is_generator": n.is_generator,
        "is_interrupt": n.is_interrupt,
        "cache": n.cache,
        "hide": n.hide,
        "hypernode": n,
    }
    if isinstance(n, GateNode):
        attrs["targets"] = [str(t) for t in n.targets]
    if isinstance(n, GraphNode):
        attrs["nested_graph"] = n.graph
    return attrs


def to_networkx(graph: Graph) -> Any:
    """A new ``DiGraph``: one node per graph node, one edge per wired pair.

    Edge data: ``edge_type`` (``"data"``, ``"control"`` or ``"ordering"``) and
    ``value_names`` (the names a data edge carries; empty otherwise). A new object on
    every call, so changing it never changes the (immutable) ``Graph``.
    """
    try:
        nx = importlib.import_module("networkx")
    except ImportError as exc:
        raise ImportError(INSTALL_HINT) from exc
    s = graph.structure
    g = nx.DiGraph(
        name=graph.name, entrypoints=graph.entrypoints_config, shared=graph.shared,
    )
    for n in s.nodes:
        g.add_node(n.name, **_node_attrs(n))
    for e in s.edges:
        g.add_edge(
            s.nodes[e.src].name, s.nodes[e.dst].name,
            edge_type=e.kind, value_names=list(e.value_names),
        )
    return g
