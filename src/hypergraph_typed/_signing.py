"""HMAC-SHA256 signatures for bytes the library will later unpickle.

Unpickling runs code chosen by whoever wrote the bytes. The disk cache and the pickle
serializer therefore sign what they write and check the signature before loading: only
a holder of the key can produce bytes that are ever unpickled. Each use signs under its
own ``purpose``, so a signature made for one use never verifies for another, even when a
user gives both the same key.
"""

from __future__ import annotations

import hashlib
import hmac

MAC_BYTES = hashlib.sha256().digest_size
MIN_KEY_BYTES = 32


def require_key(key: object, owner: str) -> bytes:
    """``key`` as bytes, or an error saying what ``owner`` needs (type, length, how to make one)."""
    if isinstance(key, (bytearray, memoryview)):
        key = bytes(key)
    if not isinstance(key, bytes):
        raise TypeError(
            f"{owner}: the key must be bytes, got {type(key).__name__}. Make one with "
            "secrets.token_bytes(32) and keep it secret; a key kept as text in an "
            "environment variable can be decoded with bytes.fromhex(...)"
        )
    if len(key) < MIN_KEY_BYTES:
        raise ValueError(
            f"{owner}: the key must be at least {MIN_KEY_BYTES} random bytes, got "
            f"{len(key)}. Make one with secrets.token_bytes({MIN_KEY_BYTES})"
        )
    return key


class Signer:
    """Signs and verifies byte strings under one key, for one purpose."""

    __slots__ = ("_key", "_purpose")

    def __init__(self, key: bytes, purpose: str) -> None:
        self._key = key
        label = purpose.encode()
        self._purpose = len(label).to_bytes(8, "big") + label

    def sign(self, *parts: bytes) -> bytes:
        """The MAC of ``parts``; each is length-prefixed, so ``("ab", "c") != ("a", "bc")``."""
        mac = hmac.new(self._key, self._purpose, hashlib.sha256)
        for part in parts:
            mac.update(len(part).to_bytes(8, "big"))
            mac.update(part)
        return mac.digest()

    def verify(self, mac: bytes, *parts: bytes) -> bool:
        """Whether ``mac`` is this signer's MAC of ``parts`` (constant-time comparison)."""
        return hmac.compare_digest(mac, self.sign(*parts))

    def __repr__(self) -> str:
        return f"Signer(purpose={self._purpose[8:].decode()!r})"  # never the key
