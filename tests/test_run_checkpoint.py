"""Checkpointed runs through the runners, on every backend: resume, fork, retry, errors.

Backends: MemoryCheckpointer, SqliteCheckpointer on a file, PostgresCheckpointer on the
local server (a fresh schema per test). Process-level durability (SIGKILL, two
processes) lives in test_run_checkpoint_processes.py.
"""

from __future__ import annotations

import asyncio
import re
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from approval_flow import approval, finalize, generate_draft
from persistent_chat import CHAT

from checkpoint_backends import make_backend
from hypergraph_typed import (
    AsyncRunner,
    Graph,
    GraphChangedError,
    InputOverrideRequiresForkError,
    SyncRunner,
    WorkflowAlreadyCompletedError,
    WorkflowForkError,
    interrupt,
    node,
)
from hypergraph_typed.checkpointers import MemoryCheckpointer, StepStatus, WorkflowStatus
from hypergraph_typed.events import EventProcessor, RunStartEvent
from hypergraph_typed.exceptions import CheckpointSerializationError


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def cp(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    with make_backend(request.param, tmp_path) as backend:
        yield backend


# -- the seed's draft -> approval -> finalize ------------------------------------------
REVIEW = Graph([generate_draft, approval, finalize], name="review")


def arun(coro: Any) -> Any:
    return asyncio.run(coro)


def test_pause_then_resume_with_only_the_answer(cp: Any) -> None:
    runner = AsyncRunner(checkpointer=cp)
    paused = arun(runner.run(REVIEW, {"prompt": "typed graphs"}, workflow_id="w1"))
    assert paused.paused and paused.workflow_id == "w1"
    assert paused.pause is not None and paused.pause.value == "Blog post about: typed graphs"
    done = arun(runner.run(REVIEW, {paused.pause.response_key: "approved"}, workflow_id="w1"))
    assert done.completed
    assert done["result"] == "Published: approved"
    assert done["draft"] == "Blog post about: typed graphs"  # restored, not recomputed
    steps = [(s.superstep, s.node_name, s.status) for s in cp.steps("w1")]
    assert steps == [
        (0, "generate_draft", StepStatus.COMPLETED),
        (1, "approval", StepStatus.PAUSED),
        (2, "approval", StepStatus.COMPLETED),
        (3, "finalize", StepStatus.COMPLETED),
    ]
    assert [s.index for s in cp.steps("w1")] == [0, 1, 2, 3]
    run = cp.get_run("w1")
    assert run.status is WorkflowStatus.COMPLETED
    assert run.node_count == 4 and run.error_count == 0
    assert run.config["graph_struct_hash"] == REVIEW.structural_hash
    assert cp.values("w1", key="result") == {"result": "Published: approved"}


def test_completed_workflow_cannot_run_again(cp: Any) -> None:
    runner = AsyncRunner(checkpointer=cp)
    arun(runner.run(REVIEW, {"prompt": "p"}, workflow_id="w"))
    arun(runner.run(REVIEW, {"decision": "ok"}, workflow_id="w"))
    with pytest.raises(WorkflowAlreadyCompletedError) as ei:
        arun(runner.run(REVIEW, {"decision": "again"}, workflow_id="w"))
    assert ei.value.workflow_id == "w" and "fork_from" in str(ei.value)


def test_new_workflow_id_starts_fresh_and_ids_are_generated(cp: Any) -> None:
    runner = AsyncRunner(checkpointer=cp)
    a = arun(runner.run(REVIEW, {"prompt": "a"}))
    b = arun(runner.run(REVIEW, {"prompt": "b"}))
    assert a.workflow_id != b.workflow_id
    assert re.fullmatch(r"run-\d{8}-[0-9a-f]{6}", a.workflow_id or "")
    assert cp.get_run(a.workflow_id).status is WorkflowStatus.PAUSED
    assert cp.state(b.workflow_id)["draft"] == "Blog post about: b"


def test_changed_graph_is_rejected(cp: Any) -> None:
    runner = AsyncRunner(checkpointer=cp)
    arun(runner.run(REVIEW, {"prompt": "p"}, workflow_id="w"))

    @node(output_name="shout")
    def shout(result: str) -> str:
        return result.upper()

    changed = Graph([generate_draft, approval, finalize, shout], name="review")
    with pytest.raises(GraphChangedError) as ei:
        arun(runner.run(changed, {"decision": "ok"}, workflow_id="w"))
    assert "'w'" in str(ei.value)


def test_new_inputs_for_existing_workflow_need_a_fork(cp: Any) -> None:
    runner = AsyncRunner(checkpointer=cp)
    arun(runner.run(REVIEW, {"prompt": "p"}, workflow_id="w"))
    with pytest.raises(InputOverrideRequiresForkError) as ei:
        arun(runner.run(REVIEW, {"prompt": "other", "decision": "ok"}, workflow_id="w"))
    assert "prompt" in str(ei.value) and "fork" in str(ei.value)


def test_an_unknown_input_of_a_new_workflow_warns_once(cp: Any) -> None:
    runner = AsyncRunner(checkpointer=cp)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        paused = arun(runner.run(REVIEW, {"prompt": "p", "bogus": 1}, workflow_id="w"))
    assert paused.paused
    messages = [str(w.message) for w in caught]
    assert len(messages) == 1 and "'bogus' is not an input of graph 'review'" in messages[0]
    assert cp.get_inputs("w") == {"prompt": "p", "bogus": 1}


def test_known_inputs_of_a_new_workflow_do_not_warn(cp: Any) -> None:
    runner = AsyncRunner(checkpointer=cp)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert arun(runner.run(REVIEW, {"prompt": "p"}, workflow_id="w")).paused


def test_an_existing_workflow_refuses_new_inputs_without_their_warnings(cp: Any) -> None:
    """The input warnings of a start that turns out not to be new are not shown: the
    rules for the existing workflow speak instead."""
    runner = AsyncRunner(checkpointer=cp)
    arun(runner.run(REVIEW, {"prompt": "p"}, workflow_id="w"))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(InputOverrideRequiresForkError, match="bogus"):
            arun(runner.run(REVIEW, {"prompt": "p", "bogus": 1}, workflow_id="w"))
    assert [str(w.message) for w in caught] == []


def test_changing_a_results_pause_changes_nothing_stored(cp: Any) -> None:
    @interrupt(output_name="decision")
    def review_both(draft: str, prompt: str) -> str | None:
        return None

    graph = Graph([generate_draft, review_both, finalize], name="review-both")
    runner = AsyncRunner(checkpointer=cp)
    paused = arun(runner.run(graph, {"prompt": "p"}, workflow_id="w"))
    assert paused.pause is not None and paused.pause.values is not None
    shown = dict(paused.pause.values)
    paused.pause.values["draft"] = "changed by the caller"
    run = cp.get_run("w")
    assert run is not None and run.pause is not None and run.pause.values == shown


def test_override_workflow_forks_to_a_new_id(cp: Any) -> None:
    runner = AsyncRunner(checkpointer=cp)
    arun(runner.run(REVIEW, {"prompt": "p"}, workflow_id="w"))
    forked = arun(runner.run(
        REVIEW, {"prompt": "q"}, workflow_id="w", override_workflow=True,
    ))
    assert forked.workflow_id is not None and forked.workflow_id.startswith("w-fork-")
    assert cp.get_run(forked.workflow_id).forked_from == "w"
    assert forked.paused and forked.pause is not None
    assert forked.pause.value == "Blog post about: q"  # the override re-ran generate_draft
    assert cp.get_run("w").status is WorkflowStatus.PAUSED  # the source is untouched


def test_fork_from_runs_a_new_lineage(cp: Any) -> None:
    runner = AsyncRunner(checkpointer=cp)
    arun(runner.run(REVIEW, {"prompt": "p"}, workflow_id="src"))
    forked = arun(runner.run(REVIEW, {"decision": "forked"}, fork_from="src", workflow_id="f1"))
    assert forked.completed and forked["result"] == "Published: forked"
    run = cp.get_run("f1")
    assert run.forked_from == "src" and run.fork_superstep == 1
    assert cp.get_run("src").status is WorkflowStatus.PAUSED
    with pytest.raises(ValueError, match="nope"):
        arun(runner.run(REVIEW, {}, fork_from="nope"))


def test_checkpoint_start_on_existing_id_is_an_error(cp: Any) -> None:
    runner = AsyncRunner(checkpointer=cp)
    arun(runner.run(REVIEW, {"prompt": "p"}, workflow_id="src"))
    checkpoint = cp.checkpoint("src")
    with pytest.raises(WorkflowForkError):
        arun(runner.run(REVIEW, {}, checkpoint=checkpoint, workflow_id="src"))
    fresh = arun(runner.run(REVIEW, {"decision": "yes"}, checkpoint=checkpoint, workflow_id="n"))
    assert fresh.completed and fresh["result"] == "Published: yes"


def test_argument_errors() -> None:
    with pytest.raises(ValueError, match="not both"):
        arun(AsyncRunner(checkpointer=MemoryCheckpointer()).run(
            REVIEW, {}, fork_from="a", retry_from="b"))
    with pytest.raises(ValueError, match="checkpointer"):
        arun(AsyncRunner().run(REVIEW, {}, fork_from="a"))
    with pytest.raises(ValueError, match="checkpointer"):
        SyncRunner().run(Graph([generate_draft]), {"prompt": "x"}, retry_from="a")


# -- failures: resume and retry ---------------------------------------------------------
class Flaky:
    """Fails until ``healthy`` is set; counts calls."""

    def __init__(self) -> None:
        self.healthy = False
        self.calls = 0


def _flaky_graph(state: Flaky) -> Graph:
    @node(output_name="doubled")
    def double(x: int) -> int:
        return x * 2

    @node(output_name="out")
    def publish(doubled: int) -> int:
        state.calls += 1
        if not state.healthy:
            raise ConnectionError("service down")
        return doubled + 1

    return Graph([double, publish], name="flaky")


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_failed_run_resumes_with_its_stored_inputs(cp: Any, kind: str) -> None:
    state = Flaky()
    graph = _flaky_graph(state)
    runner: Any = SyncRunner(checkpointer=cp) if kind == "sync" else AsyncRunner(checkpointer=cp)

    def call(values: dict[str, Any], **kw: Any) -> Any:
        r = runner.run(graph, values, **kw)
        return arun(r) if kind == "async" else r

    failed = call({"x": 5}, workflow_id="job", error_handling="continue")
    assert failed.failed and isinstance(failed.error, ConnectionError)
    run = cp.get_run("job")
    assert run.status is WorkflowStatus.FAILED and run.error_count == 1
    assert [s.status for s in cp.steps("job")] == [StepStatus.COMPLETED, StepStatus.FAILED]
    assert "service down" in (cp.steps("job")[1].error or "")
    state.healthy = True
    done = call({}, workflow_id="job")  # no inputs again: x was persisted
    assert done.completed and done["out"] == 11
    assert state.calls == 2


def test_retry_from_records_lineage(cp: Any) -> None:
    state = Flaky()
    graph = _flaky_graph(state)
    runner = AsyncRunner(checkpointer=cp)
    arun(runner.run(graph, {"x": 1}, workflow_id="job", error_handling="continue"))
    state.healthy = True
    retried = arun(runner.run(graph, {}, retry_from="job"))
    assert retried.completed and retried["out"] == 3
    assert retried.workflow_id == "job-retry-1"
    run = cp.get_run("job-retry-1")
    assert run.retry_of == "job" and run.retry_index == 1 and run.forked_from == "job"


# -- serialization ----------------------------------------------------------------------
class Opaque:
    def __deepcopy__(self, memo: Any) -> Any:
        raise TypeError("cannot copy an Opaque")

    def __reduce__(self) -> Any:
        raise TypeError("cannot pickle an Opaque")


@node(output_name="ok")
def fine(x: int) -> int:
    return x


@node(output_name="blob")
def opaque(x: int) -> Any:
    return Opaque()


def test_unserializable_output_names_node_and_output(cp: Any) -> None:
    graph = Graph([fine, opaque])
    with pytest.raises(CheckpointSerializationError) as ei:
        arun(AsyncRunner(checkpointer=cp).run(graph, {"x": 1}, workflow_id="s"))
    msg = str(ei.value)
    assert "opaque" in msg and "blob" in msg
    # both nodes ran in the same superstep: nothing of it was written
    assert list(cp.steps("s")) == []


# -- the seed's persistent multi-turn chat (examples/persistent_chat.py) ---------------
def test_persistent_multi_turn_chat(cp: Any) -> None:
    runner = AsyncRunner(checkpointer=cp)
    r1 = arun(runner.run(CHAT, {"user_input": "Hello!"}, workflow_id="chat-1"))
    assert r1.paused and r1.pause is not None and r1.pause.node_name == "wait_for_user"
    r2 = arun(runner.run(CHAT, {"user_input": "Tell me more"}, workflow_id="chat-1"))
    assert r2.paused
    assert [m["content"] for m in r2["messages"]] == [
        "Hello!", "echo: Hello!", "Tell me more", "echo: Tell me more",
    ]
    other = arun(runner.run(CHAT, {"user_input": "Hi"}, workflow_id="chat-2"))
    assert len(other["messages"]) == 2  # a different id is a different conversation
    r3 = arun(runner.run(CHAT, {"user_input": "bye"}, workflow_id="chat-1"))
    assert r3.completed and len(r3["messages"]) == 6
    with pytest.raises(WorkflowAlreadyCompletedError):
        arun(runner.run(CHAT, {"user_input": "anyone?"}, workflow_id="chat-1"))
    # history: the interrupt appears twice per resumed turn, paused then completed
    asks = [s.status for s in cp.steps("chat-1") if s.node_name == "wait_for_user"]
    assert asks == [StepStatus.PAUSED, StepStatus.COMPLETED] * 2
    assert cp.get_run("chat-1").status is WorkflowStatus.COMPLETED


def test_run_start_event_carries_the_workflow_id(cp: Any) -> None:
    seen: list[Any] = []

    class Rec(EventProcessor):
        def on_event(self, event: Any) -> None:
            seen.append(event)

    arun(AsyncRunner(checkpointer=cp).run(
        REVIEW, {"prompt": "p"}, workflow_id="ev", event_processors=[Rec()]))
    starts = [e for e in seen if isinstance(e, RunStartEvent)]
    assert starts and starts[0].workflow_id == "ev"


def test_sync_runner_with_checkpointer(cp: Any) -> None:
    runner = SyncRunner(checkpointer=cp)
    result = runner.run(Graph([fine]), {"x": 3}, workflow_id="sync-1")
    assert result.completed and result.workflow_id == "sync-1"
    assert cp.state("sync-1") == {"ok": 3}
    with pytest.raises(WorkflowAlreadyCompletedError):
        runner.run(Graph([fine]), {}, workflow_id="sync-1")


# -- answers must meet a question ------------------------------------------------------
@interrupt(output_name="title")
def ask_title(draft: str) -> str | None:
    return None


@node(output_name="post")
def assemble(decision: str, title: str) -> str:
    return f"{title}: {decision}"


TWO_QUESTIONS = Graph([generate_draft, approval, ask_title, assemble], name="two")


def test_answer_for_an_interrupt_that_is_not_waiting_is_refused(cp: Any) -> None:
    runner = AsyncRunner(checkpointer=cp)
    first = arun(runner.run(TWO_QUESTIONS, {"prompt": "p"}, workflow_id="q"))
    assert first.pause is not None
    waiting = first.pause.response_key
    other = "title" if waiting == "decision" else "decision"
    with pytest.raises(ValueError) as ei:
        arun(runner.run(TWO_QUESTIONS, {other: "x"}, workflow_id="q"))
    assert repr(other) in str(ei.value) and repr(waiting) in str(ei.value)
    second = arun(runner.run(TWO_QUESTIONS, {waiting: "yes"}, workflow_id="q"))
    assert second.paused and second.pause is not None and second.pause.response_key == other
    done = arun(runner.run(TWO_QUESTIONS, {other: "no"}, workflow_id="q"))
    assert done.completed and set(done["post"].split(": ")) == {"yes", "no"}


def test_answers_for_a_running_workflow_are_refused(cp: Any) -> None:
    from hypergraph_typed.exceptions import ConcurrentRunError

    runner = AsyncRunner(checkpointer=cp)
    arun(runner.run(REVIEW, {"prompt": "p"}, workflow_id="busy"))
    cp.update_run_status_sync("busy", WorkflowStatus.ACTIVE)  # as while another call runs
    with pytest.raises(ConcurrentRunError) as ei:
        arun(runner.run(REVIEW, {"decision": "ok"}, workflow_id="busy"))
    assert ei.value.workflow_id == "busy" and "being run right now" in str(ei.value)


@pytest.mark.parametrize("durability", ["sync", "exit"])
def test_durability_controls_when_steps_are_written(tmp_path: Path, durability: str) -> None:
    from hypergraph_typed.checkpointers import SqliteCheckpointer

    cp = SqliteCheckpointer(
        tmp_path / "d.db", durability=durability,
        retention="latest" if durability == "exit" else "full",
    )
    seen: list[int] = []

    @node(output_name="a")
    def first(x: int) -> int:
        return x + 1

    @node(output_name="b")
    def second(a: int) -> int:
        seen.append(len(cp.steps("d")))  # what is on disk while the run is going
        return a + 1

    result = SyncRunner(checkpointer=cp).run(Graph([first, second]), {"x": 1}, workflow_id="d")
    assert result["b"] == 3
    assert seen == ([0] if durability == "exit" else [1])
    assert [s.node_name for s in cp.steps("d")] == ["first", "second"]


@pytest.mark.parametrize("durability", ["async", "sync"])
def test_the_step_before_an_interrupt_is_written_with_the_pause(
    tmp_path: Path, durability: str
) -> None:
    """A superstep of interrupts only defers the write before it (one transaction for the
    step and the pause); durability="sync" still writes it first."""
    from hypergraph_typed.checkpointers import SqliteCheckpointer

    cp = SqliteCheckpointer(tmp_path / "i.db", durability=durability)
    seen: list[list[str]] = []
    wid = ["i"]

    @node(output_name="draft")
    def write(topic: str) -> str:
        return f"about {topic}"

    @interrupt(output_name="decision")
    def review(draft: str) -> str | None:
        seen.append([s.node_name for s in cp.steps(wid[0])])  # on disk while it decides
        return None if draft == "about t" else "auto"

    @node(output_name="done")
    def publish(decision: str) -> str:
        seen.append([s.node_name for s in cp.steps(wid[0])])
        return decision

    graph = Graph([write, review, publish])
    runner = AsyncRunner(checkpointer=cp)
    paused = arun(runner.run(graph, {"topic": "t"}, workflow_id="i"))
    assert paused.paused
    assert seen == [[] if durability == "async" else ["write"]]
    assert [(s.node_name, s.status) for s in cp.steps("i")] == [
        ("write", StepStatus.COMPLETED), ("review", StepStatus.PAUSED),
    ]
    # a handler that answers: its superstep and the one before are written before the next
    seen.clear()
    wid[0] = "j"
    done = arun(runner.run(graph, {"topic": "u"}, workflow_id="j"))
    assert done["done"] == "auto"
    assert seen == [[] if durability == "async" else ["write"], ["write", "review"]]
    assert [s.node_name for s in cp.steps("j")] == ["write", "review", "publish"]


@pytest.mark.parametrize("type_check", ["off", "edges"])
def test_a_pause_and_its_answer_take_two_store_operations_each(
    tmp_path: Path, type_check: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pause: the start, then the step before the interrupt written with the pause.
    Answer: read and claim in one request (``LoadAndClaim``), then the final write; with
    run-time edge checks the answer is checked between the read and the claim."""
    from hypergraph_typed.checkpointers import SqliteCheckpointer
    from hypergraph_typed.checkpointers import protocol as p

    sent: list[str] = []
    for request in (p.LoadRun, p.StartRun, p.ClaimRun, p.CommitRun, p.LoadAndClaim):
        async def send_async(self: Any, store: Any, original: Any = request.send_async) -> Any:
            sent.append(type(self).__name__)
            return await original(self, store)

        monkeypatch.setattr(request, "send_async", send_async)
    runner = AsyncRunner(checkpointer=SqliteCheckpointer(tmp_path / "ops.db"),
                         type_check=type_check)
    arun(runner.run(REVIEW, {"prompt": "p"}, workflow_id="w"))
    assert sent == ["StartRun", "CommitRun"]
    sent.clear()
    done = arun(runner.run(REVIEW, {"decision": "ok"}, workflow_id="w"))
    assert done["result"] == "Published: ok"
    if type_check == "off":
        assert sent == ["LoadAndClaim", "CommitRun"]
    else:
        assert sent == ["LoadRun", "ClaimRun", "CommitRun"]


# -- nested graphs are child runs -------------------------------------------------------
def test_nested_interrupt_is_a_child_run_that_resumes_in_place(cp: Any) -> None:
    calls: list[str] = []

    @node(output_name="notes")
    def prepare(draft: str) -> str:
        calls.append(draft)
        return f"notes on {draft}"

    @interrupt(output_name="decision")
    def review(notes: str) -> str | None:
        return None

    inner = Graph([prepare, review], name="inner").as_node()
    outer = Graph([generate_draft, inner, finalize], name="outer")
    runner = AsyncRunner(checkpointer=cp)
    paused = arun(runner.run(outer, {"prompt": "p"}, workflow_id="n1"))
    assert paused.pause is not None
    assert paused.pause.node_name == "inner/review" and paused.pause.response_key == "inner.decision"
    child = cp.get_run("n1/inner")
    assert child is not None and child.parent_run_id == "n1"
    assert child.status is WorkflowStatus.PAUSED
    done = arun(runner.run(outer, {"inner.decision": "ship it"}, workflow_id="n1"))
    assert done.completed and done["result"] == "Published: ship it"
    assert calls == ["Blog post about: p"]  # the inner node before the pause ran once
    inner_steps = [(s.node_name, s.status) for s in cp.steps("n1/inner")]
    assert inner_steps == [
        ("prepare", StepStatus.COMPLETED),
        ("review", StepStatus.PAUSED),
        ("review", StepStatus.COMPLETED),
    ]
    assert cp.get_run("n1/inner").status is WorkflowStatus.COMPLETED
    gn_steps = [s for s in cp.steps("n1") if s.node_name == "inner"]
    assert [s.status for s in gn_steps] == [StepStatus.PAUSED, StepStatus.COMPLETED]
    assert {s.child_run_id for s in gn_steps} == {"n1/inner"}


# -- map() persistence ------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["sync", "async"])
def test_map_with_workflow_id_persists_items_and_skips_completed_ones(cp: Any, kind: str) -> None:
    calls: list[int] = []
    broken = {3}

    @node(output_name="squared")
    def square(x: int) -> int:
        calls.append(x)
        if x in broken:
            raise ValueError(f"cannot square {x}")
        return x * x

    graph = Graph([square], name="squares")
    runner: Any = SyncRunner(checkpointer=cp) if kind == "sync" else AsyncRunner(checkpointer=cp)

    def call(**kw: Any) -> Any:
        r = runner.map(graph, {"x": [1, 2, 3]}, map_over="x", error_handling="continue", **kw)
        return arun(r) if kind == "async" else r

    first = call(workflow_id="batch")
    assert [r.status.value for r in first] == ["completed", "completed", "failed"]
    assert [r.workflow_id for r in first] == ["batch/0", "batch/1", "batch/2"]
    parent = cp.get_run("batch")
    assert parent.status is WorkflowStatus.COMPLETED and parent.error_count == 1
    child = cp.get_run("batch/1")
    assert child.parent_run_id == "batch" and "map_item_signature" in child.config
    assert cp.get_run("batch/2").status is WorkflowStatus.FAILED
    assert cp.state("batch/1") == {"squared": 4}

    broken.clear()
    calls.clear()
    second = call(workflow_id="batch")
    assert calls == [3]  # completed items were skipped, the failed one ran again
    assert [r["squared"] for r in second] == [1, 4, 9]
    skipped = second[0]
    assert skipped.run_id == skipped.workflow_id == "batch/0" and skipped.log is None
    assert cp.get_run("batch/2").status is WorkflowStatus.COMPLETED
    assert cp.get_run("batch").error_count == 0

    calls.clear()
    call()  # no workflow_id: nothing is persisted
    assert len(calls) == 3
    assert {r.id for r in cp.runs(limit=None)} >= {"batch"}
    assert not [r for r in cp.runs(limit=None) if not r.id.startswith("batch")]


def test_sync_runner_persists_nested_graphs_as_child_runs(cp: Any) -> None:
    @node(output_name="y")
    def inc(x: int) -> int:
        return x + 1

    inner = Graph([inc], name="inner").as_node()
    outer = Graph([fine, inner.with_inputs(x="ok")], name="outer")
    result = SyncRunner(checkpointer=cp).run(outer, {"x": 1}, workflow_id="s1")
    assert result["y"] == 2
    child = cp.get_run("s1/inner")
    assert child.parent_run_id == "s1" and child.status is WorkflowStatus.COMPLETED
    assert cp.state("s1/inner") == {"y": 2}
    assert [s.child_run_id for s in cp.steps("s1") if s.node_name == "inner"] == ["s1/inner"]
