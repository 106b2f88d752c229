"""examples/chat_app.py over real HTTP: uvicorn in a subprocess, a real SQLite file.

Each server is started the way the docs say (``python examples/chat_app.py`` with
``CHAT_DB`` and ``PORT``) and driven with httpx. The restart test kills the process
between turns and resumes the conversation from a fresh one on the same database.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from hypergraph_typed.checkpointers import SqliteCheckpointer

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "chat_app.py"
STARTUP_DEADLINE_S = 30.0  # only bounds a broken start; a healthy one takes about a second


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Server:
    """One ``python examples/chat_app.py`` process on a free port and the given database."""

    def __init__(self, db: Path, log: Path) -> None:
        self.port = free_port()
        self.log = log
        env = {**os.environ, "CHAT_DB": str(db), "PORT": str(self.port)}
        with log.open("ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, str(EXAMPLE)], env=env, stdout=out, stderr=subprocess.STDOUT,
            )
        self.client = httpx.Client(base_url=f"http://127.0.0.1:{self.port}", timeout=10)
        self._wait_ready()

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + STARTUP_DEADLINE_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self.stop()
                pytest.fail(f"chat_app exited with {self.proc.returncode}:\n{self.log.read_text()}")
            try:
                if self.client.get("/health").status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.05)
        self.stop()
        pytest.fail(f"chat_app did not answer on port {self.port}:\n{self.log.read_text()}")

    def kill(self) -> None:
        """SIGKILL: no shutdown hook runs, as in a crash."""
        self.client.close()
        self.proc.kill()
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        self.client.close()
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("chat") / "chat.db"


@pytest.fixture(scope="module")
def server(db: Path) -> Iterator[Server]:
    srv = Server(db, db.with_suffix(".log"))
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
    first = Server(db, log)
    try:
        wid = start(first.client, "Hello!")["workflow_id"]
        before = say(first.client, wid, "Remember me")
    finally:
        first.kill()
    second = Server(db, log)
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
