"""Spec 02: Graph properties, hashes, repr and the compiled plan."""

from __future__ import annotations

import re
from typing import Any

import pytest

from hypergraph_typed import (
    END,
    FunctionNode,
    Graph,
    HyperNode,
    ifelse,
    interrupt,
    node,
    route,
)


@node(output_name="y")
def make_y(x: int) -> int:
    return x + 1


@node(output_name="z")
def make_z(y: int) -> int:
    return y * 2


@node(output_name="w")
async def make_w(z: int) -> int:
    return z


@interrupt(output_name="answer")
def ask(z: int) -> str | None:
    return None


@route(targets=["make_z", END])
def decide(y: int) -> Any:
    return "make_z"


@node(output_name="count")
def increment(count: int) -> int:
    return count + 1


# ---------------------------------------------------------------------------
# nodes / outputs


class TestNodesAndOutputs:
    def test_nodes_dict_in_insertion_order(self) -> None:
        g = Graph([make_z, make_y])
        assert list(g.nodes) == ["make_z", "make_y"]
        assert g.nodes["make_y"] is make_y

    def test_nodes_returns_a_fresh_copy(self) -> None:
        g = Graph([make_y, make_z])
        d1 = g.nodes
        d1["extra"] = make_y
        assert g.nodes is not d1
        assert list(g.nodes) == ["make_y", "make_z"]

    def test_iter_nodes(self) -> None:
        g = Graph([make_z, make_y])
        it = g.iter_nodes()
        assert not isinstance(it, (list, dict))
        nodes = list(it)
        assert nodes == [make_z, make_y]
        assert all(isinstance(n, HyperNode) for n in nodes)

    def test_outputs_unique_in_node_order_with_emit_and_gate_decision(self) -> None:
        @node(output_name="z", emit="z_done")
        def make_z2(y: int) -> int:
            return y

        g = Graph([make_y, decide, make_z2.with_name("make_z")])
        assert g.outputs == ("y", "_decide", "z", "z_done")

    def test_outputs_deduplicated(self) -> None:
        @node(output_name="messages")
        def a(messages: list[str]) -> list[str]:
            return messages

        b = FunctionNode(a.func, name="b", output_name="messages")
        g = Graph([a, b], shared=["messages"], edges=[("a", "b")])
        assert g.outputs == ("messages",)

    def test_leaf_outputs(self) -> None:
        @node(output_name="side")
        def side(y: int) -> int:
            return y

        g = Graph([make_y, make_z, side])
        assert g.leaf_outputs == ("z", "side")

    def test_leaf_outputs_consider_all_edge_kinds(self) -> None:
        @node(output_name="a", emit="a_done")
        def first(x: int) -> int:
            return x

        @node(output_name="b", wait_for="a_done")
        def second(x: int) -> int:
            return x

        g = Graph([first, second])
        assert g.leaf_outputs == ("b",)
        # a gate has a control edge, so its decision is not a leaf output
        g2 = Graph([make_y, decide, make_z])
        assert g2.leaf_outputs == ("z",)

    def test_leaf_outputs_of_self_loop_node_are_excluded(self) -> None:
        g = Graph([increment], entrypoint="increment")
        assert g.leaf_outputs == ()


# ---------------------------------------------------------------------------
# flags


class TestFlags:
    def test_has_async_nodes(self) -> None:
        assert Graph([make_y, make_z]).has_async_nodes is False
        assert Graph([make_y, make_z, make_w]).has_async_nodes is True

    def test_graph_node_counts_as_async_when_inner_is_async(self) -> None:
        inner = Graph([make_w], name="inner")
        assert Graph([make_z, inner.as_node()]).has_async_nodes is True

    def test_has_interrupts_top_level_only(self) -> None:
        g = Graph([make_y, make_z, ask])
        assert g.has_interrupts is True
        assert g.interrupt_nodes == [ask]
        nested = Graph([make_y, make_z, Graph([ask], name="inner").as_node()])
        assert nested.has_interrupts is False
        assert nested.interrupt_nodes == []

    def test_no_interrupts(self) -> None:
        g = Graph([make_y])
        assert g.has_interrupts is False
        assert g.interrupt_nodes == []

    def test_strict_types_flag(self) -> None:
        assert Graph([make_y]).strict_types is False
        assert Graph([make_y], strict_types=True).strict_types is True

    def test_controlled_by(self) -> None:
        @ifelse(when_true="make_z", when_false=END)
        def other_gate(y: int) -> bool:
            return True

        @node(output_name="v")
        def free(y: int) -> int:
            return y

        g = Graph([make_y, decide, other_gate, make_z, free])
        assert g.controlled_by == {"make_z": ["decide", "other_gate"]}

    def test_controlled_by_empty_without_gates(self) -> None:
        assert Graph([make_y, make_z]).controlled_by == {}

    def test_name_attribute(self) -> None:
        assert Graph([make_y]).name is None
        assert Graph([make_y], name="pipe").name == "pipe"


# ---------------------------------------------------------------------------
# hashes


def _version_one(x: int) -> int:
    return x + 1


def _version_two(x: int) -> int:
    return x + 2


class TestHashes:
    def test_definition_hash_is_sha256_hex_and_equals_code_hash(self) -> None:
        g = Graph([make_y, make_z])
        assert re.fullmatch(r"[0-9a-f]{64}", g.definition_hash)
        assert g.code_hash == g.definition_hash

    def test_definition_hash_ignores_order_name_bindings_selection_entrypoints(self) -> None:
        base = Graph([make_y, make_z]).definition_hash
        assert Graph([make_z, make_y]).definition_hash == base
        assert Graph([make_y, make_z], name="other").definition_hash == base
        assert Graph([make_y, make_z]).bind(x=3).definition_hash == base
        assert Graph([make_y, make_z]).select("y").definition_hash == base
        assert Graph([make_y, make_z]).with_entrypoint("make_z").definition_hash == base

    def test_definition_hash_changes_with_code(self) -> None:
        one = Graph([FunctionNode(_version_one, name="f", output_name="y"), make_z])
        two = Graph([FunctionNode(_version_two, name="f", output_name="y"), make_z])
        assert one.definition_hash != two.definition_hash

    def test_definition_hash_changes_with_edges(self) -> None:
        g1 = Graph([make_y, make_z])
        g2 = Graph([make_y, make_z], edges=[("make_y", "make_z", [])])
        assert g1.definition_hash != g2.definition_hash

    def test_definition_hash_changes_with_node_name(self) -> None:
        g1 = Graph([make_y, make_z])
        g2 = Graph([make_y.with_name("other"), make_z])
        assert g1.definition_hash != g2.definition_hash

    def test_definition_hash_stable_across_equal_graphs(self) -> None:
        assert Graph([make_y, make_z]).definition_hash == Graph([make_y, make_z]).definition_hash

    def test_structural_hash_ignores_code(self) -> None:
        one = Graph([FunctionNode(_version_one, name="f", output_name="y"), make_z])
        two = Graph([FunctionNode(_version_two, name="f", output_name="y"), make_z])
        assert one.structural_hash == two.structural_hash
        assert re.fullmatch(r"[0-9a-f]{64}", one.structural_hash)

    def test_structural_hash_ignores_order_name_and_bindings(self) -> None:
        base = Graph([make_y, make_z]).structural_hash
        assert Graph([make_z, make_y], name="n").structural_hash == base
        assert Graph([make_y, make_z]).bind(x=1).structural_hash == base

    def test_structural_hash_changes_with_structure(self) -> None:
        base = Graph([make_y, make_z]).structural_hash
        assert Graph([make_y]).structural_hash != base
        assert Graph([make_y, make_z.with_outputs(z="zz")]).structural_hash != base
        assert Graph([make_y, make_z.with_name("other")]).structural_hash != base
        assert Graph([make_y, make_z], edges=[("make_y", "make_z", [])]).structural_hash != base

    def test_structural_hash_includes_gate_settings(self) -> None:
        def pick(y: int) -> Any:
            return END

        @node(output_name="v")
        def alt(y: int) -> int:
            return y

        from hypergraph_typed import RouteNode

        r1 = RouteNode(pick, ["make_z", "alt", END])
        r2 = RouteNode(pick, ["make_z", "alt", END], default_open=False)
        r3 = RouteNode(pick, ["make_z", "alt", END], fallback="alt")
        hashes = {
            Graph([make_y, r, make_z, alt]).structural_hash for r in (r1, r2, r3)
        }
        assert len(hashes) == 3

    def test_structural_hash_includes_wait_for(self) -> None:
        @node(output_name="a", emit="sig")
        def first(x: int) -> int:
            return x

        def body(x: int) -> int:
            return x

        plain = FunctionNode(body, name="second", output_name="b")
        waiting = FunctionNode(body, name="second", output_name="b", wait_for="sig")
        assert Graph([first, plain]).structural_hash != Graph([first, waiting]).structural_hash

    def test_structural_hash_includes_inner_graph_and_map_config(self) -> None:
        inner1 = Graph([make_y], name="inner")
        inner2 = Graph([make_y.with_outputs(y="y2")], name="inner")
        plain = Graph([inner1.as_node()]).structural_hash
        assert Graph([inner2.as_node()]).structural_hash != plain
        assert Graph([inner1.as_node().map_over("x")]).structural_hash != plain

    def test_definition_hash_of_nested_graph_follows_inner_code(self) -> None:
        inner1 = Graph([FunctionNode(_version_one, name="f", output_name="y")], name="inner")
        inner2 = Graph([FunctionNode(_version_two, name="f", output_name="y")], name="inner")
        assert Graph([inner1.as_node()]).definition_hash != Graph([inner2.as_node()]).definition_hash
        assert Graph([inner1.as_node()]).structural_hash == Graph([inner2.as_node()]).structural_hash


# ---------------------------------------------------------------------------
# repr


class TestRepr:
    def test_unnamed_acyclic(self) -> None:
        assert repr(Graph([make_y, make_z])) == "Graph: unnamed | 2 nodes | 1 edge | no cycles"

    def test_named_with_plural_edges(self) -> None:
        @node(output_name="o")
        def both(y: int, z: int) -> int:
            return y + z

        g = Graph([make_y, make_z, both], name="pipe")
        assert repr(g) == "Graph: pipe | 3 nodes | 3 edges | no cycles"

    def test_flags(self) -> None:
        g = Graph([increment], entrypoint="increment")
        assert repr(g).endswith("| cycles")
        g2 = Graph([make_y, make_z, make_w, ask])
        assert repr(g2).endswith("| async, interrupts")

    def test_all_flags(self) -> None:
        @node(output_name="count")
        async def bump(count: int) -> int:
            return count

        g = Graph([bump, ask.with_inputs(z="count")], entrypoint="bump")
        assert repr(g).endswith("| cycles, async, interrupts")


# ---------------------------------------------------------------------------
# compile


class TestCompile:
    def test_compile_is_cached(self) -> None:
        g = Graph([make_y, make_z])
        assert g.compile() is g.compile()

    def test_derived_graph_has_its_own_plan(self) -> None:
        g = Graph([make_y, make_z])
        bound = g.bind(x=1)
        assert bound.compile() is not g.compile()
        assert bound.compile().bound == {"x": 1}

    def test_describe_lists_nodes_slots_and_layers(self) -> None:
        g = Graph([make_y, make_z], name="pipe")
        text = g.compile().describe()
        assert "pipe" in text
        assert "make_y" in text and "make_z" in text
        assert "slots" in text and "x" in text and "y" in text and "z" in text
        assert "layers: make_y | make_z" in text
        assert "required inputs: ['x']" in text

    def test_describe_shows_gates_and_entrypoints(self) -> None:
        g = Graph([make_y, decide, make_z], entrypoint="make_y")
        text = g.compile().describe()
        assert "gated by decide" in text
        assert "entrypoint" in text


@pytest.mark.parametrize("kind", ["plain", "bound", "selected"])
def test_inputs_cached_per_graph(kind: str) -> None:
    g = Graph([make_y, make_z])
    if kind == "bound":
        g = g.bind(x=1)
    elif kind == "selected":
        g = g.select("y")
    assert g.inputs is g.inputs
