"""Serializers turn persisted values into bytes and back."""

from __future__ import annotations

import abc
import json
import pickle
from typing import Any

from hypergraph_typed._sentinels import _EMIT_SENTINEL, END

# How JsonSerializer writes an emit (ordering-only) signal; read back as the sentinel.
EMIT_TAG: dict[str, str] = {"$hypergraph": "emit"}


class Serializer(abc.ABC):
    """Turns a value into bytes and back."""

    @abc.abstractmethod
    def serialize(self, value: Any) -> bytes: ...

    @abc.abstractmethod
    def deserialize(self, data: bytes) -> Any: ...


class JsonSerializer(Serializer):
    """JSON, UTF-8. Values come back in JSON form: tuples become lists, keys become strings.

    ``END`` is written as ``"END"``. A value JSON cannot encode raises ``TypeError``,
    unless ``lossy=True``, which writes ``str(value)`` instead.
    """

    def __init__(self, *, lossy: bool = False) -> None:
        self.lossy = lossy
        default = self._lossy_default if lossy else self._strict_default
        self._encoder = json.JSONEncoder(
            ensure_ascii=False, separators=(",", ":"), default=default
        )
        self._decode = json.JSONDecoder().decode

    @staticmethod
    def _strict_default(o: Any) -> Any:
        if o is END:
            return "END"
        if o is _EMIT_SENTINEL:
            return EMIT_TAG
        raise TypeError(f"Object of type {type(o).__name__} is not JSON serializable")

    @staticmethod
    def _lossy_default(o: Any) -> Any:
        if o is END:
            return "END"
        if o is _EMIT_SENTINEL:
            return EMIT_TAG
        return str(o)

    def serialize(self, value: Any) -> bytes:
        return self._encoder.encode(value).encode()

    def deserialize(self, data: bytes) -> Any:
        if type(data) is bytes:
            text = data.decode()
        elif isinstance(data, str):
            text = data
        else:
            text = bytes(data).decode()
        value = self._decode(text)
        if type(value) is dict:
            for k, v in value.items():
                if type(v) is dict and v == EMIT_TAG:
                    value[k] = _EMIT_SENTINEL
        return value

    def __repr__(self) -> str:
        return f"JsonSerializer(lossy={self.lossy})"


class PickleSerializer(Serializer):
    """Pickle: any picklable value round-trips exactly.

    Unpickling runs code named by the data, so read only stores you trust; the
    constructor makes you say so with ``allow_pickle=True``.
    """

    def __init__(self, *, allow_pickle: bool = False) -> None:
        if not allow_pickle:
            raise ValueError(
                "PickleSerializer can execute code while loading a checkpoint; pass "
                "allow_pickle=True if every process that writes the store is trusted, "
                "or use JsonSerializer()"
            )
        self.allow_pickle = allow_pickle

    def serialize(self, value: Any) -> bytes:
        return pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)

    def deserialize(self, data: bytes) -> Any:
        return pickle.loads(data)

    def __repr__(self) -> str:
        return "PickleSerializer(allow_pickle=True)"
