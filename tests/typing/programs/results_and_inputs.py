"""Results read after a status check, inputs unpacked from a dict, generic nodes.

``assert_type`` makes both checkers prove the types, not only accept the code.
"""

import asyncio
from typing import TypeVar

from typing_extensions import assert_type

from hypergraph_typed import (
    AsyncRunner,
    Graph,
    PauseInfo,
    RunOutcome,
    RunStatus,
    SyncRunner,
    interrupt,
    node,
)
from hypergraph_typed.runtime.results import FailedRunResult, PausedRunResult

T = TypeVar("T")


@node(output_name="doubled")
def double(x: int) -> int:
    return x * 2


@node(output_name="word")
def first(words: list[T]) -> T:
    return words[0]


@interrupt(output_name="decision")
def approval(doubled: int) -> str | None:
    return None


def by_flag(result: RunOutcome) -> str:
    if result.paused:
        assert_type(result.pause, PauseInfo)
        return result.pause.response_key
    return "not paused"


def by_status(result: RunOutcome) -> str:
    if result.status is RunStatus.FAILED:
        assert_type(result, FailedRunResult)
        return str(result.error)
    if result.status is RunStatus.PAUSED:
        return result.pause.node_name
    return "completed"


def by_class(result: RunOutcome) -> str:
    if isinstance(result, PausedRunResult):
        return result.pause.node_name
    match result:
        case FailedRunResult(error=error):
            return repr(error)
        case _:
            return "completed"


def report(result: RunOutcome) -> str:
    return " / ".join(check(result) for check in (by_flag, by_status, by_class))


async def main() -> None:
    inputs: dict[str, int] = {"x": 2}
    done = SyncRunner().run(Graph([double]), **inputs)
    print(report(done), done["doubled"])

    lists: dict[str, list[int]] = {"x": [1, 2]}
    many = SyncRunner().map(Graph([double]), map_over="x", **lists)
    for item in many:
        if item.paused:
            assert_type(item.pause, PauseInfo)
    print(many["doubled"])

    result = await AsyncRunner().run(Graph([double, approval]), {"x": 1})
    assert result.paused
    assert_type(result.pause, PauseInfo)
    answer = {result.pause.response_key: "yes"}
    result = await AsyncRunner().run(Graph([double, approval]), {"x": 1, **answer})
    print(result.status)

    words = SyncRunner().run(Graph([first]), words=["a", "b"])
    print(words["word"])


if __name__ == "__main__":
    asyncio.run(main())
