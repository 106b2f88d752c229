"""Type hints are resolved lazily: on first need, cached once resolvable.

Decoration runs while a module is still loading, so annotations naming classes defined
further down must not be resolved (and given up on) at that point.
"""

from __future__ import annotations

import dataclasses
import functools
import textwrap
import types
import warnings
from typing import Any

import pytest

from hypergraph_typed import FunctionNode, Graph, GraphConfigError, SyncRunner, node, route
from hypergraph_typed.compiler.edge_types import build_edge_checks
from hypergraph_typed.nodes._introspect import LazyHints


def make_module(source: str) -> types.ModuleType:
    """A fresh module built from ``source``, so tests control what its globals hold."""
    mod = types.ModuleType("lazy_hints_test_module")
    exec(compile(textwrap.dedent(source), "<lazy_hints_test_module>", "exec"), mod.__dict__)
    return mod


FORWARD = """
    from __future__ import annotations
    from hypergraph_typed import node

    @node(output_name="item")
    def make(n: int) -> Item:
        return Item()

    @node(output_name="out")
    def use(item: Item) -> str:
        return "ok"

    @node(output_name="out")
    def use_int(item: int) -> str:
        return "ok"
"""


class TestLaziness:
    def test_unresolvable_at_decoration_resolves_once_defined(self) -> None:
        mod = make_module(FORWARD)
        assert mod.use.parameter_annotations == {}
        exec("class Item:\n    pass\n", mod.__dict__)
        assert mod.use.parameter_annotations == {"item": mod.Item}
        assert mod.make.output_annotation == {"item": mod.Item}

    def test_strict_graph_built_after_definition_passes(self) -> None:
        mod = make_module(FORWARD)
        exec("class Item:\n    pass\n", mod.__dict__)
        assert Graph([mod.make, mod.use], strict_types=True).strict_types

    def test_strict_graph_sees_mismatch_through_forward_reference(self) -> None:
        mod = make_module(FORWARD)
        exec("class Item:\n    pass\n", mod.__dict__)
        with pytest.raises(GraphConfigError, match="Type mismatch") as exc:
            Graph([mod.make, mod.use_int], strict_types=True)
        assert "Item" in str(exc.value) and "int" in str(exc.value)

    def test_strict_graph_built_too_early_names_node_parameter_and_name(self) -> None:
        mod = make_module(FORWARD)
        with pytest.raises(GraphConfigError, match="Missing type annotation") as exc:
            Graph([mod.make, mod.use], strict_types=True)
        msg = str(exc.value)
        assert "'make'" in msg and "'Item'" in msg and "not defined" in msg

    def test_success_is_cached(self) -> None:
        mod = make_module(FORWARD)
        exec("class Item:\n    pass\n", mod.__dict__)
        item = mod.Item
        assert mod.use.parameter_annotations == {"item": item}
        del mod.Item
        assert mod.use.parameter_annotations == {"item": item}

    def test_renamed_copies_share_resolution(self) -> None:
        mod = make_module(FORWARD)
        renamed = mod.use.with_inputs(item="thing").with_name("use2")
        exec("class Item:\n    pass\n", mod.__dict__)
        assert renamed.parameter_annotations == {"thing": mod.Item}
        assert renamed.get_input_type("thing") is mod.Item

    def test_non_strict_graph_never_fails_and_runs(self) -> None:
        mod = make_module(FORWARD + "\n    class Item:\n        pass\n")
        mod2 = make_module("""
            from __future__ import annotations
            from hypergraph_typed import node

            @node(output_name="out")
            def use(item: Missing) -> str:
                return type(item).__name__
        """)
        g = Graph([mod.make, mod2.use])
        assert SyncRunner().run(g, n=1)["out"] == "Item"

    def test_gate_hints_are_lazy_too(self) -> None:
        mod = make_module("""
            from __future__ import annotations
            from hypergraph_typed import END, node, route

            @node(output_name="item")
            def make(n: int) -> Item:
                return Item()

            @route(targets=["done", END])
            def decide(item: Item) -> object:
                return "done"

            @node(output_name="out")
            def done(item: Item) -> str:
                return "ok"
        """)
        assert mod.decide.parameter_annotations == {}
        exec("class Item:\n    pass\n", mod.__dict__)
        assert mod.decide.get_input_type("item") is mod.Item
        assert Graph([mod.make, mod.decide, mod.done], strict_types=True).strict_types


class TestUnresolvableUnderStrict:
    def test_type_checking_only_import(self) -> None:
        mod = make_module("""
            from __future__ import annotations
            from typing import TYPE_CHECKING
            from hypergraph_typed import node
            if TYPE_CHECKING:
                from decimal import Decimal

            @node(output_name="price")
            def price(n: int) -> Decimal:
                return n

            @node(output_name="out")
            def show(price: Decimal) -> str:
                return str(price)
        """)
        with pytest.raises(GraphConfigError, match="Missing type annotation") as exc:
            Graph([mod.price, mod.show], strict_types=True)
        msg = str(exc.value)
        assert "output 'price' of 'price'" in msg
        assert "'Decimal'" in msg and "TYPE_CHECKING" in msg
        assert Graph([mod.price, mod.show]).strict_types is False

    def test_renamed_parameter_reports_both_names(self) -> None:
        mod = make_module("""
            from __future__ import annotations
            from hypergraph_typed import node

            @node(output_name="out")
            def use(raw: Unknown) -> str:
                return "ok"
        """)

        @node(output_name="cooked")
        def make(n: int) -> int:
            return n

        with pytest.raises(GraphConfigError, match="Missing type annotation") as exc:
            Graph([make, mod.use.with_inputs(raw="cooked")], strict_types=True)
        msg = str(exc.value)
        assert "parameter 'cooked' of 'use'" in msg  # the value name on the edge
        assert "parameter 'raw' is annotated 'Unknown'" in msg  # the declared parameter

    def test_unrelated_unresolvable_parameter_still_blocks_the_node(self) -> None:
        """``get_type_hints`` is all-or-nothing (spec 01), and the message says why."""
        mod = make_module("""
            from __future__ import annotations
            from hypergraph_typed import node

            @node(output_name="out")
            def use(x: int, extra: Unknown = None) -> str:
                return "ok"
        """)

        @node(output_name="x")
        def make(n: int) -> int:
            return n

        assert mod.use.parameter_annotations == {}
        with pytest.raises(GraphConfigError, match="parameter 'extra' is annotated 'Unknown'"):
            Graph([make, mod.use], strict_types=True)


class TestRuntimeChecksAndUnresolvable:
    def test_unresolvable_annotation_is_unchecked_with_a_warning(self) -> None:
        mod = make_module("""
            from __future__ import annotations
            from hypergraph_typed import node

            @node(output_name="out")
            def use(item: Unknown) -> str:
                return "ok"
        """)
        plan = Graph([mod.use]).compile()
        with pytest.warns(UserWarning, match=r"of .use. .*.Unknown. .*none of .* are checked") as rec:
            checks = build_edge_checks(plan)
        assert len(rec) == 1  # one warning per node, not per value
        assert "parameter 'item' is annotated 'Unknown'" in str(rec[0].message)
        assert checks.values == {}
        assert checks.inputs == ((),)
        assert checks.outputs == ((),)

    def test_resolvable_graph_builds_without_warnings(self) -> None:
        @node(output_name="y")
        def f(x: int) -> int:
            return x

        with warnings.catch_warnings():
            warnings.simplefilter("error")
            build_edge_checks(Graph([f]).compile())


class TestWhatAnnotationsDescribe:
    """Hints come from what is actually called: partials, callable instances, classes."""

    def test_partial_uses_the_wrapped_function(self) -> None:
        def scale(factor: int, value: float) -> float:
            return factor * value

        n = FunctionNode(functools.partial(scale, 2), name="double", output_name="out")
        assert n.inputs == ("value",)
        assert n.parameter_annotations == {"value": float}
        assert n.output_annotation == {"out": float}

    def test_callable_instance_uses_its_call(self) -> None:
        class Adder:
            offset: str  # a class attribute annotation, not a parameter

            def __call__(self, x: int) -> int:
                return x + 1

        n = FunctionNode(Adder(), name="add", output_name="y")
        assert n.parameter_annotations == {"x": int}
        assert n.output_annotation == {"y": int}

    def test_class_uses_init_and_returns_itself(self) -> None:
        @dataclasses.dataclass
        class Point:
            x: int
            y: int

        n = FunctionNode(Point, name="point", output_name="p")
        assert n.parameter_annotations == {"x": int, "y": int}
        assert n.output_annotation == {"p": Point}

    def test_lazy_hints_reads_like_a_mapping(self) -> None:
        def f(a: int, b: str) -> bool:
            return True

        hints = LazyHints(f)
        assert dict(hints) == {"a": int, "b": str, "return": bool}
        assert len(hints) == 3 and "a" in hints and hints["b"] is str
        assert hints.unresolved() == ()

    def test_unresolved_lists_each_failing_annotation(self) -> None:
        ns: dict[str, Any] = {}
        exec(
            "from __future__ import annotations\n"
            "def f(a: int, b: Nope, c: list[Gone]) -> Nope:\n    pass\n",
            ns,
        )
        hints = LazyHints(ns["f"])
        assert hints.resolve() is None and dict(hints) == {}
        reasons = {key: (raw, why) for key, raw, why in hints.unresolved()}
        assert set(reasons) == {"b", "c", "return"}
        assert reasons["c"] == ("list[Gone]", "name 'Gone' is not defined")


def test_route_decorator_still_accepts_unresolvable_annotations() -> None:
    """Construction never resolves eagerly enough to fail."""

    @route(targets=["a"])
    def pick(x: NotAType) -> str:  # type: ignore[name-defined]  # noqa: F821
        return "a"

    assert pick.parameter_annotations == {}
