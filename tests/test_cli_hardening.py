"""The CLI against hostile and broken stores, and the small things a newcomer hits first.

Hostile text is what anyone who can write a store could leave in it: terminal escape
sequences, bell, C1 controls, bidirectional overrides and lone surrogates in workflow
ids, graph and node names, error messages and values. Broken stores hold rows the
default serializer cannot decode. Everything runs the real command in a subprocess.
"""

from __future__ import annotations

import asyncio
import importlib.metadata
import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from cli_helpers import cli, failure, ok, on_terminal, rows
from hypergraph_typed import AsyncRunner, Graph, node
from hypergraph_typed.checkpointers import (
    PickleSerializer,
    SqliteCheckpointer,
    StepRecord,
    StepStatus,
    WorkflowStatus,
)

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

# What a hostile writer puts in: a colour change, a window-title OSC ended by BEL, a C1
# CSI, a right-to-left override, and a carriage return that would overwrite the line.
HOSTILE = "\x1b[31;1mINJECTED\x1b]0;PWNED\x07\x9b2J\u202eevil\rX"
RAW = ["\x1b[31;1mINJECTED", "\x1b]0;PWNED", "\x07", "\x9b", "\u202e", "\r", "\ud800"]
SHOWN = "\\x1b[31;1mINJECTED\\x1b]0;PWNED\\x07\\x9b2J\\u202eevil\\rX"
WID = "w" + HOSTILE


def assert_no_raw_controls(out: str) -> None:
    for raw in RAW:
        assert raw not in out, f"{raw!r} reached the output"


@pytest.fixture(scope="module")
def hostile_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("hostile") / "runs.db"
    cp = SqliteCheckpointer(path)
    try:
        cp.create_run_sync(WID, graph_name="g" + HOSTILE)
        cp.save_step_sync(StepRecord(
            run_id=WID, superstep=0, node_name="n" + HOSTILE, index=0,
            status=StepStatus.COMPLETED, input_versions={},
            values={"k" + HOSTILE: ["v" + HOSTILE, {"lone \ud800": "surrogate \udfff"}],
                    "s": "half \ud800", "\udfff": 1},
        ))
        cp.save_step_sync(StepRecord(
            run_id=WID, superstep=1, node_name="boom", index=1, status=StepStatus.FAILED,
            input_versions={}, error="ValueError: " + HOSTILE + "\nsecond line",
        ))
        cp.update_run_status_sync(WID, WorkflowStatus.FAILED, node_count=2, error_count=1)
    finally:
        cp.close()
    return path


# -- terminal escapes ----------------------------------------------------------------------
@pytest.mark.parametrize("command", [["runs"], ["steps", WID], ["show", WID]])
def test_plain_output_escapes_every_field(hostile_db: Path, command: list[str]) -> None:
    out = ok("--db", hostile_db, *command)
    assert_no_raw_controls(out)
    assert SHOWN in out


def test_every_hostile_field_is_shown_escaped(hostile_db: Path) -> None:
    runs = ok("--db", hostile_db, "runs")
    assert "w" + SHOWN in runs and "g" + SHOWN in runs
    steps = ok("--db", hostile_db, "steps", WID)
    assert "n" + SHOWN in steps
    assert "ValueError: " + SHOWN + "\\nsecond line" in steps  # one row, one line
    show = ok("--db", hostile_db, "show", WID)
    assert f"workflow w{SHOWN}" in show
    assert "k" + SHOWN in show  # a state key
    assert "\\ud800" in show and "\\udfff" in show  # lone surrogates, visible
    assert "ValueError: " + SHOWN in show and "second line" in show


@pytest.mark.parametrize("command", [["runs"], ["steps", WID], ["show", WID]])
def test_rich_output_escapes_every_field(hostile_db: Path, command: list[str]) -> None:
    out = on_terminal("--db", hostile_db, *command).replace("\r\n", "\n")  # the tty's newlines
    assert "─" in out  # it really is the rich rendering
    assert_no_raw_controls(out)
    assert "INJECTED" in out


def test_rich_output_does_not_read_fields_as_markup(tmp_path: Path) -> None:
    path = tmp_path / "markup.db"
    cp = SqliteCheckpointer(path)
    try:
        wid = "[link=https://example.invalid]click[/link]"
        cp.create_run_sync(wid, graph_name="[red]g")
        cp.save_step_sync(StepRecord(run_id=wid, superstep=0, node_name="[b]n", index=0,
                                     status=StepStatus.COMPLETED, input_versions={}))
    finally:
        cp.close()
    for command in (["runs"], ["steps", "[link=https://example.invalid]click[/link]"]):
        out = on_terminal("--db", path, *command)  # ids in cells, and in a title
        assert "[link=https://example.invalid]click[/link]" in out.replace("\r\n", "")
        assert "\x1b]8;" not in out  # no hyperlink escape was made from it


@pytest.mark.parametrize("command", [["runs"], ["steps", WID], ["show", WID]])
def test_json_output_escapes_and_keeps_the_data(hostile_db: Path, command: list[str]) -> None:
    out = ok("--db", hostile_db, *command, "--json")
    assert_no_raw_controls(out)
    assert "w" + HOSTILE in strings(json.loads(out))  # the same text, once decoded


def strings(data: object) -> set[str]:
    """Every string in decoded JSON, keys included."""
    if isinstance(data, str):
        return {data}
    if isinstance(data, dict):
        return set().union(*(strings(k) | strings(v) for k, v in data.items()))
    if isinstance(data, list):
        return set().union(*map(strings, data))
    return set()


def test_json_output_has_the_hostile_values_exactly(hostile_db: Path) -> None:
    steps = json.loads(ok("--db", hostile_db, "steps", WID, "--json"))["steps"]
    assert steps[0]["node_name"] == "n" + HOSTILE
    assert steps[0]["values"] == {
        "k" + HOSTILE: ["v" + HOSTILE, {"lone \ud800": "surrogate \udfff"}],
        "s": "half \ud800", "\udfff": 1,
    }


def test_error_messages_escape_what_the_user_typed(tmp_path: Path) -> None:
    missing = tmp_path / ("x" + HOSTILE + ".db")
    err = failure("--db", missing, "runs")
    assert_no_raw_controls(err)
    assert "x" + SHOWN in err
    assert len(err.splitlines()) == 1


# -- store errors: one line, exit 2, never a traceback -------------------------------------
@node(output_name="doubled")
def double(x: int) -> int:
    return x * 2


@pytest.fixture
def pickled_db(tmp_path: Path) -> Path:
    """A store written with PickleSerializer: its rows are not JSON."""
    path = tmp_path / "pickled.db"
    cp = SqliteCheckpointer(path, serializer=PickleSerializer(allow_pickle=True, key=b"k" * 32))
    try:
        asyncio.run(AsyncRunner(checkpointer=cp).run(Graph([double]), {"x": 2},
                                                     workflow_id="p1"))
    finally:
        cp.close()
    return path


def one_line_error(*args: str | Path) -> str:
    err = failure(*args)
    assert "Traceback" not in err
    assert len(err.splitlines()) == 1 and err.startswith("hypergraph-typed: error: ")
    return err


@pytest.mark.parametrize("command", ["steps", "show"])
def test_rows_the_serializer_cannot_decode_are_one_line(pickled_db: Path, command: str) -> None:
    err = one_line_error("--db", pickled_db, command, "p1")
    assert "not UTF-8 text" in err


def test_one_undecodable_step_row_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "runs.db"
    cp = SqliteCheckpointer(path)
    try:
        asyncio.run(AsyncRunner(checkpointer=cp).run(Graph([double]), {"x": 2},
                                                     workflow_id="w1"))
    finally:
        cp.close()
    with sqlite3.connect(path) as conn:  # what a damaged or tampered file holds
        conn.execute("UPDATE steps SET outputs = ?", (b"\xff\xfe\x00garbage",))
    conn.close()
    assert "not UTF-8 text" in one_line_error("--db", path, "steps", "w1")
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE steps SET outputs = ?", (b'{"$hypergraph":"forged"}',))
    conn.close()
    assert "does not write" in one_line_error("--db", path, "show", "w1")


# -- show on a failed run ------------------------------------------------------------------
@node(output_name="shipped")
def ship(topic: str) -> str:
    raise ValueError(f"cannot ship {topic!r}\nthe crate is open")


def test_show_on_a_failed_run_shows_the_error(tmp_path: Path) -> None:
    path = tmp_path / "runs.db"
    cp = SqliteCheckpointer(path)
    try:
        with pytest.raises(ValueError, match="cannot ship"):
            asyncio.run(AsyncRunner(checkpointer=cp).run(
                Graph([ship], name="fragile"), {"topic": "glass"}, workflow_id="f1"))
    finally:
        cp.close()
    out = ok("--db", path, "show", "f1")
    block = out.split("\n\n")[1]
    assert block.splitlines() == [
        "failed",
        "  ship (superstep 0)  ValueError: cannot ship 'glass'",
        "                      the crate is open",
    ]
    data = json.loads(ok("--db", path, "show", "f1", "--json"))
    assert data["errors"] == [{"node_name": "ship", "superstep": 0,
                               "error": "ValueError: cannot ship 'glass'\nthe crate is open"}]


def test_show_on_a_failed_run_without_a_failed_step_says_so(tmp_path: Path) -> None:
    path = tmp_path / "runs.db"
    cp = SqliteCheckpointer(path)
    try:
        cp.create_run_sync("f2", graph_name="g")
        cp.update_run_status_sync("f2", WorkflowStatus.FAILED)
    finally:
        cp.close()
    out = ok("--db", path, "show", "f2")
    assert dict(r[:2] for r in rows(out.split("\n\n")[1])) == {
        "error": "(no failed step recorded: the run stopped outside a node)"
    }


# -- options --------------------------------------------------------------------------------
def test_db_and_dsn_together_ask_for_one(tmp_path: Path) -> None:
    err = failure("--db", tmp_path / "x.db", "--dsn", "dbname=x", "runs")
    assert "--db and --dsn both name a database: give one, not both" in err
    assert not (tmp_path / "x.db").exists()


def test_version() -> None:
    proc = cli("--version")
    assert proc.returncode == 0 and proc.stderr == ""
    assert proc.stdout == f"hypergraph-typed {importlib.metadata.version('hypergraph-typed')}\n"


# -- the persistent chat example ------------------------------------------------------------
def test_saying_something_to_a_finished_chat_is_one_line(tmp_path: Path) -> None:
    def say(text: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, str(EXAMPLES / "persistent_chat.py"), "--db", str(tmp_path / "c.db"),
             "--workflow", "chat-1", "--say", text],
            capture_output=True, text=True, timeout=60, check=False,
        )

    assert say("Hello!").stdout == "echo: Hello! (paused)\n"
    assert say("bye").stdout == "echo: bye (completed)\n"
    late = say("anyone there?")
    assert late.returncode == 1 and late.stdout == ""
    assert late.stderr == (
        "conversation 'chat-1' has ended (it said bye); start a new one with another "
        "--workflow\n"
    )
