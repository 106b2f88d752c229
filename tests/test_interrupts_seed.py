"""The human-in-the-loop page, example by example, run as written (checkpointer sections
excluded: they belong to the persistence work). Also runs every script in examples/."""

from __future__ import annotations

import asyncio
import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from hypergraph_typed import (
    END,
    AsyncRunner,
    Graph,
    GraphConfigError,
    IncompatibleRunnerError,
    InterruptNode,
    PauseInfo,
    SyncRunner,
    interrupt,
    node,
    route,
)

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def fake_llm_chat(messages: list[dict[str, str]]) -> str:
    """The page calls an LLM here; tests use a deterministic stand-in."""
    return f"Assistant reply to: {messages[-1]['content']}"


# -- Basic Pause and Resume ----------------------------------------------------------------
@node(output_name="draft")
def generate_draft(prompt: str) -> str:
    return f"Blog post about: {prompt}"


@interrupt(output_name="decision")
def approval(draft: str) -> str | None:
    return None  # pause for human review


@node(output_name="result")
def finalize(decision: str) -> str:
    return f"Published: {decision}"


async def test_basic_pause_and_resume() -> None:
    graph = Graph([generate_draft, approval, finalize])
    runner = AsyncRunner()

    # Run the graph. Execution pauses at the interrupt.
    result = await runner.run(graph, {"prompt": "Python async"})
    assert result.paused
    # Inspect result.pause.value to see what the user needs to review.
    assert result.pause.value == "Blog post about: Python async"
    # Resume by passing the response via result.pause.response_key.
    result = await runner.run(
        graph, {"prompt": "Python async", result.pause.response_key: "Looks great!"}
    )
    assert result.completed
    assert result["result"] == "Published: Looks great!"


async def test_run_result_properties() -> None:
    graph = Graph([generate_draft, approval, finalize])
    result = await AsyncRunner().run(graph, {"prompt": "Python async"})
    assert result.paused is True
    assert result.pause.value == "Blog post about: Python async"
    assert result.pause.node_name == "approval"
    assert result.pause.output_param == "decision"
    assert result.pause.response_key == "decision"


# -- Multi-Turn Chat with Human Input ------------------------------------------------------
@interrupt(output_name="user_input")
def ask_user(messages: list[dict[str, str]]) -> str | None:
    return None  # the graph pauses immediately, asking the user for input


@node(output_name="messages")
def add_user_message(messages: list[dict[str, str]], user_input: str) -> list[dict[str, str]]:
    return [*messages, {"role": "user", "content": user_input}]


@node(output_name="response")
def generate(messages: list[dict[str, str]]) -> str:
    return fake_llm_chat(messages)


@node(output_name="messages", emit="turn_done")
def add_response(messages: list[dict[str, str]], response: str) -> list[dict[str, str]]:
    return [*messages, {"role": "assistant", "content": response}]


@route(targets=["ask_user", END], wait_for="turn_done")
def should_continue(messages: list[dict[str, str]]) -> Any:
    if len(messages) >= 6:
        return END
    return "ask_user"


CHAT = [ask_user, add_user_message, generate, add_response, should_continue]


async def test_multi_turn_chat_as_written_is_rejected_with_the_fix() -> None:
    with pytest.raises(GraphConfigError) as ei:
        Graph(CHAT).bind(messages=[])
    msg = str(ei.value)
    assert "competing producers" in msg and "'messages'" in msg
    assert "shared=['messages']" in msg
    assert "edges=[('add_user_message', 'generate')]" in msg
    assert "entrypoint='ask_user'" in msg


async def test_multi_turn_chat_fixed() -> None:
    graph = Graph(
        CHAT, shared=["messages"], edges=[("add_user_message", "generate")],
        entrypoint="ask_user",
    ).bind(messages=[])  # pre-fills the seed input so .run({}) works with no values
    runner = AsyncRunner()

    # Interrupt as first step: the graph pauses immediately.
    result = await runner.run(graph, {})
    assert result.paused and result.pause.node_name == "ask_user"
    assert result.pause.value == []

    # Each resume replays the graph with the previous state and the new response.
    messages: list[dict[str, str]] = []
    for text in ["Hello!", "Tell me more"]:
        result = await runner.run(graph, {"messages": messages, "user_input": text})
        assert result.paused and result.pause.node_name == "ask_user"
        messages = result["messages"]
        assert messages[-1] == {"role": "assistant", "content": f"Assistant reply to: {text}"}
        # should_continue saw the fully updated messages and routed back to ask_user
        assert result["_should_continue"] == "ask_user"
        assert result.pause.value == messages
    result = await runner.run(graph, {"messages": messages, "user_input": "Bye"})
    assert result.completed and len(result["messages"]) == 6


# -- Alternative: Explicit Edges -------------------------------------------------------------
@interrupt(output_name="query")
def ask_query(response: str | None) -> str | None:
    return None


@node(output_name="messages")
def add_query(messages: list[dict[str, str]], query: str) -> list[dict[str, str]]:
    return [*messages, {"role": "user", "content": query}]


@node(output_name="messages")
def add_reply(messages: list[dict[str, str]], response: str) -> list[dict[str, str]]:
    return [*messages, {"role": "assistant", "content": response}]


@route(targets=["ask_query", END])
def continue_chat(messages: list[dict[str, str]]) -> Any:
    return END if len(messages) >= 6 else "ask_query"


EDGE_CHAT = [ask_query, add_query, generate, add_reply, continue_chat]
EDGES = [
    (ask_query, add_query),
    (add_query, generate),
    (generate, add_reply),
    (add_reply, continue_chat),
]


async def test_explicit_edges_as_written_is_rejected_with_the_fix() -> None:
    with pytest.raises(GraphConfigError) as ei:
        Graph(EDGE_CHAT, edges=EDGES).bind(messages=[])
    msg = str(ei.value)
    assert "entrypoint='ask_query'" in msg
    assert "'response' read by 'ask_query'" in msg
    assert "shared=['response', 'messages']" in msg


async def test_explicit_edges_fixed() -> None:
    graph = Graph(
        EDGE_CHAT, edges=EDGES, shared=["response", "messages"], entrypoint="ask_query",
    ).bind(messages=[], response=None)
    runner = AsyncRunner()
    result = await runner.run(graph, {})
    assert result.paused and result.pause.node_name == "ask_query"
    messages: list[dict[str, str]] = []
    for text in ["Hi", "Why?"]:
        result = await runner.run(graph, {"messages": messages, "query": text})
        assert result.paused
        messages = result["messages"]
        # the edge list made add_query run before add_reply
        assert [m["role"] for m in messages[-2:]] == ["user", "assistant"]
        assert result.pause.value == f"Assistant reply to: {text}"


# -- Auto-Resolve with Handlers, Conditional Pause, Async Handlers -------------------------------
async def test_auto_resolve_with_handler() -> None:
    @interrupt(output_name="decision")
    def approval(draft: str) -> str:
        return "auto-approved"

    graph = Graph([generate_draft, approval, finalize])
    result = await AsyncRunner().run(graph, {"prompt": "Python async"})
    assert result.completed
    assert result["result"] == "Published: auto-approved"


async def test_conditional_pause() -> None:
    @interrupt(output_name="decision")
    def approval(draft: str) -> str | None:
        if "LGTM" in draft:
            return "auto-approved"
        return None  # pause for human review

    graph = Graph([generate_draft, approval, finalize])
    runner = AsyncRunner()
    assert (await runner.run(graph, {"prompt": "LGTM"}))["result"] == "Published: auto-approved"
    assert (await runner.run(graph, {"prompt": "draft"})).paused


async def test_async_handlers() -> None:
    @interrupt(output_name="decision")
    async def approval(draft: str) -> str:
        await asyncio.sleep(0)
        return "async-approved"

    graph = Graph([generate_draft, approval, finalize])
    result = await AsyncRunner().run(graph, {"prompt": "Python async"})
    assert result["result"] == "Published: async-approved"


# -- Multiple Sequential Interrupts ------------------------------------------------------------
async def test_multiple_sequential_interrupts() -> None:
    @interrupt(output_name="name")
    def ask_name(greeting: str) -> str | None:
        return None

    @interrupt(output_name="age")
    def ask_age(name: str) -> int | None:
        return None

    @node(output_name="summary")
    def summarize(name: str, age: int) -> str:
        return f"{name} is {age}"

    graph = Graph([ask_name, ask_age, summarize])
    runner = AsyncRunner()

    result = await runner.run(graph, {"greeting": "Hi"})
    assert result.pause.node_name == "ask_name"
    # Each resume replays from the start with every response collected so far.
    result = await runner.run(graph, {"greeting": "Hi", "name": "Alice"})
    assert result.pause.node_name == "ask_age"
    result = await runner.run(graph, {"greeting": "Hi", "name": "Alice", "age": 30})
    assert result.completed and result["summary"] == "Alice is 30"


# -- Nested Graph Interrupts ------------------------------------------------------------------
async def test_nested_graph_interrupts() -> None:
    @interrupt(output_name="y")
    def approval(x: int) -> int | None:
        return None

    inner = Graph([approval], name="inner")

    @node(output_name="x")
    def produce(a: int) -> int:
        return a * 2

    outer = Graph([produce, inner.as_node()])
    runner = AsyncRunner()
    result = await runner.run(outer, {"a": 5})
    assert result.paused
    assert result.pause.node_name == "inner/approval"
    assert result.pause.response_key == "inner.y"
    result = await runner.run(outer, {"a": 5, "inner.y": 100})
    assert result.completed and result["y"] == 100


# -- Runner Compatibility ------------------------------------------------------------------------
def test_runner_compatibility() -> None:
    graph = Graph([generate_draft, approval, finalize], name="review")
    with pytest.raises(IncompatibleRunnerError):
        SyncRunner().run(graph, {"prompt": "x"})
    with pytest.raises(IncompatibleRunnerError):
        asyncio.run(AsyncRunner().map(graph, {"prompt": ["a", "b"]}, map_over="prompt"))
    with pytest.raises(GraphConfigError):
        Graph([graph.as_node().map_over("prompt")])


# -- With emit/wait_for ----------------------------------------------------------------------
async def test_interrupt_with_emit_wait_for() -> None:
    @interrupt(output_name="decision", emit="reviewed")
    def review(draft: str) -> str | None:
        return None

    @node(output_name="notification", wait_for="reviewed")
    def notify(draft: str) -> str:
        return f"Reviewed: {draft}"

    graph = Graph([generate_draft, review, notify])
    runner = AsyncRunner()
    result = await runner.run(graph, {"prompt": "x"})
    assert result.paused and "notification" not in result.values
    result = await runner.run(graph, {"prompt": "x", "decision": "ok"})
    assert result["notification"] == "Reviewed: Blog post about: x"


# -- API Reference ---------------------------------------------------------------------------
def test_api_reference_decorator_and_constructor() -> None:
    @interrupt(output_name="decision", rename_inputs={"draft": "text"}, hide=True)
    def review(draft: str) -> str | None:
        return None

    assert review.inputs == ("text",) and review.hide

    def my_func(draft: str) -> str:
        return draft

    approval_node = InterruptNode(my_func, name="approval", output_name="decision")
    assert approval_node.inputs == ("draft",)
    assert approval_node.outputs == ("decision",)
    assert approval_node.data_outputs == ("decision",)
    assert approval_node.is_interrupt is True
    assert approval_node.cache is False and approval_node.hide is False
    assert approval_node.wait_for == ()
    assert approval_node.is_async is False and approval_node.is_generator is False
    assert len(approval_node.definition_hash) == 64
    assert approval_node.with_name("other").name == "other"
    assert approval_node.with_inputs(draft="text").inputs == ("text",)
    assert approval_node.with_outputs(decision="verdict").outputs == ("verdict",)
    with pytest.raises(TypeError):
        InterruptNode(my_func)


def test_api_reference_pause_info() -> None:
    top = PauseInfo(node_name="approval", output_param="decision", value="d")
    assert top.response_key == "decision"
    assert top.response_keys == {"decision": "decision"}
    nested = PauseInfo(node_name="inner/approval", output_param="decision")
    assert nested.response_key == "inner.decision"
    deep = PauseInfo(node_name="mid/inner/approval", output_param="decision")
    assert deep.response_key == "mid.inner.decision"
    multi = PauseInfo(
        node_name="inner/form", output_param="a", output_params=("a", "b"),
        values={"q": 1, "r": 2},
    )
    assert multi.response_keys == {"a": "inner.a", "b": "inner.b"}


# -- examples/ -------------------------------------------------------------------------------
def load_example(name: str) -> ModuleType:
    path = EXAMPLES / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"example_{name}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_example_approval_flow(capsys: pytest.CaptureFixture[str]) -> None:
    load_example("approval_flow").main()
    out = capsys.readouterr().out
    assert "pause.response_key: decision" in out
    assert "resumed: completed -> Published: Looks great!" in out
    assert "handler lgtm_approval on 'Python async': paused at approval" in out
    assert "with emit, after answer:  completed reviewed: Blog post about: signals" in out


def test_example_multi_turn_chat(capsys: pytest.CaptureFixture[str]) -> None:
    load_example("multi_turn_chat").main()
    out = capsys.readouterr().out
    assert out.count("as written -> GraphConfigError") == 2
    assert "entrypoint='ask_user'" in out and "entrypoint='ask_query'" in out
    assert "[chat] 6 messages" in out and "[edge_chat] 6 messages" in out
    assert out.count("paused at 'ask_user'") == 3 and out.count("ended") == 2


def test_example_nested_review(capsys: pytest.CaptureFixture[str]) -> None:
    load_example("nested_review").main()
    out = capsys.readouterr().out
    assert "response_key='review.decision'" in out
    assert "response_key='desk.review.verdict'" in out
    assert "sequential: done -> A short, edited note" in out
    assert "SyncRunner:" in out and "AsyncRunner.map:" in out and "map_over:" in out


@pytest.mark.parametrize(
    "name", ["approval_flow", "multi_turn_chat", "nested_review", "persistent_chat"]
)
def test_examples_run_as_scripts(name: str) -> None:
    proc = subprocess.run(
        [sys.executable, str(EXAMPLES / f"{name}.py")],
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip()


def test_example_persistent_chat(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    example = load_example("persistent_chat")
    example.main([])
    out = capsys.readouterr().out
    assert "user: 'Hello!' -> bot: 'echo: Hello!' (paused)" in out
    assert "user: 'bye' -> bot: 'echo: bye' (completed)" in out
    assert "after the end: WorkflowAlreadyCompletedError" in out
    assert out.count("wait_for_user | paused") == 2 and out.count("wait_for_user | completed") == 2
    # one turn per call, the way two separate processes would drive it
    db = tmp_path / "chat.db"
    example.main(["--db", str(db), "--workflow", "w", "--say", "first"])
    example.main(["--db", str(db), "--workflow", "w", "--say", "second"])
    assert capsys.readouterr().out.splitlines() == ["echo: first (paused)", "echo: second (paused)"]
