"""Runtime edge checks through the runners: ``SyncRunner/AsyncRunner(type_check="edges")``."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from hypergraph_typed import AsyncRunner, Graph, SyncRunner, interrupt, node
from hypergraph_typed.checkpointers import MemoryCheckpointer
from hypergraph_typed.exceptions import EdgeTypeError


@node(output_name="n")
def count(text: str) -> int:
    return len(text)


@node(output_name="n")
def lying_count(text: str) -> int:
    return text  # type: ignore[return-value]  # a bug: the annotation says int


@node(output_name="label")
def label(n: int) -> str:
    return f"{n} chars"


@node(output_name="n")
def untyped_count(text):  # type: ignore[no-untyped-def]
    return text  # passes a str where label expects int


def make(kind: str, **kw: Any) -> Any:
    return SyncRunner(type_check="edges", **kw) if kind == "sync" else AsyncRunner(
        type_check="edges", **kw
    )


def run(kind: str, runner: Any, graph: Graph, values: dict[str, Any], **kw: Any) -> Any:
    result = runner.run(graph, values, **kw)
    return asyncio.run(result) if kind == "async" else result


KINDS = ["sync", "async"]


@pytest.mark.parametrize("kind", KINDS)
def test_correct_values_pass(kind: str) -> None:
    result = run(kind, make(kind), Graph([count, label]), {"text": "hello"})
    assert result["label"] == "5 chars"


@pytest.mark.parametrize("kind", KINDS)
def test_output_breaking_its_annotation_names_the_node(kind: str) -> None:
    with pytest.raises(EdgeTypeError) as ei:
        run(kind, make(kind), Graph([lying_count, label]), {"text": "hello"})
    err = ei.value
    assert err.producer == "lying_count" and err.value_name == "n"
    assert err.expected is int and err.actual_type is str
    assert "lying_count" in str(err) and "'n'" in str(err)


@pytest.mark.parametrize("kind", KINDS)
def test_unannotated_producer_is_caught_at_the_consumer(kind: str) -> None:
    with pytest.raises(EdgeTypeError) as ei:
        run(kind, make(kind), Graph([untyped_count, label]), {"text": "hello"})
    err = ei.value
    assert err.consumer == "label" and err.param == "n" and err.producer == "untyped_count"
    assert "label" in str(err) and "int" in str(err)


@pytest.mark.parametrize("kind", KINDS)
def test_off_by_default_lets_the_bad_value_through(kind: str) -> None:
    runner: Any = SyncRunner() if kind == "sync" else AsyncRunner()
    result = run(kind, runner, Graph([untyped_count, label]), {"text": "hey"})
    assert result["label"] == "hey chars"


@pytest.mark.parametrize("kind", KINDS)
def test_run_inputs_and_bound_values_are_checked(kind: str) -> None:
    with pytest.raises(EdgeTypeError) as ei:
        run(kind, make(kind), Graph([count, label]), {"text": 42})
    assert ei.value.producer == "input" and ei.value.value_name == "text"
    bound = Graph([count, label]).bind(text=b"bytes")
    with pytest.raises(EdgeTypeError) as ei:
        run(kind, make(kind), bound, {})
    assert ei.value.producer == "bound value"


@pytest.mark.parametrize("kind", KINDS)
def test_error_handling_continue_records_the_failure(kind: str) -> None:
    result = run(
        kind, make(kind), Graph([lying_count, label]), {"text": "x"}, error_handling="continue"
    )
    assert result.failed and isinstance(result.error, EdgeTypeError)
    assert [s.status for s in result.log.steps] == ["failed"]


@pytest.mark.parametrize("kind", KINDS)
def test_map_items_are_checked(kind: str) -> None:
    runner = make(kind)
    result = runner.map(
        Graph([count, label]), {"text": ["a", 3]}, map_over="text", error_handling="continue"
    )
    mapped = asyncio.run(result) if kind == "async" else result
    assert mapped[0].completed and mapped[1].failed
    assert isinstance(mapped[1].error, EdgeTypeError)


@pytest.mark.parametrize("kind", KINDS)
def test_nested_graph_boundaries_are_checked(kind: str) -> None:
    inner = Graph([untyped_count], name="inner").as_node()
    with pytest.raises(EdgeTypeError) as ei:
        run(kind, make(kind), Graph([inner, label]), {"text": "hello"})
    assert ei.value.consumer == "label"


@interrupt(output_name="approved")
def ask(label: str) -> bool | None:
    return None


@node(output_name="final")
def decide(approved: bool) -> str:
    return "yes" if approved else "no"


def test_resume_answers_are_checked() -> None:
    graph = Graph([count, label, ask, decide])
    runner = AsyncRunner(type_check="edges")
    paused = asyncio.run(runner.run(graph, {"text": "abc"}))
    assert paused.paused
    with pytest.raises(EdgeTypeError) as ei:
        asyncio.run(runner.run(graph, {"text": "abc", "approved": "yes please"}))
    assert ei.value.producer == "resume answer" and ei.value.value_name == "approved"
    ok = asyncio.run(runner.run(graph, {"text": "abc", "approved": True}))
    assert ok["final"] == "yes"


def test_checked_checkpointed_resume() -> None:
    graph = Graph([count, label, ask, decide])
    runner = AsyncRunner(type_check="edges", checkpointer=MemoryCheckpointer())
    asyncio.run(runner.run(graph, {"text": "abc"}, workflow_id="w"))
    with pytest.raises(EdgeTypeError):
        asyncio.run(runner.run(graph, {"approved": 1.5}, workflow_id="w"))
    done = asyncio.run(runner.run(graph, {"approved": False}, workflow_id="w"))
    assert done["final"] == "no"


def test_invalid_type_check_option() -> None:
    with pytest.raises(ValueError, match="type_check"):
        SyncRunner(type_check="all")  # type: ignore[arg-type]
