"""What the static types promise, checked at run time.

The typing contract (docs/typing.md) makes promises to type checkers: ``END`` is an
``EndType``, a run's result is one of the ``RunOutcome`` classes, ``run()`` accepts
inputs unpacked from a dict. And every wiring rule the mypy plugin reports
(tests/mypy/test_typing_contract.yml) is a failure, or a silent surprise, at run time.
These tests hold the runtime to both.
"""

from __future__ import annotations

import asyncio
import copy
import dataclasses
import functools
import pickle
from typing import Any, TypeVar

import pytest

from hypergraph_typed import (
    END,
    AsyncRunner,
    FunctionNode,
    Graph,
    IncompatibleRunnerError,
    MissingInputError,
    PauseInfo,
    RunResult,
    RunStatus,
    SyncRunner,
    interrupt,
    node,
    route,
)
from hypergraph_typed.exceptions import GraphConfigError
from hypergraph_typed.nodes import EndType
from hypergraph_typed.runtime.results import (
    CompletedRunResult,
    FailedRunResult,
    PausedRunResult,
    as_outcome,
)
from hypergraph_typed.runtime.typecheck import EdgeTypeError

T = TypeVar("T")


@node(output_name="doubled")
def double(x: int) -> int:
    return x * 2


@interrupt(output_name="decision")
def approval(doubled: int) -> str | None:
    return None


class TestEnd:
    def test_end_is_the_one_instance_of_its_public_type(self) -> None:
        assert isinstance(END, EndType)
        with pytest.raises(TypeError):
            EndType()
        assert copy.copy(END) is END and copy.deepcopy(END) is END
        assert pickle.loads(pickle.dumps(END)) is END

    def test_end_is_no_string_at_run_time(self) -> None:
        assert str(END) == repr(END) == "END"
        assert not isinstance(END, str)
        assert END != "END"

    def test_a_route_annotated_str_may_return_end(self) -> None:
        @node(output_name="count")
        def increment(count: int) -> int:
            return count + 1

        @route(targets=["increment", END])
        def again(count: int) -> str:
            return "increment" if count < 3 else END

        result = SyncRunner().run(Graph([increment, again], entrypoint="increment"), count=0)
        assert result.completed and result["count"] == 3


class TestOutcomes:
    @pytest.mark.parametrize(("status", "cls"), [
        (RunStatus.COMPLETED, CompletedRunResult),
        (RunStatus.PAUSED, PausedRunResult),
        (RunStatus.FAILED, FailedRunResult),
    ])
    def test_a_run_result_is_built_as_its_status_class(
        self, status: RunStatus, cls: type[RunResult[Any]]
    ) -> None:
        positional = RunResult({"a": 1}, status)
        by_keyword = RunResult(values={}, status=status)
        assert type(positional) is cls and type(by_keyword) is cls
        assert isinstance(positional, RunResult)
        assert as_outcome(positional) is positional

    def test_copies_keep_or_follow_the_status(self) -> None:
        info = PauseInfo("approval", "decision", value=3)
        paused = RunResult({}, RunStatus.PAUSED, pause=info)
        assert type(pickle.loads(pickle.dumps(paused))) is PausedRunResult
        assert type(copy.copy(paused)) is PausedRunResult
        resumed = dataclasses.replace(paused, status=RunStatus.COMPLETED, pause=None)
        assert type(resumed) is CompletedRunResult and resumed.pause is None

    def test_a_status_no_run_ends_with_has_no_outcome_class(self) -> None:
        partial = RunResult({}, RunStatus.PARTIAL)
        assert type(partial) is RunResult
        with pytest.raises(TypeError, match="completed, paused or failed"):
            as_outcome(partial)

    def test_runners_return_the_class_of_the_status(self) -> None:
        done = SyncRunner().run(Graph([double]), x=1)
        assert type(done) is CompletedRunResult and done.pause is None

        paused = asyncio.run(AsyncRunner().run(Graph([double, approval]), x=1))
        assert type(paused) is PausedRunResult and isinstance(paused.pause, PauseInfo)

        @node(output_name="y")
        def boom(x: int) -> int:
            raise ValueError("no")

        failed = SyncRunner().run(Graph([boom]), x=1, error_handling="continue")
        assert type(failed) is FailedRunResult and isinstance(failed.error, ValueError)

    def test_map_items_are_outcomes(self) -> None:
        many = SyncRunner().map(Graph([double]), {"x": [1, 2]}, map_over="x")
        assert [type(r) for r in many] == [CompletedRunResult, CompletedRunResult]
        assert type(many[0]) is CompletedRunResult and many.failures == []

    def test_inputs_unpacked_from_a_dict(self) -> None:
        inputs: dict[str, int] = {"x": 4}
        assert SyncRunner().run(Graph([double]), **inputs)["doubled"] == 8
        lists: dict[str, list[int]] = {"x": [1, 2]}
        many = SyncRunner().map(Graph([double]), map_over="x", **lists)
        assert many["doubled"] == [2, 4]


class TestWiringRulesAtRunTime:
    """Each rule the plugin reports statically, as the library enforces it."""

    def test_a_required_input_left_out(self) -> None:
        @node(output_name="total")
        def add(x: int, y: int) -> int:
            return x + y

        with pytest.raises(MissingInputError) as info:
            SyncRunner().run(Graph([add]), {})
        assert info.value.missing == ["x", "y"]

    def test_sync_runner_on_an_async_node(self) -> None:
        @node(output_name="page")
        async def fetch(url: str) -> str:
            return url

        with pytest.raises(IncompatibleRunnerError, match="'fetch' is async"):
            SyncRunner().run(Graph([fetch]), url="u")

    def test_get_of_an_unknown_name_is_silently_the_default(self) -> None:
        result = SyncRunner().run(Graph([double]), x=1)
        assert result.get("doubld") is None

    def test_a_shared_value_written_with_another_type(self) -> None:
        @node(output_name="messages")
        def add_user(messages: list[str], text: str) -> list[str]:
            return [*messages, text]

        @node(output_name="messages")
        def add_count(messages: list[str]) -> list[int]:
            return [len(messages)]

        @route(targets=["add_user", END])
        def again(messages: list[str]) -> str:
            return END

        graph = Graph(
            [add_user, add_count, again], shared=["messages"],
            edges=[("add_user", "add_count"), ("add_count", "again")], entrypoint="add_user",
        )
        with pytest.raises(EdgeTypeError, match="'add_count' gave list"):
            SyncRunner(type_check="edges").run(graph, messages=["a"], text="b")

    def test_a_generic_node_passes_on_what_it_received(self) -> None:
        @node(output_name="word")
        def first(words: list[T]) -> T:
            return words[0]

        @node(output_name="twice")
        def twice(word: int) -> int:
            return word * 2

        graph = Graph([first, twice])
        assert SyncRunner().run(graph, words=["a"])["twice"] == "aa"  # silently wrong
        with pytest.raises(EdgeTypeError, match="node 'first' gave str 'a'"):
            SyncRunner(type_check="edges").run(graph, words=["a"])

    def test_map_over_a_string_runs_per_character(self) -> None:
        @node(output_name="n")
        def length(text: str) -> int:
            return len(text)

        many = SyncRunner().map(Graph([length]), {"text": "hello"}, map_over="text")
        assert many["n"] == [1, 1, 1, 1, 1]

    def test_several_outputs_from_a_non_tuple(self) -> None:
        @node(output_name=("mean", "std"))
        def flat(xs: list[float]) -> float:
            return 0.0

        with pytest.raises(ValueError, match="cannot be unpacked"):
            SyncRunner().run(Graph([flat]), xs=[1.0])

    def test_a_multi_output_interrupt_answering_with_a_tuple(self) -> None:
        @interrupt(output_name=("verdict", "score"))
        def pair(draft: str) -> tuple[str, int] | None:
            return ("ok", 1)

        with pytest.raises(TypeError, match="must return a dict"):
            asyncio.run(AsyncRunner().run(Graph([pair]), draft="d"))

    def test_strict_types_fits_int_to_float_by_subclass_only(self) -> None:
        @node(output_name="n")
        def count(text: str) -> int:
            return len(text)

        @node(output_name="ratio")
        def half(n: float) -> float:
            return n / 2

        Graph([count, half])
        with pytest.raises(GraphConfigError, match="produces 'n' as int"):
            Graph([count, half], strict_types=True)

    def test_a_partial_needs_a_name(self) -> None:
        def scale(x: int, k: int) -> int:
            return x * k

        with pytest.raises(TypeError, match="pass name="):
            node(functools.partial(scale, k=2), output_name="y")
        named = FunctionNode(functools.partial(scale, k=2), name="double", output_name="y")
        assert SyncRunner().run(Graph([named]), x=2)["y"] == 4

    def test_a_graph_item_that_is_not_a_node(self) -> None:
        with pytest.raises(GraphConfigError, match="item 1 is 'f'"):
            Graph([double, "f"])

    def test_a_graph_node_named_like_an_output(self) -> None:
        @node(output_name="summary")
        def summarize(text: str) -> str:
            return text

        @node(output_name="inner")
        def clash(text: str) -> str:
            return text

        inner = Graph([summarize], name="summary")
        Graph([inner.as_node()])  # its own output: accepted
        with pytest.raises(GraphConfigError) as info:
            Graph([inner.as_node(name="inner"), clash])
        # The plugin reports this text (test_typing_contract.yml).
        assert str(info.value) == (
            "GraphNode 'inner' has the same name as an output of node 'clash'; rename it "
            "with .as_node(name=...) to keep resume paths unambiguous"
        )

    def test_star_parameters_are_required_inputs(self) -> None:
        @node(output_name="total")
        def add(x: int, *rest: int, scale: int = 1, **extra: int) -> int:
            return x * scale

        graph = Graph([add])
        assert graph.inputs.required == ("x", "rest", "extra")
        with pytest.raises(MissingInputError) as info:
            SyncRunner().run(graph, x=1)
        assert info.value.missing == ["extra", "rest"]
