"""Interrupts in cycles: multi-turn chat (both wirings), one answer per visit, config errors."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from hypergraph_typed import (
    END,
    AsyncRunner,
    Graph,
    GraphConfigError,
    interrupt,
    node,
    route,
)

Messages = list[dict[str, str]]


def run(graph: Graph, values: dict[str, Any] | None = None, **kwargs: Any) -> Any:
    return asyncio.run(AsyncRunner().run(graph, values, **kwargs))


def fake_llm(messages: Messages) -> str:
    return f"echo {messages[-1]['content']}"


# -- variant 1: emit/wait_for ----------------------------------------------------------------
ROUTE_SAW: list[int] = []


@interrupt(output_name="user_input")
def ask_user(messages: Messages) -> str | None:
    return None


@node(output_name="messages")
def add_user_message(messages: Messages, user_input: str) -> Messages:
    return [*messages, {"role": "user", "content": user_input}]


@node(output_name="response")
def generate(messages: Messages) -> str:
    return fake_llm(messages)


@node(output_name="messages", emit="turn_done")
def add_response(messages: Messages, response: str) -> Messages:
    return [*messages, {"role": "assistant", "content": response}]


@route(targets=["ask_user", END], wait_for="turn_done")
def should_continue(messages: Messages) -> Any:
    ROUTE_SAW.append(len(messages))
    return END if len(messages) >= 6 else "ask_user"


SIGNAL_NODES = [ask_user, add_user_message, generate, add_response, should_continue]


def signal_chat() -> Graph:
    return Graph(
        SIGNAL_NODES, shared=["messages"], edges=[("add_user_message", "generate")],
        entrypoint="ask_user",
    ).bind(messages=[])


# -- variant 2: explicit edges -----------------------------------------------------------------
@interrupt(output_name="query")
def ask_query(response: str | None) -> str | None:
    return None


@node(output_name="messages")
def add_query(messages: Messages, query: str) -> Messages:
    return [*messages, {"role": "user", "content": query}]


@node(output_name="messages")
def add_reply(messages: Messages, response: str) -> Messages:
    return [*messages, {"role": "assistant", "content": response}]


@route(targets=["ask_query", END])
def keep_going(messages: Messages) -> Any:
    return END if len(messages) >= 6 else "ask_query"


EDGE_NODES = [ask_query, add_query, generate, add_reply, keep_going]
EDGES = [(ask_query, add_query), (add_query, generate), (generate, add_reply), (add_reply, keep_going)]


def edge_chat() -> Graph:
    return Graph(
        EDGE_NODES, edges=EDGES, shared=["response", "messages"], entrypoint="ask_query",
    ).bind(messages=[], response=None)


# -- (a) the ambiguous forms fail at construction, naming the fix ------------------------------
class TestAsWritten:
    def test_signal_chat_names_competing_writers_and_the_fix(self) -> None:
        with pytest.raises(GraphConfigError) as ei:
            Graph(SIGNAL_NODES).bind(messages=[])
        msg = str(ei.value)
        assert "'messages'" in msg and "competing producers" in msg
        assert "'add_user_message'" in msg and "'add_response'" in msg
        assert (
            "Graph([...], shared=['messages'], edges=[('add_user_message', 'generate')], "
            "entrypoint='ask_user')"
        ) in msg
        assert ".bind(messages=...)" in msg

    def test_signal_chat_with_only_entrypoint_still_names_fix(self) -> None:
        with pytest.raises(GraphConfigError, match=r"shared=\['messages'\]"):
            Graph(SIGNAL_NODES, entrypoint="ask_user")

    def test_signal_chat_shared_and_edges_without_entrypoint(self) -> None:
        with pytest.raises(GraphConfigError) as ei:
            Graph(SIGNAL_NODES, shared=["messages"], edges=[("add_user_message", "generate")])
        msg = str(ei.value)
        assert "Cyclic graphs require an explicit entrypoint" in msg
        assert "entrypoint='ask_user'" in msg
        assert "nothing to read" not in msg  # that start has every value it needs

    def test_the_proposed_fix_builds(self) -> None:
        g = signal_chat()
        assert g.has_cycles and g.entrypoints_config == ("ask_user",)
        assert g.inputs.optional == ("messages",) and g.inputs.required == ()

    def test_edge_chat_names_entrypoint_and_first_turn_gaps(self) -> None:
        with pytest.raises(GraphConfigError) as ei:
            Graph(EDGE_NODES, edges=EDGES).bind(messages=[])
        msg = str(ei.value)
        assert "Cyclic graphs require an explicit entrypoint" in msg
        assert "entrypoint='ask_query'" in msg
        assert "nothing to read" in msg
        assert "'response' read by 'ask_query'" in msg and "['generate']" in msg
        assert "'messages' read by 'add_query'" in msg
        assert "shared=['response', 'messages']" in msg
        assert ".bind(response=..., messages=...)" in msg

    def test_edge_chat_with_entrypoint_only_has_nothing_to_read(self) -> None:
        # Just adding the entrypoint builds, but the first turn cannot start: 'response'
        # and 'messages' are not inputs (edges carry them), so nothing is ready.
        g = Graph(EDGE_NODES, edges=EDGES, entrypoint="ask_query")
        assert g.inputs.all == ()
        r = run(g, {})
        assert r.completed and r.values == {}
        with pytest.raises(ValueError, match="messages"):
            g.bind(messages=[])

    def test_default_suggested_when_the_only_reader(self) -> None:
        @interrupt(output_name="q")
        def ask(hint: str) -> str | None:
            return None

        @node(output_name="hint")
        def think(q: str) -> str:
            return q

        @route(targets=["think", END])
        def loop(q: str) -> Any:
            return END if q == "stop" else "think"

        edges = [(ask, loop), (think, ask)]
        with pytest.raises(GraphConfigError) as ei:
            Graph([ask, think, loop], edges=edges)
        assert "give 'ask' a default for 'hint' (def ask(..., hint=None))" in str(ei.value)

        @interrupt(output_name="q")
        def ask_fixed(hint: str | None = None) -> str | None:
            return None

        fixed = Graph([ask_fixed.with_name("ask"), think, loop], edges=edges, entrypoint="ask")
        assert run(fixed, {}).pause.value is None
        assert run(fixed, {"q": "more"}).pause.value == "more"

    def test_unfixable_unordered_producers_keep_generic_advice(self) -> None:
        @node(output_name="r")
        def a(x: int) -> int:
            return x

        @node(output_name="r")
        def b(x: int) -> int:
            return -x

        @node(output_name="out")
        def c(r: int) -> int:
            return r

        with pytest.raises(GraphConfigError) as ei:
            Graph([a, b, c])
        msg = str(ei.value)
        assert "Multiple nodes produce 'r'" in msg
        assert "emit=" in msg and "wait_for=" in msg
        assert "Concrete fix" not in msg


# -- (b) the fixed forms run turn by turn -------------------------------------------------------
@pytest.mark.parametrize("build", [signal_chat, edge_chat], ids=["signals", "edges"])
class TestChatRuns:
    def test_first_run_pauses_at_ask_user(self, build: Any) -> None:
        g = build()
        r = run(g, {})
        assert r.paused
        assert r.pause.node_name in ("ask_user", "ask_query")
        assert [s.node_name for s in r.log.steps] == [r.pause.node_name]

    def test_each_answer_runs_one_turn_and_pauses_again(self, build: Any) -> None:
        g = build()
        key = run(g, {}).pause.response_key
        messages: Messages = []
        for turn, text in enumerate(["hi", "how are you"], start=1):
            r = run(g, {"messages": messages, key: text})
            assert r.paused, f"turn {turn} should pause again"
            messages = r["messages"]
            assert len(messages) == 2 * turn
            assert messages[-2:] == [
                {"role": "user", "content": text},
                {"role": "assistant", "content": f"echo {text}"},
            ]
            names = [s.node_name for s in r.log.steps]
            assert names[0] == names[-1] == r.pause.node_name
            assert len(names) == 6  # one visit of each node, then the ask again
            assert r.log.steps[-1].status == "paused"

    def test_conversation_ends_at_end(self, build: Any) -> None:
        g = build()
        key = run(g, {}).pause.response_key
        messages: Messages = []
        results = []
        for text in ["a", "b", "c"]:
            r = run(g, {"messages": messages, key: text})
            messages = r["messages"]
            results.append(r.status.value)
        assert results == ["paused", "paused", "completed"]
        assert [m["content"] for m in messages] == ["a", "echo a", "b", "echo b", "c", "echo c"]

    def test_answer_alone_replays_one_turn_from_the_seed(self, build: Any) -> None:
        g = build()
        key = run(g, {}).pause.response_key
        r = run(g, {key: "only"})
        assert r.paused
        assert [m["content"] for m in r["messages"]] == ["only", "echo only"]

    def test_pause_value_shows_updated_state(self, build: Any) -> None:
        g = build()
        key = run(g, {}).pause.response_key
        r = run(g, {key: "hello"})
        if r.pause.node_name == "ask_user":
            assert r.pause.value == r["messages"]
        else:
            assert r.pause.value == "echo hello"


def test_route_sees_fully_updated_messages() -> None:
    ROUTE_SAW.clear()
    g = signal_chat()
    messages: Messages = []
    for text in ["a", "b"]:
        messages = run(g, {"messages": messages, "user_input": text})["messages"]
    assert ROUTE_SAW == [2, 4]


# -- one answer per visit --------------------------------------------------------------------------
@interrupt(output_name="answer")
def ask(question: int) -> int | None:
    return None


@node(output_name="question")
def next_question(question: int, answer: int) -> int:
    return question + 1


@route(targets=["ask", END])
def more(question: int) -> Any:
    return END if question >= 100 else "ask"


def test_answer_serves_one_visit_then_asks_again() -> None:
    g = Graph([ask, next_question, more], entrypoint="ask")
    assert g.inputs.required == ("question",)
    r = run(g, {"question": 1, "answer": 42}, max_iterations=20)
    assert r.paused
    assert r.pause.node_name == "ask" and r.pause.value == 2
    steps = [(s.node_name, s.status) for s in r.log.steps]
    assert steps == [
        ("ask", "completed"), ("next_question", "completed"), ("more", "completed"),
        ("ask", "paused"),
    ]


def test_handler_called_on_second_visit() -> None:
    calls: list[int] = []

    @interrupt(output_name="answer")
    def ask_counted(question: int) -> int | None:
        calls.append(question)
        return None

    g = Graph([ask_counted.with_name("ask"), next_question, more], entrypoint="ask")
    run(g, {"question": 1, "answer": 5})
    assert calls == [2]


def test_auto_resolving_handler_in_cycle_runs_to_end() -> None:
    @interrupt(output_name="answer")
    def auto(question: int) -> int:
        return question

    g = Graph([auto.with_name("ask"), next_question, more], entrypoint="ask")
    r = run(g, {"question": 95})
    assert r.completed and r["question"] == 100
