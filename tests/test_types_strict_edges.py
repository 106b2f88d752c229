"""``strict_types`` on every kind of edge: unions, generics, literals, protocols,
interrupts, generators and the boundaries of nested graphs."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any, Literal, Optional, Protocol, TypedDict, TypeVar

import pytest

from hypergraph_typed import Graph, GraphConfigError, interrupt, node

T = TypeVar("T")


def strict(*nodes: Any, **kw: Any) -> Graph:
    return Graph(list(nodes), strict_types=True, **kw)


def mismatch(*nodes: Any, **kw: Any) -> str:
    with pytest.raises(GraphConfigError, match="Type mismatch between nodes") as exc:
        strict(*nodes, **kw)
    return str(exc.value)


def missing(*nodes: Any, **kw: Any) -> str:
    with pytest.raises(GraphConfigError, match="Missing type annotation in strict_types mode") as exc:
        strict(*nodes, **kw)
    return str(exc.value)


# -- producers used by several tests ------------------------------------------------


@node(output_name="v")
def maybe_int(x: int) -> Optional[int]:
    return x


@node(output_name="v")
def int_or_none(x: int) -> int | None:
    return x


@node(output_name="v")
def ints(x: int) -> list[int]:
    return [x]


@node(output_name="v")
def mode(x: int) -> Literal["fast", "slow"]:
    return "fast"


@node(output_name="v")
def anything(x: int) -> Any:
    return x


@node(output_name="v")
def identity(x: T) -> T:
    return x


class Shape:
    pass


class Square(Shape):
    pass


class Sized(Protocol):
    def area(self) -> float: ...


class Tile:
    def area(self) -> float:
        return 1.0


@node(output_name="v")
def tile(x: int) -> Tile:
    return Tile()


@node(output_name="v")
def square(x: int) -> Square:
    return Square()


@node(output_name="v")
def squares(x: int) -> dict[str, Square]:
    return {}


class Review(TypedDict):
    approved: bool
    note: str


class TestUnionsAndOptional:
    def test_optional_into_plain_fails(self) -> None:
        @node(output_name="out")
        def use(v: int) -> int:
            return v

        msg = mismatch(maybe_int, use)
        assert "'maybe_int' produces 'v' as int | None" in msg and "'use' expects int" in msg
        assert "int | None" in mismatch(int_or_none, use)

    def test_optional_into_optional_passes(self) -> None:
        @node(output_name="out")
        def use(v: int | None) -> int:
            return v or 0

        assert strict(maybe_int, use).strict_types
        assert strict(int_or_none, use).strict_types

    def test_plain_into_wider_union_passes(self) -> None:
        @node(output_name="out")
        def use(v: list[int] | str) -> int:
            return 0

        assert strict(ints, use).strict_types


class TestGenerics:
    def test_element_types_must_match(self) -> None:
        @node(output_name="out")
        def use(v: list[str]) -> int:
            return 0

        msg = mismatch(ints, use)
        assert "list[int]" in msg and "list[str]" in msg

    def test_dict_values_are_covariant_with_subclasses(self) -> None:
        @node(output_name="out")
        def use(v: dict[str, Shape]) -> int:
            return 0

        @node(output_name="out")
        def use_keys(v: dict[int, Shape]) -> int:
            return 0

        assert strict(squares, use).strict_types
        assert "dict[str, Square]" in mismatch(squares, use_keys)

    def test_any_parameter_accepts_and_any_return_does_not(self) -> None:
        @node(output_name="out")
        def takes_any(v: Any) -> int:
            return 0

        @node(output_name="out")
        def takes_int(v: int) -> int:
            return 0

        assert strict(ints, takes_any).strict_types
        assert "as Any" in mismatch(anything, takes_int)

    def test_typevar_return_matches_anything(self) -> None:
        @node(output_name="out")
        def use(v: str) -> int:
            return 0

        assert strict(identity, use).strict_types


class TestLiteralsProtocolsClasses:
    def test_literal_into_its_value_type(self) -> None:
        @node(output_name="out")
        def use(v: str) -> int:
            return 0

        assert strict(mode, use).strict_types

    def test_literal_into_wider_and_narrower_literal(self) -> None:
        @node(output_name="out")
        def wide(v: Literal["fast", "slow", "off"]) -> int:
            return 0

        @node(output_name="out")
        def narrow(v: Literal["fast"]) -> int:
            return 0

        assert strict(mode, wide).strict_types
        assert "Literal['fast']" in mismatch(mode, narrow)

    def test_structural_protocol(self) -> None:
        @node(output_name="out")
        def use(v: Sized) -> float:
            return v.area()

        assert strict(tile, use).strict_types
        assert "'square' produces 'v' as Square" in mismatch(square, use)

    def test_subclass_into_base(self) -> None:
        @node(output_name="out")
        def use(v: Shape) -> int:
            return 0

        @node(output_name="out")
        def use_sub(v: Square) -> int:
            return 0

        @node(output_name="v")
        def shape(x: int) -> Shape:
            return Shape()

        assert strict(square, use).strict_types
        assert "expects Square" in mismatch(shape, use_sub)


class TestMultiOutput:
    def test_tuple_elements_are_matched_per_output(self) -> None:
        @node(output_name=("a", "b"))
        def pair(x: int) -> tuple[int, str]:
            return x, ""

        @node(output_name="out")
        def use(a: int, b: str) -> int:
            return a

        @node(output_name="out")
        def use_wrong(a: int, b: int) -> int:
            return a

        assert strict(pair, use).strict_types
        msg = mismatch(pair, use_wrong)
        assert "produces 'b' as str" in msg and "expects int" in msg

    def test_non_tuple_return_gives_outputs_no_type(self) -> None:
        @node(output_name=("a", "b"))
        def pair(x: int) -> list[int]:
            return [x, x]

        @node(output_name="out")
        def use(a: int) -> int:
            return a

        msg = missing(pair, use)
        assert "output 'a' of 'pair'" in msg and "not a tuple of 2 types" in msg


class TestInterrupts:
    def test_answer_type_is_return_minus_none(self) -> None:
        @interrupt(output_name="answer")
        def ask(question: str) -> Literal["yes", "no"] | None:
            return None

        @node(output_name="out")
        def use(answer: str) -> str:
            return answer

        @node(output_name="out")
        def use_int(answer: int) -> str:
            return ""

        assert strict(ask, use).strict_types
        msg = mismatch(ask, use_int)
        assert "'ask' produces 'answer' as Literal['yes', 'no']" in msg

    def test_interrupt_returning_only_none_has_no_answer_type(self) -> None:
        @interrupt(output_name="answer")
        def ask(question: str) -> None:
            return None

        @node(output_name="out")
        def use(answer: str) -> str:
            return answer

        msg = missing(ask, use)
        assert "output 'answer' of 'ask'" in msg and "only None" in msg
        assert "-> str | None" in msg

    def test_multi_output_interrupt_typed_dict(self) -> None:
        @interrupt(output_name=("approved", "note"))
        def review(draft: str) -> Review | None:
            return None

        @node(output_name="out")
        def use(approved: bool, note: str) -> str:
            return note

        @node(output_name="out")
        def use_wrong(note: int) -> str:
            return ""

        assert strict(review, use).strict_types
        assert "produces 'note' as str" in mismatch(review, use_wrong)

    def test_multi_output_interrupt_dict_of_values(self) -> None:
        @interrupt(output_name=("a", "b"))
        def ask(q: str) -> dict[str, int] | None:
            return None

        @node(output_name="out")
        def use(a: int, b: int) -> int:
            return a + b

        assert strict(ask, use).strict_types

    def test_multi_output_interrupt_without_key_types(self) -> None:
        @interrupt(output_name=("a", "b"))
        def ask(q: str) -> dict | None:  # type: ignore[type-arg]
            return None

        @node(output_name="out")
        def use(a: int) -> int:
            return a

        assert "does not give each key a type" in missing(ask, use)


class TestGenerators:
    def test_generator_sends_a_list_of_its_items(self) -> None:
        @node(output_name="v")
        def count(x: int) -> Iterator[int]:
            yield x

        @node(output_name="out")
        def total(v: list[int]) -> int:
            return sum(v)

        @node(output_name="out")
        def wrong(v: list[str]) -> int:
            return 0

        assert strict(count, total).strict_types
        assert "produces 'v' as list[int]" in mismatch(count, wrong)

    def test_async_generator(self) -> None:
        @node(output_name="v")
        async def count(x: int) -> AsyncIterator[str]:
            yield str(x)

        @node(output_name="out")
        def total(v: list[str]) -> int:
            return len(v)

        assert strict(count, total).strict_types

    def test_generator_annotated_without_item_type(self) -> None:
        @node(output_name="v")
        def count(x: int) -> list[int]:  # type: ignore[misc]
            yield x

        @node(output_name="out")
        def total(v: list[int]) -> int:
            return sum(v)

        assert "Iterator[X]" in missing(count, total)


class TestNestedGraphBoundaries:
    @staticmethod
    def inner() -> Graph:
        @node(output_name="y")
        def double(x: int) -> int:
            return 2 * x

        @node(output_name="label")
        def describe(y: int) -> str:
            return str(y)

        return Graph([double, describe], name="inner")

    def test_outer_producer_into_inner_consumer(self) -> None:
        @node(output_name="x")
        def make_text(s: str) -> str:
            return s

        @node(output_name="x")
        def make_int(s: str) -> int:
            return 1

        gn = self.inner().as_node()
        assert strict(make_int, gn).strict_types
        msg = mismatch(make_text, gn)
        assert "'inner' (parameter 'x' of 'double' inside 'inner') expects int" in msg

    def test_inner_producer_into_outer_consumer(self) -> None:
        @node(output_name="out")
        def use(label: int) -> int:
            return label

        msg = mismatch(self.inner().as_node(), use)
        assert "'inner' (output 'label' of 'describe' inside 'inner') produces 'label' as str" in msg

    def test_renamed_boundary(self) -> None:
        gn = self.inner().as_node().with_inputs(x="seed").with_outputs(label="text")

        @node(output_name="seed")
        def make(s: str) -> int:
            return 1

        @node(output_name="out")
        def use(text: str) -> str:
            return text

        @node(output_name="out")
        def use_wrong(text: bytes) -> str:
            return ""

        assert strict(make, gn, use).strict_types
        assert "produces 'text' as str" in mismatch(make, gn, use_wrong)

    def test_mapped_boundary_wraps_lists(self) -> None:
        gn = self.inner().as_node().map_over("x")

        @node(output_name="x")
        def many(s: str) -> list[int]:
            return [1]

        @node(output_name="x")
        def one(s: str) -> int:
            return 1

        @node(output_name="out")
        def use(label: list[str]) -> int:
            return 0

        assert strict(many, gn, use).strict_types
        assert "expects list[int]" in mismatch(one, gn, use)

    def test_mapped_continue_may_hold_none(self) -> None:
        gn = self.inner().as_node().map_over("x", error_handling="continue")

        @node(output_name="x")
        def many(s: str) -> list[int]:
            return [1]

        @node(output_name="out")
        def use(label: list[str]) -> int:
            return 0

        @node(output_name="out")
        def use_optional(label: list[str | None]) -> int:
            return 0

        assert strict(many, gn, use_optional).strict_types
        assert "list[str | None]" in mismatch(many, gn, use)

    def test_every_inner_consumer_must_accept(self) -> None:
        @node(output_name="a")
        def first(x: int) -> int:
            return x

        @node(output_name="b")
        def second(x: str) -> str:
            return x

        gn = Graph([first, second], name="both").as_node()

        @node(output_name="x")
        def make(s: str) -> int:
            return 1

        assert "parameter 'x' of 'second' inside 'both'" in mismatch(make, gn)

    def test_missing_inner_annotation_names_the_inner_node(self) -> None:
        @node(output_name="y")
        def loose(x):  # type: ignore[no-untyped-def]
            return x

        gn = Graph([loose], name="wrapper").as_node()

        @node(output_name="x")
        def make(s: str) -> int:
            return 1

        msg = missing(make, gn)
        assert "parameter 'x' of 'wrapper' (parameter 'x' of 'loose' inside 'wrapper')" in msg

    def test_two_levels_deep(self) -> None:
        middle = Graph([self.inner().as_node()], name="middle").as_node()

        @node(output_name="x")
        def make(s: str) -> str:
            return s

        msg = mismatch(make, middle)
        assert "parameter 'x' of 'double' inside 'inner' inside 'middle'" in msg


class TestMissingAnnotations:
    def test_names_the_edge_and_how_to_fix(self) -> None:
        @node(output_name="v")
        def loose(x: int):  # type: ignore[no-untyped-def]
            return x

        @node(output_name="out")
        def use(v: int) -> int:
            return v

        msg = missing(loose, use)
        assert "output 'v' of 'loose' has no return annotation" in msg
        assert "edge 'loose' -> 'use' carries 'v'" in msg
        assert "Add a return annotation to 'loose'" in msg

    def test_explicit_edges_are_checked(self) -> None:
        @node(output_name="v")
        def make(x: int) -> str:
            return ""

        @node(output_name="out")
        def use(v: int) -> int:
            return v

        assert "'make' produces 'v' as str" in mismatch(make, use, edges=[("make", "use")])
