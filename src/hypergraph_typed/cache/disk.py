"""``DiskCache``: node outputs kept across processes, in a ``diskcache`` directory.

Cached values are unpickled, and unpickling runs code, so every entry is signed with
an HMAC under a per-directory secret and checked before it is unpickled. An entry
that fails any check is deleted and treated as a miss: the node simply runs again.
"""

from __future__ import annotations

import hashlib
import hmac
import importlib
import logging
import pickle
import warnings
from pathlib import Path
from typing import Any

from hypergraph_typed.cache._secret import load_or_create_secret

logger = logging.getLogger("hypergraph_typed.cache")

_MAC_BYTES = hashlib.sha256().digest_size
_MISSING = object()


class DiskCache:
    """Persistent cache backend; ``kwargs`` go to ``diskcache.Cache`` (e.g. ``size_limit``)."""

    def __init__(self, cache_dir: str | Path = "~/.cache/hypergraph", **kwargs: Any) -> None:
        try:
            diskcache = importlib.import_module("diskcache")
        except ImportError as exc:
            raise ImportError(
                "DiskCache stores entries with the diskcache package, which is not installed. "
                "Install it with: pip install 'hypergraph-typed[diskcache]' (or pip install "
                "diskcache), or use InMemoryCache"
            ) from exc
        self.directory = Path(cache_dir).expanduser()
        self.directory.mkdir(parents=True, exist_ok=True)
        self._secret = load_or_create_secret(self.directory)
        self._cache: Any = diskcache.Cache(str(self.directory), **kwargs)

    def _mac(self, key: str, payload: bytes) -> bytes:
        k = key.encode()
        msg = len(k).to_bytes(8, "big") + k + payload
        return hmac.new(self._secret, msg, hashlib.sha256).digest()

    def _discard(self, key: str, reason: str) -> tuple[bool, Any]:
        logger.warning("DiskCache: dropping entry %s in %s: %s", key, self.directory, reason)
        self._cache.delete(key)
        return False, None

    def get(self, key: str) -> tuple[bool, Any]:
        """``(True, value)`` for a stored entry whose HMAC checks out, else ``(False, None)``."""
        raw = self._cache.get(key, default=_MISSING)
        if raw is _MISSING:
            return False, None
        if not isinstance(raw, bytes):
            return self._discard(key, f"not written by DiskCache ({type(raw).__name__})")
        if len(raw) < _MAC_BYTES:
            return self._discard(key, "no HMAC")
        mac, payload = raw[:_MAC_BYTES], raw[_MAC_BYTES:]
        if not hmac.compare_digest(mac, self._mac(key, payload)):
            return self._discard(key, "HMAC check failed (tampered, or another key file)")
        try:
            return True, pickle.loads(payload)
        except Exception as exc:
            return self._discard(key, f"cannot be unpickled ({type(exc).__name__}: {exc})")

    def set(self, key: str, value: Any) -> None:
        """Store ``value`` pickled and signed; an unpicklable value is skipped with a warning."""
        try:
            payload = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as exc:
            warnings.warn(
                f"DiskCache: not caching the value for key {key!r}: it cannot be pickled "
                f"({type(exc).__name__}: {exc}). Return picklable values from cached nodes, "
                "or set cache=False on the node",
                RuntimeWarning,
                stacklevel=2,
            )
            return
        self._cache.set(key, self._mac(key, payload) + payload)

    def close(self) -> None:
        """Close the underlying ``diskcache.Cache`` (also done by ``with``)."""
        self._cache.close()

    def __enter__(self) -> DiskCache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
