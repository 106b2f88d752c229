"""Spec 02: cycles, entrypoints, active scope, select, bind/unbind, add_nodes and InputSpec."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from hypergraph_typed import END, Graph, GraphConfigError, InputSpec, ifelse, interrupt, node, route


@node(output_name="y")
def step_a(x: int) -> int:
    return x + 1


@node(output_name="z")
def step_b(y: int) -> int:
    return y * 2


@node(output_name="w")
def step_c(z: int) -> int:
    return z - 1


@node(output_name="count")
def increment(count: int) -> int:
    return count + 1


@route(targets=["step_b", END])
def gate(y: int) -> Any:
    return "step_b"


def chain() -> Graph:
    return Graph([step_a, step_b, step_c])


# ---------------------------------------------------------------------------
# cycles


class TestCycles:
    def test_acyclic_graph(self) -> None:
        assert chain().has_cycles is False

    def test_self_loop_is_a_cycle(self) -> None:
        g = Graph([increment], entrypoint="increment")
        assert g.has_cycles is True

    def test_data_cycle(self) -> None:
        @node(output_name="x")
        def back(z: int) -> int:
            return z

        g = Graph([step_a, step_b, back], entrypoint="step_a")
        assert g.has_cycles

    def test_control_edge_closes_a_cycle(self) -> None:
        @node(output_name="y")
        def produce(z: int) -> int:
            return z

        @route(targets=["step_b", END])
        def loop(y: int) -> Any:
            return END

        g = Graph([step_b, produce, loop], entrypoint="step_b")
        assert g.has_cycles

    def test_ordering_edges_close_a_cycle(self) -> None:
        @node(output_name="b", emit="tick", wait_for="tock")
        def one(x: int) -> int:
            return x

        @node(output_name="c", emit="tock", wait_for="tick")
        def two(x: int) -> int:
            return x

        with pytest.raises(GraphConfigError, match="Cyclic graphs require an explicit entrypoint"):
            Graph([one, two])
        assert Graph([one, two], entrypoint="one").has_cycles

    def test_cycle_without_entrypoint_suggests_one(self) -> None:
        with pytest.raises(
            GraphConfigError, match="Cyclic graphs require an explicit entrypoint"
        ) as exc:
            Graph([increment])
        msg = str(exc.value)
        assert "entrypoint='increment'" in msg
        assert "with_entrypoint" in msg

    def test_cycle_error_names_cycle_nodes_and_suggests_a_non_gate(self) -> None:
        @node(output_name="y")
        def produce(z: int) -> int:
            return z

        @route(targets=["step_b", END])
        def loop(y: int) -> Any:
            return END

        with pytest.raises(GraphConfigError, match="entrypoint") as exc:
            Graph([loop, step_b, produce])
        msg = str(exc.value)
        assert "'loop'" in msg and "'step_b'" in msg and "'produce'" in msg
        assert "entrypoint='loop'" not in msg

    def test_with_entrypoint_on_cycle_is_valid(self) -> None:
        g = Graph([increment], entrypoint=increment)
        assert g.entrypoints_config == ("increment",)


# ---------------------------------------------------------------------------
# entrypoints


class TestEntrypoints:
    def test_default_is_none(self) -> None:
        assert chain().entrypoints_config is None

    def test_constructor_accepts_name_node_or_list(self) -> None:
        assert Graph([step_a, step_b], entrypoint="step_b").entrypoints_config == ("step_b",)
        assert Graph([step_a, step_b], entrypoint=step_b).entrypoints_config == ("step_b",)
        assert Graph(
            [step_a, step_b], entrypoint=[step_b, "step_a"]
        ).entrypoints_config == ("step_b", "step_a")
        assert Graph(
            [step_a, step_b], entrypoint=("step_a", "step_a")
        ).entrypoints_config == ("step_a",)

    def test_with_entrypoint_accumulates_keeping_order_and_dropping_duplicates(self) -> None:
        g = chain().with_entrypoint("step_b").with_entrypoint(step_c, "step_b", "step_a")
        assert g.entrypoints_config == ("step_b", "step_c", "step_a")

    def test_with_entrypoint_adds_to_constructor_entrypoints(self) -> None:
        g = Graph([step_a, step_b, step_c], entrypoint="step_c").with_entrypoint("step_b")
        assert g.entrypoints_config == ("step_c", "step_b")

    def test_with_entrypoint_returns_new_graph(self) -> None:
        g = chain()
        g2 = g.with_entrypoint("step_b")
        assert g2 is not g
        assert g.entrypoints_config is None

    def test_with_entrypoint_unknown_node(self) -> None:
        with pytest.raises(GraphConfigError, match=r"Unknown entrypoint 'nope'") as exc:
            chain().with_entrypoint("nope")
        assert "step_a" in str(exc.value)

    def test_with_entrypoint_gate(self) -> None:
        g = Graph([step_a, gate, step_b])
        with pytest.raises(GraphConfigError, match=r"Entrypoint 'gate' is a gate"):
            g.with_entrypoint("gate")

    def test_with_entrypoint_non_str(self) -> None:
        with pytest.raises(GraphConfigError, match=r"got 3 \(int\)"):
            chain().with_entrypoint(3)

    def test_constructor_unknown_node(self) -> None:
        with pytest.raises(GraphConfigError, match=r"Unknown entrypoint 'nope'"):
            Graph([step_a], entrypoint="nope")

    def test_constructor_gate(self) -> None:
        with pytest.raises(GraphConfigError, match=r"'gate' is a gate"):
            Graph([step_a, gate, step_b], entrypoint=gate)

    @pytest.mark.parametrize("empty", ["", [], ()])
    def test_constructor_rejects_empty(self, empty: Any) -> None:
        with pytest.raises(GraphConfigError, match="at least one node"):
            Graph([step_a], entrypoint=empty)

    @pytest.mark.parametrize("bad", [3, {"step_a"}, {"step_a": 1}, [None]])
    def test_constructor_rejects_wrong_type(self, bad: Any) -> None:
        with pytest.raises(GraphConfigError, match="Entrypoints are node names or nodes"):
            Graph([step_a], entrypoint=bad)


# ---------------------------------------------------------------------------
# active scope


class TestActiveScope:
    def test_entrypoint_excludes_upstream_and_turns_its_outputs_into_inputs(self) -> None:
        g = chain().with_entrypoint("step_b")
        assert g.inputs.required == ("y",)
        active = {g.structure.nodes[i].name for i in g.active_node_ids()}
        assert active == {"step_b", "step_c"}

    def test_scope_follows_control_edges(self) -> None:
        @node(output_name="v")
        def other(q: int) -> int:
            return q

        g = Graph([step_a, gate, step_b, other]).with_entrypoint("step_a")
        active = {g.structure.nodes[i].name for i in g.active_node_ids()}
        assert active == {"step_a", "gate", "step_b"}
        assert g.inputs.required == ("x",)

    def test_scope_follows_ordering_edges(self) -> None:
        @node(output_name="y", emit="a_done")
        def first(x: int) -> int:
            return x

        @node(output_name="v", wait_for="a_done")
        def second(q: int) -> int:
            return q

        g = Graph([first, second]).with_entrypoint("first")
        assert g.inputs.required == ("x", "q")

    def test_several_entrypoints(self) -> None:
        @node(output_name="v")
        def other(q: int) -> int:
            return q

        g = Graph([step_a, step_b, other], entrypoint=["step_b", "other"])
        assert g.inputs.required == ("y", "q")


# ---------------------------------------------------------------------------
# select


class TestSelect:
    def test_select_sets_selected(self) -> None:
        g = chain().select("z", "y")
        assert g.selected == ("z", "y")
        assert chain().selected is None

    def test_select_narrows_scope_to_producers_ancestors(self) -> None:
        @node(output_name="v")
        def other(q: int) -> int:
            return q

        g = Graph([step_a, step_b, step_c, other]).select("z")
        active = {g.structure.nodes[i].name for i in g.active_node_ids()}
        assert active == {"step_a", "step_b"}
        assert g.inputs.required == ("x",)

    def test_select_adds_all_gate_targets_and_descendants(self) -> None:
        @ifelse(when_true="left", when_false="right")
        def pick(x: int) -> bool:
            return True

        @node(output_name="lv")
        def left(lx: int) -> int:
            return lx

        @node(output_name="rv")
        def right(rx: int) -> int:
            return rx

        @node(output_name="rr")
        def right_tail(rv: int, extra: int) -> int:
            return rv

        @node(output_name="u")
        def unrelated(ux: int) -> int:
            return ux

        g = Graph([pick, left, right, right_tail, unrelated]).select("lv")
        active = {g.structure.nodes[i].name for i in g.active_node_ids()}
        assert active == {"pick", "left", "right", "right_tail"}
        assert g.inputs.required == ("x", "lx", "rx", "extra")

    def test_select_combined_with_entrypoint(self) -> None:
        g = chain().with_entrypoint("step_b").select("z")
        active = {g.structure.nodes[i].name for i in g.active_node_ids()}
        assert active == {"step_b"}

    def test_select_unknown_name(self) -> None:
        with pytest.raises(ValueError, match=r"Cannot select 'nope'") as exc:
            chain().select("nope")
        assert "'w'" in str(exc.value)

    def test_select_input_name_is_not_an_output(self) -> None:
        with pytest.raises(ValueError, match=r"'x'"):
            chain().select("x")

    def test_select_duplicates(self) -> None:
        with pytest.raises(ValueError, match="duplicate"):
            chain().select("z", "z")

    def test_select_replaces_previous_selection(self) -> None:
        assert chain().select("z").select("w").selected == ("w",)

    def test_select_returns_new_graph(self) -> None:
        g = chain()
        assert g.select("z") is not g
        assert g.selected is None


# ---------------------------------------------------------------------------
# bind / unbind


class TestBind:
    def test_bind_moves_required_to_optional(self) -> None:
        g = chain().bind(x=1)
        assert g.inputs.required == ()
        assert g.inputs.optional == ("x",)
        assert g.inputs.bound == {"x": 1}

    def test_bind_returns_new_graph(self) -> None:
        g = chain()
        g2 = g.bind(x=1)
        assert g2 is not g
        assert g.inputs.bound == {}

    def test_bindings_merge_and_later_wins(self) -> None:
        @node(output_name="s")
        def add(a: int, b: int) -> int:
            return a + b

        g = Graph([add]).bind(a=1).bind(b=2).bind(a=3)
        assert g.inputs.bound == {"a": 3, "b": 2}
        assert g.inputs.optional == ("a", "b")

    def test_bind_output_raises_with_entrypoint_hint(self) -> None:
        with pytest.raises(ValueError, match=r"'y'.*with_entrypoint"):
            chain().bind(y=1)

    def test_bind_output_after_slicing_is_allowed(self) -> None:
        g = chain().with_entrypoint("step_b").bind(y=5)
        assert g.inputs.bound == {"y": 5}
        assert g.inputs.required == ()

    def test_bind_unknown_key(self) -> None:
        with pytest.raises(ValueError, match=r"'nope'.*Inputs: \['x'\]"):
            chain().bind(nope=1)

    def test_bind_interrupt_output_raises(self) -> None:
        @interrupt(output_name="answer")
        def ask(question: str) -> str | None:
            return None

        g = Graph([ask])
        with pytest.raises(ValueError, match=r"'answer'"):
            g.bind(answer="yes")

    def test_bind_outside_scope_raises(self) -> None:
        with pytest.raises(ValueError, match=r"'x'"):
            chain().with_entrypoint("step_b").bind(x=1)

    def test_bind_defaulted_input(self) -> None:
        @node(output_name="s")
        def add(a: int, b: int = 2) -> int:
            return a + b

        g = Graph([add]).bind(b=5)
        assert g.inputs.required == ("a",)
        assert g.inputs.optional == ("b",)
        assert g.inputs.bound == {"b": 5}

    def test_unbind_removes_and_ignores_unknown(self) -> None:
        g = chain().bind(x=1).unbind("x", "never_bound")
        assert g.inputs.bound == {}
        assert g.inputs.required == ("x",)

    def test_unbind_keeps_other_bindings(self) -> None:
        @node(output_name="s")
        def add(a: int, b: int) -> int:
            return a + b

        g = Graph([add]).bind(a=1, b=2).unbind("a")
        assert g.inputs.bound == {"b": 2}
        assert g.inputs.required == ("a",)

    def test_bind_does_not_touch_entrypoints_or_selection(self) -> None:
        g = chain().with_entrypoint("step_b").select("z").bind(y=1)
        assert g.entrypoints_config == ("step_b",)
        assert g.selected == ("z",)


# ---------------------------------------------------------------------------
# add_nodes


class TestAddNodes:
    def test_adds_and_rewires(self) -> None:
        g = Graph([step_a]).add_nodes(step_b, step_c)
        assert list(g.nodes) == ["step_a", "step_b", "step_c"]
        assert g.inputs.required == ("x",)
        assert g.outputs == ("y", "z", "w")

    def test_no_args_returns_self(self) -> None:
        g = chain()
        assert g.add_nodes() is g

    def test_keeps_name_strict_types_and_shared(self) -> None:
        @node(output_name="log", emit="done")
        def w1(log: str) -> str:
            return log

        @node(output_name="log", wait_for="done")
        def w2(log: str) -> str:
            return log

        @node(output_name="extra", wait_for="done")
        def w3(log: str) -> str:
            return log

        g = Graph([w1, w2], name="pipe", strict_types=True, shared=["log"]).add_nodes(w3)
        assert g.name == "pipe"
        assert g.strict_types is True
        assert g.shared == ("log",)

    def test_keeps_bindings_and_selection(self) -> None:
        @node(output_name="v")
        def other(q: int) -> int:
            return q

        g = Graph([step_a, step_b]).bind(x=1).select("z").add_nodes(other)
        assert g.inputs.bound == {"x": 1}
        assert g.selected == ("z",)

    def test_keeps_entrypoints(self) -> None:
        """Fixed reference quirk: ``add_nodes`` keeps the configured entrypoints."""
        g = Graph([step_a, step_b], entrypoint="step_b").add_nodes(step_c)
        assert g.entrypoints_config == ("step_b",)
        assert g.inputs.required == ("y",)

    def test_keeps_entrypoints_on_cycle(self) -> None:
        @node(output_name="doubled")
        def dbl(count: int) -> int:
            return count * 2

        g = Graph([increment], entrypoint="increment").add_nodes(dbl)
        assert g.entrypoints_config == ("increment",)
        assert g.has_cycles

    def test_binding_invalidated_by_new_producer_raises(self) -> None:
        g = Graph([step_b]).bind(y=1)
        with pytest.raises(ValueError, match=r"'y'"):
            g.add_nodes(step_a)

    def test_explicit_edge_graph_raises(self) -> None:
        g = Graph([step_a, step_b], edges=[("step_a", "step_b")])
        with pytest.raises(GraphConfigError, match="explicit edges"):
            g.add_nodes(step_c)

    def test_duplicate_node_raises(self) -> None:
        with pytest.raises(GraphConfigError, match=r"Duplicate node name 'step_a'"):
            chain().add_nodes(step_a)

    def test_original_graph_unchanged(self) -> None:
        g = Graph([step_a])
        g.add_nodes(step_b)
        assert list(g.nodes) == ["step_a"]


# ---------------------------------------------------------------------------
# InputSpec


class TestInputSpec:
    def test_is_frozen_dataclass_with_all_property(self) -> None:
        spec = InputSpec(required=("a",), optional=("b",), entrypoints={}, bound={"b": 1})
        assert dataclasses.is_dataclass(spec)
        assert spec.all == ("a", "b")
        with pytest.raises(dataclasses.FrozenInstanceError):
            spec.required = ()  # type: ignore[misc]

    def test_entrypoints_field_always_empty(self) -> None:
        assert chain().inputs.entrypoints == {}
        assert chain().with_entrypoint("step_b").inputs.entrypoints == {}

    def test_node_order_then_parameter_order(self) -> None:
        @node(output_name="o1")
        def first(b: int, a: int) -> int:
            return a

        @node(output_name="o2")
        def second(c: int, b: int, d: int = 0) -> int:
            return c

        g = Graph([first, second])
        assert g.inputs.required == ("b", "a", "c")
        assert g.inputs.optional == ("d",)
        assert g.inputs.all == ("b", "a", "c", "d")

    def test_defaults_make_optional(self) -> None:
        @node(output_name="o")
        def f(a: int, b: int = 1) -> int:
            return a + b

        g = Graph([f])
        assert g.inputs.required == ("a",)
        assert g.inputs.optional == ("b",)
        assert g.inputs.bound == {}

    def test_all_consumers_defaulted_make_optional(self) -> None:
        @node(output_name="o1")
        def f1(k: int = 3) -> int:
            return k

        @node(output_name="o2")
        def f2(k: int = 3) -> int:
            return k

        assert Graph([f1, f2]).inputs.optional == ("k",)

    def test_default_on_inactive_consumer_does_not_count(self) -> None:
        @node(output_name="o1")
        def f1(k: int) -> int:
            return k

        @node(output_name="o2")
        def f2(o1: int, k: int) -> int:
            return k

        g = Graph([f1, f2]).with_entrypoint("f2")
        assert g.inputs.required == ("o1", "k")

    def test_carried_names_are_not_inputs(self) -> None:
        g = chain()
        assert g.inputs.all == ("x",)

    def test_cycle_seed_is_required(self) -> None:
        g = Graph([increment], entrypoint="increment")
        assert g.inputs.required == ("count",)
        assert g.inputs.optional == ()

    def test_cycle_seed_around_multi_node_loop(self) -> None:
        @node(output_name="draft")
        def write(feedback: str, topic: str) -> str:
            return topic + feedback

        @node(output_name="feedback")
        def review(draft: str) -> str:
            return draft

        g = Graph([write, review], entrypoint="write")
        assert g.inputs.required == ("feedback", "topic")

    def test_defaulted_seed_is_not_required(self) -> None:
        @node(output_name="count")
        def inc(count: int = 0) -> int:
            return count + 1

        g = Graph([inc], entrypoint="inc")
        assert "count" not in g.inputs.required

    def test_bound_seed_is_not_required(self) -> None:
        g = Graph([increment], entrypoint="increment").bind(count=0)
        assert g.inputs.required == ()
        assert g.inputs.bound == {"count": 0}

    def test_no_seed_without_entrypoint_consumer(self) -> None:
        """A name consumed on the loop but not by the entrypoint is carried, not a seed."""

        @node(output_name="draft")
        def write(topic: str) -> str:
            return topic

        @node(output_name="feedback")
        def review(draft: str) -> str:
            return draft

        @node(output_name="topic")
        def revise(feedback: str) -> str:
            return feedback

        g = Graph([write, review, revise], entrypoint="review")
        assert g.inputs.required == ("draft",)

    def test_interrupt_outputs_never_inputs_nor_seeds(self) -> None:
        @interrupt(output_name="answer")
        def ask(draft: str) -> str | None:
            return None

        @node(output_name="draft")
        def write(answer: str, topic: str) -> str:
            return topic + answer

        g = Graph([write, ask], entrypoint="write")
        assert "answer" not in g.inputs.all
        assert g.inputs.required == ("topic",)

    def test_emit_and_wait_for_names_never_inputs(self) -> None:
        @node(output_name="a", emit="a_done")
        def first(x: int) -> int:
            return x

        @node(output_name="b", wait_for="a_done")
        def second(x: int) -> int:
            return x

        g = Graph([first, second]).with_entrypoint("second")
        assert g.inputs.all == ("x",)

    def test_nested_bindings_are_translated_and_optional(self) -> None:
        @node(output_name="s")
        def add(a: int, b: int) -> int:
            return a + b

        inner = Graph([add], name="inner").bind(b=10)
        gn = inner.as_node().with_inputs(b="offset")
        g = Graph([gn])
        assert g.inputs.bound == {"offset": 10}
        assert g.inputs.required == ("a",)
        assert g.inputs.optional == ("offset",)

    def test_outer_binding_wins_over_nested(self) -> None:
        @node(output_name="s")
        def add(a: int, b: int) -> int:
            return a + b

        inner = Graph([add], name="inner").bind(b=10)
        g = Graph([inner.as_node()]).bind(b=20)
        assert g.inputs.bound == {"b": 20}
        assert g.inputs.optional == ("b",)

    def test_conflicting_nested_bindings_are_left_out(self) -> None:
        @node(output_name="s1")
        def f1(k: int) -> int:
            return k

        @node(output_name="s2")
        def f2(k: int) -> int:
            return k

        g1 = Graph([f1], name="g1").bind(k=1)
        g2 = Graph([f2], name="g2").bind(k=2)
        g = Graph([g1.as_node(), g2.as_node()])
        assert "k" not in g.inputs.bound

    def test_equal_nested_bindings_are_kept(self) -> None:
        @node(output_name="s1")
        def f1(k: int) -> int:
            return k

        @node(output_name="s2")
        def f2(k: int) -> int:
            return k

        g1 = Graph([f1], name="g1").bind(k=1)
        g2 = Graph([f2], name="g2").bind(k=1)
        g = Graph([g1.as_node(), g2.as_node()])
        assert g.inputs.bound == {"k": 1}
        assert g.inputs.optional == ("k",)


# ---------------------------------------------------------------------------
# immutability


class TestImmutability:
    @pytest.mark.parametrize("attr", ["name", "strict_types", "nodes", "anything", "_bindings"])
    def test_attributes_cannot_be_set(self, attr: str) -> None:
        g = Graph([step_a], name="g")
        with pytest.raises(AttributeError):
            setattr(g, attr, "x")
        assert g.name == "g"

    def test_nodes_dict_is_a_copy(self) -> None:
        g = chain()
        d = g.nodes
        d.pop("step_a")
        assert list(g.nodes) == ["step_a", "step_b", "step_c"]

    def test_derived_graphs_leave_original_untouched(self) -> None:
        g = chain()
        g.bind(x=1)
        g.select("z")
        g.with_entrypoint("step_b")
        assert g.inputs.bound == {}
        assert g.selected is None
        assert g.entrypoints_config is None
        assert g.inputs.required == ("x",)
