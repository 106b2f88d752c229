"""Spec 01: ``FunctionNode`` / ``@node`` and the top-level node import surface.

This module uses postponed annotations on purpose: every annotation below is a
string and must be resolved by the node (forward references included).
"""

from __future__ import annotations

import functools
import inspect
import re
import warnings
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

import hypergraph_typed
import hypergraph_typed.nodes
from hypergraph_typed import (
    END,
    FunctionNode,
    GateNode,
    Graph,
    GraphNode,
    HyperNode,
    IfElseNode,
    InterruptNode,
    RenameError,
    RouteNode,
    SyncRunner,
    ifelse,
    interrupt,
    node,
    route,
)
from hypergraph_typed.nodes import _EMIT_SENTINEL, RenameEntry

HEX64 = re.compile(r"^[0-9a-f]{64}$")


def _exec_function(source: str, name: str = "f", **globals_: Any) -> Any:
    """Define a function whose source ``inspect`` cannot find."""
    namespace: dict[str, Any] = dict(globals_)
    exec(compile(source, "<generated>", "exec"), namespace)
    return namespace[name]


@node(output_name="doubled")
def double(x: int) -> int:
    return x * 2


def plain_add(a: int, b: int = 10) -> int:
    return a + b


class Later:
    """Defined after the functions that annotate with it (a forward reference)."""


def uses_forward_ref(item: Payload, count: int = 1) -> Payload:
    return item


class Payload:
    pass


# ---------------------------------------------------------------------------
# import surface


class TestImportSurface:
    def test_top_level_names(self) -> None:
        assert callable(node) and callable(route) and callable(ifelse) and callable(interrupt)
        for cls in (FunctionNode, RouteNode, IfElseNode, GateNode, GraphNode, InterruptNode):
            assert issubclass(cls, HyperNode)
        assert issubclass(RenameError, Exception)
        assert END is hypergraph_typed.END

    def test_top_level_all_lists_node_names(self) -> None:
        names = {
            "node", "route", "ifelse", "interrupt", "FunctionNode", "RouteNode", "IfElseNode",
            "GateNode", "GraphNode", "HyperNode", "InterruptNode", "END", "EndType",
            "RenameError", "RunOutcome", "as_outcome",
        }
        assert names <= set(hypergraph_typed.__all__)
        assert isinstance(hypergraph_typed.END, hypergraph_typed.EndType)

    def test_nodes_module_exports(self) -> None:
        expected = {
            "HyperNode", "RenameEntry", "RenameError", "FunctionNode", "GraphNode", "GateNode",
            "IfElseNode", "RouteNode", "InterruptNode", "node", "ifelse", "route", "interrupt",
            "END", "_EMIT_SENTINEL",
        }
        assert expected <= set(hypergraph_typed.nodes.__all__)
        for name in expected:
            assert getattr(hypergraph_typed.nodes, name) is not None

    def test_same_objects_across_modules(self) -> None:
        assert hypergraph_typed.nodes.RenameError is hypergraph_typed.RenameError
        assert hypergraph_typed.nodes.END is hypergraph_typed.END
        assert hypergraph_typed.nodes.FunctionNode is FunctionNode
        assert hypergraph_typed.nodes.node is node

    def test_hypernode_is_abstract(self) -> None:
        with pytest.raises(TypeError):
            HyperNode()

    def test_rename_entry_is_frozen_record(self) -> None:
        entry = RenameEntry("inputs", "x", "y")
        assert (entry.kind, entry.old, entry.new, entry.batch_id) == ("inputs", "x", "y", None)
        assert RenameEntry("inputs", "x", "y", 3).batch_id == 3
        with pytest.raises(AttributeError):
            entry.new = "z"  # type: ignore[misc]

    def test_emit_sentinel_is_distinct_value(self) -> None:
        assert _EMIT_SENTINEL is not None
        assert _EMIT_SENTINEL is not END


# ---------------------------------------------------------------------------
# construction: @node and FunctionNode


class TestDecorator:
    def test_bare_decorator(self) -> None:
        @node
        def side_effect(x: int) -> None:
            return None

        assert isinstance(side_effect, FunctionNode)
        assert side_effect.name == "side_effect"
        assert side_effect.inputs == ("x",)
        assert side_effect.outputs == ()
        assert side_effect.data_outputs == ()

    def test_decorator_with_arguments(self) -> None:
        assert isinstance(double, FunctionNode)
        assert double.name == "double"
        assert double.inputs == ("x",)
        assert double.outputs == ("doubled",)
        assert double.data_outputs == ("doubled",)

    def test_positional_output_name(self) -> None:
        n = node(plain_add, "total")
        assert n.outputs == ("total",)

    def test_node_has_no_name_parameter(self) -> None:
        assert "name" not in inspect.signature(node).parameters
        with pytest.raises(TypeError):
            node(plain_add, name="other")  # type: ignore[call-overload]

    def test_function_node_accepts_a_name(self) -> None:
        n = FunctionNode(plain_add, name="adder", output_name="s")
        assert n.name == "adder"
        assert FunctionNode(plain_add, "adder2", "s").name == "adder2"

    def test_wrapped_is_the_function(self) -> None:
        n = node(plain_add, output_name="s")
        assert n.__wrapped__ is plain_add
        assert n.func is plain_add

    def test_tuple_output_name(self) -> None:
        @node(output_name=("q", "r"))
        def divmod_(a: int, b: int) -> tuple[int, int]:
            return divmod(a, b)

        assert divmod_.outputs == ("q", "r")
        assert divmod_.data_outputs == ("q", "r")

    def test_default_flags(self) -> None:
        n = node(plain_add, output_name="s")
        assert (n.is_async, n.is_generator, n.is_interrupt, n.cache, n.hide) == (
            False, False, False, False, False,
        )
        assert n.wait_for == ()
        assert n.node_type == "FUNCTION"
        assert n.nested_graph is None

    def test_cache_and_hide(self) -> None:
        n = node(plain_add, output_name="s", cache=True, hide=True)
        assert n.cache is True
        assert n.hide is True
        m = FunctionNode(plain_add, output_name="s", cache=True)
        assert m.cache is True and m.hide is False

    def test_varargs_are_inputs_named_as_in_hypergraph(self) -> None:
        @node(output_name="out")
        def f(a: int, *args: int, b: int = 1, **kwargs: int) -> int:
            return a + sum(args) + b + sum(kwargs.values())

        assert f.inputs == ("a", "args", "b", "kwargs")
        assert f.defaults == {"b": 1}
        assert not f.has_default_for("args") and not f.has_default_for("kwargs")
        assert f.parameter_annotations["args"] is int
        assert Graph([f]).inputs.required == ("a", "args", "kwargs")
        # Values are passed by keyword, as hypergraph calls nodes: ``**kwargs`` collects
        # the ``args`` and ``kwargs`` values under those names.
        seen: dict[str, object] = {}

        @node(output_name="out")
        def spy(a: int, **kwargs: object) -> int:
            seen.update(kwargs)
            return a

        assert spy.inputs == ("a", "kwargs")
        assert SyncRunner().run(Graph([spy]), {"a": 1, "kwargs": {"k": 2}})["out"] == 1
        assert seen == {"kwargs": {"k": 2}}

    def test_no_validation_of_names_at_construction(self) -> None:
        # Names are validated by Graph, not by the node.
        n = FunctionNode(plain_add, name="not valid!", output_name="1bad")
        assert n.name == "not valid!"
        assert n.outputs == ("1bad",)


class TestSourceFunctionNode:
    def test_only_func_is_taken_from_a_function_node(self) -> None:
        original = node(plain_add, output_name="s", cache=True, hide=True, emit="done",
                        rename_inputs={"a": "aa"}).with_name("renamed")
        with pytest.warns(UserWarning):
            copy = FunctionNode(original)
        assert copy.func is plain_add
        assert copy.name == "plain_add"
        assert copy.inputs == ("a", "b")
        assert copy.outputs == ()
        assert (copy.cache, copy.hide) == (False, False)

    def test_new_settings_apply(self) -> None:
        original = node(plain_add, output_name="s")
        copy = FunctionNode(source=original, name="again", output_name="t", wait_for="go")
        assert copy.name == "again"
        assert copy.outputs == ("t",)
        assert copy.wait_for == ("go",)
        assert original.outputs == ("s",)

    def test_node_decorator_on_a_function_node(self) -> None:
        original = node(plain_add, output_name="s").with_inputs(a="x")
        copy = node(original, output_name="t")
        assert copy.func is plain_add
        assert copy.inputs == ("a", "b")


class TestBadInput:
    @pytest.mark.parametrize("bad", [3, "not a function", None, [1, 2]])
    def test_function_node_needs_callable(self, bad: Any) -> None:
        with pytest.raises(TypeError, match="callable"):
            FunctionNode(bad)

    @pytest.mark.parametrize("bad", [3, [1, 2], 1.5])
    def test_node_needs_callable(self, bad: Any) -> None:
        with pytest.raises(TypeError, match="callable"):
            node(bad)

    def test_decorator_factory_needs_callable(self) -> None:
        with pytest.raises(TypeError, match="callable"):
            node(output_name="x")(42)  # type: ignore[arg-type]

    def test_string_passed_as_function_hints_at_output_name(self) -> None:
        with pytest.raises(TypeError, match="output_name"):
            node("result")  # type: ignore[call-overload]

    @pytest.mark.parametrize("bad", [3, ("a", 3), {"a": 1}, b"bytes", ("a", None)])
    def test_output_name_must_be_str_or_tuple_of_str(self, bad: Any) -> None:
        with pytest.raises(TypeError, match="output_name") as info:
            node(plain_add, output_name=bad)
        assert "plain_add" in str(info.value)

    @pytest.mark.parametrize("bad", [3, ("a", 3)])
    def test_emit_and_wait_for_types(self, bad: Any) -> None:
        with pytest.raises(TypeError, match="emit"):
            node(plain_add, output_name="s", emit=bad)
        with pytest.raises(TypeError, match="wait_for"):
            node(plain_add, output_name="s", wait_for=bad)


# ---------------------------------------------------------------------------
# output_name=None warning


class TestMissingOutputWarning:
    def test_warns_when_return_annotated(self) -> None:
        def compute(x: int) -> int:
            return x

        with pytest.warns(UserWarning, match="compute") as record:
            n = node(compute)
        assert n.outputs == ()
        assert any("output_name" in str(w.message) for w in record)

    def test_function_node_warns_too(self) -> None:
        with pytest.warns(UserWarning):
            FunctionNode(plain_add)

    @pytest.mark.parametrize("make", [node, FunctionNode, lambda f: node()(f)])
    def test_warning_points_at_the_caller(self, make: Any) -> None:
        with pytest.warns(UserWarning) as record:
            make(plain_add)
        assert [w.filename for w in record] == [__file__]

    @pytest.mark.parametrize("kind", ["none", "unannotated"])
    def test_no_warning_for_none_or_missing_annotation(self, kind: str) -> None:
        def returns_none(x: int) -> None:
            return None

        def unannotated(x):  # type: ignore[no-untyped-def]
            return x

        func = returns_none if kind == "none" else unannotated
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            n = node(func)
        assert n.outputs == ()

    def test_no_warning_for_unresolvable_none_return(self) -> None:
        # The parameter annotation cannot be resolved, so the return stays the string "None".
        def f(x: DoesNotExist) -> None:  # type: ignore[name-defined]  # noqa: F821
            return None

        with warnings.catch_warnings():
            warnings.simplefilter("error")
            n = node(f)
        assert n.parameter_annotations == {}

    def test_no_warning_when_output_name_given(self) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            node(plain_add, output_name="s")


# ---------------------------------------------------------------------------
# emit / wait_for


class TestEmitWaitFor:
    def test_emit_str_and_tuple(self) -> None:
        a = node(plain_add, output_name="s", emit="done")
        assert a.outputs == ("s", "done")
        assert a.data_outputs == ("s",)
        assert a.emit == ("done",)
        b = node(plain_add, output_name=("s", "t"), emit=("e1", "e2"))
        assert b.outputs == ("s", "t", "e1", "e2")
        assert b.data_outputs == ("s", "t")

    def test_emit_only_node(self) -> None:
        with pytest.warns(UserWarning):
            n = node(plain_add, emit="signal")
        assert n.outputs == ("signal",)
        assert n.data_outputs == ()

    def test_wait_for_str_and_tuple(self) -> None:
        assert node(plain_add, output_name="s", wait_for="go").wait_for == ("go",)
        assert node(plain_add, output_name="s", wait_for=("g1", "g2")).wait_for == ("g1", "g2")
        # wait_for names are not inputs.
        assert node(plain_add, output_name="s", wait_for="go").inputs == ("a", "b")

    def test_emit_colliding_with_data_output(self) -> None:
        with pytest.raises(ValueError, match="'s'"):
            node(plain_add, output_name="s", emit="s")

    def test_wait_for_colliding_with_input(self) -> None:
        with pytest.raises(ValueError, match="'a'"):
            node(plain_add, output_name="s", wait_for="a")

    def test_wait_for_colliding_with_renamed_input(self) -> None:
        with pytest.raises(ValueError, match="'x'"):
            node(plain_add, output_name="s", rename_inputs={"a": "x"}, wait_for="x")
        # The old name is free once renamed.
        assert node(plain_add, output_name="s", rename_inputs={"a": "x"}, wait_for="a").wait_for == ("a",)

    def test_name_both_emit_and_wait_for(self) -> None:
        with pytest.raises(ValueError, match="sig"):
            node(plain_add, output_name="s", emit="sig", wait_for="sig")

    def test_rename_into_collision_is_rejected(self) -> None:
        n = node(plain_add, output_name="s", emit="done", wait_for="go")
        with pytest.raises(ValueError):
            n.with_inputs(a="go")
        with pytest.raises(ValueError):
            n.with_outputs(done="go")


# ---------------------------------------------------------------------------
# rename_inputs at construction


class TestRenameInputsArgument:
    def test_rename_inputs(self) -> None:
        n = node(plain_add, output_name="s", rename_inputs={"a": "x"})
        assert n.inputs == ("x", "b")
        assert n.defaults == {"b": 10}
        assert n.map_inputs_to_params({"x": 1, "b": 2}) == {"a": 1, "b": 2}

    def test_rename_inputs_swap(self) -> None:
        n = node(plain_add, output_name="s", rename_inputs={"a": "b", "b": "a"})
        assert n.inputs == ("b", "a")
        assert n.defaults == {"a": 10}

    def test_unknown_key(self) -> None:
        with pytest.raises(RenameError, match="Cannot rename unknown inputs") as info:
            node(plain_add, output_name="s", rename_inputs={"zz": "y"})
        assert "zz" in str(info.value)
        assert "plain_add" in str(info.value)

    def test_duplicate_result(self) -> None:
        with pytest.raises(RenameError, match="duplicate"):
            node(plain_add, output_name="s", rename_inputs={"a": "b"})


# ---------------------------------------------------------------------------
# defaults and annotations


class TestDefaultsAndAnnotations:
    def test_defaults(self) -> None:
        n = node(plain_add, output_name="s")
        assert n.defaults == {"b": 10}
        assert n.has_default_for("b") is True
        assert n.has_default_for("a") is False
        assert n.has_default_for("nope") is False
        assert n.get_default_for("b") == 10

    def test_get_default_for_missing_raises_key_error(self) -> None:
        n = node(plain_add, output_name="s")
        with pytest.raises(KeyError):
            n.get_default_for("a")
        with pytest.raises(KeyError):
            n.get_default_for("nope")

    def test_none_is_a_real_default(self) -> None:
        @node(output_name="o")
        def f(x: int | None = None) -> int:
            return 0

        assert f.has_default_for("x") is True
        assert f.get_default_for("x") is None

    def test_postponed_annotations_are_resolved(self) -> None:
        n = node(plain_add, output_name="s")
        assert n.parameter_annotations == {"a": int, "b": int}
        assert n.get_input_type("a") is int
        assert n.get_input_type("nope") is None
        assert n.output_annotation == {"s": int}
        assert n.get_output_type("s") is int
        assert n.get_output_type("nope") is None

    def test_forward_references(self) -> None:
        n = node(uses_forward_ref, output_name="out")
        assert n.parameter_annotations == {"item": Payload, "count": int}
        assert n.output_annotation == {"out": Payload}

    def test_unresolvable_annotations_give_empty_dicts(self) -> None:
        class Local:
            pass

        def f(x: Local) -> Local:
            return x

        n = node(f, output_name="o")
        assert n.parameter_annotations == {}
        assert n.output_annotation == {}
        assert n.get_input_type("x") is None

    def test_unannotated_parameters_are_absent(self) -> None:
        def f(x, y: int):  # type: ignore[no-untyped-def]
            return x

        n = node(f, output_name="o")
        assert n.parameter_annotations == {"y": int}
        assert n.output_annotation == {}

    def test_tuple_return_matching_arity(self) -> None:
        def f(x: int) -> tuple[int, str]:
            return x, ""

        n = node(f, output_name=("a", "b"))
        assert n.output_annotation == {"a": int, "b": str}
        assert n.get_output_type("b") is str

    def test_single_output_gets_the_whole_tuple(self) -> None:
        def f(x: int) -> tuple[int, str]:
            return x, ""

        assert node(f, output_name="pair").output_annotation == {"pair": tuple[int, str]}

    @pytest.mark.parametrize("outputs", [("a", "b"), ("a", "b", "c", "d")])
    def test_tuple_arity_mismatch_gives_empty(self, outputs: tuple[str, ...]) -> None:
        def f(x: int) -> tuple[int, str, float]:
            return x, "", 0.0

        assert node(f, output_name=outputs).output_annotation == {}

    def test_non_tuple_return_with_several_outputs(self) -> None:
        def f(x: int) -> list[int]:
            return [x, x]

        assert node(f, output_name=("a", "b")).output_annotation == {}

    def test_variadic_tuple_with_several_outputs(self) -> None:
        def f(x: int) -> tuple[int, ...]:
            return (x, x)

        assert node(f, output_name=("a", "b")).output_annotation == {}

    def test_no_outputs_no_output_annotation(self) -> None:
        def f(x: int) -> None:
            return None

        n = node(f)
        assert n.output_annotation == {}
        assert n.parameter_annotations == {"x": int}

    def test_emit_names_have_no_output_annotation(self) -> None:
        n = node(plain_add, output_name="s", emit="done")
        assert n.output_annotation == {"s": int}
        assert n.get_output_type("done") is None


# ---------------------------------------------------------------------------
# async / generator flags


class TestAsyncGeneratorFlags:
    def test_async_function(self) -> None:
        @node(output_name="o")
        async def f(x: int) -> int:
            return x

        assert (f.is_async, f.is_generator) == (True, False)

    def test_sync_generator(self) -> None:
        @node(output_name="o")
        def f(x: int) -> Iterator[int]:
            yield x

        assert (f.is_async, f.is_generator) == (False, True)

    def test_async_generator(self) -> None:
        @node(output_name="o")
        async def f(x: int) -> AsyncIterator[int]:
            yield x

        assert (f.is_async, f.is_generator) == (True, True)

    def test_plain_function(self) -> None:
        assert (double.is_async, double.is_generator) == (False, False)

    def test_flags_survive_renames(self) -> None:
        @node(output_name="o")
        async def f(x: int) -> AsyncIterator[int]:
            yield x

        g = f.with_name("g").with_inputs(x="y").with_outputs(o="p")
        assert (g.is_async, g.is_generator) == (True, True)


# ---------------------------------------------------------------------------
# definition_hash


def _hash_a(x: int) -> int:
    return x + 1


def _hash_b(x: int) -> int:
    return x + 2


class TestDefinitionHash:
    def test_sha256_hex(self) -> None:
        h = double.definition_hash
        assert HEX64.match(h)

    def test_stable(self) -> None:
        assert node(_hash_a, output_name="o").definition_hash == node(
            _hash_a, output_name="o"
        ).definition_hash
        assert double.definition_hash == double.definition_hash

    def test_unchanged_by_renames_and_settings(self) -> None:
        base = node(_hash_a, output_name="o")
        variants = [
            base.with_name("other"),
            base.with_inputs(x="y"),
            base.with_outputs(o="p"),
            node(_hash_a, output_name=("p",), cache=True, hide=True, emit="e"),
            FunctionNode(_hash_a, name="zzz", output_name="q"),
        ]
        for v in variants:
            assert v.definition_hash == base.definition_hash

    def test_changes_with_code(self) -> None:
        assert node(_hash_a, output_name="o").definition_hash != node(
            _hash_b, output_name="o"
        ).definition_hash

    def test_never_raises_for_builtins(self) -> None:
        n = FunctionNode(len, name="length", output_name="n")
        assert HEX64.match(n.definition_hash)
        m = FunctionNode(abs, name="absolute", output_name="n")
        assert n.definition_hash != m.definition_hash

    def test_never_raises_for_lambdas(self) -> None:
        n = FunctionNode(lambda x: x, name="ident", output_name="o")
        assert HEX64.match(n.definition_hash)

    def test_never_raises_for_partials_and_callable_objects(self) -> None:
        class Adder:
            def __call__(self, x: int) -> int:
                return x + 1

        p = FunctionNode(functools.partial(plain_add, b=3), name="p", output_name="o")
        c = FunctionNode(Adder(), name="c", output_name="o")
        assert HEX64.match(p.definition_hash)
        assert HEX64.match(c.definition_hash)
        # Derived from code, not from the object's address.
        assert c.definition_hash == FunctionNode(Adder(), name="c", output_name="o").definition_hash
        assert p.definition_hash == FunctionNode(
            functools.partial(plain_add, b=3), name="p", output_name="o"
        ).definition_hash

    def test_partials_differ_by_function_and_bound_args(self) -> None:
        def h(p: functools.partial[int]) -> str:
            return FunctionNode(p, name="p", output_name="o").definition_hash

        base = h(functools.partial(plain_add, b=3))
        assert h(functools.partial(plain_add, b=4)) != base
        assert h(functools.partial(_hash_a)) != h(functools.partial(_hash_b))

    def test_callable_instances_differ_by_class_code(self) -> None:
        class Inc:
            def __call__(self, x: int) -> int:
                return x + 1

        class Dec:
            def __call__(self, x: int) -> int:
                return x - 1

        inc = FunctionNode(Inc(), name="n", output_name="o").definition_hash
        dec = FunctionNode(Dec(), name="n", output_name="o").definition_hash
        assert HEX64.match(inc) and HEX64.match(dec)
        assert inc != dec

    def test_callable_instance_without_source(self) -> None:
        cls = _exec_function("class C:\n    def __call__(self, x):\n        return x\n", "C")
        n = FunctionNode(cls(), name="n", output_name="o")
        assert HEX64.match(n.definition_hash)
        assert n.definition_hash == FunctionNode(cls(), name="n", output_name="o").definition_hash

    def test_without_source_uses_bytecode(self) -> None:
        f1 = _exec_function("def f(x):\n    return x + 1\n")
        f2 = _exec_function("def f(x):\n    return x + 1\n")
        f3 = _exec_function("def f(x):\n    return x + 2\n")
        h1 = FunctionNode(f1, output_name="o").definition_hash
        assert HEX64.match(h1)
        assert FunctionNode(f2, output_name="o").definition_hash == h1
        assert FunctionNode(f3, output_name="o").definition_hash != h1

    def test_without_source_nested_code_is_address_free(self) -> None:
        # Comprehensions and lambdas are nested code objects; their repr holds an address.
        src = "def f(xs):\n    return [(lambda v: v * 2)(x) for x in xs]\n"
        f1 = _exec_function(src)
        f2 = _exec_function(src)
        assert f1.__code__ is not f2.__code__
        assert (
            FunctionNode(f1, output_name="o").definition_hash
            == FunctionNode(f2, output_name="o").definition_hash
        )

    def test_without_source_referenced_names_matter(self) -> None:
        f1 = _exec_function("def f(x):\n    return foo(x)\n")
        f2 = _exec_function("def f(x):\n    return bar(x)\n")
        assert (
            FunctionNode(f1, output_name="o").definition_hash
            != FunctionNode(f2, output_name="o").definition_hash
        )

    def test_without_source_defaults_and_closures_matter(self) -> None:
        d1 = _exec_function("def f(x=1):\n    return x\n")
        d2 = _exec_function("def f(x=2):\n    return x\n")
        assert (
            FunctionNode(d1, output_name="o").definition_hash
            != FunctionNode(d2, output_name="o").definition_hash
        )
        src = "def make(k):\n    def f(x):\n        return x + k\n    return f\n"
        make = _exec_function(src, "make")
        assert (
            FunctionNode(make(1), output_name="o").definition_hash
            != FunctionNode(make(2), output_name="o").definition_hash
        )

    def test_without_source_empty_closure_cell(self) -> None:
        src = (
            "def make():\n"
            "    def f(x):\n"
            "        return x + later\n"
            "    return f\n"
            "    later = 1\n"
        )
        f = _exec_function(src, "make")()
        n = FunctionNode(f, output_name="o")
        assert HEX64.match(n.definition_hash)


# ---------------------------------------------------------------------------
# calling, repr


class TestCallAndRepr:
    def test_call_passes_through(self) -> None:
        assert double(4) == 8
        assert double(x=5) == 10

    def test_call_returns_result_unchanged(self) -> None:
        sentinel = object()

        @node(output_name=("a", "b"))
        def f() -> Any:
            return sentinel

        assert f() is sentinel

    def test_call_uses_original_names_after_rename(self) -> None:
        renamed = node(plain_add, output_name="s").with_inputs(a="left", b="right")
        assert renamed(a=1, b=2) == 3
        with pytest.raises(TypeError):
            renamed(left=1, right=2)

    def test_call_async_returns_coroutine(self, run_async: Any) -> None:
        @node(output_name="o")
        async def f(x: int) -> int:
            return x + 1

        coro = f(1)
        assert inspect.iscoroutine(coro)
        assert run_async(coro) == 2

    def test_call_generator_returns_generator(self) -> None:
        @node(output_name="o")
        def f(n: int) -> Iterator[int]:
            yield from range(n)

        gen = f(3)
        assert inspect.isgenerator(gen)
        assert list(gen) == [0, 1, 2]

    def test_repr(self) -> None:
        assert repr(double) == "FunctionNode(double, outputs=('doubled',))"

    def test_repr_after_rename(self) -> None:
        assert repr(double.with_name("twice")) == "FunctionNode(double as 'twice', outputs=('doubled',))"

    def test_repr_with_constructor_name(self) -> None:
        n = FunctionNode(plain_add, name="adder", output_name=("s", "t"))
        assert repr(n) == "FunctionNode(plain_add as 'adder', outputs=('s', 't'))"

    def test_repr_shows_emit_and_output_renames(self) -> None:
        n = node(plain_add, output_name="s", emit="done").with_outputs(s="total")
        assert repr(n) == "FunctionNode(plain_add, outputs=('total', 'done'))"

    def test_repr_no_outputs(self) -> None:
        def f(x: int) -> None:
            return None

        assert repr(node(f)) == "FunctionNode(f, outputs=())"


class TestImmutability:
    def test_attributes_cannot_be_assigned(self) -> None:
        n = node(plain_add, output_name="s")
        with pytest.raises(AttributeError):
            n.name = "other"  # type: ignore[misc]
        with pytest.raises(AttributeError):
            n.inputs = ("q",)  # type: ignore[misc]
        assert n.name == "plain_add"
        assert n.inputs == ("a", "b")
