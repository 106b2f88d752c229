"""Node output caches: the ``CacheBackend`` protocol, an in-memory LRU and a disk cache."""

from hypergraph_typed.cache._key import user_key_path
from hypergraph_typed.cache.base import CacheBackend, compute_cache_key
from hypergraph_typed.cache.disk import DiskCache
from hypergraph_typed.cache.memory import InMemoryCache
from hypergraph_typed.exceptions import CacheKeyError

__all__ = [
    "CacheBackend",
    "CacheKeyError",
    "DiskCache",
    "InMemoryCache",
    "compute_cache_key",
    "user_key_path",
]
