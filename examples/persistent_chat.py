"""Durable multi-turn chat: a checkpointer keeps the conversation between calls.

The "Persistent Multi-Turn with Checkpointer" pattern of hypergraph's human-in-the-loop
page: ``workflow_id`` names the conversation, ``shared=["messages"]`` accumulates the
history across the cycle, ``entrypoint="add_user_message"`` skips the question on the
first call, and each ``.run()`` passes only the new ``user_input``. The state lives in a SQLite file, so
turns may come from different processes (run this script twice with the same
``--db`` and ``--workflow``).

    python examples/persistent_chat.py                 # a whole conversation, temp db
    python examples/persistent_chat.py --db chat.db --workflow chat-1 --say "Hello!"
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from pathlib import Path
from typing import Any

from hypergraph_typed import (
    END,
    AsyncRunner,
    Graph,
    SqliteCheckpointer,
    WorkflowAlreadyCompletedError,
    interrupt,
    node,
    route,
)

Messages = list[dict[str, str]]


def fake_llm(messages: Messages) -> str:
    """Stands in for a chat model."""
    return f"echo: {messages[-1]['content']}"


@interrupt(output_name="user_input")
def wait_for_user(messages: Messages) -> str | None:
    return None  # wait for the person's next message


@node(output_name="messages")
def add_user_message(messages: Messages, user_input: str) -> Messages:
    return [*messages, {"role": "user", "content": user_input}]


@node(output_name="response")
def generate(messages: Messages) -> str:
    return fake_llm(messages)


@node(output_name="messages")
def add_response(messages: Messages, response: str) -> Messages:
    return [*messages, {"role": "assistant", "content": response}]


@route(targets=["wait_for_user", END])
def should_continue(messages: Messages) -> Any:
    return END if messages[-2]["content"].lower() == "bye" else "wait_for_user"


def build_chat() -> Graph:
    return Graph(
        [wait_for_user, add_user_message, generate, add_response, should_continue],
        edges=[
            (wait_for_user, add_user_message),
            (add_user_message, generate),
            (generate, add_response),
            (add_response, should_continue),
        ],
        shared=["messages"],
        entrypoint="add_user_message",
        name="chat",
    ).bind(messages=[])


CHAT = build_chat()


async def say(db: Path, workflow_id: str, text: str) -> Any:
    """One turn: resume (or start) the conversation with the user's message."""
    checkpointer = SqliteCheckpointer(db)
    try:
        runner = AsyncRunner(checkpointer=checkpointer)
        return await runner.run(CHAT, {"user_input": text}, workflow_id=workflow_id)
    finally:
        checkpointer.close()


async def conversation(db: Path) -> None:
    for text in ["Hello!", "Tell me more", "bye"]:
        result = await say(db, "chat-1", text)
        print(f"user: {text!r} -> bot: {result['messages'][-1]['content']!r} ({result.status})")
    try:
        await say(db, "chat-1", "anyone there?")
    except WorkflowAlreadyCompletedError as exc:
        print("after the end:", type(exc).__name__)
    checkpointer = SqliteCheckpointer(db)
    try:
        print("history:")
        for step in checkpointer.steps("chat-1"):
            print(f"  {step!r}")
    finally:
        checkpointer.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, help="SQLite file (default: a temporary one)")
    parser.add_argument("--workflow", default="chat-1", help="conversation id")
    parser.add_argument("--say", help="one message; without it, a whole conversation")
    args = parser.parse_args(argv)
    if args.say is not None:
        if args.db is None:
            parser.error("--say needs --db so the next turn can find the conversation")
        try:
            result = asyncio.run(say(args.db, args.workflow, args.say))
        except WorkflowAlreadyCompletedError:
            raise SystemExit(
                f"conversation {args.workflow!r} has ended (it said bye); start a new one "
                "with another --workflow"
            ) from None
        print(result["messages"][-1]["content"], f"({result.status})")
        return
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(conversation(args.db or Path(tmp) / "chat.db"))


if __name__ == "__main__":
    main()
