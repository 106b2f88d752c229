"""Every ```python block in README.md and docs/*.md runs as printed.

A page's blocks run in order in one namespace, as a reader pasting them into one
session would, on one event loop so that top-level ``await`` works (as in ``python -m
asyncio`` or a notebook). Each page runs in a fresh temporary directory, so the
SQLite files it creates land there. Listings that are not programs are fenced as
```text or ```pycon and are not run.
"""

from __future__ import annotations

import ast
import asyncio
import contextlib
import io
import re
import types
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^(?P<indent>[ \t]*)```python[^\n]*\n(?P<body>.*?)^(?P=indent)```[ \t]*$", re.M | re.S)


def python_blocks(page: Path) -> list[tuple[int, str]]:
    """``(line number, source)`` of each ```python block, dedented to its fence."""
    text = page.read_text(encoding="utf-8")
    blocks = []
    for m in FENCE.finditer(text):
        indent = len(m.group("indent"))
        lines = [line[indent:] for line in m.group("body").splitlines()]
        blocks.append((text.count("\n", 0, m.start()) + 1, "\n".join(lines) + "\n"))
    return blocks


def run_page(page: Path) -> None:
    """Run the page's blocks in order; a failure names the block's line."""
    namespace = types.ModuleType("__main__").__dict__
    loop = asyncio.new_event_loop()
    try:
        for line, source in python_blocks(page):
            where = f"{page.relative_to(ROOT)}:{line}"
            code = compile(source, where, "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
            try:
                with contextlib.redirect_stdout(io.StringIO()):
                    result = eval(code, namespace)
                    if asyncio.iscoroutine(result):
                        loop.run_until_complete(result)
            except Exception as exc:
                raise AssertionError(f"the block at {where} failed: {exc!r}\n{source}") from exc
    finally:
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_python_blocks_run_as_printed(
    page: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    run_page(page)


def test_the_fences_are_found() -> None:
    """The pages hold Python blocks, including indented ones, and each one is parsed."""
    counts = {p.name: len(python_blocks(p)) for p in PAGES}
    assert counts["quickstart.md"] >= 3 and counts["README.md"] >= 1
    assert sum(counts.values()) >= 20
    indented = [src for _, src in python_blocks(ROOT / "docs" / "checkpoints.md")]
    assert any(src.startswith("from hypergraph_typed import Graph, interrupt") for src in indented)
