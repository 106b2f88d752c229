"""Spec 02: the ``GraphConfigError`` catalogue raised at graph construction."""

from __future__ import annotations

from typing import Any

import pytest

from hypergraph_typed import (
    END,
    FunctionNode,
    Graph,
    GraphConfigError,
    SyncRunner,
    ifelse,
    interrupt,
    node,
    route,
)
from hypergraph_typed.graph import validate_graph


def _f(x: int) -> int:
    return x


@node(output_name="y")
def make_y(x: int) -> int:
    return x + 1


@node(output_name="z")
def make_z(y: int) -> int:
    return y * 2


@interrupt(output_name="answer")
def ask(question: str) -> str | None:
    return None


def test_graph_config_error_is_exported_consistently() -> None:
    from hypergraph_typed import graph as graph_mod

    assert graph_mod.GraphConfigError is GraphConfigError
    assert issubclass(GraphConfigError, Exception)


# ---------------------------------------------------------------------------
# structural


class TestStructural:
    @pytest.mark.parametrize("bad", [3, [1], ["ok", 2], {"a": 1}])
    def test_bad_shared_type(self, bad: Any) -> None:
        with pytest.raises(GraphConfigError, match=r"shared must be a value name or a list") as exc:
            Graph([make_y], shared=bad)
        assert repr(bad) in str(exc.value)

    def test_duplicate_node_name(self) -> None:
        other = FunctionNode(_f, name="make_y", output_name="q")
        with pytest.raises(GraphConfigError, match=r"Duplicate node name 'make_y'") as exc:
            Graph([make_y, other])
        assert "with_name" in str(exc.value)

    def test_same_node_twice(self) -> None:
        with pytest.raises(GraphConfigError, match=r"Duplicate node name 'make_y'"):
            Graph([make_y, make_y])

    def test_non_node_item(self) -> None:
        with pytest.raises(GraphConfigError, match=r"item 1 is") as exc:
            Graph([make_y, _f])  # type: ignore[list-item]
        assert "@node" in str(exc.value)

    def test_nodes_must_be_a_list(self) -> None:
        with pytest.raises(GraphConfigError, match="list of nodes"):
            Graph(make_y)  # type: ignore[arg-type]

    def test_duplicate_name_checked_before_naming_errors(self) -> None:
        bad = FunctionNode(_f, name="END", output_name="q")
        with pytest.raises(GraphConfigError, match="Duplicate"):
            Graph([bad, bad])

    def test_structural_error_before_cycle_error(self) -> None:
        @node(output_name="count")
        def inc(count: int) -> int:
            return count

        with pytest.raises(GraphConfigError, match="Shared value 'nope'"):
            Graph([inc], shared=["nope"])


# ---------------------------------------------------------------------------
# naming


class TestNaming:
    @pytest.mark.parametrize("name", ["a.b", "a/b", "."])
    def test_graph_name_with_separator(self, name: str) -> None:
        with pytest.raises(GraphConfigError, match=r"must not contain '\.' or '/'") as exc:
            Graph([make_y], name=name)
        assert repr(name) in str(exc.value)

    def test_graph_name_may_be_any_other_str(self) -> None:
        assert Graph([make_y], name="my-graph 1").name == "my-graph 1"

    def test_graph_name_must_be_str(self) -> None:
        with pytest.raises(GraphConfigError, match="Graph name"):
            Graph([make_y], name=3)  # type: ignore[arg-type]

    def test_node_named_end(self) -> None:
        bad = FunctionNode(_f, name="END", output_name="q")
        with pytest.raises(GraphConfigError, match=r"'END'"):
            Graph([bad])

    @pytest.mark.parametrize("name", ["my-node", "1st", "has space", ""])
    def test_node_name_not_identifier(self, name: str) -> None:
        bad = FunctionNode(_f, name=name, output_name="q")
        with pytest.raises(GraphConfigError, match=r"Node name .* must be a Python identifier") as exc:
            Graph([bad])
        assert repr(name) in str(exc.value)

    @pytest.mark.parametrize("name", ["class", "lambda", "None"])
    def test_node_name_keyword(self, name: str) -> None:
        bad = FunctionNode(_f, name=name, output_name="q")
        with pytest.raises(GraphConfigError, match=rf"Node name '{name}'.*keyword"):
            Graph([bad])

    @pytest.mark.parametrize("out", ["my-out", "2x", "class", "_private", "__dunder__"])
    def test_invalid_output_name(self, out: str) -> None:
        bad = FunctionNode(_f, name="producer", output_name=out)
        with pytest.raises(GraphConfigError, match=r"Invalid output name") as exc:
            Graph([bad])
        msg = str(exc.value)
        assert repr(out) in msg and "'producer'" in msg

    def test_invalid_emit_name(self) -> None:
        bad = FunctionNode(_f, name="producer", output_name="q", emit="_sig")
        with pytest.raises(GraphConfigError, match=r"Invalid output name '_sig'"):
            Graph([bad])

    def test_output_renamed_to_invalid_name(self) -> None:
        with pytest.raises(GraphConfigError, match=r"Invalid output name 'not-ok'.*'make_y'"):
            Graph([make_y.with_outputs(y="not-ok")])

    def test_gate_decision_output_is_allowed(self) -> None:
        @route(targets=["make_z", END])
        def decide(y: int) -> Any:
            return END

        g = Graph([make_y, decide, make_z])
        assert "_decide" in g.outputs

    def test_gate_named_via_decorator_is_valid(self) -> None:
        @ifelse(when_true="make_z", when_false=END, name="check")
        def decide(y: int) -> bool:
            return True

        g = Graph([make_y, decide, make_z])
        assert "_check" in g.outputs

    def test_gate_with_name_copy_is_valid(self) -> None:
        """Fixed reference quirk: ``with_name`` on a gate keeps outputs consistent."""

        @route(targets=["make_z", END])
        def decide(y: int) -> Any:
            return END

        renamed = decide.with_name("router")
        g = Graph([make_y, renamed, make_z])
        assert "_router" in g.outputs

    def test_graph_node_rules_are_looser(self) -> None:
        """GraphNode names need not be identifiers; their (inner) outputs are not checked."""

        @route(targets=["make_z", END])
        def decide(y: int) -> Any:
            return END

        inner = Graph([make_y, decide, make_z], name="inner")
        g = Graph([inner.as_node(name="my-inner")])
        assert "_decide" in g.outputs
        assert list(g.nodes) == ["my-inner"]

    def test_graph_node_name_equals_another_nodes_output(self) -> None:
        inner = Graph([make_z], name="y")
        with pytest.raises(GraphConfigError, match=r"GraphNode 'y'.*output") as exc:
            Graph([make_y, inner.as_node()])
        assert "as_node(name=" in str(exc.value)

    def test_graph_node_named_like_its_own_output_is_accepted(self) -> None:
        # As in hypergraph: only another node's output collides with a GraphNode's name.
        inner = Graph([make_z], name="z")
        g = Graph([make_y, inner.as_node()])
        assert list(g.nodes) == ["make_y", "z"]
        assert SyncRunner().run(g, {"x": 2})["z"] == make_z.func(make_y.func(2))


# ---------------------------------------------------------------------------
# defaults


class TestDefaults:
    def test_some_with_some_without_default(self) -> None:
        @node(output_name="o1")
        def with_default(k: int = 1) -> int:
            return k

        @node(output_name="o2")
        def without_default(k: int) -> int:
            return k

        with pytest.raises(GraphConfigError, match=r"Inconsistent defaults for 'k'") as exc:
            Graph([with_default, without_default])
        msg = str(exc.value)
        assert "with_default" in msg and "without_default" in msg
        assert "bind" in msg

    def test_different_defaults(self) -> None:
        @node(output_name="o1")
        def one(k: int = 1) -> int:
            return k

        @node(output_name="o2")
        def two(k: int = 2) -> int:
            return k

        with pytest.raises(GraphConfigError, match=r"Inconsistent defaults for 'k'") as exc:
            Graph([one, two])
        msg = str(exc.value)
        assert "'one'" in msg and "'two'" in msg and "1" in msg and "2" in msg

    def test_equal_defaults_are_fine(self) -> None:
        @node(output_name="o1")
        def one(k: list[int] = [1]) -> int:  # noqa: B006
            return 0

        @node(output_name="o2")
        def two(k: list[int] = [1]) -> int:  # noqa: B006
            return 0

        assert Graph([one, two]).inputs.optional == ("k",)

    def test_defaults_follow_renames(self) -> None:
        @node(output_name="o1")
        def one(a: int = 1) -> int:
            return a

        @node(output_name="o2")
        def two(k: int) -> int:
            return k

        with pytest.raises(GraphConfigError, match=r"Inconsistent defaults for 'k'"):
            Graph([one.with_inputs(a="k"), two])

    def test_uncomparable_defaults_are_inconsistent(self) -> None:
        class NoEq:
            def __eq__(self, other: object) -> bool:
                raise RuntimeError("no comparisons")

            __hash__ = object.__hash__

        first, second = NoEq(), NoEq()

        def f1(k: Any = first) -> int:
            return 0

        def f2(k: Any = second) -> int:
            return 0

        with pytest.raises(GraphConfigError, match=r"Inconsistent defaults for 'k'"):
            Graph([FunctionNode(f1, output_name="o1"), FunctionNode(f2, output_name="o2")])


# ---------------------------------------------------------------------------
# gates


class TestGates:
    def test_unknown_target(self) -> None:
        @route(targets=["nowhere", END])
        def decide(y: int) -> Any:
            return END

        with pytest.raises(GraphConfigError, match=r"Gate 'decide' targets 'nowhere'") as exc:
            Graph([make_y, decide])
        assert "END" in str(exc.value)

    def test_unknown_ifelse_target(self) -> None:
        @ifelse(when_true="make_z", when_false="ghost")
        def decide(y: int) -> bool:
            return True

        with pytest.raises(GraphConfigError, match=r"'decide' targets 'ghost'"):
            Graph([make_y, decide, make_z])

    def test_end_target_is_fine(self) -> None:
        @ifelse(when_true="make_z", when_false=END)
        def decide(y: int) -> bool:
            return True

        assert Graph([make_y, decide, make_z]).controlled_by == {"make_z": ["decide"]}

    def test_gate_targets_itself(self) -> None:
        @route(targets=["decide", END])
        def decide(y: int) -> Any:
            return END

        with pytest.raises(GraphConfigError, match=r"Gate 'decide' targets itself"):
            Graph([make_y, decide])

    def test_multi_target_targets_sharing_an_output(self) -> None:
        """Targets ordered by a data edge pass the producer check but may still run together."""

        @node(output_name=("r", "s"))
        def first(x: int) -> tuple[int, int]:
            return x, x

        @node(output_name="r")
        def second(s: int) -> int:
            return s

        @route(targets=["first", "second"], multi_target=True)
        def fan(x: int) -> list[str]:
            return ["first", "second"]

        with pytest.raises(GraphConfigError, match=r"multi_target") as exc:
            Graph([fan, first, second])
        msg = str(exc.value)
        assert "'fan'" in msg and "'first'" in msg and "'second'" in msg and "'r'" in msg

    def test_single_target_route_may_share_outputs(self) -> None:
        @node(output_name=("r", "s"))
        def first(x: int) -> tuple[int, int]:
            return x, x

        @node(output_name="r")
        def second(s: int) -> int:
            return s

        @route(targets=["first", "second"])
        def fan(x: int) -> str:
            return "first"

        assert set(Graph([fan, first, second]).nodes) == {"fan", "first", "second"}


# ---------------------------------------------------------------------------
# map_over over interrupts


class TestMapOverInterrupts:
    def test_top_level_interrupt(self) -> None:
        inner = Graph([ask], name="inner")
        mapped = inner.as_node().map_over("question")
        with pytest.raises(GraphConfigError, match=r"'inner'.*interrupt 'ask'") as exc:
            Graph([mapped])
        assert "map_over" in str(exc.value)

    def test_nested_interrupt_any_depth(self) -> None:
        """Fixed reference quirk: interrupts are found at every nesting depth."""
        deepest = Graph([ask], name="deepest")
        middle = Graph([deepest.as_node()], name="middle")
        mapped = middle.as_node().map_over("question")
        with pytest.raises(GraphConfigError, match=r"'middle'.*'deepest/ask'"):
            Graph([mapped])

    def test_unmapped_graph_node_with_interrupt_is_fine(self) -> None:
        inner = Graph([ask], name="inner")
        g = Graph([inner.as_node()])
        assert g.has_interrupts is False

    def test_map_over_without_interrupt_is_fine(self) -> None:
        inner = Graph([make_y], name="inner")
        g = Graph([inner.as_node().map_over("x")])
        assert g.outputs == ("y",)


# ---------------------------------------------------------------------------
# wait_for


class TestWaitFor:
    def test_unknown_wait_for_with_suggestion(self) -> None:
        @node(output_name="a", emit="done")
        def first(x: int) -> int:
            return x

        @node(output_name="b", wait_for="don")
        def second(x: int) -> int:
            return x

        with pytest.raises(GraphConfigError, match=r"'second' waits for 'don'") as exc:
            Graph([first, second])
        assert "Did you mean 'done'?" in str(exc.value)

    def test_unknown_wait_for_without_close_match(self) -> None:
        @node(output_name="b", wait_for="zzzzzz")
        def second(x: int) -> int:
            return x

        with pytest.raises(GraphConfigError, match=r"waits for 'zzzzzz'") as exc:
            Graph([make_y, second])
        assert "Did you mean" not in str(exc.value)

    def test_wait_for_a_data_output_is_fine(self) -> None:
        @node(output_name="b", wait_for="y")
        def second(x: int) -> int:
            return x

        assert Graph([make_y, second]).structure.edges


# ---------------------------------------------------------------------------
# strict_types


class TestStrictTypes:
    def test_missing_return_annotation(self) -> None:
        @node(output_name="y")
        def untyped(x: int):  # type: ignore[no-untyped-def]
            return x

        with pytest.raises(GraphConfigError, match="Missing type annotation in strict_types mode") as exc:
            Graph([untyped, make_z], strict_types=True)
        msg = str(exc.value)
        assert "'y'" in msg and "'untyped'" in msg and "'make_z'" in msg

    def test_missing_parameter_annotation(self) -> None:
        @node(output_name="z")
        def untyped(y):  # type: ignore[no-untyped-def]
            return y

        with pytest.raises(GraphConfigError, match="Missing type annotation") as exc:
            Graph([make_y, untyped], strict_types=True)
        assert "parameter 'y' of 'untyped'" in str(exc.value)

    def test_missing_annotation_ignored_when_not_strict(self) -> None:
        @node(output_name="z")
        def untyped(y):  # type: ignore[no-untyped-def]
            return y

        assert Graph([make_y, untyped]).strict_types is False

    def test_unconnected_untyped_input_is_fine(self) -> None:
        @node(output_name="y")
        def untyped_in(x) -> int:  # type: ignore[no-untyped-def]
            return 1

        assert Graph([untyped_in, make_z], strict_types=True).strict_types is True

    def test_type_mismatch(self) -> None:
        @node(output_name="y")
        def text(x: int) -> str:
            return str(x)

        with pytest.raises(GraphConfigError, match="Type mismatch between nodes") as exc:
            Graph([text, make_z], strict_types=True)
        msg = str(exc.value)
        assert "'text'" in msg and "'make_z'" in msg and "str" in msg and "int" in msg

    def test_type_mismatch_on_multi_output(self) -> None:
        @node(output_name=("y", "w"))
        def pair(x: int) -> tuple[int, str]:
            return x, "w"

        @node(output_name="o")
        def use(w: int) -> int:
            return w

        with pytest.raises(GraphConfigError, match=r"Type mismatch.*'w'"):
            Graph([pair, use], strict_types=True)

    def test_compatible_edge_passes(self) -> None:
        @node(output_name="y")
        def flag(x: int) -> bool:
            return True

        g = Graph([flag, make_z], strict_types=True)
        assert g.strict_types is True

    def test_interrupt_optional_return_is_unwrapped(self) -> None:
        @node(output_name="question")
        def make_q(x: int) -> str:
            return "q"

        @node(output_name="final")
        def use(answer: str) -> str:
            return answer

        g = Graph([make_q, ask, use], strict_types=True)
        assert g.strict_types is True

    def test_strict_checked_after_naming(self) -> None:
        @node(output_name="y")
        def untyped(x: int):  # type: ignore[no-untyped-def]
            return x

        bad = FunctionNode(_f, name="bad-name", output_name="q")
        with pytest.raises(GraphConfigError, match="Node name 'bad-name'"):
            Graph([untyped, make_z, bad], strict_types=True)

    def test_strict_checked_before_cycle_check(self) -> None:
        @node(output_name="count")
        def inc(count: int) -> str:
            return str(count)

        with pytest.raises(GraphConfigError, match="Type mismatch"):
            Graph([inc], strict_types=True)


# ---------------------------------------------------------------------------
# order and helpers


class TestOrder:
    def test_naming_before_defaults(self) -> None:
        @node(output_name="o1")
        def one(k: int = 1) -> int:
            return k

        bad = FunctionNode(lambda k: k, name="bad-name", output_name="o2")
        with pytest.raises(GraphConfigError, match="Node name 'bad-name'"):
            Graph([one, bad])

    def test_defaults_before_gates(self) -> None:
        @node(output_name="o1")
        def one(k: int = 1) -> int:
            return k

        @node(output_name="o2")
        def two(k: int) -> int:
            return k

        @route(targets=["ghost"])
        def decide(k: int) -> Any:
            return "ghost"

        with pytest.raises(GraphConfigError, match="Inconsistent defaults for 'k'"):
            Graph([one, two, decide])

    def test_naming_before_gate_self_target(self) -> None:
        @route(targets=["decide", END])
        def decide(y: int) -> Any:
            return END

        bad = FunctionNode(_f, name="END", output_name="q")
        with pytest.raises(GraphConfigError, match="cannot be named 'END'"):
            Graph([make_y, decide, bad])

    def test_gates_before_wait_for(self) -> None:
        @route(targets=["ghost", END])
        def decide(y: int) -> Any:
            return END

        @node(output_name="b", wait_for="nothing_here")
        def later(x: int) -> int:
            return x

        with pytest.raises(GraphConfigError, match="targets 'ghost'"):
            Graph([make_y, decide, later])

    def test_wait_for_before_cycle(self) -> None:
        @node(output_name="count", wait_for="nothing_here")
        def inc(count: int) -> int:
            return count

        with pytest.raises(GraphConfigError, match="waits for 'nothing_here'"):
            Graph([inc])

    def test_validate_graph_helper(self) -> None:
        validate_graph(Graph([make_y, make_z]))
