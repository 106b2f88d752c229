"""Compact JSON encoders, built once.

``JSONEncoder.encode`` builds a new C encoder on every call, which costs more than
encoding the small values a store writes (step outputs, input versions, pause keys).
These encoders are built once and produce the same text as ``JSONEncoder(separators=
(",", ":"), check_circular=False).encode``. Their callers pass data whose nesting is
bounded (the serializer checked it) or fixed (the stores' own metadata).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from json import encoder as _encoder
from typing import Any


def compact_encoder(*, ensure_ascii: bool) -> Callable[[Any], str]:
    """``value -> JSON text``; ``ensure_ascii`` escapes every non-ASCII character."""
    full = json.JSONEncoder(
        ensure_ascii=ensure_ascii, separators=(",", ":"), check_circular=False
    )
    make: Any = getattr(_encoder, "c_make_encoder", None)  # the C accelerator
    if make is None:  # pragma: no cover - CPython always has the C accelerator
        return full.encode
    text: Callable[[str], str] = (
        _encoder.encode_basestring_ascii if ensure_ascii else _encoder.encode_basestring
    )
    chunks = make(None, full.default, text, None, ":", ",", False, False, True)

    def encode(value: Any) -> str:
        if type(value) is str:
            return text(value)
        return "".join(chunks(value, 0))

    return encode


def compact_decoder(
    object_hook: Callable[[dict[str, Any]], Any] | None = None,
) -> Callable[[str], Any]:
    """``JSON text -> value``, as ``JSONDecoder(object_hook=...).decode`` but without its
    per-call wrapping for text that is one JSON value and nothing else (what the stores
    wrote); any other text goes through ``decode`` itself, errors included."""
    full = json.JSONDecoder(object_hook=object_hook)
    # the scanner JSONDecoder builds in __init__ (the stubs do not declare it)
    scan: Callable[[str, int], tuple[Any, int]] = full.scan_once  # type: ignore[attr-defined]

    def decode(text: str) -> Any:
        try:
            value, end = scan(text, 0)
        except StopIteration:
            return full.decode(text)  # leading whitespace, or not JSON: its error
        if end != len(text):
            return full.decode(text)  # trailing text: its rules
        return value

    return decode
