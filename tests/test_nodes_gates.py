"""Spec 01: gates (``RouteNode``/``@route``, ``IfElseNode``/``@ifelse``) and ``END``."""

from __future__ import annotations

import copy
import pickle
import re
import warnings
from collections.abc import Iterator
from typing import Any

import pytest

from hypergraph_typed import (
    END,
    GateNode,
    Graph,
    HyperNode,
    IfElseNode,
    RenameError,
    RouteNode,
    SyncRunner,
    ifelse,
    node,
    route,
)

HEX64 = re.compile(r"^[0-9a-f]{64}$")


@node(output_name="a_out")
def a(x: int) -> int:
    return x


@node(output_name="b_out")
def b(x: int) -> int:
    return -x


def choose(x: int) -> Any:
    return "a" if x > 0 else "b"


def is_big(x: int) -> bool:
    return x > 10


# ---------------------------------------------------------------------------
# END


class TestEnd:
    def test_cannot_be_instantiated(self) -> None:
        with pytest.raises(TypeError):
            END()  # type: ignore[operator]
        with pytest.raises(TypeError):
            type(END)()

    def test_str_and_repr(self) -> None:
        assert str(END) == "END"
        assert repr(END) == "END"

    def test_is_not_the_string(self) -> None:
        assert END != "END"
        assert END is not None

    def test_identity_survives_copy_and_pickle(self) -> None:
        assert copy.copy(END) is END
        assert copy.deepcopy(END) is END
        assert pickle.loads(pickle.dumps(END)) is END

    def test_usable_as_dict_key(self) -> None:
        assert {END: 1}[END] == 1


# ---------------------------------------------------------------------------
# shared gate construction


class TestGateConstruction:
    def test_gate_node_is_abstract(self) -> None:
        assert issubclass(GateNode, HyperNode)
        with pytest.raises(TypeError, match="abstract"):
            GateNode(choose)  # type: ignore[call-arg]

    @pytest.mark.parametrize("kind", ["route", "ifelse"])
    def test_async_function_rejected(self, kind: str) -> None:
        async def decide(x: int) -> Any:
            return "a"

        with pytest.raises(TypeError, match="decide"):
            if kind == "route":
                route(["a", "b"])(decide)
            else:
                ifelse("a", "b")(decide)

    @pytest.mark.parametrize("kind", ["route", "ifelse"])
    def test_generator_function_rejected(self, kind: str) -> None:
        def decide(x: int) -> Iterator[Any]:
            yield "a"

        with pytest.raises(TypeError, match="generator"):
            if kind == "route":
                RouteNode(decide, ["a", "b"])
            else:
                IfElseNode(decide, "a", "b")

    def test_async_generator_rejected(self) -> None:
        async def decide(x: int) -> Any:
            yield "a"

        with pytest.raises(TypeError):
            route(["a"])(decide)

    @pytest.mark.parametrize(
        "make",
        [
            lambda: route(["a", "END"])(choose),
            lambda: route({"a": "go", "END": "stop"})(choose),
            lambda: route(["a"], fallback="END")(choose),
            lambda: ifelse("END", "b")(is_big),
            lambda: ifelse("a", "END")(is_big),
        ],
    )
    def test_string_end_target_rejected(self, make: Any) -> None:
        with pytest.raises(ValueError, match="END"):
            make()

    def test_flags_and_attributes(self) -> None:
        g = route(["a", "b"], cache=True, hide=True, default_open=False)(choose)
        assert (g.is_async, g.is_generator, g.is_interrupt) == (False, False, False)
        assert (g.cache, g.hide, g.default_open) == (True, True, False)
        assert g.node_type == "BRANCH"
        assert g.nested_graph is None
        assert g.func is choose
        assert g.wait_for == ()

    def test_defaults(self) -> None:
        g = route(["a", "b"])(choose)
        assert (g.cache, g.hide, g.default_open) == (False, False, True)
        h = ifelse("a", "b")(is_big)
        assert (h.cache, h.hide, h.default_open) == (False, False, True)

    def test_name_defaults_to_function_name(self) -> None:
        assert route(["a"])(choose).name == "choose"
        assert route(["a"], name="picker")(choose).name == "picker"
        assert ifelse("a", "b", name="check")(is_big).name == "check"

    def test_inputs_from_signature(self) -> None:
        def decide(x: int, threshold: int = 3) -> Any:
            return "a"

        g = route(["a"])(decide)
        assert g.inputs == ("x", "threshold")
        assert g.has_default_for("threshold") is True
        assert g.get_default_for("threshold") == 3
        with pytest.raises(KeyError):
            g.get_default_for("x")
        assert g.get_input_type("x") is int

    def test_rename_inputs(self) -> None:
        g = route(["a"], rename_inputs={"x": "value"})(choose)
        assert g.inputs == ("value",)
        assert g.map_inputs_to_params({"value": 1}) == {"x": 1}
        h = ifelse("a", "b", rename_inputs={"x": "n"})(is_big)
        assert h.inputs == ("n",)

    def test_rename_inputs_unknown_key(self) -> None:
        with pytest.raises(RenameError, match="Cannot rename unknown inputs"):
            route(["a"], rename_inputs={"nope": "y"})(choose)

    def test_emit_and_wait_for(self) -> None:
        g = route(["a"], emit="decided", wait_for="ready")(choose)
        assert g.outputs == ("_choose", "decided")
        assert g.data_outputs == ("_choose",)
        assert g.emit == ("decided",)
        assert g.wait_for == ("ready",)
        h = ifelse("a", "b", emit=("e1", "e2"), wait_for=("w1",))(is_big)
        assert h.outputs == ("_is_big", "e1", "e2")
        assert h.wait_for == ("w1",)

    def test_emit_wait_for_collisions(self) -> None:
        with pytest.raises(ValueError):
            route(["a"], wait_for="x")(choose)
        with pytest.raises(ValueError):
            route(["a"], emit="s", wait_for="s")(choose)
        with pytest.raises(ValueError):
            route(["a"], emit="_choose")(choose)

    def test_definition_hash(self) -> None:
        g = route(["a"])(choose)
        assert HEX64.match(g.definition_hash)
        assert g.definition_hash == route(["b"], name="other")(choose).definition_hash
        assert g.definition_hash == g.with_name("renamed").definition_hash
        assert g.definition_hash != ifelse("a", "b")(is_big).definition_hash


# ---------------------------------------------------------------------------
# RouteNode


class TestRouteConstruction:
    def test_list_targets(self) -> None:
        g = route(["a", "b", END])(choose)
        assert isinstance(g, RouteNode)
        assert g.targets == ["a", "b", END]
        assert g.targets[2] is END
        assert g.descriptions == {}

    def test_dict_targets_become_descriptions(self) -> None:
        g = route({"a": "positive", "b": "negative", END: "stop"})(choose)
        assert g.targets == ["a", "b", END]
        assert g.descriptions == {"a": "positive", "b": "negative", END: "stop"}

    def test_duplicates_dropped_order_kept(self) -> None:
        g = route(["b", "a", "b", END, "a", END])(choose)
        assert g.targets == ["b", "a", END]

    def test_fallback_appended_when_missing(self) -> None:
        g = route(["a"], fallback="b")(choose)
        assert g.targets == ["a", "b"]
        assert g.fallback == "b"

    def test_fallback_already_present(self) -> None:
        g = route(["a", "b"], fallback="a")(choose)
        assert g.targets == ["a", "b"]

    def test_fallback_end(self) -> None:
        g = route(["a"], fallback=END)(choose)
        assert g.targets == ["a", END]
        assert g.fallback is END

    def test_empty_targets(self) -> None:
        with pytest.raises(ValueError, match="empty"):
            route([])(choose)
        with pytest.raises(ValueError):
            RouteNode(choose, {})

    def test_fallback_with_multi_target(self) -> None:
        with pytest.raises(ValueError, match="multi_target"):
            route(["a", "b"], fallback="a", multi_target=True)(choose)

    def test_outputs(self) -> None:
        g = route(["a", "b"])(choose)
        assert g.outputs == ("_choose",)
        assert g.data_outputs == ("_choose",)
        assert g.multi_target is False

    def test_route_node_class_directly(self) -> None:
        g = RouteNode(choose, ["a", "b"], name="picker", multi_target=True)
        assert g.name == "picker"
        assert g.multi_target is True
        assert g.outputs == ("_picker",)

    def test_repr(self) -> None:
        def decide(x: int) -> Any:
            return "a"

        assert repr(route(["a", END])(decide)) == "RouteNode(decide, targets=['a', 'END'])"


class TestRouteDecide:
    def test_valid_target(self) -> None:
        g = route(["a", "b", END])(choose)
        assert g.decide("a") == "a"
        assert g.decide(END) is END

    def test_none_without_fallback(self) -> None:
        assert route(["a"])(choose).decide(None) is None

    def test_none_becomes_fallback(self) -> None:
        g = route(["a"], fallback="b")(choose)
        assert g.decide(None) == "b"
        assert g.decide("a") == "a"
        h = route(["a"], fallback=END)(choose)
        assert h.decide(None) is END

    def test_list_without_multi_target(self) -> None:
        g = route(["a", "b"])(choose)
        with pytest.raises(TypeError, match="multi_target"):
            g.decide(["a"])

    def test_multi_target_list(self) -> None:
        g = route(["a", "b", END], multi_target=True)(choose)
        assert g.decide(["a", "b"]) == ["a", "b"]
        assert g.decide([]) == []
        assert g.decide(["b", END]) == ["b", END]
        assert g.decide(None) is None

    @pytest.mark.parametrize("value", ["a", ("a", "b"), END])
    def test_non_list_with_multi_target(self, value: Any) -> None:
        g = route(["a", "b"], multi_target=True)(choose)
        with pytest.raises(TypeError, match="list"):
            g.decide(value)

    def test_invalid_target_lists_valid_ones(self) -> None:
        g = route(["a", "b", END])(choose)
        with pytest.raises(ValueError) as info:
            g.decide("c")
        msg = str(info.value)
        assert "invalid target" in msg
        assert "'c'" in msg
        assert "Valid targets" in msg
        for t in ("a", "b", "END"):
            assert t in msg.split("Valid targets")[1]

    def test_invalid_element_in_multi_target_list(self) -> None:
        g = route(["a", "b"], multi_target=True)(choose)
        with pytest.raises(ValueError, match="'c'"):
            g.decide(["a", "c"])

    def test_string_end_warns_then_fails(self) -> None:
        g = route(["a", END])(choose)
        with pytest.warns(UserWarning, match="END"), pytest.raises(ValueError, match="invalid target"):
            g.decide("END")

    def test_string_end_in_multi_target_list(self) -> None:
        g = route(["a", END], multi_target=True)(choose)
        with pytest.warns(UserWarning), pytest.raises(ValueError):
            g.decide(["END"])

    def test_valid_decision_does_not_warn(self) -> None:
        g = route(["a", END])(choose)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            assert g.decide(END) is END

    def test_selected_targets(self) -> None:
        g = route(["a", "b", END], multi_target=True)(choose)
        assert g.selected_targets(["a", END]) == ("a",)
        assert g.selected_targets(None) == ()
        assert g.selected_targets(END) == ()


# ---------------------------------------------------------------------------
# IfElseNode


class TestIfElse:
    def test_targets_and_descriptions(self) -> None:
        g = ifelse("a", "b")(is_big)
        assert isinstance(g, IfElseNode)
        assert g.targets == ["a", "b"]
        assert g.descriptions == {True: "True", False: "False"}
        assert (g.when_true, g.when_false) == ("a", "b")
        assert g.outputs == ("_is_big",)
        assert g.data_outputs == ("_is_big",)

    def test_end_target(self) -> None:
        g = ifelse("a", END)(is_big)
        assert g.targets == ["a", END]
        assert g.when_false is END

    def test_same_targets_rejected(self) -> None:
        with pytest.raises(ValueError):
            ifelse("a", "a")(is_big)
        with pytest.raises(ValueError):
            IfElseNode(is_big, END, END)

    def test_decide_bools(self) -> None:
        g = ifelse("a", "b")(is_big)
        assert g.decide(True) is True
        assert g.decide(False) is False
        assert g.selected_targets(True) == ("a",)
        assert g.selected_targets(False) == ("b",)

    @pytest.mark.parametrize("value", [1, 0, "yes", "", None, [True], 1.0])
    def test_non_bool_rejected(self, value: Any) -> None:
        g = ifelse("a", "b")(is_big)
        with pytest.raises(TypeError, match="is_big"):
            g.decide(value)

    def test_repr(self) -> None:
        assert repr(ifelse("big", END)(is_big)) == "IfElseNode(is_big, true=big, false=END)"

    def test_class_directly(self) -> None:
        g = IfElseNode(is_big, "a", "b", name="check", default_open=False)
        assert g.name == "check"
        assert g.outputs == ("_check",)
        assert g.default_open is False


# ---------------------------------------------------------------------------
# calling and renaming gates


class TestGateCallAndRename:
    def test_calling_route_calls_function(self) -> None:
        g = route(["a", "b"])(choose)
        assert g(5) == "a"
        assert g(x=-5) == "b"

    def test_calling_ifelse_calls_function(self) -> None:
        g = ifelse("a", "b")(is_big)
        assert g(11) is True
        assert g(x=1) is False

    def test_call_returns_raw_value(self) -> None:
        # Calling does not validate: that happens at run time.
        g = route(["a"])(lambda x: "nowhere")
        assert g(1) == "nowhere"

    @pytest.mark.parametrize("kind", ["route", "ifelse"])
    def test_with_name_renames_the_decision_output(self, kind: str) -> None:
        # Reference quirk fixed: outputs follow the new name.
        g = route(["a", "b"], emit="done")(choose) if kind == "route" else ifelse(
            "a", "b", emit="done"
        )(is_big)
        r = g.with_name("newname")
        assert r.name == "newname"
        assert r.outputs == ("_newname", "done")
        assert r.data_outputs == ("_newname",)
        assert g.outputs[0] != "_newname"
        assert type(r) is type(g)
        assert r.targets == g.targets

    def test_renamed_gate_is_valid_in_a_graph(self) -> None:
        gate = route(["a", "b"])(choose).with_name("pick")
        graph = Graph([gate, a, b])
        assert "_pick" in graph.outputs
        result = SyncRunner().run(graph, {"x": 3})
        assert result.values["_pick"] == "a"
        assert result.values["a_out"] == 3
        assert "b_out" not in result.values

    def test_with_inputs(self) -> None:
        g = route(["a"])(choose)
        r = g.with_inputs(x="value")
        assert r.inputs == ("value",)
        assert g.inputs == ("x",)
        assert r(x=1) == "a"
        with pytest.raises(RenameError, match="not found"):
            g.with_inputs(nope="q")

    def test_with_inputs_into_wait_for_rejected(self) -> None:
        g = route(["a"], wait_for="ready")(choose)
        with pytest.raises(ValueError, match="ready"):
            g.with_inputs(x="ready")

    def test_with_outputs_renames_emit_only(self) -> None:
        g = route(["a"], emit="done")(choose)
        r = g.with_outputs(done="finished")
        assert r.outputs == ("_choose", "finished")
        assert g.outputs == ("_choose", "done")
        with pytest.raises(RenameError):
            g.with_outputs(_choose="other")

    def test_empty_rename_returns_copy(self) -> None:
        g = ifelse("a", "b")(is_big)
        for r in (g.with_inputs(), g.with_outputs()):
            assert r is not g
            assert (r.name, r.inputs, r.outputs, r.targets) == (g.name, g.inputs, g.outputs, g.targets)

    def test_repr_after_rename(self) -> None:
        # As hypergraph shows it: the function, then the name it goes by.
        assert repr(route(["a", END])(choose).with_name("pick")) == (
            "RouteNode(choose as 'pick', targets=['a', 'END'])"
        )
        assert repr(route(["a", END], name="my_gate")(choose)) == (
            "RouteNode(choose as 'my_gate', targets=['a', 'END'])"
        )
        assert repr(route(["a", END])(choose)) == "RouteNode(choose, targets=['a', 'END'])"
        assert repr(ifelse("a", END)(is_big).with_name("big")) == (
            "IfElseNode(is_big as 'big', true=a, false=END)"
        )


# ---------------------------------------------------------------------------
# decisions at run time


class TestDecisionsInARun:
    def test_route_decision_stored(self) -> None:
        gate = route(["a", "b"])(choose)
        result = SyncRunner().run(Graph([gate, a, b]), {"x": -2})
        assert result.values["_choose"] == "b"
        assert result.values["b_out"] == 2
        assert "a_out" not in result.values

    def test_ifelse_decision_stored(self) -> None:
        gate = ifelse("a", "b")(is_big)
        result = SyncRunner().run(Graph([gate, a, b]), {"x": 20})
        assert result.values["_is_big"] is True
        assert result.values["a_out"] == 20
