"""Runs report to the standard ``logging`` module under the ``hypergraph_typed`` logger."""

from __future__ import annotations

import asyncio
import logging

import pytest

from hypergraph_typed import AsyncRunner, Graph, SyncRunner, interrupt, node
from hypergraph_typed.checkpointers import MemoryCheckpointer


@node(output_name="draft")
def write(topic: str) -> str:
    return f"about {topic}"


@interrupt(output_name="decision")
def review(draft: str) -> str | None:
    return None


@node(output_name="done")
def publish(decision: str) -> str:
    return decision


def messages(caplog: pytest.LogCaptureFixture, name: str) -> list[tuple[int, str]]:
    return [(r.levelno, r.getMessage()) for r in caplog.records if r.name == name]


def test_a_plain_run_logs_start_and_end_at_debug(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="hypergraph_typed")
    SyncRunner().run(Graph([write], name="drafting"), {"topic": "t"}, workflow_id="w1")
    assert messages(caplog, "hypergraph_typed.runs") == [
        (logging.DEBUG, "run of drafting started as workflow 'w1'"),
        (logging.DEBUG, "run of drafting ended completed (workflow 'w1')"),
    ]


def test_pause_resume_and_checkpoint_writes(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="hypergraph_typed")
    graph = Graph([write, review, publish], name="review")
    runner = AsyncRunner(checkpointer=MemoryCheckpointer())

    async def scenario() -> None:
        await runner.run(graph, {"topic": "t"}, workflow_id="w")
        await runner.run(graph, {"decision": "yes"}, workflow_id="w")
        await runner.run(graph, {}, fork_from="w", workflow_id="f")

    asyncio.run(scenario())
    runs = messages(caplog, "hypergraph_typed.runs")
    assert (logging.INFO, "workflow 'w' (review) paused at 'review', waiting for 'decision'") in runs
    assert (logging.INFO, "workflow 'w' resumed (was paused) at superstep 2 with answers for "
                          "['decision']") in runs
    assert (logging.INFO, "workflow 'f' started as a fork of 'w'") in runs
    writes = messages(caplog, "hypergraph_typed.checkpoints")
    assert writes == [
        # the step before the interrupt rides with the pause (one write, not two)
        (logging.DEBUG, "workflow 'w': wrote 2 step record(s), status paused (version 2)"),
        (logging.DEBUG, "workflow 'w': wrote 2 step record(s), status completed (version 4)"),
        (logging.DEBUG, "workflow 'f': wrote 0 step record(s), status completed (version 2)"),
    ]


def test_nothing_is_logged_at_the_default_level(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="hypergraph_typed")
    SyncRunner(checkpointer=MemoryCheckpointer()).run(Graph([write]), {"topic": "t"},
                                                      workflow_id="quiet")
    assert [r for r in caplog.records if r.name.startswith("hypergraph_typed")] == []
