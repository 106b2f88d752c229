"""docs/api-compat.md: each deliberate difference it lists is true of the code."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest

from hypergraph_typed import Graph, node
from hypergraph_typed.runtime.results import format_duration

PAGE = Path(__file__).resolve().parents[1] / "docs" / "api-compat.md"


def _section(title: str) -> str:
    text = PAGE.read_text()
    start = text.index(f"## {title}")
    end = text.find("\n## ", start + 1)
    return text[start:] if end == -1 else text[start:end]


@node(output_name="y")
def double(x: int) -> int:
    return 2 * x


def test_the_page_lists_each_difference_with_a_reason() -> None:
    section = _section("Deliberate differences")
    rows = [line for line in section.splitlines() if line.startswith("| ") and "---" not in line]
    assert rows[0].startswith("| In hypergraph | Here | Why |")
    for row in rows[1:]:
        cells = [c.strip() for c in row.strip("|").split(" | ")]
        assert len(cells) == 3 and all(cells), row
    for topic in ("frozen", "visualize()", "to_mermaid()", "nx_graph", "0.3ms", "transaction"):
        assert topic in section, topic


def test_mermaid_is_shared_with_hypergraph_not_an_addition() -> None:
    additions = _section("Deliberate differences").split("Not in hypergraph at all")[1]
    assert "to_mermaid" not in additions
    params = inspect.signature(Graph.to_mermaid).parameters
    assert [p for p in params if p != "self"] == ["direction", "max_depth", "show_hidden"]


def test_nodes_and_graphs_are_frozen() -> None:
    with pytest.raises(AttributeError):
        double.name = "other"  # type: ignore[misc]
    g = Graph([double], name="g")
    with pytest.raises(AttributeError):
        g.name = "other"  # type: ignore[misc]
    assert double.with_name("other").name == "other" and double.name == "double"


def test_the_visualization_api_is_not_provided() -> None:
    g = Graph([double])
    for name in ("visualize", "debug_viz", "_repr_html_"):
        assert not hasattr(g, name), name


def test_sub_millisecond_durations_keep_one_decimal() -> None:
    assert format_duration(0.3) == "0.3ms"
    assert format_duration(7.0) == "7ms"
