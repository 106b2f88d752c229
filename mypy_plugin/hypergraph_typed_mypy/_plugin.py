"""The mypy ``Plugin``: which library call goes to which hook."""

from __future__ import annotations

from collections.abc import Callable

from mypy.nodes import TypeInfo
from mypy.plugin import FunctionContext, MethodContext, Plugin
from mypy.types import Type

from hypergraph_typed_mypy import graph_hooks, node_hooks, rename_hooks, run_hooks

_NODES = "hypergraph_typed.nodes"

_FUNCTION_HOOKS: dict[str, Callable[[FunctionContext], Type]] = {
    f"{_NODES}.function.node": node_hooks.node_hook,
    f"{_NODES}.interrupt.interrupt": node_hooks.factory_hook("interrupt"),
    f"{_NODES}.gate.route": node_hooks.factory_hook("route"),
    f"{_NODES}.gate.ifelse": node_hooks.factory_hook("ifelse"),
    **dict.fromkeys(node_hooks.APPLY.values(), node_hooks.apply_hook),
    f"{_NODES}.function.FunctionNode": node_hooks.constructor_hook("function"),
    f"{_NODES}.interrupt.InterruptNode": node_hooks.constructor_hook("interrupt"),
    f"{_NODES}.gate.RouteNode": node_hooks.constructor_hook("route"),
    f"{_NODES}.gate.IfElseNode": node_hooks.constructor_hook("ifelse"),
    f"{_NODES}.graph_node.GraphNode": graph_hooks.graph_node_hook,
    "hypergraph_typed.graph.core.Graph": graph_hooks.graph_hook,
}

_METHOD_HOOKS: dict[str, Callable[[MethodContext], Type]] = {
    **{f"{_NODES}.function.FunctionNode.{m}": h for m, h in rename_hooks.HOOKS.items()},
    **{f"{_NODES}.gate.GateNode.{m}": h for m, h in rename_hooks.HOOKS.items()},
    **{f"{_NODES}.graph_node.GraphNode.{m}": h for m, h in rename_hooks.HOOKS.items()},
    f"{_NODES}.graph_node.GraphNode.map_over": rename_hooks.map_over_hook,
    **{f"hypergraph_typed.graph.core.Graph.{m}": h for m, h in graph_hooks.METHOD_HOOKS.items()},
    "hypergraph_typed.runners.sync_runner.SyncRunner.run": run_hooks.run_hook,
    "hypergraph_typed.runners.async_runner.AsyncRunner.run": run_hooks.run_hook,
    "hypergraph_typed.runners.sync_runner.SyncRunner.map": run_hooks.map_hook,
    "hypergraph_typed.runners.async_runner.AsyncRunner.map": run_hooks.map_hook,
    "hypergraph_typed.runtime.results.RunResult.__getitem__": run_hooks.getitem_hook,
    "hypergraph_typed.runtime.results.MapResult.__getitem__": run_hooks.map_getitem_hook,
    "hypergraph_typed.runtime.results.MapResult.get": run_hooks.map_get_hook,
    "hypergraph_typed.runtime.results.RunResult.get": run_hooks.get_hook,
}

_HOOKED_METHODS = frozenset(name.rpartition(".")[2] for name in _METHOD_HOOKS)


class HypergraphPlugin(Plugin):
    """Checks hypergraph_typed wiring statically; see the docs page ``mypy-plugin.md``."""

    def get_function_hook(self, fullname: str) -> Callable[[FunctionContext], Type] | None:
        return _FUNCTION_HOOKS.get(fullname)

    def get_method_hook(self, fullname: str) -> Callable[[MethodContext], Type] | None:
        hook = _METHOD_HOOKS.get(fullname)
        if hook is not None:
            return hook
        # mypy names the receiver's class (``InterruptNode.with_name``, a user's runner
        # subclass); use the hook of the class that actually defines the method.
        cls, _, method = fullname.rpartition(".")
        if method not in _HOOKED_METHODS:
            return None
        sym = self.lookup_fully_qualified(cls)
        if sym is None or not isinstance(sym.node, TypeInfo):
            return None
        owner = sym.node.get_containing_type_info(method)
        return _METHOD_HOOKS.get(f"{owner.fullname}.{method}") if owner is not None else None
