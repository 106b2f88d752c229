"""Spec 02: ``compatible(out, in)`` and ``strict_types`` with postponed annotations."""

from __future__ import annotations

from collections.abc import AsyncIterator, Generator, Iterator, Sequence
from typing import (
    Annotated,
    Any,
    Generic,
    Literal,
    NewType,
    Optional,
    Protocol,
    SupportsInt,
    TypeVar,
    Union,
)

import pytest

from hypergraph_typed import Graph, GraphConfigError, node
from hypergraph_typed.compiler.types import (
    compatible,
    has_typevar,
    is_unchecked,
    type_name,
    without_none,
    yielded_type,
)

T = TypeVar("T")
Num = TypeVar("Num", int, str)
Bounded = TypeVar("Bounded", bound=Sequence[int])


class Animal:
    pass


class Dog(Animal):
    pass


class Box(Generic[T]):
    pass


class TestCompatible:
    # --- TypeVar / Any / equality -------------------------------------------
    def test_typevar_out_matches_anything(self) -> None:
        assert compatible(T, int)
        assert compatible(T, list[str])

    def test_any_in_accepts_anything(self) -> None:
        assert compatible(int, Any)
        assert compatible(list[int], Any)
        assert compatible(Optional[str], Any)

    def test_any_out_only_matches_any_or_itself(self) -> None:
        assert compatible(Any, Any)
        assert not compatible(Any, int)

    def test_equal_types(self) -> None:
        assert compatible(int, int)
        assert compatible(dict[str, int], dict[str, int])
        assert compatible(None, None)

    # --- TypeVar in ------------------------------------------------------------
    def test_unconstrained_typevar_in(self) -> None:
        assert compatible(int, T)
        assert compatible(list[str], T)

    def test_constrained_typevar_in(self) -> None:
        assert compatible(int, Num)
        assert compatible(str, Num)
        assert compatible(bool, Num)
        assert not compatible(float, Num)
        assert not compatible(bytes, Num)

    def test_bound_typevar_in(self) -> None:
        assert compatible(list[int], Bounded)
        assert compatible(tuple[int], Bounded)
        assert not compatible(list[str], Bounded)
        assert not compatible(int, Bounded)

    # --- unions --------------------------------------------------------------------
    def test_union_out_needs_every_member(self) -> None:
        assert compatible(Union[int, bool], int)
        assert not compatible(Union[int, str], int)
        assert not compatible(Optional[int], int)
        assert compatible(Union[int, bool], float | int)

    def test_union_in_needs_some_member(self) -> None:
        assert compatible(int, Union[int, str])
        assert compatible(int, int | None)
        assert compatible(bool, Optional[int])
        assert not compatible(float, Union[int, str])

    def test_union_both_sides(self) -> None:
        assert compatible(Union[int, str], Union[str, int, None])
        assert compatible(int | None, Optional[int])
        assert compatible(Union[bool, str], Union[int, str])
        assert not compatible(Union[int, bytes], Union[int, str])

    def test_pep604_and_typing_union_equivalent(self) -> None:
        assert compatible(int | str, Union[str, int])
        assert compatible(Union[int, str], int | str)

    # --- Annotated ------------------------------------------------------------------
    def test_annotated_stripped_on_either_side(self) -> None:
        assert compatible(Annotated[int, "meta"], int)
        assert compatible(int, Annotated[int, "meta"])
        assert compatible(Annotated[bool, 1], Annotated[int, 2])
        assert not compatible(Annotated[str, "meta"], int)
        assert compatible(Annotated[Annotated[int, 1], 2], int)

    # --- classes and origins ----------------------------------------------------------
    def test_subclass_passes(self) -> None:
        assert compatible(bool, int)
        assert compatible(Dog, Animal)
        assert compatible(int, object)

    def test_superclass_or_unrelated_fails(self) -> None:
        assert not compatible(int, float)
        assert not compatible(Animal, Dog)
        assert not compatible(int, bool)
        assert not compatible(str, int)

    def test_parameterized_to_bare_passes(self) -> None:
        assert compatible(list[int], list)
        assert compatible(list, list[int])
        assert compatible(dict[str, int], dict)

    def test_generic_alias_subclass_origin(self) -> None:
        assert compatible(list[int], Sequence[int])
        assert not compatible(list[str], Sequence[int])
        assert not compatible(Sequence[int], list[int])

    def test_argument_mismatch(self) -> None:
        assert not compatible(list[int], list[str])
        assert compatible(list[bool], list[int])
        assert not compatible(list[int], tuple[int])

    def test_dict_arguments_pairwise(self) -> None:
        assert compatible(dict[str, int], dict[str, int])
        assert compatible(dict[str, bool], dict[str, int])
        assert not compatible(dict[str, int], dict[str, str])
        assert not compatible(dict[int, int], dict[str, int])
        assert compatible(dict[str, int], dict[str, Any])

    def test_nested_arguments(self) -> None:
        assert compatible(list[dict[str, int]], list[dict[str, int]])
        assert not compatible(list[dict[str, int]], list[dict[str, str]])
        assert compatible(list[list[int]], list[list[T]])

    def test_arity_mismatch(self) -> None:
        assert not compatible(tuple[int, str], tuple[int])
        assert not compatible(tuple[int], tuple[int, int])

    def test_user_generic(self) -> None:
        assert compatible(Box[int], Box[int])
        assert compatible(Box[int], Box)
        assert not compatible(Box[int], Box[str])

    def test_non_type_values(self) -> None:
        assert not compatible("int", int)
        assert not compatible(type(None), int)
        assert compatible(type(None), Optional[int])



UserId = NewType("UserId", int)
AdminId = NewType("AdminId", UserId)


class HasName(Protocol):
    name: str

    def greet(self) -> str: ...


class Named:
    name = "n"

    def greet(self) -> str:
        return self.name


class NamedByAnnotation:
    name: str

    def greet(self) -> str:
        return "hi"


class Nameless:
    def greet(self) -> str:
        return "hi"


class ExplicitNamed(HasName):
    pass


class TestCompatibleBeyondSpec:
    """Where the spec's rule answers wrongly for common annotations, it is extended."""

    def test_literal_to_its_value_type(self) -> None:
        assert compatible(Literal["a", "b"], str)
        assert compatible(Literal[1], int)
        assert compatible(Literal[True], int)
        assert not compatible(Literal["a", 1], str)
        assert not compatible(Literal["a"], int)

    def test_literal_to_literal_is_subset(self) -> None:
        assert compatible(Literal["a"], Literal["a", "b"])
        assert compatible(Literal["a", "b"], Literal["b", "a", "c"])
        assert not compatible(Literal["a", "z"], Literal["a", "b"])
        # 1 == True, but Literal[1] is not Literal[True].
        assert not compatible(Literal[1], Literal[True])

    def test_literal_through_unions(self) -> None:
        assert compatible(Literal["a", "b"], Union[Literal["a"], Literal["b"]])
        assert compatible(Literal["a"], Optional[str])
        assert compatible(Optional[Literal["a"]], Optional[str])
        assert not compatible(Literal["a", "b"], Union[Literal["a"], int])

    def test_class_to_literal(self) -> None:
        assert compatible(bool, Literal[True, False])
        assert not compatible(bool, Literal[True])
        assert not compatible(str, Literal["a"])

    def test_newtype(self) -> None:
        assert compatible(UserId, int)
        assert compatible(UserId, UserId)
        assert compatible(AdminId, int)
        assert compatible(AdminId, UserId)
        assert not compatible(int, UserId)
        assert not compatible(UserId, str)

    def test_variadic_tuple(self) -> None:
        assert compatible(tuple[int, int], tuple[int, ...])
        assert compatible(tuple[bool, ...], tuple[int, ...])
        assert not compatible(tuple[int, str], tuple[int, ...])
        assert not compatible(tuple[int, ...], tuple[int, int])
        assert not compatible(tuple[str, ...], tuple[int, ...])

    def test_structural_protocol(self) -> None:
        assert compatible(Named, HasName)
        assert compatible(NamedByAnnotation, HasName)
        assert compatible(ExplicitNamed, HasName)
        assert not compatible(Nameless, HasName)
        assert compatible(int, SupportsInt)
        assert not compatible(str, SupportsInt)

    def test_none_and_nonetype_are_the_same(self) -> None:
        assert compatible(None, type(None))
        assert compatible(None, Optional[int])


class TestTypeHelpers:
    def test_without_none(self) -> None:
        assert without_none(Optional[str]) is str
        assert without_none(str | None) is str
        assert without_none(str) is str
        assert without_none(Union[int, str, None]) == Union[int, str]
        assert without_none(None) is None
        assert without_none(type(None)) is None

    def test_yielded_type(self) -> None:
        assert yielded_type(Iterator[int]) is int
        assert yielded_type(Generator[str, None, None]) is str
        assert yielded_type(AsyncIterator[bytes]) is bytes
        assert yielded_type(list[int]) is None
        assert yielded_type(int) is None

    def test_has_typevar(self) -> None:
        assert has_typevar(T)
        assert has_typevar(list[dict[str, T]])  # type: ignore[valid-type]
        assert not has_typevar(list[dict[str, int]])
        assert not has_typevar(Literal["T"])

    def test_is_unchecked(self) -> None:
        assert is_unchecked(None) and is_unchecked(Any) and is_unchecked(object)
        assert is_unchecked(T)
        assert not is_unchecked(Num) and not is_unchecked(Bounded)
        assert not is_unchecked(int) and not is_unchecked(Optional[int])

    def test_type_name_is_readable(self) -> None:
        assert type_name(int) == "int"
        assert type_name(dict[str, list[Dog]]) == "dict[str, list[Dog]]"
        assert type_name(Optional[int]) == "int | None"
        assert type_name(Literal["a", 1]) == "Literal['a', 1]"
        assert type_name(Annotated[int, "meta"]) == "int"
        assert type_name(tuple[int, ...]) == "tuple[int, ...]"
        assert type_name(Any) == "Any"
        assert type_name(UserId) == "UserId"
        assert type_name(Box[int]) == "Box[int]"


# ---------------------------------------------------------------------------
# strict_types with postponed annotations (this module uses `from __future__`,
# so every annotation below is a string resolved by get_type_hints)


class Document:
    pass


class Report(Document):
    pass


class Memo(Document):
    pass


@node(output_name="report")
def build_report(pages: int) -> Report:
    return Report()


@node(output_name="summary")
def summarize(report: Report) -> str:
    return "ok"


@node(output_name="summary")
def summarize_wrong(report: Memo) -> str:
    return "ok"


@node(output_name="summary")
def summarize_base(report: Document) -> str:
    return "ok"


@node(output_name="counts")
def count_words(report: Report) -> dict[str, int]:
    return {}


@node(output_name="total")
def total(counts: dict[str, int]) -> int:
    return 0


@node(output_name="total")
def total_wrong(counts: dict[str, str]) -> int:
    return 0


@node(output_name="summary")
def summarize_undefined(report: NotDefinedAnywhere) -> str:  # type: ignore[name-defined]  # noqa: F821
    return "ok"


# Nodes whose annotations name a class defined *after* them in the module.
@node(output_name="later")
def make_later(pages: int) -> Later:
    return Later()


@node(output_name="summary")
def use_later(later: Later) -> str:
    return "ok"


@node(output_name="summary")
def use_later_wrong(later: Report) -> str:
    return "ok"


class Later:
    pass


class TestStrictPostponedAnnotations:
    def test_string_annotations_resolve(self) -> None:
        g = Graph([build_report, summarize], strict_types=True)
        assert g.strict_types

    def test_subclass(self) -> None:
        assert Graph([build_report, summarize_base], strict_types=True).strict_types

    def test_mismatch_names_both_types(self) -> None:
        with pytest.raises(GraphConfigError, match="Type mismatch between nodes") as exc:
            Graph([build_report, summarize_wrong], strict_types=True)
        msg = str(exc.value)
        assert "Report" in msg and "Memo" in msg
        assert "'build_report'" in msg and "'summarize_wrong'" in msg

    def test_string_generic_annotations(self) -> None:
        assert Graph([build_report, count_words, total], strict_types=True).strict_types
        with pytest.raises(GraphConfigError, match=r"dict\[str, int\].*dict\[str, str\]"):
            Graph([build_report, count_words, total_wrong], strict_types=True)

    def test_unresolvable_annotation_counts_as_missing(self) -> None:
        with pytest.raises(GraphConfigError, match="Missing type annotation") as exc:
            Graph([build_report, summarize_undefined], strict_types=True)
        msg = str(exc.value)
        assert "'summarize_undefined'" in msg
        # The node, the parameter and the name that could not be resolved.
        assert "parameter 'report'" in msg
        assert "'NotDefinedAnywhere'" in msg and "not defined" in msg

    def test_unresolvable_annotation_is_fine_without_strict(self) -> None:
        assert Graph([build_report, summarize_undefined]).strict_types is False

    def test_locally_defined_class_is_unresolvable(self) -> None:
        """A class local to a function cannot be resolved from a string annotation."""

        class Local:
            pass

        @node(output_name="report")
        def make_local(pages: int) -> Local:
            return Local()

        with pytest.raises(GraphConfigError, match="Missing type annotation"):
            Graph([make_local, summarize], strict_types=True)

    def test_forward_reference_to_later_class(self) -> None:
        assert Graph([make_later, use_later], strict_types=True).strict_types

    def test_forward_reference_mismatch(self) -> None:
        with pytest.raises(GraphConfigError, match="Type mismatch between nodes"):
            Graph([make_later, use_later_wrong], strict_types=True)
