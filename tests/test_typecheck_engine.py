"""The runtime edge-check engine, driven directly on compiled plans (no runner)."""

from __future__ import annotations

import pickle
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any, Literal, Optional, TypeVar

import pytest

from hypergraph_typed import END, Graph, ifelse, interrupt, node
from hypergraph_typed._sentinels import MISSING
from hypergraph_typed.compiler.edge_types import EdgeChecks, build_edge_checks, make_checker
from hypergraph_typed.compiler.plan import ExecutionPlan
from hypergraph_typed.runtime.scheduler import Scheduler
from hypergraph_typed.runtime.typecheck import (
    EdgeTypeError,
    check_answers,
    check_inputs,
    check_outputs,
    check_values,
)

T = TypeVar("T")


def idx(plan: ExecutionPlan, name: str) -> int:
    return next(np.index for np in plan.nodes if np.name == name)


def compiled(*nodes: Any, **kw: Any) -> tuple[ExecutionPlan, EdgeChecks]:
    plan = Graph(list(nodes), **kw).compile()
    return plan, build_edge_checks(plan)


@node(output_name="n")
def count(text: str) -> int:
    return len(text)


@node(output_name="n")
def count_loose(text: str):  # type: ignore[no-untyped-def]
    return len(text)


@node(output_name="label")
def label(n: int) -> str:
    return str(n)


@node(output_name="label")
def label_text(n: str) -> str:
    return n


class TestWhatIsChecked:
    def test_agreeing_annotations_need_no_input_checks(self) -> None:
        plan, checks = compiled(count, label)
        assert checks.inputs == ((), ())
        # Outputs are checked against their own annotations...
        assert [c.expected for c in checks.outputs[idx(plan, "count")]] == [int]
        # ...and graph inputs against their readers, before the run.
        assert [c.expected for c in checks.values["text"]] == [str]
        assert not checks.empty

    def test_unannotated_producer_makes_the_consumer_check(self) -> None:
        plan, checks = compiled(count_loose, label)
        assert checks.outputs[idx(plan, "count_loose")] == ()
        (c,) = checks.inputs[idx(plan, "label")]
        assert (c.position, c.expected, c.name) == (0, int, "n")
        assert (c.consumer, c.param, c.producers) == ("label", "n", ("count_loose",))

    def test_disagreeing_annotations_make_the_consumer_check(self) -> None:
        # Not strict, so the graph builds; the runtime check still guards the edge.
        plan, checks = compiled(count, label_text)
        (c,) = checks.inputs[idx(plan, "label_text")]
        assert c.expected is str and c.producers == ("count",)

    @pytest.mark.parametrize("annotation", [Any, object, T])
    def test_accept_everything_parameters_are_unchecked(self, annotation: Any) -> None:
        def use(n):  # type: ignore[no-untyped-def]
            return n

        use.__annotations__ = {"n": annotation, "return": int}
        plan, checks = compiled(count_loose, node(use, output_name="out"))
        assert checks.inputs[idx(plan, "use")] == ()

    def test_unannotated_parameter_is_unchecked(self) -> None:
        @node(output_name="out")
        def use(n):  # type: ignore[no-untyped-def]
            return n

        _, checks = compiled(count_loose, use)
        assert checks.inputs == ((), ())
        assert checks.values["text"][0].consumer == "count_loose"

    def test_typevar_return_guarantees_nothing(self) -> None:
        @node(output_name="n")
        def ident(text: T) -> T:
            return text

        plan, checks = compiled(ident, label)
        assert checks.outputs[idx(plan, "ident")] == ()
        assert [c.expected for c in checks.inputs[idx(plan, "label")]] == [int]

    def test_gates_have_no_output_checks_but_check_inputs(self) -> None:
        @ifelse(when_true="label", when_false=END)
        def big(n: int) -> bool:
            return n > 1

        plan, checks = compiled(count_loose, big, label)
        assert checks.outputs[idx(plan, "big")] == ()
        assert [c.expected for c in checks.inputs[idx(plan, "big")]] == [int]

    def test_nothing_to_check(self) -> None:
        @node(output_name="b")
        def f(a):  # type: ignore[no-untyped-def]
            return a

        _, checks = compiled(f)
        assert checks.empty
        assert checks.inputs == ((),) and checks.outputs == ((),)


class TestCheckInputs:
    def test_passes_matching_values(self) -> None:
        plan, checks = compiled(count_loose, label)
        n = idx(plan, "label")
        check_inputs(checks, n, [3])
        check_inputs(checks, n, [True])  # bool is an int

    def test_numeric_tower(self) -> None:
        @node(output_name="out")
        def use(n: float) -> float:
            return n

        plan, checks = compiled(count_loose, use)
        check_inputs(checks, idx(plan, "use"), [3])
        with pytest.raises(EdgeTypeError):
            check_inputs(checks, idx(plan, "use"), ["3"])

    def test_error_names_everything(self) -> None:
        plan, checks = compiled(count_loose, label)
        with pytest.raises(EdgeTypeError) as exc:
            check_inputs(checks, idx(plan, "label"), ["seven"])
        err = exc.value
        assert isinstance(err, TypeError)
        assert (err.producer, err.consumer, err.param, err.value_name) == (
            "count_loose", "label", "n", "n",
        )
        assert err.expected is int and err.actual_type is str and err.value == "seven"
        msg = str(err)
        assert "node 'count_loose'" in msg and "parameter 'n' of node 'label'" in msg
        assert "expects int" in msg and "str 'seven'" in msg

    def test_several_producers_are_all_named_without_state(self) -> None:
        @ifelse(when_true="short", when_false="long")
        def is_short(text: str) -> bool:
            return len(text) < 3

        @node(output_name="n")
        def short(text: str):  # type: ignore[no-untyped-def]
            return 0

        @node(output_name="n")
        def long(text: str):  # type: ignore[no-untyped-def]
            return 1

        plan, checks = compiled(is_short, short, long, label)
        with pytest.raises(EdgeTypeError) as exc:
            check_inputs(checks, idx(plan, "label"), [None])
        assert exc.value.producer == "short or long"
        assert "node 'short' or node 'long'" in str(exc.value)

    def test_state_names_the_actual_writer(self) -> None:
        plan, checks = compiled(count_loose, label)
        sched = Scheduler(plan, {plan.slot_index["text"]: "abc"})
        sched.commit(idx(plan, "count_loose"), ("three",))
        n = idx(plan, "label")
        with pytest.raises(EdgeTypeError) as exc:
            check_inputs(checks, n, sched.gather(n), sched)
        assert exc.value.producer == "count_loose"

    def test_run_inputs_are_checked_up_front_not_per_call(self) -> None:
        # Sliced at 'label', so 'n' is a graph input: check_values covers it once.
        plan = Graph([count_loose, label]).with_entrypoint("label").compile()
        checks = build_edge_checks(plan)
        assert checks.inputs[idx(plan, "label")] == ()
        (c,) = checks.values["n"]
        assert (c.producers, c.consumer, c.expected) == (("input",), "label", int)
        with pytest.raises(EdgeTypeError, match="the run input gave str 'x'"):
            check_values(checks, plan, {"n": "x"})

    def test_state_names_an_initial_value_as_input(self) -> None:
        plan, checks = compiled(count_loose, label)
        # A value in state that no node wrote (writer -1) came from the run's inputs.
        sched = Scheduler(plan, {plan.slot_index["n"]: "x"})
        n = idx(plan, "label")
        with pytest.raises(EdgeTypeError) as exc:
            check_inputs(checks, n, sched.gather(n), sched)
        assert exc.value.producer == "input"

    def test_state_skips_defaults_that_are_not_edges(self) -> None:
        @node(output_name="out")
        def use(n: int = None) -> int:  # type: ignore[assignment]  # noqa: RUF013
            return n or 0

        plan, checks = compiled(count_loose, use)
        n = idx(plan, "use")
        sched = Scheduler(plan, {})
        args = sched.gather(n)
        assert args == [None]
        check_inputs(checks, n, args, sched)  # the default, not an edge value
        with pytest.raises(EdgeTypeError):
            check_inputs(checks, n, args)  # without state it cannot tell

    def test_collections_check_the_first_item_by_default(self) -> None:
        @node(output_name="out")
        def use(n: list[int]) -> int:
            return 0

        plan = Graph([count_loose, use]).compile()
        n = idx(plan, "use")
        first = build_edge_checks(plan)
        every = build_edge_checks(plan, all_items=True)
        check_inputs(first, n, [[1, "two"]])
        with pytest.raises(EdgeTypeError, match="item 1"):
            check_inputs(every, n, [[1, "two"]])
        with pytest.raises(EdgeTypeError, match=r"item 0 is not an instance of int"):
            check_inputs(first, n, [["one", 2]])


class TestCheckOutputs:
    def test_tuple_outputs_by_position(self) -> None:
        @node(output_name=("a", "b"))
        def pair(x: int) -> tuple[int, str]:
            return x, ""

        plan, checks = compiled(pair)
        n = idx(plan, "pair")
        check_outputs(checks, n, (1, "s"))
        with pytest.raises(EdgeTypeError) as exc:
            check_outputs(checks, n, (1, 2))
        err = exc.value
        assert (err.producer, err.consumer, err.param, err.value_name) == ("pair", None, None, "b")
        assert "node 'pair' returned int 2" in str(err) and "declares str" in str(err)

    def test_missing_outputs_are_skipped(self) -> None:
        plan, checks = compiled(count)
        check_outputs(checks, idx(plan, "count"), (MISSING,))

    def test_generator_output_is_a_list(self) -> None:
        @node(output_name="items")
        def gen(x: int) -> Iterator[int]:
            yield x

        plan, checks = compiled(gen)
        n = idx(plan, "gen")
        check_outputs(checks, n, ([1, 2],))
        with pytest.raises(EdgeTypeError, match=r"list\[int\]"):
            check_outputs(checks, n, (["a"],))

    def test_interrupt_output_excludes_none(self) -> None:
        @interrupt(output_name="answer")
        def ask(q: str) -> Optional[int]:
            return None

        plan, checks = compiled(ask)
        (c,) = checks.outputs[idx(plan, "ask")]
        assert c.expected is int

    def test_mapped_graph_node_outputs(self) -> None:
        inner = Graph([count], name="inner")
        _, checks = compiled(inner.as_node().map_over("text"))
        (c,) = checks.outputs[0]
        assert c.expected == list[int] and "inside 'inner'" in c.via
        check_outputs(checks, 0, ([1, 2],))
        with pytest.raises(EdgeTypeError, match="inside 'inner'"):
            check_outputs(checks, 0, ([None],))

    def test_mapped_continue_allows_none(self) -> None:
        inner = Graph([count], name="inner")
        _, checks = compiled(inner.as_node().map_over("text", error_handling="continue"))
        check_outputs(checks, 0, ([1, None],))


class TestGraphNodeInputs:
    def test_inner_consumers_are_checked_at_the_boundary(self) -> None:
        inner = Graph([label], name="inner")
        plan, checks = compiled(count_loose, inner.as_node())
        (c,) = checks.inputs[idx(plan, "inner")]
        assert c.expected is int and c.consumer == "inner"
        with pytest.raises(EdgeTypeError) as exc:
            check_inputs(checks, idx(plan, "inner"), ["x"])
        assert "parameter 'n' of 'label' inside 'inner'" in str(exc.value)

    def test_mapped_inputs_expect_lists(self) -> None:
        inner = Graph([label], name="inner")
        plan, checks = compiled(count_loose, inner.as_node().map_over("n"))
        (c,) = checks.inputs[idx(plan, "inner")]
        assert c.expected == list[int]


@interrupt(output_name="choice")
def choose(question: str) -> Literal["a", "b"] | None:
    return None


@node(output_name="out")
def use_choice(choice: str) -> str:
    return choice


@node(output_name="out")
def use_choice_int(choice: int) -> str:
    return str(choice)


class TestCheckAnswers:
    def test_answer_is_checked_against_the_interrupt(self) -> None:
        plan, checks = compiled(choose, use_choice)
        slot = plan.answer_slots["choice"]
        check_answers(checks, {slot: "a"})
        with pytest.raises(EdgeTypeError) as exc:
            check_answers(checks, {slot: "c"})
        err = exc.value
        assert (err.producer, err.consumer, err.param) == ("resume answer", "choose", None)
        assert "the resume answer is str 'c'" in str(err)
        assert "Literal['a', 'b']" in str(err)

    def test_consumers_are_checked_when_the_interrupt_does_not_cover_them(self) -> None:
        plan, checks = compiled(choose, use_choice_int)
        slot = plan.answer_slots["choice"]
        assert [c.expected for c in checks.answers[slot]] == [Literal["a", "b"], int]
        with pytest.raises(EdgeTypeError) as exc:
            check_answers(checks, {slot: "a"})
        assert (exc.value.consumer, exc.value.param) == ("use_choice_int", "choice")

    def test_covered_consumers_add_no_check(self) -> None:
        plan, checks = compiled(choose, use_choice)
        assert len(checks.answers[plan.answer_slots["choice"]]) == 1

    def test_unknown_slots_are_ignored(self) -> None:
        _, checks = compiled(choose, use_choice)
        check_answers(checks, {999: object()})


class TestCheckValues:
    def test_inputs_and_bound_values(self) -> None:
        g = Graph([count, label]).bind(text="bound")
        plan = g.compile()
        checks = build_edge_checks(plan)
        check_values(checks, plan, {"text": "ok"})
        with pytest.raises(EdgeTypeError) as exc:
            check_values(checks, plan, {"text": 5})
        assert exc.value.producer == "input" and "the run input gave int 5" in str(exc.value)

        bad = Graph([count, label]).bind(text=b"bytes")
        bad_plan = bad.compile()
        with pytest.raises(EdgeTypeError) as exc:
            check_values(build_edge_checks(bad_plan), bad_plan, dict(bad_plan.bound))
        assert exc.value.producer == "bound value"

    def test_every_reader_is_checked(self) -> None:
        @node(output_name="m")
        def other(text: bytes) -> int:
            return 0

        plan, checks = compiled(count, other)
        assert [c.consumer for c in checks.values["text"]] == ["count", "other"]
        with pytest.raises(EdgeTypeError) as exc:
            check_values(checks, plan, {"text": "s"})
        assert exc.value.consumer == "other"

    def test_non_inputs_are_left_alone(self) -> None:
        plan, checks = compiled(choose, use_choice)
        # An answer name and unknown names are not graph inputs.
        check_values(checks, plan, {"choice": 1, "nope": 1, "gn.key": 1, "question": "q"})


class TestCheckers:
    def test_plain_class_fast_path_agrees_with_typeguard(self) -> None:
        check = make_checker(int)
        assert check(1) is None and check(True) is None
        assert check("1") == ""

    def test_detail_for_nested_mismatch(self) -> None:
        check = make_checker(dict[str, int])
        assert check({"a": 1}) is None
        assert check({"a": "x"}) == "value of key 'a' is not an instance of int"


def test_edge_type_error_pickles() -> None:
    plan, checks = compiled(count_loose, label)
    with pytest.raises(EdgeTypeError) as exc:
        check_inputs(checks, idx(plan, "label"), ["x"])
    copy = pickle.loads(pickle.dumps(exc.value))
    assert str(copy) == str(exc.value)
    assert (copy.producer, copy.consumer, copy.param) == ("count_loose", "label", "n")


def test_state_protocol_is_duck_typed() -> None:
    plan, checks = compiled(count_loose, label)
    slot = plan.slot_index["n"]
    values: list[Any] = [MISSING] * len(plan.slot_names)
    values[slot] = "x"
    writer = [-1] * len(plan.slot_names)
    writer[slot] = idx(plan, "count_loose")
    state = SimpleNamespace(values=values, writer=writer)
    with pytest.raises(EdgeTypeError) as exc:
        check_inputs(checks, idx(plan, "label"), ["x"], state)
    assert exc.value.producer == "count_loose"
