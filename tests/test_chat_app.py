"""examples/chat_app.py over real HTTP: uvicorn in a subprocess, a real SQLite file.

Each server is started the way the docs say (``uvicorn chat_app:app`` in examples/, with
``CHAT_DB``) and driven with httpx. The restart test kills the process between turns
and resumes the conversation from a fresh one on the same database; with
``HYPERGRAPH_DSN`` the same app keeps its conversations in PostgreSQL.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from chat_server import Server
from checkpoint_backends import PG_DSN
from hypergraph_typed.checkpointers import SqliteCheckpointer


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("chat") / "chat.db"


@pytest.fixture(scope="module")
def server(db: Path) -> Iterator[Server]:
    srv = Server({"CHAT_DB": str(db)}, db.with_suffix(".log"))
    try:
        yield srv
    finally:
        srv.stop()


def start(client: httpx.Client, text: str) -> dict[str, Any]:
    response = client.post("/conversations", json={"text": text})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def say(client: httpx.Client, wid: str, text: str) -> dict[str, Any]:
    response = client.post(f"/conversations/{wid}/messages", json={"text": text})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def contents(conversation: dict[str, Any]) -> list[str]:
    return [m["content"] for m in conversation["messages"]]


def reply(turn: int, text: str) -> str:
    return f"(turn {turn}) You said: {text} (say bye to finish)"


WAITING = {"node": "wait_for_user", "response_key": "user_input"}


def test_a_multi_turn_conversation(server: Server) -> None:
    client = server.client
    first = start(client, "Hello!")
    wid = first["workflow_id"]
    assert first == {
        "workflow_id": wid,
        "status": "paused",
        "messages": [
            {"role": "user", "content": "Hello!"},
            {"role": "assistant", "content": reply(1, "Hello!")},
        ],
        "waiting_for": {**WAITING, "prompt": reply(1, "Hello!")},
    }
    second = say(client, wid, "  Tell me more  ")  # surrounding blanks are trimmed
    assert contents(second) == ["Hello!", reply(1, "Hello!"), "Tell me more",
                                reply(2, "Tell me more")]
    assert second["waiting_for"] == {**WAITING, "prompt": reply(2, "Tell me more")}
    assert client.get(f"/conversations/{wid}").json() == second
    other = start(client, "A second chat")
    assert other["workflow_id"] != wid and len(other["messages"]) == 2
    last = say(client, wid, "bye")
    assert last["status"] == "completed" and last["waiting_for"] is None
    assert contents(last)[-2:] == ["bye", "Goodbye! This conversation is closed."]
    assert client.get(f"/conversations/{wid}").json() == last
    assert len(client.get(f"/conversations/{other['workflow_id']}").json()["messages"]) == 2


def test_unknown_and_finished_conversations(server: Server) -> None:
    client = server.client
    for response in (
        client.get("/conversations/nope"),
        client.get("/conversations/nope/checkpoints"),
        client.post("/conversations/nope/messages", json={"text": "hi"}),
    ):
        assert response.status_code == 404
        assert response.json()["detail"] == (
            "no conversation 'nope'; start one with POST /conversations"
        )
    assert client.get("/conversations/nope").status_code == 404  # and still not created
    wid = start(client, "short chat")["workflow_id"]
    assert say(client, wid, "Bye!")["status"] == "completed"
    ended = client.post(f"/conversations/{wid}/messages", json={"text": "anyone?"})
    assert ended.status_code == 409
    assert ended.json()["detail"] == (
        f"conversation '{wid}' has ended; start a new one with POST /conversations"
    )
    assert contents(client.get(f"/conversations/{wid}").json())[-2] == "Bye!"


@pytest.mark.parametrize("payload", [
    {}, {"text": ""}, {"text": "   "}, {"text": 5}, {"text": None}, {"text": ["hi"]},
    {"text": "hi", "extra": 1}, "just a string",
])
def test_bad_payloads_are_422_and_change_nothing(server: Server, payload: Any) -> None:
    client = server.client
    conversation = start(client, "keep me")
    wid = conversation["workflow_id"]
    assert client.post("/conversations", json=payload).status_code == 422
    response = client.post(f"/conversations/{wid}/messages", json=payload)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][0] == "body"
    assert client.get(f"/conversations/{wid}").json() == conversation


def test_checkpoints_show_the_interrupt_paused_then_completed(
    server: Server, db: Path
) -> None:
    client = server.client
    wid = start(client, "Hello!")["workflow_id"]
    say(client, wid, "more")

    def interrupt_statuses() -> list[str]:
        log = client.get(f"/conversations/{wid}/checkpoints").json()
        return [s["status"] for s in log["steps"] if s["node_name"] == "wait_for_user"]

    # the first message enters at add_user_message, so the interrupt's first record
    # is the pause after turn 1; each later turn completes it and pauses it again
    assert interrupt_statuses() == ["paused", "completed", "paused"]
    say(client, wid, "bye")
    assert interrupt_statuses() == ["paused", "completed", "paused", "completed"]
    log = client.get(f"/conversations/{wid}/checkpoints").json()
    assert log["workflow_id"] == wid and log["status"] == "completed"
    store = SqliteCheckpointer(db)  # the same records, read straight from the file
    try:
        assert log["steps"] == [s.to_dict() for s in store.steps(wid)]
    finally:
        store.close()
    answered = [s for s in log["steps"]
                if s["node_name"] == "wait_for_user" and s["status"] == "completed"]
    assert [s["values"] for s in answered] == [{"user_input": "more"}, {"user_input": "bye"}]
    assert log["steps"][-1]["node_name"] == "should_continue"
    assert log["steps"][-1]["decision"] == "END"


def test_a_restart_between_turns_loses_nothing(tmp_path: Path) -> None:
    db, log = tmp_path / "chat.db", tmp_path / "server.log"
    first = Server({"CHAT_DB": str(db)}, log, script=True)  # python chat_app.py
    try:
        wid = start(first.client, "Hello!")["workflow_id"]
        before = say(first.client, wid, "Remember me")
    finally:
        first.kill()
    second = Server({"CHAT_DB": str(db)}, log)
    try:
        assert second.client.get(f"/conversations/{wid}").json() == before
        after = say(second.client, wid, "Still there?")
        assert contents(after) == [*contents(before), "Still there?", reply(3, "Still there?")]
        assert say(second.client, wid, "bye")["status"] == "completed"
        steps = second.client.get(f"/conversations/{wid}/checkpoints").json()["steps"]
        assert [s["index"] for s in steps] == list(range(len(steps)))
    finally:
        second.stop()


def test_simultaneous_messages_each_become_a_turn(server: Server) -> None:
    wid = start(server.client, "Hello!")["workflow_id"]
    base = str(server.client.base_url)

    async def send_all() -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=base, timeout=10) as client:
            return await asyncio.gather(*(
                client.post(f"/conversations/{wid}/messages", json={"text": f"m{i}"})
                for i in range(4)
            ))

    responses = asyncio.run(send_all())
    assert [r.status_code for r in responses] == [200] * 4
    final = server.client.get(f"/conversations/{wid}").json()
    said = contents(final)[2::2]
    assert sorted(said) == ["m0", "m1", "m2", "m3"]  # all kept, in the order they were served
    assert contents(final)[3::2] == [reply(turn, text) for turn, text in enumerate(said, 2)]


def test_the_list_shows_each_conversation_newest_first(tmp_path: Path) -> None:
    srv = Server({"CHAT_DB": str(tmp_path / "list.db")}, tmp_path / "server.log")
    try:
        assert srv.client.get("/conversations").json() == []
        first = start(srv.client, "First chat")["workflow_id"]
        second = start(srv.client, "x" * 80)["workflow_id"]
        say(srv.client, first, "bye")
        listed = srv.client.get("/conversations").json()
        assert [(c["workflow_id"], c["status"], c["title"]) for c in listed] == [
            (second, "paused", "x" * 59 + "…"),
            (first, "completed", "First chat"),
        ]
        assert all(c["created_at"] for c in listed)
    finally:
        srv.stop()


def test_the_page_and_its_script_are_served(server: Server) -> None:
    page = server.client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert '<script src="/static/chat.js"></script>' in page.text
    assert "http" not in page.text.replace("http-equiv", "")  # nothing from another host
    script = server.client.get("/static/chat.js")
    assert script.status_code == 200 and "fetch(" in script.text


def test_hypergraph_dsn_keeps_conversations_in_postgresql(tmp_path: Path) -> None:
    schema = "hgt_chat_" + secrets.token_hex(5)
    env = {"HYPERGRAPH_DSN": PG_DSN, "HYPERGRAPH_SCHEMA": schema,
           "CHAT_DB": str(tmp_path / "unused.db")}
    try:
        first = Server(env, tmp_path / "server.log")
        try:
            wid = start(first.client, "Hello!")["workflow_id"]
            before = say(first.client, wid, "Remember me")
        finally:
            first.kill()
        second = Server(env, tmp_path / "server.log")
        try:
            assert second.client.get(f"/conversations/{wid}").json() == before
            assert say(second.client, wid, "bye")["status"] == "completed"
        finally:
            second.stop()
        assert not (tmp_path / "unused.db").exists()
        with psycopg.connect(PG_DSN) as conn:
            row = conn.execute(
                f'SELECT status FROM "{schema}".runs WHERE id = %s', (wid,)
            ).fetchone()
        assert row == ("completed",)
    finally:
        with psycopg.connect(PG_DSN, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
