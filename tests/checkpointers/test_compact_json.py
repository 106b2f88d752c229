"""The stores' prebuilt JSON encoders and decoder give what the json module gives."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hypergraph_typed.checkpointers._json import compact_decoder, compact_encoder
from hypergraph_typed.checkpointers.serializers import (
    MAX_INT_BITS,
    TAG,
    JsonSerializer,
    UnsupportedValueError,
)

text = st.text(alphabet=st.characters(exclude_categories=()), max_size=8)  # incl. surrogates
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(text, inner, max_size=4),
    max_leaves=12,
)


@pytest.mark.parametrize("ensure_ascii", [True, False])
@given(value=json_values)
def test_the_encoder_writes_what_json_writes(ensure_ascii: bool, value: Any) -> None:
    expected = json.JSONEncoder(
        ensure_ascii=ensure_ascii, separators=(",", ":"), check_circular=False
    ).encode(value)
    assert compact_encoder(ensure_ascii=ensure_ascii)(value) == expected


def test_the_encoder_refuses_what_json_refuses() -> None:
    with pytest.raises(TypeError, match="not JSON serializable"):
        compact_encoder(ensure_ascii=True)({"a": {1, 2}})


@given(value=json_values, pad=st.sampled_from(["", " ", "\n", " \t"]))
def test_the_decoder_reads_what_json_reads(value: Any, pad: str) -> None:
    written = json.dumps(value)
    for doc in (written, pad + written, written + pad):
        assert json.dumps(compact_decoder()(doc)) == json.dumps(json.loads(doc))


@pytest.mark.parametrize("doc", ["", "{", "[1] x", "nan", "{\"a\":1}}", "'a'"])
def test_the_decoder_refuses_what_json_refuses_with_its_message(doc: str) -> None:
    with pytest.raises(json.JSONDecodeError) as ours:
        compact_decoder()(doc)
    with pytest.raises(json.JSONDecodeError) as theirs:
        json.loads(doc)
    assert str(ours.value) == str(theirs.value)


def test_the_decoder_applies_its_object_hook() -> None:
    decode = compact_decoder(object_hook=lambda d: sorted(d))
    assert decode('{"b":1,"a":{"c":2}}') == ["a", "b"]


# -- JsonSerializer writes flat dicts and scalars without its general walk -------------------
flat = st.dictionaries(
    text | st.sampled_from([TAG, "items"]),
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | text,
    max_size=5,
)


@given(value=flat | text | st.floats(allow_nan=True) | st.booleans() | st.none())
def test_flat_values_are_written_as_the_general_walk_writes_them(value: Any) -> None:
    ser = JsonSerializer()
    written = ser.serialize(value)
    assert written == ser._serialize(value)
    assert json.dumps(ser.deserialize(written)) == json.dumps(value)


def test_a_flat_dict_holding_a_too_long_int_is_refused() -> None:
    with pytest.raises(UnsupportedValueError, match="too long"):
        JsonSerializer().serialize({"n": 1 << (MAX_INT_BITS + 1)})


def test_a_flat_dict_using_the_reserved_key_is_tagged() -> None:
    ser = JsonSerializer()
    value = {TAG: "emit", "a": 1}
    assert ser.serialize(value).startswith(b'{"' + TAG.encode() + b'":"dict"')
    assert ser.deserialize(ser.serialize(value)) == value
