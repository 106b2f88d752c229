"""The plugin's error codes and message helpers.

Every message names the node, graph value or key involved and says how to fix it.
Codes let users silence one class of check (``# type: ignore[hg-edge]``).
"""

from __future__ import annotations

from collections.abc import Iterable

from mypy.errorcodes import ErrorCode
from mypy.messages import format_type
from mypy.nodes import Context
from mypy.plugin import CheckerPluginInterface
from mypy.types import Type

NODE = ErrorCode(
    "hg-node", "A node declaration that the library would reject or mis-wire", "hypergraph"
)
GRAPH = ErrorCode("hg-graph", "A Graph(...) that the library would reject", "hypergraph")
EDGE = ErrorCode(
    "hg-edge", "A graph edge whose producer type does not fit the consumer", "hypergraph"
)
KEY = ErrorCode(
    "hg-key", "A run/bind/select/result key the graph does not have", "hypergraph"
)
RUNNER = ErrorCode(
    "hg-runner", "A run the runner would refuse (interrupts on SyncRunner or in map)",
    "hypergraph",
)
VALUE = ErrorCode(
    "hg-value", "A run/bind value whose type does not fit the parameter", "hypergraph"
)


def quoted(names: Iterable[str | None]) -> str:
    """``"a", "b"`` (``END`` for None); ``(none)`` for an empty list."""
    items = ['END' if n is None else f'"{n}"' for n in names]
    return ", ".join(items) if items else "(none)"


def show(api: CheckerPluginInterface, typ: Type) -> str:
    return format_type(typ, api.options)


def fail(api: CheckerPluginInterface, message: str, context: Context, code: ErrorCode) -> None:
    api.fail(message, context, code=code)
