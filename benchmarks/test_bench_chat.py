"""hypergraph's persistent chat (examples/persistent_chat.py): three turns of a conversation.

A cycle with a gate and an interrupt, checkpointed: the general loop runs it all (no
static region). One round is a whole conversation on a new workflow id ("Hello!",
"Tell me more", "bye"), with ``MemoryCheckpointer`` (store work kept small, so the
interpreter shows) and ``SqliteCheckpointer`` on disk. The baseline does the same
list appends and ``fake_llm`` calls in plain Python.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from persistent_chat import CHAT, fake_llm

from hypergraph_typed import AsyncRunner, SqliteCheckpointer
from hypergraph_typed.checkpointers import MemoryCheckpointer

CASE = "chat-3-turns"
TURNS = ("Hello!", "Tell me more", "bye")


async def _plain() -> list[dict[str, str]]:
    messages: list[dict[str, str]] = []
    for text in TURNS:
        messages = [*messages, {"role": "user", "content": text}]
        response = fake_llm(messages)
        messages = [*messages, {"role": "assistant", "content": response}]
        if messages[-2]["content"].lower() == "bye":
            break
    return messages


def test_chat_baseline(benchmark: Any, loop: asyncio.AbstractEventLoop) -> None:
    benchmark.group = CASE
    benchmark.extra_info.update(case=CASE, runner="async-baseline", nodes=5)
    assert len(benchmark(lambda: loop.run_until_complete(_plain()))) == 6


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, Any]]:
    if request.param == "memory":
        yield "memory", MemoryCheckpointer()
        return
    cp = SqliteCheckpointer(tmp_path / "chat.db")
    try:
        yield "sqlite", cp
    finally:
        cp.close()


def test_chat_turns(
    benchmark: Any, store: tuple[str, Any], loop: asyncio.AbstractEventLoop
) -> None:
    name, cp = store
    runner = AsyncRunner(checkpointer=cp)
    ids = (f"chat-{i}" for i in itertools.count())

    async def conversation() -> Any:
        wid = next(ids)
        result: Any = None
        for text in TURNS:
            result = await runner.run(CHAT, {"user_input": text}, workflow_id=wid)
        return result

    benchmark.group = CASE
    benchmark.extra_info.update(case=CASE, runner=f"chat-{name}", nodes=5)
    result = benchmark(lambda: loop.run_until_complete(conversation()))
    assert result.completed and len(result["messages"]) == 6
