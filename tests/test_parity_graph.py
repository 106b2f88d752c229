"""Parity with hypergraph on graphs and nodes: each test pins one behaviour users port."""

from __future__ import annotations

import re
import sys
from typing import Any

import pytest

from hypergraph_typed import (
    END,
    AsyncRunner,
    Graph,
    GraphConfigError,
    InputSpec,
    interrupt,
    node,
    route,
)

# -- Graph.nx_graph ------------------------------------------------------------------------


@node(output_name="y")
def double(x: int) -> int:
    return 2 * x


@route(targets=["bump", END])
def check(y: int) -> Any:
    return "bump" if y < 10 else END


@node(output_name="z")
def bump(y: int) -> int:
    return y + 1


class TestNxGraph:
    def test_nodes_carry_attributes_and_edges_carry_kind_and_values(self) -> None:
        nx = pytest.importorskip("networkx")
        g = Graph([double, check, bump], name="g")
        dg = g.nx_graph
        assert isinstance(dg, nx.DiGraph)
        assert list(dg.nodes) == ["double", "check", "bump"]
        assert dg.nodes["double"]["node_type"] == "FUNCTION"
        assert dg.nodes["double"]["inputs"] == ("x",)
        assert dg.nodes["double"]["outputs"] == ("y",)
        assert dg.nodes["check"]["node_type"] == "BRANCH"
        assert dg.nodes["check"]["targets"] == ["bump", "END"]
        assert dg.nodes["bump"]["wait_for"] == ()
        assert dg.nodes["bump"]["hypernode"] is bump
        assert dg.edges["double", "check"] == {"edge_type": "data", "value_names": ["y"]}
        assert dg.edges["check", "bump"] == {"edge_type": "control", "value_names": []}
        assert dg.edges["double", "bump"]["edge_type"] == "data"
        assert dg.graph["name"] == "g"

    def test_ordering_edge_and_a_fresh_copy_per_read(self) -> None:
        pytest.importorskip("networkx")

        @node(output_name="a", emit="a_done")
        def first(x: int) -> int:
            return x

        @node(output_name="b", wait_for="a_done")
        def second(x: int) -> int:
            return x

        g = Graph([first, second])
        dg = g.nx_graph
        assert dg.edges["first", "second"] == {"edge_type": "ordering", "value_names": []}
        dg.remove_node("first")  # the graph itself is immutable
        assert "first" in g.nx_graph

    def test_missing_networkx_names_the_extra(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setitem(sys.modules, "networkx", None)  # makes ``import networkx`` fail
        g = Graph([double])  # building the graph does not need networkx
        with pytest.raises(ImportError, match=re.escape("hypergraph-typed[networkx]")):
            g.nx_graph  # noqa: B018


# -- GraphNode.output_annotation and has_signature_default_for ------------------------------


@node(output_name=("total", "count"))
def tally(items: list[int], scale: int = 2) -> tuple[int, int]:
    return sum(items) * scale, len(items)


@node(output_name="note")
def describe(total):  # type: ignore[no-untyped-def]
    return f"{total}"


class TestGraphNodeIntrospection:
    def test_output_annotation_maps_outputs_to_types(self) -> None:
        gn = Graph([tally, describe], name="inner").as_node()
        assert gn.output_annotation == {"total": int, "count": int}
        renamed = gn.with_outputs(total="sum")
        assert renamed.output_annotation == {"sum": int, "count": int}
        mapped = gn.map_over("items")
        assert mapped.output_annotation == {"total": list[int], "count": list[int], "note": list}

    def test_has_signature_default_for_ignores_bindings(self) -> None:
        inner = Graph([tally], name="inner")
        gn = inner.as_node()
        assert gn.has_signature_default_for("scale")
        assert not gn.has_signature_default_for("items")
        bound = inner.bind(items=[1]).as_node()
        assert bound.has_default_for("items")  # a bound value is a default ...
        assert not bound.has_signature_default_for("items")  # ... but not a signature one
        assert gn.with_inputs(scale="factor").has_signature_default_for("factor")
        assert not gn.has_signature_default_for("unknown")
        assert double.has_signature_default_for("x") is False
        assert tally.has_signature_default_for("scale") is True


# -- two producers ordered by emit/wait_for ---------------------------------------------------


@node(output_name="text")
def load(path: str) -> str:
    return f"  {path}  "


@node(output_name="text")
def clean(text: str) -> str:
    return text.strip()


@node(output_name="size")
def measure(text: str) -> int:
    return len(text)


class TestOrderedProducers:
    def test_the_suggested_emit_wait_for_ordering_is_accepted(self, runner: Any) -> None:
        with pytest.raises(GraphConfigError) as ei:
            Graph([load, clean, measure])
        msg = str(ei.value)
        assert "Multiple nodes produce 'text'" in msg
        assert "'load' emit='load_done' and 'clean' wait_for='load_done'" in msg
        # Applying exactly that ordering builds: clean reads load's text and rewrites it.
        g = Graph([
            node(load.func, output_name="text", emit="load_done"),
            node(clean.func, output_name="text", wait_for="load_done"),
            measure,
        ])
        assert not g.has_cycles
        r = runner.run(g, {"path": "a.txt"})
        assert r["text"] == "a.txt" and r["size"] == 5

    def test_ordering_through_a_chain_of_signals(self, runner: Any) -> None:
        @node(output_name="n", emit="s1")
        def a(seed: int) -> int:
            return seed

        @node(output_name="other", emit="s2", wait_for="s1")
        def b(seed: int) -> int:
            return seed

        @node(output_name="n", wait_for="s2")
        def c(n: int) -> int:
            return n + 100

        r = runner.run(Graph([a, b, c]), {"seed": 1})
        assert r["n"] == 101

    def test_unordered_producers_are_still_rejected(self) -> None:
        with pytest.raises(GraphConfigError, match="Multiple nodes produce 'text'"):
            Graph([load, clean])


# -- Inconsistent defaults across nesting ---------------------------------------------------


@node(output_name="inner_out")
def inner_step(rate: float = 0.5) -> float:
    return rate


@node(output_name="outer_out")
def outer_step(rate: float = 0.5) -> float:
    return rate


@node(output_name="plain_out")
def plain_step(rate: float) -> float:
    return rate


class TestDefaultsAcrossNesting:
    def test_nested_binding_disagreeing_with_outer_default_is_rejected(self) -> None:
        inner = Graph([inner_step], name="inner").bind(rate=0.9)
        with pytest.raises(GraphConfigError, match="Inconsistent defaults for 'rate'") as ei:
            Graph([inner.as_node(), outer_step])
        msg = str(ei.value)
        assert "'inner' (bound in its nested graph) uses 0.9" in msg
        assert "'outer_step' uses 0.5" in msg
        assert ".bind(rate=...)" in msg

    def test_the_proposed_fix_builds(self, runner: Any) -> None:
        # Bind once on the outer graph instead of inside: both consumers see 0.9.
        g = Graph([Graph([inner_step], name="inner").as_node(), outer_step]).bind(rate=0.9)
        r = runner.run(g, {})
        assert r["inner_out"] == 0.9 and r["outer_out"] == 0.9

    def test_signature_defaults_must_agree_across_nesting(self) -> None:
        @node(output_name="outer_out")
        def other_default(rate: float = 0.1) -> float:
            return rate

        with pytest.raises(GraphConfigError, match="Inconsistent defaults for 'rate'"):
            Graph([Graph([inner_step], name="inner").as_node(), other_default])
        with pytest.raises(GraphConfigError, match=r"\['inner'\] give a default"):
            Graph([Graph([inner_step], name="inner").as_node(), plain_step])

    def test_agreeing_defaults_are_accepted(self) -> None:
        inner = Graph([inner_step], name="inner")
        assert Graph([inner.as_node(), outer_step]).inputs.optional == ("rate",)
        assert Graph([inner.bind(rate=0.5).as_node(), outer_step]).inputs.bound == {"rate": 0.5}
        # a binding without a signature default inside is not a default: no mixed error
        inner_plain = Graph([plain_step.with_outputs(plain_out="p")], name="inner_plain")
        Graph([inner_plain.bind(rate=0.2).as_node(), plain_step])


# -- InputSpec.all -------------------------------------------------------------------------------


def test_input_spec_all_includes_entrypoint_inputs() -> None:
    spec = InputSpec(
        required=("a",), optional=("b",), entrypoints={"loop": ("seed", "a")}, bound={}
    )
    assert spec.all == ("a", "b", "seed")
    assert InputSpec(required=("a",), optional=()).all == ("a",)


# -- a route returning END outside its targets -----------------------------------------------


def test_route_returning_undeclared_end_raises_naming_the_gate(runner: Any) -> None:
    @node(output_name="v")
    def src(x: int) -> int:
        return x

    @route(targets=["dst"])
    def gate(v: int) -> Any:
        return END

    @node(output_name="w")
    def dst(v: int) -> int:
        return v

    with pytest.raises(ValueError, match=r"Route 'gate' returned END, but END is not among"):
        runner.run(Graph([src, gate, dst]), {"x": 1})

    @route(targets=["dst"], multi_target=True)
    def fan(v: int) -> Any:
        return [END]

    with pytest.raises(ValueError, match=r"Route 'fan' returned END"):
        runner.run(Graph([src, fan, dst]), {"x": 1})


# -- definition_hash -------------------------------------------------------------------------------


def test_definition_hash_is_computed_once_per_graph() -> None:
    g = Graph([double, check, bump], entrypoint="double")
    first = g.definition_hash
    assert g.definition_hash is first
    assert g.code_hash is first
    # derived graphs have the same nodes and edges, so they share it
    assert g.bind(x=1).definition_hash is first


# -- the explicit-edges chat of hypergraph's human-in-the-loop page -----------------------------


@interrupt(output_name="query")
def ask_user(response: str) -> str | None:
    return None  # shows the last reply, waits for the next question


@node(output_name="messages")
def add_query(messages: list[dict[str, str]], query: str) -> list[dict[str, str]]:
    return [*messages, {"role": "user", "content": query}]


LLM_CALLS: list[list[dict[str, str]]] = []


@node(output_name="response")
def generate(messages: list[dict[str, str]]) -> str:
    LLM_CALLS.append(list(messages))
    return f"You said {messages[-1]['content']!r}"


@node(output_name="messages")
def add_response(messages: list[dict[str, str]], response: str) -> list[dict[str, str]]:
    return [*messages, {"role": "assistant", "content": response}]


PAGE_NODES = [ask_user, add_query, generate, add_response]
PAGE_EDGES = [
    (ask_user, add_query),
    (add_query, generate),
    (generate, add_response),
    (add_response, ask_user),
    (add_response, add_query),
]


class TestPageChat:
    def test_as_written_the_error_proposes_the_fix(self) -> None:
        with pytest.raises(GraphConfigError) as ei:
            Graph(PAGE_NODES, edges=PAGE_EDGES)
        msg = str(ei.value)
        assert "entrypoint='ask_user'" in msg  # the user speaks first
        assert "entrypoint='generate'" not in msg  # no LLM call on an empty conversation
        assert "shared=['response', 'messages']" in msg
        assert ".bind(response=..., messages=...)" in msg
        assert "drop the edge ('add_response', 'add_query')" in msg

    async def test_applying_exactly_the_fix_gives_the_pages_behaviour(self) -> None:
        LLM_CALLS.clear()
        edges = [e for e in PAGE_EDGES if e != (add_response, add_query)]
        chat = Graph(
            PAGE_NODES, edges=edges, shared=["response", "messages"], entrypoint="ask_user"
        ).bind(response=None).bind(messages=[])
        runner = AsyncRunner()

        first = await runner.run(chat, {})
        assert first.paused and first.pause is not None
        assert first.pause.node_name == "ask_user" and first.pause.value is None
        assert LLM_CALLS == []  # nothing is generated before the user has spoken

        second = await runner.run(chat, {"query": "Hello!"})
        assert LLM_CALLS == [[{"role": "user", "content": "Hello!"}]]
        assert second.paused and second.pause is not None
        assert second.pause.node_name == "ask_user"
        assert second.pause.value == "You said 'Hello!'"
        assert second["messages"] == [
            {"role": "user", "content": "Hello!"},
            {"role": "assistant", "content": "You said 'Hello!'"},
        ]

    def test_a_loop_without_an_interrupt_keeps_the_gap_free_start(self) -> None:
        @node(output_name="count")
        def increment(count: int) -> int:
            return count + 1

        @route(targets=["increment", END])
        def again(count: int) -> Any:
            return END if count >= 3 else "increment"

        with pytest.raises(GraphConfigError, match="entrypoint='increment'") as ei:
            Graph([increment, again])
        assert "drop the edge" not in str(ei.value)
