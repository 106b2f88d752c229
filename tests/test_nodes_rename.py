"""Spec 01: renaming nodes (``with_name``, ``with_inputs``, ``with_outputs``)."""

from __future__ import annotations

from typing import Any

import pytest

from hypergraph_typed import FunctionNode, Graph, RenameError, SyncRunner, node


def combine(x: int, y: str = "s") -> tuple[int, str]:
    return x, y


def make() -> FunctionNode[Any, Any]:
    return node(combine, output_name=("n", "t"))


# ---------------------------------------------------------------------------
# with_name


class TestWithName:
    def test_renames_only_the_name(self) -> None:
        n = make()
        r = n.with_name("other")
        assert r.name == "other"
        assert r.inputs == n.inputs
        assert r.outputs == n.outputs
        assert r.func is combine

    def test_original_unchanged(self) -> None:
        n = make()
        r = n.with_name("other")
        assert r is not n
        assert n.name == "combine"

    def test_chains(self) -> None:
        assert make().with_name("a").with_name("b").name == "b"


# ---------------------------------------------------------------------------
# with_inputs


class TestWithInputs:
    def test_kwargs(self) -> None:
        r = make().with_inputs(x="number")
        assert r.inputs == ("number", "y")

    def test_positional_mapping(self) -> None:
        r = make().with_inputs({"x": "number", "y": "text"})
        assert r.inputs == ("number", "text")

    def test_mapping_and_kwargs_merge(self) -> None:
        r = make().with_inputs({"x": "number"}, y="text")
        assert r.inputs == ("number", "text")

    def test_kwargs_override_mapping_for_same_key(self) -> None:
        r = make().with_inputs({"x": "from_mapping"}, x="from_kwargs")
        assert r.inputs == ("from_kwargs", "y")

    def test_mapping_is_positional_only(self) -> None:
        # ``mapping`` as a keyword is an ordinary rename of an input named "mapping".
        @node(output_name="o")
        def f(mapping: int) -> int:
            return mapping

        assert f.with_inputs(mapping="m").inputs == ("m",)

    def test_swap(self) -> None:
        r = make().with_inputs(x="y", y="x")
        assert r.inputs == ("y", "x")
        assert r.defaults == {"x": "s"}
        assert r.parameter_annotations == {"y": int, "x": str}
        assert r.map_inputs_to_params({"y": 1, "x": "v"}) == {"x": 1, "y": "v"}

    def test_chaining(self) -> None:
        r = make().with_inputs(x="first").with_inputs(first="a")
        assert r.inputs == ("a", "y")
        assert r.map_inputs_to_params({"a": 1}) == {"x": 1}

    def test_rename_back_to_original(self) -> None:
        r = make().with_inputs(x="tmp").with_inputs(tmp="x")
        assert r.inputs == ("x", "y")
        assert r.map_inputs_to_params({"x": 1, "y": "z"}) == {"x": 1, "y": "z"}

    def test_identity_rename(self) -> None:
        assert make().with_inputs(x="x").inputs == ("x", "y")

    def test_defaults_follow(self) -> None:
        r = make().with_inputs(y="label")
        assert r.defaults == {"label": "s"}
        assert r.has_default_for("label") is True
        assert r.has_default_for("y") is False
        assert r.get_default_for("label") == "s"
        with pytest.raises(KeyError):
            r.get_default_for("y")

    def test_annotations_follow(self) -> None:
        r = make().with_inputs(x="number")
        assert r.parameter_annotations == {"number": int, "y": str}
        assert r.get_input_type("number") is int
        assert r.get_input_type("x") is None

    def test_function_called_with_original_names(self) -> None:
        r = make().with_inputs(x="y", y="x")
        # Direct call: original parameter names.
        assert r(x=1, y="v") == (1, "v")

    def test_function_called_with_original_names_in_a_run(self) -> None:
        r = make().with_inputs(x="number", y="label")
        result = SyncRunner().run(Graph([r]), {"number": 3, "label": "L"})
        assert result.values["n"] == 3
        assert result.values["t"] == "L"

    def test_swap_in_a_run(self) -> None:
        r = make().with_inputs(x="y", y="x")
        result = SyncRunner().run(Graph([r]), {"y": 7, "x": "text"})
        assert (result.values["n"], result.values["t"]) == (7, "text")

    def test_map_inputs_to_params_passes_unknown_keys(self) -> None:
        r = make().with_inputs(x="number")
        assert r.map_inputs_to_params({"number": 1, "other": 2}) == {"x": 1, "other": 2}

    def test_map_inputs_to_params_without_renames(self) -> None:
        assert make().map_inputs_to_params({"x": 1, "y": "a"}) == {"x": 1, "y": "a"}


class TestWithOutputs:
    def test_kwargs_and_mapping(self) -> None:
        assert make().with_outputs(n="number").outputs == ("number", "t")
        assert make().with_outputs({"n": "number"}, t="text").outputs == ("number", "text")

    def test_swap(self) -> None:
        r = make().with_outputs(n="t", t="n")
        assert r.outputs == ("t", "n")
        assert r.output_annotation == {"t": int, "n": str}

    def test_chaining(self) -> None:
        r = make().with_outputs(n="first").with_outputs(first="second")
        assert r.outputs == ("second", "t")

    def test_annotations_follow(self) -> None:
        r = make().with_outputs(t="text")
        assert r.output_annotation == {"n": int, "text": str}
        assert r.get_output_type("text") is str
        assert r.get_output_type("t") is None

    def test_emit_names_can_be_renamed(self) -> None:
        n = node(combine, output_name="pair", emit="done")
        r = n.with_outputs(done="finished")
        assert r.outputs == ("pair", "finished")
        assert r.data_outputs == ("pair",)
        assert r.emit == ("finished",)

    def test_values_follow_in_a_run(self) -> None:
        r = make().with_outputs(n="number", t="text")
        result = SyncRunner().run(Graph([r]), {"x": 2})
        assert result.values["number"] == 2
        assert result.values["text"] == "s"
        assert "n" not in result.values


# ---------------------------------------------------------------------------
# errors


class TestRenameErrors:
    def test_is_an_exception(self) -> None:
        assert issubclass(RenameError, Exception)

    def test_unknown_input(self) -> None:
        with pytest.raises(RenameError) as info:
            node(lambda x: x, output_name="o").with_inputs(y="z")
        msg = str(info.value)
        assert "'y' not found" in msg
        assert "Current inputs: ('x',)" in msg

    def test_unknown_output(self) -> None:
        with pytest.raises(RenameError) as info:
            make().with_outputs(q="z")
        msg = str(info.value)
        assert "'q' not found" in msg
        assert "('n', 't')" in msg

    def test_chain_in_message(self) -> None:
        r = node(lambda x, y: x, output_name="o").with_inputs(x="first").with_inputs(first="a")
        with pytest.raises(RenameError) as info:
            r.with_inputs(x="b")
        msg = str(info.value)
        assert "'x' was renamed: x→first→a" in msg
        assert "Current inputs: ('a', 'y')" in msg

    def test_chain_for_outputs(self) -> None:
        r = make().with_outputs(n="m")
        with pytest.raises(RenameError, match="n→m"):
            r.with_outputs(n="k")

    def test_input_chain_does_not_leak_into_outputs(self) -> None:
        # Renaming input 'x' does not make an unknown output 'x' look "renamed".
        r = make().with_inputs(x="a")
        with pytest.raises(RenameError) as info:
            r.with_outputs(x="b")
        assert "not found" in str(info.value)
        assert "→" not in str(info.value)

    def test_message_names_the_node(self) -> None:
        with pytest.raises(RenameError, match="combine"):
            make().with_inputs(nope="z")

    def test_duplicate_inputs(self) -> None:
        with pytest.raises(RenameError) as info:
            make().with_inputs(x="y")
        assert "Rename produces duplicate inputs: ['y']" in str(info.value)

    def test_duplicate_outputs(self) -> None:
        with pytest.raises(RenameError) as info:
            make().with_outputs(n="t")
        assert "duplicate outputs" in str(info.value)
        assert "'t'" in str(info.value)

    def test_two_renames_to_the_same_name(self) -> None:
        with pytest.raises(RenameError, match="duplicate"):
            make().with_inputs(x="same", y="same")

    def test_failed_rename_leaves_node_unchanged(self) -> None:
        n = make()
        with pytest.raises(RenameError):
            n.with_inputs(x="ok", nope="z")
        assert n.inputs == ("x", "y")


# ---------------------------------------------------------------------------
# copies and immutability


class TestCopies:
    @pytest.mark.parametrize("method", ["with_inputs", "with_outputs"])
    def test_empty_rename_returns_a_copy(self, method: str) -> None:
        n = make()
        for args in ((), ({},), (None,)):
            r = getattr(n, method)(*args)
            assert r is not n
            assert isinstance(r, FunctionNode)
            assert (r.name, r.inputs, r.outputs) == (n.name, n.inputs, n.outputs)
            assert r.func is n.func

    def test_originals_unchanged(self) -> None:
        n = make()
        n.with_inputs(x="a")
        n.with_outputs(n="b")
        n.with_name("c")
        assert n.name == "combine"
        assert n.inputs == ("x", "y")
        assert n.outputs == ("n", "t")
        assert n.defaults == {"y": "s"}
        assert n.map_inputs_to_params({"x": 1}) == {"x": 1}

    def test_branches_are_independent(self) -> None:
        base = make().with_inputs(x="a")
        left = base.with_inputs(a="left")
        right = base.with_inputs(a="right")
        assert base.inputs == ("a", "y")
        assert left.inputs == ("left", "y")
        assert right.inputs == ("right", "y")
        # The history of one branch does not show up in the other's messages.
        with pytest.raises(RenameError) as info:
            right.with_inputs(left="q")
        assert "not found" in str(info.value)

    def test_copy_keeps_type_and_settings(self) -> None:
        n = node(combine, output_name="pair", cache=True, hide=True, emit="e", wait_for="w")
        r = n.with_name("a").with_inputs(x="b").with_outputs(pair="c")
        assert type(r) is FunctionNode
        assert (r.cache, r.hide, r.emit, r.wait_for) == (True, True, ("e",), ("w",))
        assert r.definition_hash == n.definition_hash

    def test_all_three_combined(self) -> None:
        r = make().with_name("renamed").with_inputs(x="a").with_outputs(n="m")
        assert repr(r) == "FunctionNode(combine as 'renamed', outputs=('m', 't'))"
        assert r(1, "q") == (1, "q")
