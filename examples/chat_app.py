"""Durable multi-turn chat over HTTP: FastAPI, a persistent chat graph, and a checkpointer.

Each conversation is one workflow. A turn is one interrupt: the graph pauses at
``wait_for_user`` and the next ``POST /conversations/{id}/messages`` resumes it with only
the new text. Everything lives in the checkpoint database (SQLite, or PostgreSQL when
``HYPERGRAPH_DSN`` is set), so the server can be restarted, or killed, between turns
without losing a conversation. ``/`` serves a small chat page (``chat_page/``).

    cd examples
    CHAT_DB=chat.db uvicorn chat_app:app            # or: python chat_app.py

See docs/chat-app.md for the page, the endpoints and a curl session.
"""

from __future__ import annotations

import asyncio
import os
import re
import uuid
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import FastAPI, HTTPException, status
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, ConfigDict, StringConstraints

from hypergraph_typed import (
    END,
    AsyncRunner,
    Graph,
    GraphChangedError,
    RunResult,
    WorkflowAlreadyCompletedError,
    interrupt,
    node,
    route,
)
from hypergraph_typed.checkpointers import (
    Checkpointer,
    PostgresCheckpointer,
    SqliteCheckpointer,
    StepStatus,
    WorkflowStatus,
)
from hypergraph_typed.exceptions import ConcurrentRunError

PAGE = Path(__file__).resolve().parent / "chat_page"  # index.html, chat.js, chat.css

# -- the graph: the persistent multi-turn chat from the human-in-the-loop docs ----------
Messages = list[dict[str, str]]
GOODBYES = {"bye", "goodbye", "quit", "exit"}


def is_goodbye(text: str) -> bool:
    return re.sub(r"[^a-z]", "", text.lower()) in GOODBYES


def fake_llm(messages: Messages) -> str:
    """A deterministic stand-in for a model call, so the example runs offline."""
    last = messages[-1]["content"]
    if is_goodbye(last):
        return "Goodbye! This conversation is closed."
    turn = sum(m["role"] == "user" for m in messages)
    return f"(turn {turn}) You said: {last} (say bye to finish)"


@interrupt(output_name="user_input")
def wait_for_user(messages: Messages) -> str | None:
    return None  # always pause: the answer comes from the next HTTP request


@node(output_name="messages")
def add_user_message(messages: Messages, user_input: str) -> Messages:
    return [*messages, {"role": "user", "content": user_input}]


@node(output_name="response")
async def generate(messages: Messages) -> str:
    await asyncio.sleep(0)  # where a real model call would await the network
    return fake_llm(messages)


@node(output_name="messages")
def add_response(messages: Messages, response: str) -> Messages:
    return [*messages, {"role": "assistant", "content": response}]


@route(targets=["wait_for_user", END])
def should_continue(messages: Messages) -> Any:
    return END if is_goodbye(messages[-2]["content"]) else "wait_for_user"


CHAT = Graph(
    [wait_for_user, add_user_message, generate, add_response, should_continue],
    edges=[
        (wait_for_user, add_user_message),
        (add_user_message, generate),
        (generate, add_response),
        (add_response, should_continue),
    ],
    shared=["messages"],
    entrypoint="add_user_message",  # the first message arrives with the request
    name="chat",
).bind(messages=[])


# -- the HTTP models ------------------------------------------------------------------------
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]
Status = Literal["active", "paused", "completed", "failed"]


class UserMessage(BaseModel):
    """A message from the user; blank text is rejected (422) rather than sent to the model."""

    model_config = ConfigDict(extra="forbid")
    text: Text


class Message(BaseModel):
    role: Literal["user", "assistant"]
    content: str


class Question(BaseModel):
    """What the paused workflow waits for: the interrupt, its resume key, and the prompt."""

    node: str
    response_key: str
    prompt: str


class Conversation(BaseModel):
    workflow_id: str
    status: Status
    messages: list[Message]
    waiting_for: Question | None


class ConversationSummary(BaseModel):
    """One line of the conversation list: its id, status, start time and first message."""

    workflow_id: str
    status: Status
    created_at: datetime
    title: str


class CheckpointLog(BaseModel):
    """The step records of a conversation, as the checkpointer stores them."""

    workflow_id: str
    status: Status
    steps: list[dict[str, Any]]


# -- the app --------------------------------------------------------------------------------
def question(node_name: str, messages: Messages) -> Question:
    """The pause's value is the conversation; its last assistant message is the prompt."""
    prompts = [m["content"] for m in messages if m["role"] == "assistant"]
    response_key = CHAT.nodes[node_name].data_outputs[0]
    return Question(node=node_name, response_key=response_key,
                    prompt=prompts[-1] if prompts else "")


def conversation(
    workflow_id: str, run_status: str, messages: Messages, waiting: Question | None
) -> Conversation:
    return Conversation.model_validate({
        "workflow_id": workflow_id, "status": run_status,
        "messages": messages, "waiting_for": waiting,
    })


def from_result(workflow_id: str, result: RunResult) -> Conversation:
    """Straight from the run: ``result.pause`` names the interrupt that is waiting."""
    messages: Messages = result.values.get("messages", [])
    waiting = None if result.pause is None else question(result.pause.node_name, messages)
    return conversation(workflow_id, result.status.value, messages, waiting)


def checkpointer_from_env() -> Checkpointer:
    """PostgreSQL when ``HYPERGRAPH_DSN`` is set (tables in ``HYPERGRAPH_SCHEMA``), else the
    SQLite file ``CHAT_DB`` (default ``chat.db``)."""
    dsn = os.environ.get("HYPERGRAPH_DSN")
    if dsn:
        return PostgresCheckpointer(dsn, schema=os.environ.get("HYPERGRAPH_SCHEMA", "hypergraph"))
    return SqliteCheckpointer(os.environ.get("CHAT_DB", "chat.db"))


def create_app(checkpointer: Checkpointer | None = None) -> FastAPI:
    """The app on ``checkpointer`` (default: ``checkpointer_from_env()``)."""
    checkpointer = checkpointer if checkpointer is not None else checkpointer_from_env()
    runner = AsyncRunner(checkpointer=checkpointer)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await checkpointer.initialize()  # fail at startup, not at the first request
        yield
        await checkpointer.close()

    app = FastAPI(title="hypergraph-typed durable chat", lifespan=lifespan)
    # one turn at a time per conversation in this process; across processes the
    # checkpointer's fencing token turns a race into ConcurrentRunError (409 below)
    turn_locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()

    def turn_lock(workflow_id: str) -> asyncio.Lock:
        lock = turn_locks.get(workflow_id)
        if lock is None:
            lock = turn_locks[workflow_id] = asyncio.Lock()
        return lock

    async def require_conversation(workflow_id: str) -> WorkflowStatus:
        run = await checkpointer.get_run_async(workflow_id)
        if run is None or run.graph_name != CHAT.name:  # other workflows in the file: not ours
            raise HTTPException(
                status.HTTP_404_NOT_FOUND,
                f"no conversation {workflow_id!r}; start one with POST /conversations",
            )
        return run.status

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/", include_in_schema=False)
    async def page() -> FileResponse:
        """The chat page; its script talks to the endpoints below."""
        return FileResponse(PAGE / "index.html")

    app.mount("/static", StaticFiles(directory=PAGE), name="static")

    @app.get("/conversations")
    async def conversations() -> list[ConversationSummary]:
        """The 50 newest conversations, each titled by its first message."""
        runs = [r for r in await checkpointer.list_runs(limit=None)
                if r.graph_name == CHAT.name and r.parent_run_id is None][:50]
        out = []
        for run in runs:
            messages: Messages = (await checkpointer.get_state(run.id)).get("messages", [])
            first = next((m["content"] for m in messages if m["role"] == "user"), "")
            out.append(ConversationSummary(
                workflow_id=run.id, status=run.status.value, created_at=run.created_at,
                title=first if len(first) <= 60 else first[:59] + "…",
            ))
        return out

    @app.post("/conversations", status_code=status.HTTP_201_CREATED)
    async def start(body: UserMessage) -> Conversation:
        workflow_id = f"chat-{uuid.uuid4().hex[:12]}"
        result = await runner.run(CHAT, {"user_input": body.text}, workflow_id=workflow_id)
        return from_result(workflow_id, result)

    @app.post("/conversations/{workflow_id}/messages")
    async def reply(workflow_id: str, body: UserMessage) -> Conversation:
        await require_conversation(workflow_id)
        try:
            async with turn_lock(workflow_id):
                # resume with only the interrupt's answer; the rest is in the checkpoint
                result = await runner.run(
                    CHAT, {"user_input": body.text}, workflow_id=workflow_id
                )
        except WorkflowAlreadyCompletedError:
            raise HTTPException(
                status.HTTP_409_CONFLICT,
                f"conversation {workflow_id!r} has ended; start a new one with "
                "POST /conversations",
            ) from None
        except GraphChangedError:
            raise HTTPException(
                status.HTTP_409_CONFLICT,
                f"conversation {workflow_id!r} was started by a different version of the "
                "chat graph and cannot be resumed by this one",
            ) from None
        except ConcurrentRunError:
            raise HTTPException(
                status.HTTP_409_CONFLICT,
                f"another request is answering conversation {workflow_id!r} right now; "
                "send the message again",
            ) from None
        return from_result(workflow_id, result)

    @app.get("/conversations/{workflow_id}")
    async def read(workflow_id: str) -> Conversation:
        """From the store alone: works for any conversation, after any restart."""
        run_status = await require_conversation(workflow_id)
        messages: Messages = (await checkpointer.get_state(workflow_id)).get("messages", [])
        waiting = None
        if run_status is WorkflowStatus.PAUSED:
            steps = await checkpointer.get_steps(workflow_id)
            paused = [s.node_name for s in steps
                      if s.status is StepStatus.PAUSED and s.node_type == "InterruptNode"]
            waiting = question(paused[-1], messages) if paused else None
        return conversation(workflow_id, run_status.value, messages, waiting)

    @app.get("/conversations/{workflow_id}/checkpoints")
    async def checkpoints(workflow_id: str) -> CheckpointLog:
        run_status = await require_conversation(workflow_id)
        steps = await checkpointer.get_steps(workflow_id)
        return CheckpointLog.model_validate({
            "workflow_id": workflow_id, "status": run_status.value,
            "steps": [s.to_dict() for s in steps],
        })

    return app


app = create_app()  # ``uvicorn chat_app:app``; the store is opened at startup, not here


def main() -> None:
    """``python chat_app.py``: serve on 127.0.0.1, port ``PORT`` (default 8000)."""
    import uvicorn

    port = int(os.environ.get("PORT", "8000"))
    uvicorn.run(app, host="127.0.0.1", port=port)


if __name__ == "__main__":
    main()
