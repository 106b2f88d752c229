"""Spec 01: ``GraphNode``, ``Graph.as_node`` and ``map_over``."""

from __future__ import annotations

import re
from typing import Any

import pytest

from hypergraph_typed import (
    END,
    Graph,
    GraphNode,
    HyperNode,
    RenameError,
    SyncRunner,
    node,
    route,
)

HEX64 = re.compile(r"^[0-9a-f]{64}$")


@node(output_name="y")
def add_k(x: int, k: int = 5) -> int:
    return x + k


@node(output_name="z")
def times_m(y: int, m: int = 3) -> int:
    return y * m


@node(output_name="w")
def untyped(z):  # type: ignore[no-untyped-def]
    return z


@node(output_name="aw")
async def async_step(z: int) -> int:
    return z


@route(targets=["times_m", END])
def gate(y: int) -> Any:
    return "times_m"


def inner() -> Graph:
    return Graph([add_k, times_m], name="inner")


# ---------------------------------------------------------------------------
# names


class TestNames:
    def test_as_node_is_graph_node(self) -> None:
        g = inner()
        gn = g.as_node()
        assert isinstance(gn, GraphNode)
        assert isinstance(gn, HyperNode)
        assert gn.name == "inner"

    def test_as_node_name_overrides_graph_name(self) -> None:
        assert inner().as_node(name="outer_step").name == "outer_step"
        assert GraphNode(inner(), name="direct").name == "direct"
        assert GraphNode(inner()).name == "inner"

    def test_as_node_name_is_keyword_only(self) -> None:
        with pytest.raises(TypeError):
            inner().as_node("positional")  # type: ignore[misc]

    def test_missing_name(self) -> None:
        unnamed = Graph([add_k])
        with pytest.raises(ValueError, match="name"):
            unnamed.as_node()
        with pytest.raises(ValueError):
            GraphNode(unnamed)
        assert unnamed.as_node(name="given").name == "given"

    @pytest.mark.parametrize("bad", ["a.b", "a/b", ".x", "x/"])
    def test_dot_or_slash_in_name(self, bad: str) -> None:
        with pytest.raises(ValueError, match="name"):
            inner().as_node(name=bad)

    def test_with_name(self) -> None:
        gn = inner().as_node()
        r = gn.with_name("renamed")
        assert r.name == "renamed"
        assert gn.name == "inner"
        with pytest.raises(ValueError):
            gn.with_name("a.b")

    def test_graph_node_needs_a_graph(self) -> None:
        with pytest.raises(TypeError):
            GraphNode(add_k)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------
# inputs / outputs


class TestInputsOutputs:
    def test_inputs_are_inner_inputs(self) -> None:
        g = inner()
        gn = g.as_node()
        assert gn.inputs == g.inputs.all
        assert set(gn.inputs) == {"x", "k", "m"}

    def test_bound_names_stay_inputs(self) -> None:
        g = inner().bind(x=1)
        assert g.as_node().inputs == g.inputs.all
        assert "x" in g.as_node().inputs

    def test_outputs_all_graph_outputs(self) -> None:
        assert inner().as_node().outputs == ("y", "z")

    def test_outputs_include_gate_decision(self) -> None:
        gn = Graph([add_k, gate, times_m], name="g").as_node()
        assert gn.outputs == ("y", "_gate", "z")

    def test_outputs_follow_selection(self) -> None:
        assert inner().select("z").as_node().outputs == ("z",)

    def test_outputs_follow_entrypoints(self) -> None:
        gn = inner().with_entrypoint("times_m").as_node()
        assert gn.outputs == ("z",)
        assert set(gn.inputs) == {"y", "m"}

    def test_data_outputs_and_wait_for(self) -> None:
        gn = inner().as_node()
        assert gn.data_outputs == gn.outputs
        assert gn.wait_for == ()

    def test_flags(self) -> None:
        gn = inner().as_node()
        assert gn.node_type == "GRAPH"
        assert (gn.is_async, gn.is_generator, gn.is_interrupt, gn.cache, gn.hide) == (
            False, False, False, False, False,
        )

    def test_graph_and_nested_graph(self) -> None:
        g = inner()
        gn = g.as_node()
        assert gn.graph is g
        assert gn.nested_graph is g

    def test_is_async_follows_inner_graph(self) -> None:
        gn = Graph([add_k, times_m, async_step], name="a").as_node()
        assert gn.is_async is True
        assert inner().as_node().is_async is False

    def test_cache_always_false(self) -> None:
        cached = node(add_k.func, output_name="y", cache=True)
        gn = Graph([cached], name="c").as_node()
        assert gn.cache is False

    def test_definition_hash_is_inner_graph_hash(self) -> None:
        g = inner()
        gn = g.as_node()
        assert HEX64.match(gn.definition_hash)
        assert gn.definition_hash == g.definition_hash
        assert gn.with_name("other").definition_hash == g.definition_hash
        assert gn.with_inputs(x="xx").definition_hash == g.definition_hash
        assert gn.map_over("x").definition_hash == g.definition_hash
        assert Graph([add_k], name="inner").as_node().definition_hash != gn.definition_hash

    def test_repr_is_default_object_repr(self) -> None:
        gn = inner().as_node()
        assert repr(gn) == object.__repr__(gn)


# ---------------------------------------------------------------------------
# defaults and types


class TestDefaultsAndTypes:
    def test_inner_defaults(self) -> None:
        gn = inner().as_node()
        assert gn.has_default_for("k") is True
        assert gn.get_default_for("k") == 5
        assert gn.has_default_for("m") is True
        assert gn.get_default_for("m") == 3
        assert gn.has_default_for("x") is False
        assert gn.has_default_for("nope") is False

    def test_missing_default_raises_key_error(self) -> None:
        gn = inner().as_node()
        with pytest.raises(KeyError):
            gn.get_default_for("x")
        with pytest.raises(KeyError):
            gn.get_default_for("nope")

    def test_bound_value_first(self) -> None:
        gn = inner().bind(k=10, x=1).as_node()
        assert gn.get_default_for("k") == 10
        assert gn.has_default_for("x") is True
        assert gn.get_default_for("x") == 1

    def test_bound_none_is_a_default(self) -> None:
        @node(output_name="o")
        def f(v: Any) -> Any:
            return v

        gn = Graph([f], name="g").bind(v=None).as_node()
        assert gn.has_default_for("v") is True
        assert gn.get_default_for("v") is None

    def test_every_consumer_needs_a_default(self) -> None:
        @node(output_name="p")
        def f(k: int = 5) -> int:
            return k

        @node(output_name="q")
        def g(k: int = 5) -> int:
            return k

        gn = Graph([f, g], name="two").as_node()
        assert gn.has_default_for("k") is True
        assert gn.get_default_for("k") == 5

    def test_defaults_after_input_rename(self) -> None:
        gn = inner().bind(k=9).as_node().with_inputs(k="kk", m="mm")
        assert gn.get_default_for("kk") == 9
        assert gn.get_default_for("mm") == 3
        assert gn.has_default_for("k") is False
        with pytest.raises(KeyError):
            gn.get_default_for("k")

    def test_types(self) -> None:
        gn = inner().as_node()
        assert gn.get_input_type("x") is int
        assert gn.get_output_type("y") is int
        assert gn.get_output_type("z") is int
        assert gn.get_input_type("nope") is None
        assert gn.get_output_type("nope") is None

    def test_types_rename_aware(self) -> None:
        gn = inner().as_node().with_inputs(x="start").with_outputs(z="result")
        assert gn.get_input_type("start") is int
        assert gn.get_output_type("result") is int
        assert gn.get_input_type("x") is None
        assert gn.get_output_type("z") is None

    def test_unannotated_output_type(self) -> None:
        gn = Graph([add_k, times_m, untyped], name="u").as_node()
        assert gn.get_output_type("w") is None

    def test_map_over_types(self) -> None:
        gn = inner().as_node().map_over("x")
        assert gn.get_input_type("x") == list[int]
        assert gn.get_input_type("k") is int
        assert gn.get_output_type("y") == list[int]
        assert gn.get_output_type("z") == list[int]

    def test_map_over_unannotated_output_is_bare_list(self) -> None:
        gn = Graph([add_k, times_m, untyped], name="u").as_node().map_over("x")
        assert gn.get_output_type("w") is list

    def test_map_inputs_to_params(self) -> None:
        gn = inner().as_node().with_inputs(x="start")
        assert gn.map_inputs_to_params({"start": 1, "k": 2}) == {"x": 1, "k": 2}


# ---------------------------------------------------------------------------
# boundary renames


class TestBoundaryRenames:
    def test_with_inputs_renames_boundary_only(self) -> None:
        g = inner()
        gn = g.as_node().with_inputs(x="start")
        assert gn.inputs == ("start", "k", "m")
        assert gn.graph is g
        assert g.inputs.all == ("x", "k", "m")

    def test_with_outputs_renames_boundary_only(self) -> None:
        g = inner()
        gn = g.as_node().with_outputs({"z": "result"}, y="mid")
        assert gn.outputs == ("mid", "result")
        assert g.outputs == ("y", "z")

    def test_swap(self) -> None:
        gn = inner().as_node().with_inputs(k="m", m="k")
        assert gn.inputs == ("x", "m", "k")
        assert gn.get_default_for("m") == 5
        assert gn.get_default_for("k") == 3

    def test_rename_errors(self) -> None:
        gn = inner().as_node().with_inputs(x="first")
        with pytest.raises(RenameError, match="x→first"):
            gn.with_inputs(x="again")
        with pytest.raises(RenameError, match="not found"):
            gn.with_outputs(nope="q")
        with pytest.raises(RenameError, match="duplicate"):
            gn.with_inputs(k="m")

    def test_empty_rename_returns_copy(self) -> None:
        gn = inner().as_node()
        for r in (gn.with_inputs(), gn.with_outputs()):
            assert r is not gn
            assert (r.name, r.inputs, r.outputs) == (gn.name, gn.inputs, gn.outputs)
            assert r.graph is gn.graph

    def test_originals_unchanged(self) -> None:
        gn = inner().as_node()
        gn.with_inputs(x="a")
        gn.with_outputs(z="b")
        gn.map_over("x")
        assert gn.inputs == ("x", "k", "m")
        assert gn.outputs == ("y", "z")
        assert gn.map_config is None

    def test_input_rename_renames_map_over_and_clone(self) -> None:
        gn = inner().as_node().map_over("x", clone=["k"]).with_inputs(x="xs", k="kk")
        assert gn.map_config == (["xs"], "zip", "raise")
        assert gn.clone_config == ("kk",)

    def test_renamed_boundary_in_a_run(self) -> None:
        gn = inner().as_node().with_inputs(x="start").with_outputs(z="result")
        result = SyncRunner().run(Graph([gn]), {"start": 1})
        assert result.values["result"] == (1 + 5) * 3
        assert "z" not in result.values


# ---------------------------------------------------------------------------
# map_over


class TestMapOver:
    def test_map_config(self) -> None:
        gn = inner().as_node()
        assert gn.map_config is None
        m = gn.map_over("x")
        assert isinstance(m, GraphNode)
        assert m is not gn
        assert m.map_config == (["x"], "zip", "raise")

    def test_map_config_with_options(self) -> None:
        m = inner().as_node().map_over("x", "k", mode="product", error_handling="continue")
        assert m.map_config == (["x", "k"], "product", "continue")

    def test_map_over_keeps_name_inputs_outputs(self) -> None:
        gn = inner().as_node()
        m = gn.map_over("x")
        assert (m.name, m.inputs, m.outputs) == (gn.name, gn.inputs, gn.outputs)

    def test_map_over_again_replaces_config(self) -> None:
        m = inner().as_node().map_over("x", clone=["k"]).map_over(
            "k", mode="product", error_handling="continue"
        )
        assert m.map_config == (["k"], "product", "continue")
        assert m.clone_config is False

    def test_no_params(self) -> None:
        with pytest.raises(ValueError, match="inner"):
            inner().as_node().map_over()

    def test_param_not_an_input(self) -> None:
        with pytest.raises(ValueError, match="'nope'"):
            inner().as_node().map_over("nope")

    def test_param_must_use_current_name(self) -> None:
        gn = inner().as_node().with_inputs(x="xs")
        with pytest.raises(ValueError):
            gn.map_over("x")
        assert gn.map_over("xs").map_config == (["xs"], "zip", "raise")

    def test_unknown_mode_is_accepted_until_run(self) -> None:
        m = inner().as_node().map_over("x", mode="diagonal")  # type: ignore[arg-type]
        assert m.map_config == (["x"], "diagonal", "raise")

    @pytest.mark.parametrize("clone", [True, False])
    def test_clone_bool(self, clone: bool) -> None:
        m = inner().as_node().map_over("x", clone=clone)
        assert m.clone_config is clone

    def test_clone_list(self) -> None:
        m = inner().as_node().map_over("x", clone=["k", "m"])
        assert m.clone_config == ("k", "m")

    @pytest.mark.parametrize("bad", ["k", ("k",), 1, None, {"k"}])
    def test_clone_wrong_type(self, bad: Any) -> None:
        with pytest.raises(TypeError, match="clone"):
            inner().as_node().map_over("x", clone=bad)

    @pytest.mark.parametrize("bad", [[1], ["k", None]])
    def test_clone_entry_not_str(self, bad: Any) -> None:
        with pytest.raises(TypeError, match="clone"):
            inner().as_node().map_over("x", clone=bad)

    def test_clone_entry_mapped(self) -> None:
        with pytest.raises(ValueError, match="'x'"):
            inner().as_node().map_over("x", clone=["x"])

    def test_clone_entry_not_an_input(self) -> None:
        with pytest.raises(ValueError, match="'nope'"):
            inner().as_node().map_over("x", clone=["nope"])

    def test_mapped_node_runs_per_element(self) -> None:
        m = inner().as_node().map_over("x")
        result = SyncRunner().run(Graph([m]), {"x": [1, 2]})
        assert result.values["y"] == [6, 7]
        assert result.values["z"] == [18, 21]
