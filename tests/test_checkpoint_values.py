"""Node outputs through a real store and a real resume come back exactly, or are refused.

The store is an SQLite file or a schema on the local PostgreSQL server, and each resume
uses a new checkpointer, as a new process would.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from checkpoint_backends import make_backend
from hypergraph_typed import AsyncRunner, Graph, interrupt, node
from hypergraph_typed.checkpointers import JsonSerializer, SqliteCheckpointer
from hypergraph_typed.checkpointers.serializers import MAX_DEPTH
from hypergraph_typed.exceptions import CheckpointSerializationError
from serializer_values import nested, same, with_frames_left

SAMPLES: dict[str, Any] = {
    "int-and-str-keys": {1: "int", "1": "str"},
    "bool-keys": {True: "yes", "True": "text"},
    "emit-marker": {"$hypergraph": "emit"},
    "tuples": (1, ("a", [2.5, None])),
    "bytes": b"\x00\xffraw",
    "surrogate": "half a pair: \ud83d",
    "deepest": nested(MAX_DEPTH - 1),  # the step's outputs dict adds the last level
    # refused
    "set": {"tags": {"a", "b"}},
    "too-deep": nested(MAX_DEPTH),
}


@node(output_name="made")
def make(kind: str) -> Any:
    return SAMPLES[kind]


@interrupt(output_name="answer")
def ask(made: Any) -> Any:
    return None


@node(output_name="final")
def finish(made: Any, answer: str) -> Any:
    return made


GRAPH = Graph([make, ask, finish], name="values")


def run(cp: Any, values: dict[str, Any], wid: str) -> Any:
    return asyncio.run(AsyncRunner(checkpointer=cp).run(GRAPH, values, workflow_id=wid))


@pytest.mark.parametrize("kind", ["int-and-str-keys", "bool-keys", "emit-marker", "tuples",
                                  "bytes", "surrogate", "deepest"])
@pytest.mark.parametrize("store", ["sqlite", "postgres"])
def test_outputs_come_back_exactly_after_a_resume(store: str, kind: str, tmp_path: Path) -> None:
    with make_backend(store, tmp_path) as cp:
        paused = run(cp, {"kind": kind}, "w")
        assert paused.paused
        assert same(cp.state("w")["made"], SAMPLES[kind])
        done = run(cp, {"answer": "ok"}, "w")
        assert done.completed
        assert same(done["final"], SAMPLES[kind])
        assert same(cp.state("w")["final"], SAMPLES[kind])


@pytest.mark.parametrize(("kind", "problem"), [
    ("set", r"type set cannot be stored as JSON.*at value\['made'\]\['tags'\]"),
    ("too-deep", rf"nested more than {MAX_DEPTH} containers"),
])
@pytest.mark.parametrize("store", ["sqlite", "postgres"])
def test_a_value_that_would_change_is_refused_naming_node_and_output(
    store: str, kind: str, problem: str, tmp_path: Path
) -> None:
    with make_backend(store, tmp_path) as cp:
        with pytest.raises(CheckpointSerializationError, match=problem) as info:
            run(cp, {"kind": kind}, "w")
        assert "output 'made' of node 'make'" in str(info.value)
        assert (info.value.node_name, info.value.output_name) == ("make", "made")
        assert "made" not in cp.state("w")  # nothing of that superstep was written


def test_a_stored_deep_value_loads_from_a_nearly_full_stack(tmp_path: Path) -> None:
    with make_backend("sqlite", tmp_path) as cp:
        run(cp, {"kind": "deepest"}, "w")
    reader = SqliteCheckpointer(tmp_path / "runs.db", serializer=JsonSerializer())
    try:
        state = with_frames_left(120, lambda: reader.state("w"))
    finally:
        reader.close()
    assert same(state["made"], SAMPLES["deepest"])
