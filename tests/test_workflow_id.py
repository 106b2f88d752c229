"""workflow_id values: a key in every store and in child run ids, so it is checked first.

Anything but a non-empty str of printable characters without '/', at most
``MAX_WORKFLOW_ID_LENGTH`` long, is a ``ValueError`` naming ``workflow_id`` and the rule,
raised before anything is written.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from hypergraph_typed import AsyncRunner, Graph, SyncRunner, node
from hypergraph_typed.checkpointers import MemoryCheckpointer, SqliteCheckpointer
from hypergraph_typed.runtime.prepare import MAX_WORKFLOW_ID_LENGTH


@node(output_name="doubled")
def double(x: int) -> int:
    return x * 2


GRAPH = Graph([double])

BAD: dict[str, Any] = {
    "empty": "",
    "list": ["a"],
    "int": 7,
    "bytes": b"w1",
    "lone surrogate": "w\ud800",
    "NUL": "w\x00x",
    "escape sequence": "w\x1b[31m",
    "line break": "w\n1",
    "right-to-left override": "w\u202e1",
    "too long": "w" * (MAX_WORKFLOW_ID_LENGTH + 1),
    "slash": "a/b",
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_a_bad_workflow_id_is_refused_before_anything_is_written(
    tmp_path: Path, case: str
) -> None:
    store = SqliteCheckpointer(tmp_path / "runs.db")
    try:
        with pytest.raises(ValueError, match="workflow_id must be a non-empty str") as info:
            asyncio.run(AsyncRunner(checkpointer=store).run(GRAPH, {"x": 1},
                                                            workflow_id=BAD[case]))
        assert str(MAX_WORKFLOW_ID_LENGTH) in str(info.value)
        assert store.runs() == []
    finally:
        store.close()


@pytest.mark.parametrize("case", ["empty", "list", "NUL", "slash"])
def test_sync_runner_and_no_checkpointer_refuse_the_same(case: str) -> None:
    memory = MemoryCheckpointer()
    for runner in (SyncRunner(), SyncRunner(checkpointer=memory)):
        with pytest.raises(ValueError, match="workflow_id"):
            runner.run(GRAPH, {"x": 1}, workflow_id=BAD[case])
    assert memory.runs() == []


@pytest.mark.parametrize("workflow_id", [
    "order-42", "résumé 1", "注文:7", "w" * MAX_WORKFLOW_ID_LENGTH, "a b.c@d#e",
])
def test_good_ids_round_trip_through_a_store(tmp_path: Path, workflow_id: str) -> None:
    store = SqliteCheckpointer(tmp_path / "runs.db")
    try:
        result = asyncio.run(AsyncRunner(checkpointer=store).run(
            GRAPH, {"x": 2}, workflow_id=workflow_id))
        assert result.workflow_id == workflow_id and result["doubled"] == 4
        assert [r.id for r in store.runs()] == [workflow_id]
        assert store.state(workflow_id) == {"doubled": 4}
        assert store.get_inputs(workflow_id) == {"x": 2}
    finally:
        store.close()
