"""Routes written as hypergraph's docs write them, precise routes, and node lists in variables."""

from typing import Literal

from hypergraph_typed import END, EndType, Graph, SyncRunner, node, route


@node(output_name="count")
def increment(count: int) -> int:
    return count + 1


@route(targets=["increment", END])
def keep_going(count: int) -> str:
    return "increment" if count < 3 else END


@route(targets=["increment", END])
def precise(count: int) -> Literal["increment"] | EndType:
    return "increment" if count < 3 else END


NODES = [increment, keep_going]
loop = Graph(NODES, entrypoint="increment")
common = [increment]
also = Graph(common + [precise], entrypoint="increment")  # noqa: RUF005 (as users write it)

result = SyncRunner().run(loop, {"count": 0})
if result.completed:
    print(result["count"], result.get("count"))
