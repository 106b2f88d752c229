"""Argument parsing and dispatch for ``hypergraph-typed``; every failure exits with code 2.

The database options (``--db`` / ``--dsn`` / ``--schema``) and ``--json`` are accepted
both before and after the command name, so ``hypergraph-typed runs --db x.db`` and
``hypergraph-typed --db x.db runs`` both work.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import os
import sys
from collections.abc import Sequence
from typing import TextIO

from hypergraph_typed.checkpointers import WorkflowStatus
from hypergraph_typed.cli import commands
from hypergraph_typed.cli.errors import EXIT_ERROR, STORE_ERRORS, CliError
from hypergraph_typed.cli.escape import printable
from hypergraph_typed.cli.render import Output, render
from hypergraph_typed.cli.store import DEFAULT_SCHEMA, Source, open_postgres, open_sqlite
from hypergraph_typed.exceptions import CheckpointStoreError

EXIT_BROKEN_PIPE = 1
DESCRIPTION = "Inspect the workflows stored in a hypergraph-typed checkpoint database."
EPILOG = """examples:
  hypergraph-typed --db chat.db runs --status paused
  hypergraph-typed --db chat.db steps chat-1
  hypergraph-typed --db chat.db show chat-1 --json
  hypergraph-typed --dsn "host=localhost dbname=app" runs"""


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; the exit code is 0, 2 on any error, 1 if the reader left."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.db is None and args.dsn is None:
        parser.error("give the database: either --db PATH (SQLite) or --dsn DSN (PostgreSQL)")
    if args.db is not None and args.dsn is not None:
        parser.error("--db and --dsn both name a database: give one, not both")
    if args.schema is not None and args.dsn is None:
        parser.error("--schema only applies to PostgreSQL (--dsn)")
    try:
        output = collect(args)
    except CliError as exc:
        print(f"hypergraph-typed: error: {printable(exc.message)}", file=sys.stderr)
        return EXIT_ERROR
    return emit(output, as_json=args.json)


def collect(args: argparse.Namespace) -> Output:
    """Open the store, run the command, close the store; store failures become CliError."""
    source: Source | None = None
    try:
        source = open_postgres(args.dsn, args.schema) if args.dsn else open_sqlite(args.db)
        return dispatch(args, source)
    except CheckpointStoreError as exc:
        raise CliError(str(exc)) from exc
    except STORE_ERRORS as exc:
        raise CliError(f"cannot read a stored value: {exc}") from exc
    finally:
        if source is not None:
            source.store.close()


def emit(output: Output, *, as_json: bool) -> int:
    stdout = sys.stdout
    try:
        render(output, stdout, as_json=as_json, rich=_is_terminal(stdout))
        stdout.flush()
    except BrokenPipeError:
        # the reader left early (``| head``): not worth a traceback; silence the final flush
        os.dup2(os.open(os.devnull, os.O_WRONLY), stdout.fileno())
        return EXIT_BROKEN_PIPE
    return 0


def dispatch(args: argparse.Namespace, source: Source) -> Output:
    if args.command == "runs":
        return commands.runs(source, status=args.status, graph=args.graph, limit=args.limit,
                             nested=args.all)
    if args.command == "steps":
        return commands.steps(source, args.workflow_id)
    return commands.show(source, args.workflow_id)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hypergraph-typed", description=DESCRIPTION, epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version",
                        version=f"%(prog)s {package_version()}")
    _add_common(parser, top_level=True)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    runs = sub.add_parser("runs", help="list workflows, newest first")
    runs.add_argument("--status", choices=[s.value for s in WorkflowStatus],
                      help="only workflows in this status")
    runs.add_argument("--graph", metavar="NAME", help="only workflows of this graph")
    runs.add_argument("--limit", type=_limit, default=100, metavar="N",
                      help="show at most N workflows (default 100; 0 means all)")
    runs.add_argument("--all", action="store_true",
                      help="include nested runs (GraphNode and map() children, 'id/...')")
    _add_common(runs, top_level=False)

    steps = sub.add_parser("steps", help="the step log of one workflow")
    steps.add_argument("workflow_id", metavar="WORKFLOW_ID")
    _add_common(steps, top_level=False)

    show = sub.add_parser("show", help="one workflow: status, pending question, state keys")
    show.add_argument("workflow_id", metavar="WORKFLOW_ID")
    _add_common(show, top_level=False)
    return parser


def _add_common(parser: argparse.ArgumentParser, *, top_level: bool) -> None:
    """The same options on the main parser and on each command (without overriding)."""
    unset = None if top_level else argparse.SUPPRESS
    group = parser.add_argument_group("database (give one of --db / --dsn)")
    group.add_argument("--db", metavar="PATH", default=unset, help="an SQLite checkpoint file")
    group.add_argument("--dsn", metavar="DSN", default=unset,
                       help='a PostgreSQL connection string, e.g. "host=localhost dbname=app"')
    group.add_argument("--schema", metavar="NAME", default=unset,
                       help=f"the PostgreSQL schema of the store (default {DEFAULT_SCHEMA!r})")
    parser.add_argument("--json", action="store_true",
                        default=False if top_level else argparse.SUPPRESS,
                        help="print JSON (the records' to_dict() fields) instead of tables")


def _limit(value: str) -> int | None:
    try:
        n = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {value!r}") from None
    if n < 0:
        raise argparse.ArgumentTypeError(f"must be 0 (all) or more, got {n}")
    return n or None


def package_version() -> str:
    """The installed distribution's version (the package's ``__version__``)."""
    try:
        return importlib.metadata.version("hypergraph-typed")
    except importlib.metadata.PackageNotFoundError:
        return "(version unknown: not installed)"


def _is_terminal(stream: TextIO) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())

