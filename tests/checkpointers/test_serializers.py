"""Serializers: every saved value loads back the same, or the save is refused.

Hypothesis checks the promise over nested values of every supported kind (the example
budget is fixed in tests/conftest.py); named cases pin the collisions the old codec got
wrong, deep nesting against the caller's stack, foreign bytes, and signed pickles.
"""

from __future__ import annotations

import json
import pickle
import threading
from typing import Any

import pytest
from hypothesis import given

from hypergraph_typed._sentinels import _EMIT_SENTINEL, END
from hypergraph_typed.checkpointers import JsonSerializer, PickleSerializer, Serializer
from hypergraph_typed.checkpointers.serializers import (
    MAX_DEPTH,
    UndecodableValueError,
    UnsupportedValueError,
)
from serializer_values import (
    BIG,
    Colour,
    Name,
    Point,
    anything,
    nested,
    same,
    supported,
    values,
    with_frames_left,
)

JSON = JsonSerializer()
KEY = b"s" * 32


def round_trip(value: Any, serializer: Serializer = JSON) -> Any:
    return serializer.deserialize(serializer.serialize(value))


# -- the promise, as properties ----------------------------------------------------------
@given(values)
def test_every_supported_value_loads_back_the_same(value: Any) -> None:
    data = JSON.serialize(value)
    assert isinstance(data, bytes)
    data.decode("utf-8")  # always valid UTF-8 text, even with lone surrogates inside
    assert same(JSON.deserialize(data), value)


@given(anything)
def test_any_value_loads_back_the_same_or_is_refused(value: Any) -> None:
    try:
        data = JSON.serialize(value)
    except UnsupportedValueError:
        assert not supported(value)
        return
    assert supported(value)
    assert same(JSON.deserialize(data), value)


@given(values)
def test_pickle_round_trips_every_value_too(value: Any) -> None:
    out = round_trip(value, PickleSerializer(allow_pickle=True, key=KEY))
    assert same(out, value)


# -- the cases the old codec changed silently ----------------------------------------------
@pytest.mark.parametrize("value", [
    {1: "int", "1": "str"},
    {True: "bool", "true": "str", 1.5: "float", None: "none", "null": "str"},
    {(1, "a"): "tuple key", b"k": "bytes key"},
    {"$hypergraph": "emit"},
    {"$hypergraph": "tuple", "items": [1, 2]},
    {"$hypergraph": "dict", "items": [[1, 2]]},
    {"x": {"$hypergraph": "bytes", "base64": ""}},
    (1, (2, [3, (4,)])),
    [(), {}, [], ""],
    b"\x00\xff binary",
    "lone \ud800 surrogate",
    {"\udfff": "surrogate key"},
    [float("inf"), float("-inf"), -0.0, 1e308, 5e-324],
    [BIG, -BIG, 2**63, -(2**63) - 1],
], ids=["int-and-str-keys", "bool-none-float-keys", "tuple-bytes-keys", "emit-marker",
        "tuple-marker", "dict-marker", "bytes-marker", "tuples", "empties", "bytes",
        "surrogate", "surrogate-key", "floats", "big-ints"])
def test_values_the_old_codec_changed_come_back_exactly(value: Any) -> None:
    assert same(round_trip(value), value)


def test_nan_comes_back_as_nan() -> None:
    out = round_trip([float("nan")])
    assert same(out, [float("nan")])


def test_emit_signals_are_kept_and_end_is_stored_as_text() -> None:
    out = round_trip({"turn_done": _EMIT_SENTINEL, "gate": END, "many": [END, "b"]})
    assert out["turn_done"] is _EMIT_SENTINEL
    # END is the documented exception: it is stored as "END" (the API's form)
    assert out["gate"] == "END" and out["many"] == ["END", "b"]


def test_plain_json_data_is_written_as_plain_json() -> None:
    """Stores stay readable with any JSON tool, and rows of the previous format load."""
    value = {"messages": [{"role": "user", "content": "héllo"}], "n": 1, "ok": None}
    assert json.loads(JSON.serialize(value)) == value
    assert JSON.serialize(value).decode() == json.dumps(value, ensure_ascii=False,
                                                        separators=(",", ":"))
    old = b'{"a":[1,2],"turn_done":{"$hypergraph":"emit"}}'
    assert JSON.deserialize(old) == {"a": [1, 2], "turn_done": _EMIT_SENTINEL}


# -- what is refused, and how the error reads ------------------------------------------------
@pytest.mark.parametrize(("value", "message"), [
    ({1, 2}, r"type set cannot be stored as JSON.*lossy=True.*PickleSerializer"),
    (Colour.RED, r"type serializer_values.Colour cannot be stored as JSON"),
    (Name.ADA, r"Name is a str subclass and would load back as a plain str"),
    (Point(1, 2), r"Point is a tuple subclass.*return tuple\(value\)"),
    ({frozenset(): 1}, r"dict key of type frozenset.*keys may be str, int"),
    (1 << 20_000, r"int of 20001 bits is too long"),
    (threading.Lock(), r"type _thread.lock cannot be stored"),
], ids=["set", "enum", "str-enum", "namedtuple", "frozenset-key", "huge-int", "lock"])
def test_refusals_say_what_and_how_to_fix(value: Any, message: str) -> None:
    with pytest.raises(UnsupportedValueError, match=message):
        JSON.serialize(value)


def test_a_refusal_names_where_inside_the_value() -> None:
    with pytest.raises(UnsupportedValueError) as info:
        JSON.serialize({"rows": [1, 2, {"tags": {"a"}}]})
    assert info.value.path == "['rows'][2]['tags']"
    assert str(info.value).endswith("(at value['rows'][2]['tags'])")
    assert isinstance(info.value, TypeError)  # what stores and callers already catch


def test_lossy_stores_what_cannot_round_trip_in_its_nearest_form() -> None:
    lossy = JsonSerializer(lossy=True)
    lock = threading.Lock()
    out = lossy.deserialize(lossy.serialize(
        {"lock": lock, "set": {1}, "point": Point(1, 2), "name": Name.ADA, Name.ADA: 1}))
    assert out == {"lock": str(lock), "set": "{1}", "point": (1, 2), "name": "ada", "ada": 1}
    assert type(out["name"]) is str and lossy.lossy is True
    with pytest.raises(UnsupportedValueError, match="nested more than"):
        lossy.serialize(nested(MAX_DEPTH + 1))  # lossy or not, it could not be loaded


# -- deep nesting: loadable from any caller stack, or refused --------------------------------
SHAPES = {
    "lists": lambda v: [v],
    "tuples": lambda v: (v,),
    "int-key dicts": lambda v: {1: v},
    "marker dicts": lambda v: {"$hypergraph": v},
}


@pytest.mark.parametrize("shape", SHAPES)
def test_the_deepest_value_saved_loads_even_from_a_nearly_full_stack(shape: str) -> None:
    value = nested(MAX_DEPTH, wrap=SHAPES[shape])
    data = JSON.serialize(value)
    for frames in (400, 120, 40):
        assert same(with_frames_left(frames, lambda: JSON.deserialize(data)), value)


def test_json_alone_fails_on_that_stack() -> None:
    """The counterpart: the plain decoder runs out of stack where the serializer does not."""
    data = JSON.serialize(nested(MAX_DEPTH))
    with pytest.raises(RecursionError):
        with_frames_left(40, lambda: json.loads(data))


def test_saving_from_a_nearly_full_stack_works_too() -> None:
    value = nested(MAX_DEPTH, wrap=SHAPES["int-key dicts"])
    data = with_frames_left(40, lambda: JSON.serialize(value))
    assert same(JSON.deserialize(data), value)


@pytest.mark.parametrize("shape", SHAPES)
def test_one_level_deeper_is_refused_when_saved(shape: str) -> None:
    with pytest.raises(UnsupportedValueError, match=rf"nested more than {MAX_DEPTH} containers"):
        JSON.serialize(nested(MAX_DEPTH + 1, wrap=SHAPES[shape]))


def test_deep_tuple_keys_are_bounded_too() -> None:
    JSON.serialize({nested(MAX_DEPTH - 1, wrap=lambda v: (v,)): 1})
    with pytest.raises(UnsupportedValueError, match="nested more than"):
        JSON.serialize({nested(MAX_DEPTH, wrap=lambda v: (v,)): 1})


def test_a_value_that_contains_itself_is_refused() -> None:
    loop: list[Any] = []
    loop.append(loop)
    with pytest.raises(UnsupportedValueError, match=r"or contains itself"):
        JSON.serialize({"x": loop})


def test_deep_pickles_load_from_a_nearly_full_stack() -> None:
    s = PickleSerializer(allow_pickle=True, key=KEY)
    value = nested(MAX_DEPTH * 3)
    data = s.serialize(value)
    assert with_frames_left(40, lambda: s.deserialize(data)) == value


# -- bytes the serializer did not write --------------------------------------------------------
@pytest.mark.parametrize(("data", "message"), [
    (b"\xff\xfe", "not UTF-8 text"),
    (b"{", "not valid JSON"),
    (b'{"$hypergraph":"nope"}', "tagged '\\$hypergraph' that JsonSerializer does not write"),
    (b'{"$hypergraph":"emit","x":1}', "does not write"),
    (b'{"$hypergraph":"dict","items":[[[1],2]]}', "damaged 'dict' value"),
    (b'{"$hypergraph":"dict","items":[[1]]}', "damaged 'dict' value"),
    (b'{"$hypergraph":"bytes","base64":"%%%"}', "damaged 'bytes' value"),
    (b'{"$hypergraph":"tuple","items":3}', "does not write"),
])
def test_foreign_bytes_are_a_clear_error(data: bytes, message: str) -> None:
    with pytest.raises(UndecodableValueError, match=message):
        JSON.deserialize(data)


# -- PickleSerializer: consent, a key, and signed payloads -------------------------------------
RAN: list[str] = []


def _mark(tag: str) -> None:
    RAN.append(tag)


class Payload:
    """Unpickling this runs code: exactly what a forged payload would try."""

    def __reduce__(self) -> tuple[Any, tuple[str]]:
        return (_mark, ("ran",))


def test_pickle_needs_consent_and_a_key() -> None:
    with pytest.raises(ValueError, match="allow_pickle=True"):
        PickleSerializer()
    with pytest.raises(ValueError, match=r"needs key=.*token_bytes\(32\)"):
        PickleSerializer(allow_pickle=True)
    with pytest.raises(ValueError, match="at least 32 random bytes, got 3"):
        PickleSerializer(allow_pickle=True, key=b"abc")
    s = PickleSerializer(allow_pickle=True, key=KEY)
    assert isinstance(s, Serializer) and "ss" not in repr(s)  # the key is never shown


def test_pickle_round_trips_exactly() -> None:
    s = PickleSerializer(allow_pickle=True, key=KEY)
    data = {"t": (1, 2), "s": {3}, "end": END, "p": Point(1, 2)}
    out = round_trip(data, s)
    assert out == data and out["end"] is END and type(out["p"]) is Point


def test_an_unsigned_or_forged_pickle_is_never_loaded() -> None:
    s = PickleSerializer(allow_pickle=True, key=KEY)
    RAN.clear()
    evil = pickle.dumps(Payload())
    signed_elsewhere = PickleSerializer(allow_pickle=True, key=b"x" * 32).serialize(Payload())
    genuine = s.serialize([1])
    tampered = genuine[:-3] + b"\x00" + genuine[-2:]
    for data, message in [
        (evil, "not a signed PickleSerializer payload"),
        (s.MAGIC + b"\0" * 32 + evil, "signature .* does not match"),
        (signed_elsewhere, "signature .* does not match"),
        (tampered, "signature .* does not match"),
        (s.MAGIC, "signature .* does not match"),
    ]:
        with pytest.raises(UndecodableValueError, match=message):
            s.deserialize(data)
    assert RAN == []


def test_a_payload_signed_with_the_key_does_run() -> None:
    """The counterpart: the signature is what stands between the bytes and pickle."""
    s = PickleSerializer(allow_pickle=True, key=KEY)
    RAN.clear()
    s.deserialize(s.serialize(Payload()))
    assert RAN == ["ran"]


def test_serializer_is_abstract() -> None:
    with pytest.raises(TypeError):
        Serializer()  # type: ignore[abstract]
