"""Serializers turn persisted values into bytes and back.

The contract a store relies on: ``deserialize(serialize(v))`` gives back ``v`` (same
types, same contents; ``END`` is the one documented exception, stored as ``"END"``) or ``serialize`` raises ``UnsupportedValueError`` (a
``TypeError``) and the store writes nothing; ``deserialize`` of bytes the serializer did
not write (or that were changed since) raises ``UndecodableValueError`` (a
``ValueError``). Neither knows the run, node or output: the store adds them.
"""

from __future__ import annotations

import abc
import base64
import binascii
import json
import pickle
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from hypergraph_typed._sentinels import _EMIT_SENTINEL, END
from hypergraph_typed._signing import MAC_BYTES, Signer, require_key
from hypergraph_typed.checkpointers._json import compact_decoder, compact_encoder

T = TypeVar("T")

TAG = "$hypergraph"
# How JsonSerializer writes an emit (ordering-only) signal; read back as the sentinel.
EMIT_TAG: dict[str, str] = {TAG: "emit"}
MAX_DEPTH = 100  # containers inside containers; deeper values are refused when saved
MAX_INT_BITS = 14_000  # about 4,200 digits: under Python's default int-to-text limit


class UnsupportedValueError(TypeError):
    """A value the serializer cannot save so that it loads back equal; nothing is written.

    ``path`` locates the offending part inside the value, e.g. ``[2]['rows']``.
    """

    def __init__(self, problem: str, path: str = "") -> None:
        self.problem = problem
        self.path = path
        super().__init__(problem)

    def inside(self, step: str) -> UnsupportedValueError:
        """The same error one container further out (``step`` is ``[0]`` or ``['k']``)."""
        return UnsupportedValueError(self.problem, step + self.path)

    def __str__(self) -> str:
        where = self.path if len(self.path) <= 80 else self.path[:79] + "…"
        return f"{self.problem} (at value{where})" if self.path else self.problem


class UndecodableValueError(ValueError):
    """Stored bytes this serializer did not write, or that were changed since."""


class Serializer(abc.ABC):
    """Turns a value into bytes and back; see the module docstring for the contract."""

    @abc.abstractmethod
    def serialize(self, value: Any) -> bytes:
        """The bytes to store; ``UnsupportedValueError`` for a value that would come back different."""

    @abc.abstractmethod
    def deserialize(self, data: bytes) -> Any:
        """The value ``serialize`` was given; ``UndecodableValueError`` for foreign bytes."""


def _on_fresh_stack(fn: Callable[[Any], T], arg: Any) -> T:
    """``fn(arg)``, retried on a new thread's empty stack if the caller's is nearly full.

    Encoding and decoding nested JSON recurse once per level. Rerunning on a fresh stack
    makes the outcome depend on the value alone (bounded by ``MAX_DEPTH``), not on how
    deep the caller happened to be.
    """
    try:
        return fn(arg)
    except RecursionError:
        pass
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="hypergraph-serializer") as pool:
        return pool.submit(fn, arg).result()


_SCALARS = frozenset({str, int, float, bool, type(None)})
_KEY_SCALARS = frozenset({str, int, float, bool, type(None)})
_FLAT = frozenset({str, float, bool, type(None)})  # scalars that need no check


def _flat(d: dict[Any, Any]) -> bool:
    """A dict of str keys (not the tag) and scalars: plain JSON, written as it is."""
    if TAG in d:
        return False
    for k, v in d.items():
        t = type(v)
        if type(k) is not str or (
            t not in _FLAT and (t is not int or v.bit_length() > MAX_INT_BITS)
        ):
            return False
    return True


class JsonSerializer(Serializer):
    """JSON (UTF-8) in which every saved value loads back equal, with the same types.

    Plain JSON data (``None``, ``bool``, ``int``, ``float`` including NaN and infinities,
    ``str``, ``list``, ``dict`` with ``str`` keys) is written as itself. Tuples, bytes,
    dicts with other keys (``int``, ``bool``, ``None``, ``float``, ``bytes``, tuples of
    these) and dicts that use the reserved key ``"$hypergraph"`` are written as tagged
    objects, so ``{1: "a", "1": "b"}``, ``{True: 1}`` and ``{"$hypergraph": "emit"}`` come
    back exactly. Anything else is refused with ``UnsupportedValueError``: other types,
    subclasses (``OrderedDict``, enums, namedtuples, which would come back as their base
    type), ints over about 4,200 digits, and values nested more than ``MAX_DEPTH`` deep.
    One documented exception: ``END`` is stored as the string ``"END"``.

    ``lossy=True`` stores what cannot round-trip anyway: a subclass as its base type and
    any other object as ``str(value)``.
    """

    def __init__(self, *, lossy: bool = False) -> None:
        self.lossy = lossy
        self._encode_text = compact_encoder(ensure_ascii=False)
        self._encode_ascii = compact_encoder(ensure_ascii=True)
        self._decode_text = compact_decoder(object_hook=_untag)

    # --- save ---------------------------------------------------------------------------

    def serialize(self, value: Any) -> bytes:
        """``value`` as UTF-8 JSON, tagged so that it loads back with the same types."""
        t = type(value)
        if t in _FLAT or (t is dict and _flat(value)):
            return self._utf8(value)  # plain JSON as it is: nothing to tag or check
        return _on_fresh_stack(self._serialize, value)

    def _serialize(self, value: Any) -> bytes:
        return self._utf8(self._plain(value, 0))

    def _utf8(self, data: Any) -> bytes:
        text = self._encode_text(data)
        try:
            return text.encode()
        except UnicodeEncodeError:  # a lone surrogate: JSON's \ud800 escapes keep it
            return self._encode_ascii(data).encode()

    def _plain(self, value: Any, depth: int) -> Any:
        """``value`` as JSON-ready data, tagging what plain JSON would change."""
        t = type(value)
        if t in _SCALARS:
            if t is int and value.bit_length() > MAX_INT_BITS:
                raise UnsupportedValueError(
                    f"an int of {value.bit_length()} bits is too long to store as JSON "
                    f"text (at most {MAX_INT_BITS} bits); store it as a str, or use "
                    "PickleSerializer"
                )
            return value
        if depth >= MAX_DEPTH:
            raise UnsupportedValueError(
                f"the value is nested more than {MAX_DEPTH} containers deep (or contains "
                "itself); it could not be loaded back reliably. Flatten it, or store it as "
                "a str"
            )
        if t is list:
            return self._items(value, depth)
        if t is dict:
            return self._dict(value, depth)
        if t is tuple:
            return {TAG: "tuple", "items": self._items(value, depth)}
        if t is bytes:
            return {TAG: "bytes", "base64": base64.b64encode(value).decode("ascii")}
        if value is _EMIT_SENTINEL:
            return EMIT_TAG
        if value is END:
            return "END"  # the API's documented form; gate decisions read it back as END
        if self.lossy:
            return self._lossy(value, depth)
        raise UnsupportedValueError(_unsupported(value))

    def _items(self, items: Any, depth: int) -> list[Any]:
        out = []
        plain = self._plain
        for i, item in enumerate(items):
            t = type(item)
            if t in _SCALARS and (t is not int or item.bit_length() <= MAX_INT_BITS):
                out.append(item)
                continue
            try:
                out.append(plain(item, depth + 1))
            except UnsupportedValueError as exc:
                raise exc.inside(f"[{i}]") from None
        return out

    def _dict(self, d: dict[Any, Any], depth: int) -> Any:
        plain = self._plain
        if TAG not in d and all(type(k) is str for k in d):
            out = {}
            for k, v in d.items():
                try:
                    out[k] = plain(v, depth + 1)
                except UnsupportedValueError as exc:
                    raise exc.inside(f"[{k!r}]") from None
            return out
        pairs = []
        for k, v in d.items():
            try:
                pairs.append([self._key(k, depth + 1), plain(v, depth + 1)])
            except UnsupportedValueError as exc:
                raise exc.inside(f"[{k!r}]") from None
        return {TAG: "dict", "items": pairs}

    def _key(self, key: Any, depth: int) -> Any:
        t = type(key)
        if t in _KEY_SCALARS or t is bytes:
            return self._plain(key, depth)
        if t is tuple:
            if depth >= MAX_DEPTH:
                return self._plain(key, depth)  # raises the depth error
            return {TAG: "tuple", "items": [self._key(k, depth + 1) for k in key]}
        if self.lossy and isinstance(key, (str, int, float, bytes, tuple)):
            return self._key(_base_form(key), depth)
        raise UnsupportedValueError(
            f"a dict key of type {t.__name__} cannot be stored as JSON; keys may be str, "
            "int, float, bool, None, bytes, or tuples of these"
        )

    def _lossy(self, value: Any, depth: int) -> Any:
        return self._plain(_base_form(value), depth)

    # --- load ---------------------------------------------------------------------------

    def deserialize(self, data: bytes) -> Any:
        """The value back from bytes this serializer wrote; ``UndecodableValueError`` otherwise."""
        return _on_fresh_stack(self._deserialize, data)

    def _deserialize(self, data: bytes | bytearray | memoryview | str) -> Any:
        try:
            text = data if isinstance(data, str) else bytes(data).decode()
            return self._decode_text(text)
        except UnicodeDecodeError as exc:
            raise UndecodableValueError(
                f"the stored bytes are not UTF-8 text, so not JsonSerializer data ({exc})"
            ) from exc
        except json.JSONDecodeError as exc:
            raise UndecodableValueError(f"the stored bytes are not valid JSON ({exc})") from exc

    def __repr__(self) -> str:
        return f"JsonSerializer(lossy={self.lossy})"


def _base_form(value: Any) -> Any:
    """What ``lossy=True`` stores: a subclass as its base type, anything else as ``str()``."""
    if isinstance(value, str):
        return str.__str__(value)  # the text itself, not an enum's "Color.RED"
    bases: tuple[type[Any], ...] = (dict, list, tuple, bytes, int, float)
    for base in bases:
        if isinstance(value, base):
            return base(value)
    return str(value)


def _unsupported(value: Any) -> str:
    t = type(value)
    for base, how in ((dict, "dict(value)"), (list, "list(value)"), (tuple, "tuple(value)"),
                      (str, "str(value)"), (int, "int(value)"), (float, "float(value)")):
        if isinstance(value, base):
            return (
                f"a value of type {t.__name__} is a {base.__name__} subclass and would load back as a "
                f"plain {base.__name__}; return {how} (or a plain-data form of it), or "
                "use JsonSerializer(lossy=True)"
            )
    name = t.__qualname__ if t.__module__ == "builtins" else f"{t.__module__}.{t.__qualname__}"
    return (
        f"a value of type {name} cannot be stored as JSON (JsonSerializer "
        "stores None, bool, int, float, str, bytes, list, tuple and dict); convert it to "
        "plain data, or use JsonSerializer(lossy=True) to store str(value), or "
        "PickleSerializer"
    )


def _untag(obj: dict[str, Any]) -> Any:
    """Decoder hook: a tagged object back to the value it stands for."""
    if TAG not in obj:
        return obj
    kind = obj[TAG]
    fields = len(obj)
    try:
        if kind == "emit" and fields == 1:
            return _EMIT_SENTINEL
        if fields == 2:
            if kind == "tuple" and type(obj.get("items")) is list:
                return tuple(obj["items"])
            if kind == "dict" and type(obj.get("items")) is list:
                return _pairs(obj["items"])
            if kind == "bytes" and type(obj.get("base64")) is str:
                return base64.b64decode(obj["base64"], validate=True)
    except (TypeError, binascii.Error) as exc:
        raise UndecodableValueError(f"a damaged {kind!r} value ({exc})") from exc
    raise UndecodableValueError(
        f"an object tagged {TAG!r} that JsonSerializer does not write: {sorted(obj)}"
    )


def _pairs(items: list[Any]) -> dict[Any, Any]:
    out = {}
    for pair in items:
        if type(pair) is not list or len(pair) != 2:
            raise TypeError("dict items must be [key, value] pairs")
        out[pair[0]] = pair[1]
    return out


class PickleSerializer(Serializer):
    """Pickle with an HMAC-SHA256 signature: any picklable value round-trips exactly.

    Unpickling runs code named by the data, so each payload is signed with ``key`` (at
    least 32 secret bytes, the same in every process that shares the store) and the
    signature is checked before anything is unpickled: a process that can write the
    store but does not hold the key cannot make a reader run code. The constructor also
    makes you say ``allow_pickle=True``.
    """

    MAGIC = b"HGPK1"

    def __init__(self, *, allow_pickle: bool = False, key: bytes | None = None) -> None:
        if not allow_pickle:
            raise ValueError(
                "PickleSerializer can execute code while loading a checkpoint; pass "
                "allow_pickle=True together with key=<at least 32 secret bytes> shared by "
                "every process that uses the store, or use JsonSerializer()"
            )
        if key is None:
            raise ValueError(
                "PickleSerializer(allow_pickle=True) needs key=<at least 32 secret bytes>: "
                "payloads are signed so that a process without the key cannot make a "
                "reader unpickle its bytes. Make one with secrets.token_bytes(32), keep it "
                "outside the store, and give the same key to every process"
            )
        self.allow_pickle = allow_pickle
        secret = require_key(key, "PickleSerializer(key=...)")
        self._signer = Signer(secret, "hypergraph_typed.PickleSerializer payload")

    def serialize(self, value: Any) -> bytes:
        """``value`` pickled and signed: a magic header, the HMAC, then the payload."""
        try:
            payload = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        except RecursionError:
            payload = _on_fresh_stack(_dumps, value)
        return self.MAGIC + self._signer.sign(payload) + payload

    def deserialize(self, data: bytes) -> Any:
        """Unpickle only after the header and signature check out; anything else is
        ``UndecodableValueError``."""
        data = bytes(data)
        head = len(self.MAGIC)
        if data[:head] != self.MAGIC:
            raise UndecodableValueError(
                "the stored bytes are not a signed PickleSerializer payload (written without "
                "a key, by another serializer, or damaged); refusing to unpickle them"
            )
        mac, payload = data[head:head + MAC_BYTES], data[head + MAC_BYTES:]
        if len(mac) < MAC_BYTES or not self._signer.verify(mac, payload):
            raise UndecodableValueError(
                "the signature of the stored pickle does not match (written with another "
                "key, or changed since); refusing to unpickle it"
            )
        return pickle.loads(payload)

    def __repr__(self) -> str:
        return "PickleSerializer(allow_pickle=True, key=...)"


def _dumps(value: Any) -> bytes:
    return pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
