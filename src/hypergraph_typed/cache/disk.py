"""``DiskCache``: node outputs kept across processes, in a ``diskcache`` directory.

Cached values are pickled, and unpickling runs code, so whoever can write the cache
directory must not be able to choose what is unpickled. Every entry is the library's
own bytes: an HMAC-SHA256 (under a key from the user, or the per-user key file, never
from the cache directory) over the cache key and the pickled value, then the value.
``diskcache`` itself only ever stores and returns those bytes (see ``_bytes_disk``).
An entry that fails any check is deleted and treated as a miss: the node runs again.
"""

from __future__ import annotations

import importlib
import logging
import pickle
import warnings
from pathlib import Path
from typing import Any

from hypergraph_typed._signing import MAC_BYTES, Signer, require_key

logger: logging.Logger = logging.getLogger("hypergraph_typed.cache")

_MISSING = object()
PURPOSE = "hypergraph_typed.DiskCache entry"


class DiskCache:
    """Persistent cache backend; ``kwargs`` go to ``diskcache.Cache`` (e.g. ``size_limit``).

    ``key`` (at least 32 secret bytes) signs the entries; without it the per-user key
    file is used (``$XDG_CONFIG_HOME/hypergraph_typed/cache-key``, created 0600). Give
    the same ``key`` to every process that shares the directory under different users.
    """

    def __init__(
        self, cache_dir: str | Path = "~/.cache/hypergraph", *, key: bytes | None = None,
        **kwargs: Any,
    ) -> None:
        try:
            importlib.import_module("diskcache")
        except ImportError as exc:
            raise ImportError(
                "DiskCache stores entries with the diskcache package, which is not installed. "
                "Install it with: pip install diskcache (the 'diskcache' extra of "
                "hypergraph-typed), or use InMemoryCache"
            ) from exc
        if "disk" in kwargs:
            raise TypeError(
                "DiskCache(disk=...) is not supported: DiskCache chooses how diskcache "
                "stores entries, so that it never unpickles bytes it did not sign"
            )
        from diskcache import Cache  # type: ignore[import-untyped]

        from hypergraph_typed.cache._bytes_disk import BytesOnlyDisk
        from hypergraph_typed.cache._key import load_user_key

        self.directory: Path = Path(cache_dir).expanduser()
        self.directory.mkdir(parents=True, exist_ok=True)
        secret = load_user_key() if key is None else require_key(key, "DiskCache(key=...)")
        self._signer = Signer(secret, PURPOSE)
        self._cache: Any = Cache(str(self.directory), disk=BytesOnlyDisk, **kwargs)

    def _discard(self, key: str, reason: str) -> tuple[bool, Any]:
        logger.warning("DiskCache: dropping entry %s in %s: %s", key, self.directory, reason)
        self._cache.delete(key)
        return False, None

    def get(self, key: str) -> tuple[bool, Any]:
        """``(True, value)`` for an entry this cache signed, else ``(False, None)``."""
        from hypergraph_typed.cache._bytes_disk import ForeignEntryError

        try:
            raw = self._cache.get(key, default=_MISSING)
        except ForeignEntryError as exc:
            return self._discard(key, str(exc))
        if raw is _MISSING:
            return False, None
        mac, payload = raw[:MAC_BYTES], raw[MAC_BYTES:]
        if len(mac) < MAC_BYTES or not self._signer.verify(mac, key.encode(), payload):
            return self._discard(key, "HMAC check failed (tampered, or signed with another key)")
        try:
            return True, pickle.loads(payload)
        except Exception as exc:
            return self._discard(key, f"cannot be unpickled ({type(exc).__name__}: {exc})")

    def set(self, key: str, value: Any) -> None:
        """Store ``value`` signed; a value that cannot be pickled is skipped with a warning."""
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
        self._cache.set(key, self._signer.sign(key.encode(), payload) + payload)

    def close(self) -> None:
        """Close the database connections (the entries stay on disk)."""
        self._cache.close()

    def __enter__(self) -> DiskCache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
