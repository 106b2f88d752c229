"""Print a command's output three ways: rich tables on a terminal, plain text, or JSON.

Commands build an ``Output`` (blocks for people, ``data`` for programs) and never print
themselves, so the same command serves a terminal, a pipe and ``--json``. Every field is
escaped here, on its way out (``escape``), so no command can forget it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, TextIO

from hypergraph_typed.cli.escape import json_text, printable
from hypergraph_typed.cli.text import jsonable

STATUS_STYLES = {
    "completed": "green",
    "paused": "yellow",
    "failed": "red",
    "active": "cyan",
}


@dataclass(frozen=True)
class Table:
    """Rows under a header; ``status_column`` names the column to colour on a terminal."""

    title: str
    columns: tuple[str, ...]
    rows: Sequence[tuple[str, ...]]
    status_column: str | None = "status"
    empty: str = "(none)"


Lines = tuple[str, ...]  # a value shown on several lines, one item per line


@dataclass(frozen=True)
class Fields:
    """``name: value`` lines under a title (one record, shown vertically)."""

    title: str
    items: Sequence[tuple[str, str | Lines]]


Block = Table | Fields


@dataclass(frozen=True)
class Output:
    """What a command produced: ``blocks`` for people and ``data`` for ``--json``."""

    blocks: list[Block]
    data: dict[str, Any] = field(default_factory=dict)


def render(output: Output, stream: TextIO, *, as_json: bool, rich: bool) -> None:
    if as_json:
        text = json.dumps(jsonable(output.data), indent=2, ensure_ascii=False, default=str)
        stream.write(json_text(text) + "\n")
    elif rich and _render_rich(_escaped(output), stream):
        return
    else:
        stream.write(plain(output))


def plain(output: Output) -> str:
    """Left-aligned columns, two spaces apart; a blank line between blocks."""
    parts = []
    for block in _escaped(output).blocks:
        if isinstance(block, Table):
            parts.append("\n".join([block.title, *_plain_table(block)]))
        else:
            width = max((len(name) for name, _ in block.items), default=0)
            lines = [f"  {name.ljust(width)}  {_joined(value, width + 4)}"
                     for name, value in block.items]
            parts.append("\n".join([block.title, *lines]))
    return "\n\n".join(parts) + "\n"


def _escaped(output: Output) -> Output:
    """Every title, column, cell, name and line through ``printable``."""
    blocks: list[Block] = []
    for block in output.blocks:
        if isinstance(block, Table):
            blocks.append(Table(
                printable(block.title), tuple(map(printable, block.columns)),
                [tuple(map(printable, row)) for row in block.rows],
                block.status_column, printable(block.empty),
            ))
        else:
            blocks.append(Fields(printable(block.title), [
                (printable(name), printable(value) if isinstance(value, str)
                 else tuple(map(printable, value)))
                for name, value in block.items
            ]))
    return Output(blocks, output.data)


def _joined(value: str | Lines, indent: int) -> str:
    return value if isinstance(value, str) else ("\n" + " " * indent).join(value)


def _plain_table(table: Table) -> list[str]:
    if not table.rows:
        return [f"  {table.empty}"]
    widths = [len(c) for c in table.columns]
    for row in table.rows:
        widths = [max(w, len(c)) for w, c in zip(widths, row)]
    return [
        "  " + "  ".join(c.ljust(w) for c, w in zip(line, widths)).rstrip()
        for line in [table.columns, *table.rows]
    ]


def _render_rich(output: Output, stream: TextIO) -> bool:
    """Boxed, coloured tables; ``False`` when rich is not installed (plain text then).

    Text goes in as ``Text`` objects, never as strings, which rich would read as markup.
    """
    try:
        from rich import box
        from rich.console import Console
        from rich.table import Table as RichTable
        from rich.text import Text
    except ImportError:
        return False
    console = Console(file=stream, highlight=False)
    for i, block in enumerate(output.blocks):
        if i:
            console.print()
        if isinstance(block, Table):
            table = RichTable(title=Text(block.title), title_justify="left",
                              box=box.SIMPLE_HEAD)
            for column in block.columns:
                table.add_column(Text(column), overflow="fold")
            status_at = (block.columns.index(block.status_column)
                         if block.status_column in block.columns else -1)
            for row in block.rows:
                table.add_row(*(
                    Text(cell, style=STATUS_STYLES.get(cell, "")) if j == status_at
                    else Text(cell)
                    for j, cell in enumerate(row)
                ))
            console.print(table if block.rows else Text(f"{block.title}\n  {block.empty}"))
        else:
            grid = RichTable.grid(padding=(0, 2))
            grid.add_column(style="bold")
            grid.add_column(overflow="fold")
            for name, value in block.items:
                shown = _joined(value, 0)
                style = STATUS_STYLES.get(shown, "") if name == "status" else ""
                grid.add_row(Text(name), Text(shown, style=style))
            console.print(Text(block.title, style="bold"))
            console.print(grid)
    return True


__all__ = ["Block", "Fields", "Lines", "Output", "Table", "plain", "render"]
