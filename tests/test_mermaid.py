"""Graph.to_mermaid(): the flowchart text for each node kind, edge kind and name."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from hypergraph_typed import END, Graph, ifelse, interrupt, node, route
from hypergraph_typed.graph.mermaid import quote, to_mermaid

BOUNDARY = re.compile(r"^(in_|out_|sh_|hg_START)|--> (out_|sh_)")


def statements(g: Graph, **kw: object) -> list[str]:
    """The diagram's statements, without the header and class definitions."""
    text = g.to_mermaid(**kw)  # type: ignore[arg-type]
    return [
        line.strip() for line in text.splitlines()
        if line.strip() and not line.strip().startswith(("flowchart", "classDef", "%%"))
    ]


def body(g: Graph, **kw: object) -> list[str]:
    """The nodes and the edges between them (no start marker, inputs, outputs, shared)."""
    return [line for line in statements(g, **kw) if not BOUNDARY.search(line.split("(")[0])]


def boundary(g: Graph, **kw: object) -> list[str]:
    """The start marker, inputs, outputs and shared values, with their edges."""
    return [line for line in statements(g, **kw) if BOUNDARY.search(line.split("(")[0])]


@node(output_name="doubled")
def double(x: int) -> int:
    return 2 * x


@node(output_name=("total", "count"))
def summarize(doubled: int, y: int) -> tuple[int, int]:
    return doubled + y, 1


@node(output_name="report")
def report(total: int, count: int) -> str:
    return f"{total}/{count}"


def test_function_nodes_and_labelled_data_edges() -> None:
    g = Graph([double, summarize, report])
    assert body(g) == [
        'n_double["double"]:::function',
        'n_summarize["summarize"]:::function',
        'n_report["report"]:::function',
        'n_double -->|"doubled"| n_summarize',
        'n_summarize -->|"total, count"| n_report',
    ]


def test_header_direction_and_class_definitions() -> None:
    text = Graph([double], name="pipeline").to_mermaid(direction="LR")
    lines = text.splitlines()
    assert lines[0] == "flowchart LR"
    assert lines[1].strip() == "%% Graph: pipeline"
    defs = {line.split()[1] for line in lines if line.strip().startswith("classDef")}
    assert defs == {
        "function", "gate", "interrupt", "graphnode", "endnode", "startnode", "input", "output",
        "shared",
    }
    assert text.endswith("\n")
    assert Graph([double]).to_mermaid() == to_mermaid(Graph([double]))


def test_route_gate_with_dashed_edges_to_targets_and_end() -> None:
    @route(targets={"retry": "try again", END: "give up"}, fallback="retry")
    def decide(doubled: int) -> object:
        return END

    @node(output_name="again")
    def retry(doubled: int) -> int:
        return doubled

    lines = body(Graph([double, decide, retry]))
    assert 'n_decide{"decide"}:::gate' in lines
    assert 'hg_END(["END"]):::endnode' in lines
    assert 'n_decide -.->|"retry: try again (fallback)"| n_retry' in lines
    assert 'n_decide -.->|"END: give up"| hg_END' in lines
    assert 'n_double -->|"doubled"| n_decide' in lines


def test_ifelse_labels_its_branches() -> None:
    @ifelse(when_true="big", when_false=END)
    def is_big(doubled: int) -> bool:
        return doubled > 10

    @node(output_name="msg")
    def big(doubled: int) -> str:
        return "big"

    lines = body(Graph([double, is_big, big]))
    assert 'n_is_big -.->|"True"| n_big' in lines
    assert 'n_is_big -.->|"False"| hg_END' in lines


def test_route_without_descriptions_labels_edges_with_the_decision() -> None:
    @route(targets=["left", "right"])
    def pick(doubled: int) -> str:
        return "left"

    @node(output_name="l")
    def left(doubled: int) -> int:
        return 1

    @node(output_name="r")
    def right(doubled: int) -> int:
        return 2

    lines = body(Graph([double, pick, left, right]))
    assert 'n_pick -.->|"left"| n_left' in lines and 'n_pick -.->|"right"| n_right' in lines
    assert not any("hg_END" in line for line in lines)  # no END node without an END target


def test_interrupt_is_a_hexagon() -> None:
    @interrupt(output_name="approved")
    def approve(report: str) -> bool | None:
        return None

    lines = body(Graph([double, summarize, report, approve]))
    assert 'n_approve{{"approve"}}:::interrupt' in lines
    assert 'n_report -->|"report"| n_approve' in lines


def test_nested_graph_is_a_subgraph_with_its_inner_nodes() -> None:
    inner = Graph([double, summarize], name="inner")
    g = Graph([inner.as_node(), report], name="outer")
    assert body(g) == [
        'subgraph n_inner ["inner"]',
        'n_inner__n_double["double"]:::function',
        'n_inner__n_summarize["summarize"]:::function',
        'n_inner__n_double -->|"doubled"| n_inner__n_summarize',
        "end",
        'n_report["report"]:::function',
        'n_inner -->|"total, count"| n_report',
        "class n_inner graphnode",
        "style n_inner fill:#f4f4f4,stroke:#777777,stroke-dasharray:4 2,color:#1a1a1a",
    ]


def test_two_levels_of_nesting_and_max_depth() -> None:
    inner = Graph([double], name="inner")
    middle = Graph([inner.as_node(), summarize], name="middle")
    g = Graph([middle.as_node(), report])
    full = body(g)
    assert 'subgraph n_middle ["middle"]' in full
    assert 'subgraph n_middle__n_inner ["inner"]' in full
    assert 'n_middle__n_inner__n_double["double"]:::function' in full
    one = body(g, max_depth=1)
    assert 'subgraph n_middle ["middle"]' in one
    assert 'n_middle__n_inner[["inner"]]:::graphnode' in one
    assert not any("n_double" in line for line in one)
    none = body(g, max_depth=0)
    assert none[0] == 'n_middle[["middle"]]:::graphnode'
    assert not any(line.startswith("subgraph") for line in none)


def test_mapped_graph_node_label_names_the_mapped_inputs() -> None:
    inner = Graph([double], name="inner")
    g = Graph([inner.as_node().map_over("x"), report.with_inputs(total="doubled")])
    assert 'subgraph n_inner ["inner (map over x)"]' in body(g)
    product = Graph([Graph([summarize], name="s").as_node().map_over("doubled", "y", mode="product")])
    assert 'subgraph n_s ["s (map over doubled, y, product)"]' in body(product)


def test_emit_wait_for_ordering_is_a_thick_edge_named_by_signal() -> None:
    @node(output_name="a", emit="a_done")
    def first(x: int) -> int:
        return x

    @node(output_name="b", wait_for="a_done")
    def second(y: int) -> int:
        return y

    lines = body(Graph([first, second]))
    assert 'n_first ==>|"a_done"| n_second' in lines


def test_explicit_ordering_edge_without_values_is_thick_and_unlabelled() -> None:
    @node(output_name="a")
    def first(x: int) -> int:
        return x

    @node(output_name="b")
    def second(y: int) -> int:
        return y

    lines = body(Graph([first, second], edges=[(first, second)]))
    assert "n_first ==> n_second" in lines


def test_cycle_renders_both_directions() -> None:
    @node(output_name="count")
    def step(count: int = 0) -> int:
        return count + 1

    @route(targets=["step", END])
    def again(count: int = 0) -> object:
        return END if count > 3 else "step"

    lines = body(Graph([step, again], entrypoint="step"))
    assert 'n_step -->|"count"| n_again' in lines
    assert 'n_again -.->|"step"| n_step' in lines
    assert 'n_again -.->|"END"| hg_END' in lines


def test_hidden_nodes_are_left_out_unless_asked() -> None:
    @node(output_name="doubled", hide=True)
    def quiet(x: int) -> int:
        return x

    g = Graph([quiet, summarize])
    assert body(g) == ['n_summarize["summarize"]:::function']
    assert 'n_quiet -->|"doubled"| n_summarize' in body(g, show_hidden=True)


def test_names_are_escaped_and_ids_sanitized() -> None:
    nasty = 'in"ner <b>#1<b> [x] {y} | `z` & end;'
    g = Graph([Graph([double], name="inner").as_node(name=nasty), report.with_inputs(total="doubled")])
    text = g.to_mermaid()
    sub = next(line.strip() for line in text.splitlines() if line.strip().startswith("subgraph"))
    node_id, label = re.fullmatch(r'subgraph (\S+) \["(.*)"\]', sub).groups()  # type: ignore[union-attr]
    assert re.fullmatch(r"[A-Za-z0-9_]+", node_id)
    assert node_id == "n_in_ner_b_1_b_x_y_z_end"
    assert label == (
        "in#34;ner #60;b#62;#35;1#60;b#62; #91;x#93; #123;y#125; #124; #96;z#96; #38; end#59;"
    )
    # Outside entity codes, nothing but letters, digits, spaces and underscores is left.
    assert re.fullmatch(r"[A-Za-z0-9 _]*", re.sub(r"#\d+;", "", label))


def test_quote_keeps_readable_text_and_escapes_markup() -> None:
    assert quote("plain name_1 (v2): ok") == '"plain name_1 (v2): ok"'
    assert quote("café → ∑") == '"café → ∑"'
    assert quote('a"b') == '"a#34;b"'
    assert quote("line\nbreak\t") == '"line#10;break#9;"'


def test_sanitized_id_collisions_get_suffixes() -> None:
    @node(output_name="out_a")
    def a_b(x: int) -> int:
        return x

    inner = Graph([double], name="inner")
    g = Graph([a_b, inner.as_node(name="a-b")])
    lines = body(g)
    assert 'n_a_b["a_b"]:::function' in lines
    assert 'subgraph n_a_b_2 ["a-b"]' in lines


def test_unicode_identifier_names_keep_their_label() -> None:
    @node(output_name="r")
    def café(x: int) -> int:
        return x

    assert body(Graph([café])) == ['n_caf["café"]:::function']


def test_empty_graph_is_just_the_header() -> None:
    assert statements(Graph([])) == []


# -- where a run starts and what it exchanges ------------------------------------------------
def test_inputs_feed_their_readers_and_outputs_come_from_their_producers() -> None:
    @node(output_name="text")
    def render(report: str, style: str = "plain") -> str:
        return style + report

    g = Graph([double, summarize, report, render]).bind(y=1)
    assert boundary(g) == [
        'in_x[/"x"/]:::input',
        "in_x --> n_double",
        'in_y[/"y (bound)"/]:::input',
        "in_y --> n_summarize",
        'in_style[/"style (optional)"/]:::input',
        "in_style --> n_render",
        'out_text[\\"text"\\]:::output',
        "n_render --> out_text",
    ]


def test_selected_outputs_are_the_ones_drawn() -> None:
    g = Graph([double, summarize, report]).select("total")
    assert [line for line in boundary(g) if "out_" in line] == [
        'out_total[\\"total"\\]:::output', "n_summarize --> out_total",
    ]


def test_entrypoints_are_marked_with_a_start_node() -> None:
    @node(output_name="count")
    def step(count: int = 0) -> int:
        return count + 1

    @route(targets=["step", END])
    def again(count: int = 0) -> object:
        return END if count > 3 else "step"

    assert boundary(Graph([step, again], entrypoint="step")) == [
        'hg_START(["start"]):::startnode', "hg_START --> n_step",
    ]
    assert boundary(Graph([double, summarize])) == [
        'in_x[/"x"/]:::input', "in_x --> n_double", 'in_y[/"y"/]:::input',
        "in_y --> n_summarize", 'out_total[\\"total"\\]:::output', "n_summarize --> out_total",
        'out_count[\\"count"\\]:::output', "n_summarize --> out_count",
    ]  # no entrypoint configured: no start marker


def test_nested_entrypoints_are_marked_inside_their_subgraph() -> None:
    @node(output_name="count")
    def step(count: int = 0) -> int:
        return count + 1

    @route(targets=["step", END])
    def again(count: int = 0) -> object:
        return END if count > 3 else "step"

    inner = Graph([step, again], entrypoint="step", name="loop")
    lines = statements(Graph([inner.as_node()]))
    assert 'n_loop__hg_START(["start"]):::startnode' in lines
    assert "n_loop__hg_START --> n_loop__n_step" in lines


def test_shared_values_sit_between_writers_and_readers() -> None:
    @node(output_name="messages")
    def ask(messages: list[str]) -> list[str]:
        return [*messages, "question"]

    @node(output_name="messages")
    def answer(messages: list[str]) -> list[str]:
        return [*messages, "answer"]

    g = Graph([ask, answer], shared=["messages"], edges=[(ask, answer)])
    assert boundary(g) == [
        'sh_messages[("messages")]:::shared',
        "n_ask --> sh_messages", "sh_messages --> n_ask",
        "n_answer --> sh_messages", "sh_messages --> n_answer",
        'in_messages[/"messages"/]:::input',
        "in_messages --> sh_messages",
    ]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"direction": "UP"}, "direction"), ({"max_depth": -1}, "max_depth"),
     ({"max_depth": True}, "max_depth")],
)
def test_invalid_options(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Graph([double]).to_mermaid(**kwargs)  # type: ignore[arg-type]


def test_the_documented_example_is_the_real_output() -> None:
    @route(targets={"report": "large", END: "small"})
    def check(doubled: int) -> object:
        return "report" if doubled > 10 else END

    @node(output_name="text")
    def report(doubled: int) -> str:
        return f"got {doubled}"

    doc = (Path(__file__).parent.parent / "docs" / "visualisation.md").read_text()
    block = re.search(r"```mermaid\n(.*?)```", doc, re.S)
    assert block is not None
    assert Graph([double, check, report], name="demo").to_mermaid() == block.group(1)
