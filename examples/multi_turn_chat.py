"""Multi-turn chat with a human in the loop (stateless: each call replays one turn).

Two wirings of the same loop: emit/wait_for signals, and explicit edges. Each is first
built the short way, which is ambiguous (two nodes write ``messages``, the loop has no
start, ...): construction fails with a ``GraphConfigError`` that spells out the fix.
The fixed graphs then run turn by turn: every call answers the pending question,
runs one full turn, and pauses at ``ask_user`` again.
"""

from __future__ import annotations

import asyncio
from typing import Any

from hypergraph_typed import (
    END,
    AsyncRunner,
    Graph,
    GraphConfigError,
    HyperNode,
    interrupt,
    node,
    route,
)

Messages = list[dict[str, str]]
MAX_MESSAGES = 6


def fake_llm(messages: Messages) -> str:
    """Stands in for a chat model."""
    return f"You said {messages[-1]['content']!r} (turn {len(messages) // 2 + 1})"


# -- variant 1: emit/wait_for ------------------------------------------------------------
@interrupt(output_name="user_input")
def ask_user(messages: Messages) -> str | None:
    return None  # wait for the person


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
    return END if len(messages) >= MAX_MESSAGES else "ask_user"


CHAT_NODES: list[HyperNode] = [ask_user, add_user_message, generate, add_response, should_continue]


def build_signal_chat() -> Graph:
    """The loop as it reads in prose; raises GraphConfigError naming the fix."""
    return Graph(CHAT_NODES).bind(messages=[])


def build_signal_chat_fixed() -> Graph:
    return Graph(
        CHAT_NODES,
        shared=["messages"],
        edges=[("add_user_message", "generate")],
        entrypoint="ask_user",
        name="chat",
    ).bind(messages=[])


# -- variant 2: explicit edges -------------------------------------------------------------
@interrupt(output_name="query")
def ask_query(response: str | None) -> str | None:
    return None  # shows the last reply, waits for the next question


@node(output_name="messages")
def add_query(messages: Messages, query: str) -> Messages:
    return [*messages, {"role": "user", "content": query}]


@node(output_name="messages")
def add_reply(messages: Messages, response: str) -> Messages:
    return [*messages, {"role": "assistant", "content": response}]


@route(targets=["ask_query", END])
def keep_going(messages: Messages) -> Any:
    return END if len(messages) >= MAX_MESSAGES else "ask_query"


EDGE_NODES: list[HyperNode] = [ask_query, add_query, generate, add_reply, keep_going]
EDGES = [
    (ask_query, add_query),
    (add_query, generate),
    (generate, add_reply),
    (add_reply, keep_going),
]


def build_edge_chat() -> Graph:
    """The explicit-edges loop as it reads in prose; raises GraphConfigError naming the fix."""
    return Graph(EDGE_NODES, edges=EDGES).bind(messages=[])


def build_edge_chat_fixed() -> Graph:
    return Graph(
        EDGE_NODES,
        edges=EDGES,
        shared=["response", "messages"],
        entrypoint="ask_query",
        name="edge_chat",
    ).bind(messages=[], response=None)


async def chat(graph: Graph, questions: list[str]) -> Messages:
    """Drive the conversation: one run per answer, carrying the history forward."""
    runner = AsyncRunner()
    result = await runner.run(graph, {})
    assert result.pause is not None
    print(f"  [{graph.name}] paused at {result.pause.node_name!r}, showing {result.pause.value!r}")
    messages: Messages = []
    for question in questions:
        key = result.pause.response_key
        result = await runner.run(graph, {"messages": messages, key: question})
        messages = result["messages"]
        where = f"paused at {result.pause.node_name!r}" if result.paused else "ended"
        print(f"  [{graph.name}] user: {question!r} -> bot: {messages[-1]['content']!r}; {where}")
        if not result.paused:
            break
    return messages


def main() -> None:
    for build in (build_signal_chat, build_edge_chat):
        try:
            build()
        except GraphConfigError as exc:
            print(f"{build.__name__}() as written -> GraphConfigError:\n  {exc}\n")
    questions = ["Hello!", "What is a hypergraph?", "Thanks, bye"]
    for graph in (build_signal_chat_fixed(), build_edge_chat_fixed()):
        history = asyncio.run(chat(graph, questions))
        print(f"  [{graph.name}] {len(history)} messages\n")


if __name__ == "__main__":
    main()
