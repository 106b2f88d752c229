"""Render ``to_mermaid()`` output with mermaid itself (headless Chromium) and check the SVG.

Every node, nested graph and edge of each graph must show up in the drawing with its
label and its kind's class or edge style. The expectations come from the graph's own
structure; ids are read back from the SVG, so this does not restate the text format.

Needs node, Chromium and ``npm ci`` in tests/mermaid_render (CI installs them). Missing
tools skip the test locally but fail it when CI=true.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from hypergraph_typed import END, Graph, GraphNode, ifelse, interrupt, node, route
from hypergraph_typed.nodes.gate import GateNode

RENDER_DIR = Path(__file__).parent / "mermaid_render"
SVG = "{http://www.w3.org/2000/svg}"


# -- the graphs ------------------------------------------------------------------------------
@node(output_name="doubled")
def double(x: int) -> int:
    return 2 * x


@node(output_name=("total", "count"))
def summarize(doubled: int, y: int) -> tuple[int, int]:
    return doubled + y, 1


@node(output_name="report", emit="reported")
def write_report(total: int, count: int) -> str:
    return f"{total}/{count}"


@node(output_name="archived", wait_for="reported")
def archive(x: int) -> bool:
    return True


@interrupt(output_name="approved")
def approve(report: str) -> bool | None:
    return None


@route(targets={"retry": "try again", END: "give up"})
def decide(approved: bool) -> object:
    return END


@node(output_name="attempt")
def retry(approved: bool) -> int:
    return 1


@ifelse(when_true="celebrate", when_false=END)
def is_big(doubled: int) -> bool:
    return doubled > 10


@node(output_name="party")
def celebrate(doubled: int) -> str:
    return "yay"


@node(output_name="n")
def step(n: int = 0) -> int:
    return n + 1


@route(targets=["step", END])
def again(n: int = 0) -> object:
    return END if n > 3 else "step"


@node(output_name="out")
def café(total: int) -> int:
    return total


@node(output_name="a")
def first(x: int) -> int:
    return x


@node(output_name="b")
def second(y: int) -> int:
    return y


@node(output_name="messages")
def ask(messages: list[str], tone: str = "kind") -> list[str]:
    return [*messages, tone]


@node(output_name="messages")
def reply(messages: list[str], model: str) -> list[str]:
    return [*messages, model]


@node(output_name="last")
def last_message(messages: list[str]) -> str:
    return messages[-1]


def build_graphs() -> dict[str, Graph]:
    inner = Graph([double, summarize], name="inner")
    middle = Graph([inner.as_node(), write_report], name="middle")
    mapped = Graph([double.with_name("double_each")], name="per_item").as_node().map_over("x").with_outputs(doubled="each")
    return {
        "chain": Graph([double, summarize, write_report], name="chain"),
        "gates": Graph([double, is_big, celebrate, summarize, write_report, approve, decide, retry]),
        "interrupt_and_ordering": Graph([double, summarize, write_report, archive, approve]),
        "nested": Graph([middle.as_node(), approve, mapped.with_name("mapped")], name="nested"),
        "cycle": Graph([step, again], entrypoint="step"),
        "names": Graph([
            Graph([double, summarize], name="inner").as_node(name='in"ner <b>#1 [x] {y} | `z` & end;'),
            café,
        ], name='odd "graph" <name> & co'),
        "explicit": Graph([first, second], edges=[(first, second)]),
        "shared": Graph(
            [ask, reply, last_message], shared=["messages"],
            edges=[(ask, reply), (reply, last_message)], entrypoint="ask",
        ).bind(model="small"),
        "selected": Graph([double, summarize, write_report]).select("total"),
        "empty": Graph([]),
    }


# -- rendering -------------------------------------------------------------------------------
def _missing_tool() -> str | None:
    chromium = os.environ.get("CHROMIUM") or shutil.which("chromium")
    if shutil.which("node") is None:
        return "node is not installed"
    if chromium is None or not Path(chromium).exists():
        return "Chromium not found (apt-get install chromium, or set CHROMIUM)"
    if not (RENDER_DIR / "node_modules" / "mermaid" / "dist" / "mermaid.min.js").exists():
        return "mermaid is not installed: run `npm ci` in tests/mermaid_render"
    return None


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Graph, str]]:
    missing = _missing_tool()
    if missing is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"Mermaid render test cannot run in CI: {missing}")
        pytest.skip(missing)
    graphs = build_graphs()
    src = tmp_path_factory.mktemp("mermaid") / "diagrams.json"
    src.write_text(json.dumps([g.to_mermaid() for g in graphs.values()]))
    proc = subprocess.run(
        ["node", str(RENDER_DIR / "render.mjs"), str(src)],
        capture_output=True, text=True, timeout=180, check=False,
    )
    assert proc.returncode == 0, proc.stderr
    results = json.loads(proc.stdout)
    out = {}
    for (name, g), res in zip(graphs.items(), results):
        assert "error" not in res, f"mermaid rejected {name}: {res.get('error')}\n{g.to_mermaid()}"
        out[name] = (g, res["svg"])
    return out


# -- reading the SVG back --------------------------------------------------------------------
@dataclass
class Drawing:
    nodes: dict[str, tuple[str, set[str]]] = field(default_factory=dict)  # id -> (text, classes)
    clusters: dict[str, tuple[str, set[str]]] = field(default_factory=dict)
    edges: list[tuple[str, set[str], str]] = field(default_factory=list)  # data-id, classes, label

    def id_of(self, text: str | tuple[str, str]) -> str:
        """The id of the one element labelled ``text`` (or ``(text, class)``)."""
        label, kind = text if isinstance(text, tuple) else (text, None)
        found = [
            i for i, (t, classes) in {**self.nodes, **self.clusters}.items()
            if t == label and (kind is None or kind in classes)
        ]
        assert len(found) == 1, f"expected one element labelled {text!r}, found {found}"
        return found[0]


def read_svg(svg: str) -> Drawing:
    root = ET.fromstring(svg)
    diagram = root.get("id")
    d = Drawing()
    labels: dict[str, str] = {}
    for g in root.iter(f"{SVG}g"):
        classes = set((g.get("class") or "").split())
        gid = g.get("id") or ""
        if "node" in classes:
            m = re.fullmatch(rf"{diagram}-flowchart-(.+)-\d+", gid)
            assert m, gid
            d.nodes[m.group(1)] = ("".join(g.itertext()), classes)
        elif "cluster" in classes:
            label = next(x for x in g.iter(f"{SVG}g") if x.get("class") == "cluster-label")
            rect = g.find(f"{SVG}rect")
            # Mermaid keeps a subgraph's ``style`` but not always its ``class``.
            look = {"dashed-box"} if rect is not None and "stroke-dasharray:4 2" in (
                rect.get("style") or "") else set()
            d.clusters[gid.removeprefix(f"{diagram}-")] = (
                "".join(label.itertext()), classes | look,
            )
        elif "label" in classes and g.get("data-id"):
            labels[g.get("data-id") or ""] = "".join(g.itertext())
    for p in root.iter(f"{SVG}path"):
        if p.get("data-edge") == "true":
            eid = p.get("data-id") or ""
            d.edges.append((eid, set((p.get("class") or "").split()), labels.get(eid, "")))
    return d


End = str | tuple[str, str]  # an element's label, or (label, class) where labels repeat


@dataclass
class Expected:
    nodes: list[tuple[str, str]] = field(default_factory=list)  # (label, class)
    clusters: list[str] = field(default_factory=list)
    edges: list[tuple[End, End, str, str | None]] = field(default_factory=list)  # src, dst, style, label


def _kind(n: Any) -> str:
    if isinstance(n, GateNode):
        return "gate"
    return "interrupt" if n.is_interrupt else "function"


def expected_from_structure(g: Graph, exp: Expected) -> None:
    """What the drawing must show, from the analysed structure (labels stand for ids)."""
    s = g.structure
    ends = False
    for n in s.nodes:
        if isinstance(n, GraphNode):
            cfg = n.map_config
            exp.clusters.append(n.name if cfg is None else f"{n.name} (map over {', '.join(cfg[0])})")
            expected_from_structure(n.graph, exp)
        else:
            exp.nodes.append((n.name, _kind(n)))
        ends = ends or (isinstance(n, GateNode) and END in n.targets)

    def label(i: int) -> str:
        n = s.nodes[i]
        if isinstance(n, GraphNode) and n.map_config is not None:
            return f"{n.name} (map over {', '.join(n.map_config[0])})"
        return n.name

    for e in s.edges:
        if e.kind == "data":
            exp.edges.append((label(e.src), label(e.dst), "edge-pattern-solid", ", ".join(e.value_names)))
        elif e.kind == "ordering":
            dst, src = s.nodes[e.dst], s.nodes[e.src]
            signals = ", ".join(w for w in dst.wait_for if w in src.outputs)
            exp.edges.append((label(e.src), label(e.dst), "edge-thickness-thick", signals))
    for gate_i, targets in s.gate_targets.items():
        gate = s.nodes[gate_i]
        for t in targets:
            exp.edges.append((label(gate_i), label(t), "edge-pattern-dotted", _decision(gate, s.nodes[t].name)))
        if END in gate.targets:  # type: ignore[attr-defined]
            exp.edges.append((label(gate_i), "END", "edge-pattern-dotted", _decision(gate, END)))
    if ends:
        exp.nodes.append(("END", "endnode"))
    for name in g.entrypoints_config or ():
        exp.edges.append((("start", "startnode"), label(s.index[name]), "edge-pattern-solid", ""))
    if g.entrypoints_config:
        exp.nodes.append(("start", "startnode"))
    for value in g.shared:
        exp.nodes.append((value, "shared"))
        for i, n in enumerate(s.nodes):
            if value in n.outputs:
                exp.edges.append((label(i), (value, "shared"), "edge-pattern-solid", ""))
            if value in n.inputs:
                exp.edges.append(((value, "shared"), label(i), "edge-pattern-solid", ""))


def _decision(gate: Any, target: object) -> str | None:
    """The decision that leads to ``target`` (a route's label starts with it)."""
    if hasattr(gate, "when_true"):
        return None  # @ifelse: labelled True/False, checked in the text tests
    return "END" if target is END else str(target)


def expected_boundary(g: Graph, exp: Expected) -> None:
    """The top-level graph's inputs feeding their readers, and its outputs."""
    s = g.structure
    spec = g.inputs
    for name in spec.all:
        note = " (bound)" if name in spec.bound else " (optional)" if name in spec.optional else ""
        exp.nodes.append((name + note, "input"))
        readers: list[End] = (
            [(name, "shared")] if name in g.shared
            else [_label(n) for n in s.nodes if name in n.inputs]
        )
        for reader in readers:
            exp.edges.append(((name + note, "input"), reader, "edge-pattern-solid", ""))
    for name in g.selected or g.leaf_outputs:
        producers = [n for n in s.nodes if name in n.outputs]
        if name in g.shared or name.startswith("_") or not producers:
            continue
        exp.nodes.append((name, "output"))
        for n in producers:
            exp.edges.append((_label(n), (name, "output"), "edge-pattern-solid", ""))


def _label(n: Any) -> str:
    if isinstance(n, GraphNode) and n.map_config is not None:
        return f"{n.name} (map over {', '.join(n.map_config[0])})"
    return str(n.name)


GRAPH_NAMES = [
    "chain", "gates", "interrupt_and_ordering", "nested", "cycle", "names", "explicit", "shared",
    "selected", "empty",
]


@pytest.mark.parametrize("name", GRAPH_NAMES)
def test_every_node_and_edge_is_drawn(rendered: dict[str, tuple[Graph, str]], name: str) -> None:
    graph, svg = rendered[name]
    drawing = read_svg(svg)
    exp = Expected()
    expected_from_structure(graph, exp)
    expected_boundary(graph, exp)

    assert sorted(t for t, _ in drawing.nodes.values()) == sorted(t for t, _ in exp.nodes), (
        graph.to_mermaid()
    )
    for text, kind in exp.nodes:
        _, classes = drawing.nodes[drawing.id_of((text, kind))]
        assert kind in classes, (text, classes)
    assert sorted(t for t, _ in drawing.clusters.values()) == sorted(exp.clusters)
    for text in exp.clusters:
        assert "dashed-box" in drawing.clusters[drawing.id_of(text)][1], text

    unused = list(drawing.edges)
    for src, dst, style, text in exp.edges:
        a, b = drawing.id_of(src), drawing.id_of(dst)
        match = next(
            (e for e in unused
             if re.fullmatch(rf"L_{re.escape(a)}_{re.escape(b)}_\d+", e[0]) and style in e[1]
             and (text is None or e[2] == text or e[2].startswith(f"{text}: "))),
            None,
        )
        assert match is not None, f"edge {src} -> {dst} ({style}, {text!r}) not drawn: {unused}"
        unused.remove(match)
    assert unused == [], f"unexpected edges: {unused}"


def test_the_graphs_cover_every_kind(rendered: dict[str, tuple[Graph, str]]) -> None:
    """Guard against the render test silently losing coverage when the graphs change."""
    kinds: set[str] = set()
    styles: set[str] = set()
    for _graph, svg in rendered.values():
        d = read_svg(svg)
        kinds |= {k for _, classes in d.nodes.values() for k in classes}
        kinds |= {k for _, classes in d.clusters.values() for k in classes}
        styles |= {s for _, classes, _ in d.edges for s in classes}
    assert {
        "function", "gate", "interrupt", "endnode", "dashed-box", "startnode", "input", "output",
        "shared",
    } <= kinds
    assert {"edge-pattern-solid", "edge-pattern-dotted", "edge-thickness-thick"} <= styles
