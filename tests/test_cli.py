"""The ``hypergraph-typed`` command on real checkpoint databases, run as a subprocess.

The databases are written by real runs (AsyncRunner + SqliteCheckpointer, and one
PostgreSQL schema on the local server), then read back through the command line.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import sqlite3
import subprocess
import sys
import sysconfig
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
from persistent_chat import CHAT

from checkpoint_backends import PG_DSN
from cli_helpers import failure, ok, on_terminal, rows
from hypergraph_typed import AsyncRunner, Graph, interrupt, node
from hypergraph_typed.checkpointers import (
    PostgresCheckpointer,
    Run,
    SqliteCheckpointer,
    StepRecord,
    StepStatus,
    WorkflowStatus,
)


# -- the seed's persistent chat (examples/), a review, a failing graph, nesting ------------
@node(output_name="draft")
def write_draft(topic: str) -> str:
    return f"A note on {topic}"


@interrupt(output_name="decision")
def approval(draft: str) -> str | None:
    return None


@node(output_name="published")
def publish(draft: str, decision: str) -> str:
    return f"{draft} [{decision}]"


@node(output_name="shipped")
def ship(topic: str) -> str:
    raise ValueError(f"cannot ship {topic!r}")


REVIEW = Graph([write_draft, approval, publish], name="review")
FRAGILE = Graph([ship], name="fragile")
NESTED = Graph([write_draft, Graph([approval], name="desk").as_node(), publish], name="pipeline")


async def chat(runner: AsyncRunner, wid: str, *texts: str) -> None:
    for text in texts:
        await runner.run(CHAT, {"user_input": text}, workflow_id=wid)


async def fill(cp: Any) -> None:
    """Runs in creation order: ended chat, open chat, review, failed, nested."""
    runner = AsyncRunner(checkpointer=cp)
    await chat(runner, "chat-ended", "Hello!", "Tell me more", "bye")
    await chat(runner, "chat-open", "Hi", "How are you?")
    await runner.run(REVIEW, {"topic": "typing"}, workflow_id="review-1")
    with pytest.raises(ValueError, match="cannot ship"):
        await runner.run(FRAGILE, {"topic": "glass"}, workflow_id="fragile-1")
    await runner.run(NESTED, {"topic": "nesting"}, workflow_id="nested-1")


@dataclass
class Db:
    path: Path
    cp: SqliteCheckpointer


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Db]:
    path = tmp_path_factory.mktemp("cli") / "chat.db"
    cp = SqliteCheckpointer(path)
    asyncio.run(fill(cp))
    try:
        yield Db(path, cp)
    finally:
        cp.close()


# -- runs ------------------------------------------------------------------------------
def test_runs_lists_every_workflow_newest_first(db: Db) -> None:
    out = ok("--db", db.path, "runs")
    assert out.splitlines()[0] == f"5 runs in {db.path}, newest first"
    table = rows(out)
    assert table[0] == ["id", "status", "graph", "steps", "errors", "duration", "created (UTC)",
                        "waiting for"]
    got = [(r[0], r[1], r[2], r[3], r[4], r[-1]) for r in table[1:]]
    assert got == [  # a paused run says which key answers it, from its pause record
        ("nested-1", "paused", "pipeline", "2", "0", "desk.decision"),
        ("fragile-1", "failed", "fragile", "1", "1", "-"),
        ("review-1", "paused", "review", "2", "0", "decision"),
        ("chat-open", "paused", "chat", "11", "0", "user_input"),
        ("chat-ended", "completed", "chat", "16", "0", "-"),
    ]
    created = db.cp.get_run("chat-ended").created_at  # type: ignore[union-attr]
    assert table[-1][6] == created.strftime("%Y-%m-%d %H:%M:%S")


def test_runs_filters_by_status_and_limits(db: Db) -> None:
    paused = rows(ok("runs", "--db", db.path, "--status", "paused"))[1:]
    assert [r[0] for r in paused] == ["nested-1", "review-1", "chat-open"]
    out = ok("--db", db.path, "runs", "--limit", "2")
    assert "(showing the first 2; raise --limit for more)" in out
    assert [r[0] for r in rows(out)[1:]] == ["nested-1", "fragile-1"]
    assert rows(ok("--db", db.path, "runs", "--graph", "chat"))[1][0] == "chat-open"
    assert "no active runs yet" in ok("--db", db.path, "runs", "--status", "active")


def test_nested_runs_are_listed_with_all(db: Db) -> None:
    everything = rows(ok("--db", db.path, "runs", "--all"))[1:]
    assert len(everything) == 6
    child = next(r for r in everything if r[0] == "nested-1/desk")
    assert child[1:3] == ["paused", "desk"]
    data = json.loads(ok("--db", db.path, "runs", "--all", "--json"))
    assert {r["id"]: r["parent_run_id"] for r in data["runs"]}["nested-1/desk"] == "nested-1"


def test_runs_json_is_each_runs_to_dict(db: Db) -> None:
    data = json.loads(ok("--db", db.path, "runs", "--json"))
    assert list(data) == ["runs"]
    expected = [json.loads(json.dumps(r.to_dict())) for r in db.cp.runs(parent_run_id=None)]
    assert data["runs"] == expected
    assert set(data["runs"][0]) == set(Run(id="x", status="active").to_dict())  # type: ignore[arg-type]
    assert [r["status"] for r in data["runs"]] == [
        "paused", "failed", "paused", "paused", "completed",
    ]


# -- steps -----------------------------------------------------------------------------
def test_steps_shows_the_seed_history_of_a_finished_chat(db: Db) -> None:
    out = ok("--db", db.path, "steps", "chat-ended")
    assert out.splitlines()[0] == "workflow chat-ended (chat): completed"
    table = rows(out)
    assert table[0] == ["index", "superstep", "node", "status", "duration", "cached",
                        "decision / error"]
    steps = [(r[0], r[2], r[3]) for r in table[1:]]
    assert len(steps) == 16
    assert [s[0] for s in steps] == [str(i) for i in range(16)]
    # the interrupt appears twice per resumed turn: paused, then completed
    asks = [status for _, name, status in steps if name == "wait_for_user"]
    assert asks == ["paused", "completed"] * 2
    decisions = [r[-1] for r in table[1:] if r[2] == "should_continue"]
    assert decisions == ["-> wait_for_user", "-> wait_for_user", "-> END"]


def test_steps_shows_the_error_of_a_failed_node(db: Db) -> None:
    table = rows(ok("--db", db.path, "steps", "fragile-1"))
    assert table[1][2:4] == ["ship", "failed"]
    assert table[1][-1] == "ValueError: cannot ship 'glass'"


def test_steps_json_is_each_steps_to_dict(db: Db) -> None:
    data = json.loads(ok("--json", "--db", db.path, "steps", "chat-open"))
    assert data["workflow_id"] == "chat-open"
    assert data["steps"] == [json.loads(json.dumps(s.to_dict())) for s in db.cp.steps("chat-open")]
    assert data["steps"][-1]["node_name"] == "wait_for_user"
    assert data["steps"][-1]["status"] == "paused"


# -- show ------------------------------------------------------------------------------
def test_show_a_paused_chat_with_its_pending_question(db: Db) -> None:
    out = ok("--db", db.path, "show", "chat-open")
    blocks = out.split("\n\n")
    assert blocks[0].splitlines()[0] == "workflow chat-open"
    run = dict(r[:2] for r in rows(blocks[0]))
    assert run["status"] == "paused" and run["graph"] == "chat" and run["steps"] == "11"
    assert run["completed"] == "-"
    assert blocks[1] == "\n".join([
        "waiting for input",
        "  node          wait_for_user",
        "  response key  user_input",
        "  input shown   -",
        '  value         {"role": "user", "content": "Hi"}',
        '                {"role": "assistant", "content": "echo: Hi"}',
        '                {"role": "user", "content": "How are you?"}',
        '                {"role": "assistant", "content": "echo: How are you?"}',
    ])
    state = rows(blocks[2])
    assert state[0] == ["key", "type", "value"]
    assert [r[0] for r in state[1:]] == list(db.cp.state("chat-open"))
    assert state[1][:2] == ["messages", "list[4]"]


def test_show_json_has_run_pending_and_state_keys(db: Db) -> None:
    data = json.loads(ok("--db", db.path, "show", "chat-open", "--json"))
    assert set(data) == {"run", "errors", "pending", "state_keys"}
    assert data["errors"] == []
    assert data["run"] == json.loads(json.dumps(db.cp.get_run("chat-open").to_dict()))  # type: ignore[union-attr]
    assert data["pending"] == {
        "node_name": "wait_for_user",
        "response_key": "user_input",
        "value": db.cp.state("chat-open")["messages"],
        "input_name": None,
        "note": None,
    }
    assert data["state_keys"] == list(db.cp.state("chat-open"))


def test_show_a_first_pause_names_its_response_key(db: Db) -> None:
    """A pause that was never answered still says which key answers it (its record)."""
    data = json.loads(ok("--db", db.path, "show", "review-1", "--json"))
    assert data["pending"]["node_name"] == "approval"
    assert data["pending"]["value"] == "A note on typing"
    assert data["pending"]["response_key"] == "decision"
    out = ok("--db", db.path, "show", "review-1")
    assert "response key  decision" in out
    assert '  value         "A note on typing"' in out


def test_show_a_finished_and_a_failed_run_have_no_question(db: Db) -> None:
    ended = json.loads(ok("--db", db.path, "show", "chat-ended", "--json"))
    assert ended["pending"] is None and ended["run"]["status"] == "completed"
    out = ok("--db", db.path, "show", "fragile-1")
    assert "waiting for input" not in out
    assert dict(r[:2] for r in rows(out.split("\n\n")[0]))["errors"] == "1"
    assert "no values yet" in out


def test_show_a_pause_inside_a_nested_graph(db: Db) -> None:
    pending = json.loads(ok("--db", db.path, "show", "nested-1", "--json"))["pending"]
    # the outer run's pause names the nested interrupt and the dotted key that answers it
    assert pending == {
        "node_name": "desk/approval",
        "response_key": "desk.decision",
        "value": "A note on nesting",
        "input_name": None,
        "note": None,
    }
    steps = rows(ok("--db", db.path, "steps", "nested-1"))
    assert steps[-1][2:4] == ["desk", "paused"]
    assert steps[-1][-1] == "child run nested-1/desk"


def test_a_paused_graph_node_without_a_child_run(tmp_path: Path) -> None:
    """Stores that did not record the inner run: the GraphNode is reported, with a note."""
    path = tmp_path / "old.db"
    cp = SqliteCheckpointer(path)
    try:
        cp.create_run_sync("w", graph_name="outer")
        cp.save_step_sync(StepRecord(
            run_id="w", superstep=0, node_name="inner", index=0, status=StepStatus.PAUSED,
            input_versions={"x": 1}, node_type="GraphNode",
        ))
        cp.update_run_status_sync("w", WorkflowStatus.PAUSED)
    finally:
        cp.close()
    pending = json.loads(ok("--db", path, "show", "w", "--json"))["pending"]
    assert pending["node_name"] == "inner" and pending["value"] is None
    assert pending["note"] == (
        "the interrupt is inside this nested graph, whose inner run is not recorded"
    )


def test_options_go_before_or_after_the_command(db: Db) -> None:
    assert ok("--db", db.path, "--json", "runs") == ok("runs", "--json", "--db", db.path)


def test_the_installed_script_is_the_same_command(db: Db) -> None:
    script = Path(sysconfig.get_path("scripts")) / "hypergraph-typed"
    proc = subprocess.run([str(script), "--db", str(db.path), "runs", "--json"],
                          capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == ok("--db", db.path, "runs", "--json")


def test_a_terminal_gets_rich_tables(db: Db) -> None:
    out = on_terminal("--db", db.path, "runs")
    assert "─" in out  # the table rule
    assert "\x1b[" in out  # colours
    assert "chat-ended" in out and "completed" in out


# -- errors: exit code 2 with a message that says what to do ---------------------------
def test_unknown_workflow_suggests_runs_and_close_ids(db: Db) -> None:
    for command in ("steps", "show"):
        err = failure("--db", db.path, command, "chat-opn")
        assert f"no workflow 'chat-opn' in {db.path}" in err
        assert "Did you mean 'chat-open'" in err
        assert f"hypergraph-typed --db {db.path} runs" in err


def test_a_missing_database_file_is_not_created(tmp_path: Path) -> None:
    missing = tmp_path / "nope.db"
    err = failure("--db", missing, "runs")
    assert f"no database file at '{missing}'" in err and "--db" in err
    assert not missing.exists()
    assert list(tmp_path.iterdir()) == []


def test_a_file_that_is_not_a_database(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("just some text, long enough to fill a database header page\n" * 4)
    err = failure("--db", notes, "runs")
    assert "is not a usable SQLite database" in err
    empty = tmp_path / "empty.db"
    empty.touch()
    assert "is empty: it is not a checkpoint database" in failure("--db", empty, "runs")
    assert empty.stat().st_size == 0  # no schema was created in it


def test_a_foreign_sqlite_database(tmp_path: Path) -> None:
    other = tmp_path / "app.db"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE users (id INTEGER PRIMARY KEY)")
    conn.close()
    err = failure("--db", other, "runs")
    assert "no hypergraph-typed 'meta' table" in err and "users" in err


def test_a_directory_and_missing_options(tmp_path: Path) -> None:
    assert "is a directory" in failure("--db", tmp_path, "runs")
    assert "either --db PATH (SQLite) or --dsn DSN (PostgreSQL)" in failure("runs")
    assert "--schema only applies" in failure("--db", tmp_path / "x.db", "--schema", "s", "runs")
    assert "invalid choice" in failure("--db", tmp_path / "x.db", "runs", "--status", "done")


# -- PostgreSQL, on the local server (the test fails when it is down) -------------------
@pytest.fixture
def pg_schema() -> Iterator[str]:
    schema = "hgt_cli_" + secrets.token_hex(5)
    try:
        yield schema
    finally:
        with psycopg.connect(PG_DSN, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def test_postgres_store(pg_schema: str) -> None:
    cp = PostgresCheckpointer(PG_DSN, schema=pg_schema)
    try:
        asyncio.run(chat(AsyncRunner(checkpointer=cp), "pg-chat", "Hello!", "bye"))
        expected = [json.loads(json.dumps(s.to_dict())) for s in cp.steps("pg-chat")]
    finally:
        cp.close()
    where = ("--dsn", PG_DSN, "--schema", pg_schema)
    data = json.loads(ok(*where, "runs", "--json"))
    assert [(r["id"], r["status"]) for r in data["runs"]] == [("pg-chat", "completed")]
    assert json.loads(ok(*where, "steps", "pg-chat", "--json"))["steps"] == expected
    out = ok(*where, "steps", "pg-chat")
    assert out.splitlines()[0] == "workflow pg-chat (chat): completed"
    err = failure(*where, "show", "nope")
    assert f"--schema {pg_schema} runs" in err


def test_postgres_missing_schema_is_reported_not_created(pg_schema: str) -> None:
    err = failure("--dsn", PG_DSN, "--schema", pg_schema, "runs")
    assert f"PostgreSQL schema '{pg_schema}'" in err and "holds no checkpoint tables" in err
    with psycopg.connect(PG_DSN) as conn:
        found = conn.execute(
            "SELECT 1 FROM pg_namespace WHERE nspname = %s", (pg_schema,)
        ).fetchone()
    assert found is None


def test_postgres_unreachable() -> None:
    err = failure("--dsn", "host=127.0.0.1 port=1 dbname=test user=postgres connect_timeout=5",
                  "runs")
    assert "cannot connect to PostgreSQL at 127.0.0.1:1/test" in err
    assert "Check that the server is running" in err


def test_a_reader_that_left_gets_no_traceback(db: Db) -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)  # like `| head` after it has read enough: nobody reads any more
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "hypergraph_typed.cli", "--db", str(db.path), "runs"],
            stdout=write_end, stderr=subprocess.PIPE, text=True, timeout=60, check=False,
        )
    finally:
        os.close(write_end)
    assert proc.returncode == 1
    assert proc.stderr == ""
