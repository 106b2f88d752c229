"""The cache protocol and the key a runner stores a node's outputs under."""

from __future__ import annotations

import hashlib
import pickle
from collections.abc import Mapping
from typing import Any, Protocol, runtime_checkable


@runtime_checkable
class CacheBackend(Protocol):
    """Where runners keep node outputs; ``get`` tells a miss apart from a stored ``None``."""

    def get(self, key: str) -> tuple[bool, Any]:
        """``(True, value)`` on a hit, ``(False, None)`` on a miss."""
        ...

    def set(self, key: str, value: Any) -> None:
        """Store ``value`` under ``key``, replacing any previous value."""
        ...


def compute_cache_key(definition_hash: str, inputs: Mapping[str, Any]) -> str:
    """SHA-256 hex of the node's definition hash and its pickled, name-sorted inputs.

    Returns ``""`` when an input cannot be pickled: the runner then runs the node
    uncached instead of failing.
    """
    h = hashlib.sha256(definition_hash.encode())
    try:
        h.update(pickle.dumps(sorted(inputs.items()), protocol=5))
    except Exception:
        return ""
    return h.hexdigest()
