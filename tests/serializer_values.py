"""Values for the serializer tests: Hypothesis strategies, a strict equality, a deep stack.

``supported`` and ``values`` describe what ``JsonSerializer`` promises to give back
unchanged; ``anything`` adds what it must refuse. ``same`` is equality that also checks
types, float signs and NaN, and dict order.
"""

from __future__ import annotations

import collections
import enum
import inspect
import math
import sys
from collections.abc import Callable
from decimal import Decimal
from typing import Any, NamedTuple, TypeVar

from hypothesis import strategies as st

from hypergraph_typed._sentinels import _EMIT_SENTINEL
from hypergraph_typed.checkpointers.serializers import MAX_DEPTH, MAX_INT_BITS, TAG

T = TypeVar("T")
BIG = (1 << MAX_INT_BITS) - 1


class Colour(enum.Enum):
    RED = 1


class Level(enum.IntEnum):
    LOW = 1


class Name(str, enum.Enum):
    ADA = "ada"


class Point(NamedTuple):
    x: int
    y: int


# -- what round-trips ----------------------------------------------------------------------
text = st.text(alphabet=st.characters(exclude_categories=()), max_size=8)  # incl. surrogates
tricky_text = st.sampled_from([TAG, "items", "base64", "emit", "tuple", "dict", "1", "true",
                               "null", "NaN", "END", "", "\x00", "\x1b[31m"])
scalars = (
    st.none() | st.booleans() | st.integers() | st.integers(-BIG, BIG)
    | st.floats(allow_nan=True, allow_infinity=True) | text | tricky_text | st.binary(max_size=8)
)
key_scalars = (st.none() | st.booleans() | st.integers() | st.floats() | text | tricky_text
               | st.binary(max_size=4))
keys = st.recursive(key_scalars, lambda k: st.lists(k, max_size=3).map(tuple), max_leaves=4)
# dicts that look like the serializer's own tagged objects, or like old markers
marker_like = st.sampled_from([TAG, "items", "base64"])


def _containers(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return (
        st.lists(children, max_size=4)
        | st.lists(children, max_size=4).map(tuple)
        | st.dictionaries(text | tricky_text, children, max_size=4)
        | st.dictionaries(keys, children, max_size=4)
        | st.dictionaries(marker_like, children | tricky_text, max_size=3)
    )


values = st.recursive(scalars | st.just(_EMIT_SENTINEL), _containers, max_leaves=25)


# -- what must be refused --------------------------------------------------------------------
unsupported_leaves = st.sampled_from([
    {1, 2}, frozenset({3}), collections.OrderedDict(a=1), collections.defaultdict(int),
    Colour.RED, Level.LOW, Name.ADA, Point(1, 2), Decimal("1.5"), object(), 1j, bytearray(b"x"),
    1 << (MAX_INT_BITS + 1),
])
bad_keys = st.sampled_from([frozenset({1}), Level.LOW, Name.ADA, Point(1, 2)])
anything = st.recursive(
    scalars | unsupported_leaves,
    lambda c: _containers(c) | st.dictionaries(bad_keys, c, min_size=1, max_size=2),
    max_leaves=20,
)


def supported(value: Any, depth: int = 0) -> bool:
    """The test's own statement of what JsonSerializer saves (independent of its code)."""
    t = type(value)
    if t in (type(None), bool, float, str, bytes) or value is _EMIT_SENTINEL:
        return True
    if t is int:
        return value.bit_length() <= MAX_INT_BITS
    if t not in (list, tuple, dict) or depth >= MAX_DEPTH:
        return False
    if t is dict:
        return all(_key_ok(k, depth + 1) and supported(v, depth + 1) for k, v in value.items())
    return all(supported(v, depth + 1) for v in value)


def _key_ok(key: Any, depth: int) -> bool:
    if type(key) is tuple:
        return depth < MAX_DEPTH and all(_key_ok(k, depth + 1) for k in key)
    return type(key) in (type(None), bool, float, str, bytes) or (
        type(key) is int and key.bit_length() <= MAX_INT_BITS)


def same(a: Any, b: Any) -> bool:
    """Equal with the same types all the way down (NaN equals NaN, 0.0 is not -0.0)."""
    if type(a) is not type(b):
        return False
    if type(a) is float:
        if math.isnan(a):
            return math.isnan(b)
        return a == b and math.copysign(1.0, a) == math.copysign(1.0, b)
    if type(a) in (list, tuple):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if type(a) is dict:
        return len(a) == len(b) and all(
            same(ka, kb) and same(va, vb)
            for (ka, va), (kb, vb) in zip(a.items(), b.items())
        )
    return bool(a is b or a == b)


def nested(depth: int, leaf: Any = 1, wrap: Callable[[Any], Any] = lambda v: [v]) -> Any:
    """``leaf`` inside ``depth`` containers."""
    value = leaf
    for _ in range(depth):
        value = wrap(value)
    return value


def with_frames_left(frames: int, fn: Callable[[], T]) -> T:
    """Call ``fn`` from so deep a stack that only about ``frames`` frames remain."""
    used = len(inspect.stack(0))

    def dive(n: int) -> T:
        return fn() if n <= 0 else dive(n - 1)

    return dive(sys.getrecursionlimit() - used - frames)
