"""``InMemoryCache``: a process-local LRU, the default choice for tests and notebooks."""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any


class InMemoryCache:
    """Least-recently-used cache; ``max_size=None`` keeps every entry, ``0`` none."""

    def __init__(self, max_size: int | None = None) -> None:
        if max_size is not None and (
            isinstance(max_size, bool) or not isinstance(max_size, int) or max_size < 0
        ):
            raise ValueError(
                f"InMemoryCache(max_size=...) must be an int >= 0 (0 caches nothing) or None "
                f"(unbounded), got {max_size!r}"
            )
        self.max_size = max_size
        self._data: OrderedDict[str, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> tuple[bool, Any]:
        """``(True, value)`` and mark the entry recently used, or ``(False, None)``."""
        with self._lock:
            if key not in self._data:
                return False, None
            self._data.move_to_end(key)
            return True, self._data[key]

    def set(self, key: str, value: Any) -> None:
        """Store ``value``, evicting the least recently used entries past ``max_size``."""
        if self.max_size == 0:
            return  # as in hypergraph: a zero-size cache never stores anything
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            if self.max_size is not None:
                while len(self._data) > self.max_size:
                    self._data.popitem(last=False)

    def __len__(self) -> int:
        return len(self._data)

    def __contains__(self, key: object) -> bool:
        return key in self._data

    def clear(self) -> None:
        """Drop every entry."""
        with self._lock:
            self._data.clear()
