"""A ``diskcache.Disk`` that stores and returns only raw bytes, and never unpickles.

``diskcache`` pickles any value that is not a plain scalar and unpickles rows marked as
pickles inside ``Cache.get``, before ``DiskCache`` could check a signature: whoever can
write ``cache.db`` could run code. This disk keeps every value as a BLOB in the
database, refuses rows in any other mode (and keys that are not raw strings) instead of
decoding them, and deletes only files shaped like the ones ``diskcache`` itself creates.
"""

from __future__ import annotations

import re
import sqlite3
from typing import Any

import diskcache  # type: ignore[import-untyped]
from diskcache.core import MODE_RAW  # type: ignore[import-untyped]

# diskcache's own value files: two hex directory levels and a 28-hex-digit name
_OWN_FILE = re.compile(r"[0-9a-f]{2}[/\\][0-9a-f]{2}[/\\][0-9a-f]{28}\.val")


class ForeignEntryError(Exception):
    """A row ``DiskCache`` did not write: another mode, a file, or a pickled key."""


class BytesOnlyDisk(diskcache.Disk):  # type: ignore[misc]  # diskcache ships no types
    """Keys are ``str``, values ``bytes``, both stored raw in the database."""

    def __init__(self, directory: str, **_settings: Any) -> None:
        # ``disk_*`` settings come from the database's Settings table too; none applies
        super().__init__(directory)

    def put(self, key: Any) -> tuple[str, bool]:
        if type(key) is not str:
            raise TypeError(f"DiskCache keys are str, got {type(key).__name__}")
        return key, True

    def get(self, key: Any, raw: bool) -> str:
        if not raw or type(key) is not str:
            raise ForeignEntryError("a key that is not a raw string")
        return key

    def store(self, value: Any, read: bool, key: Any = None) -> tuple[int, int, None, Any]:
        if read or type(value) is not bytes:
            raise TypeError(f"DiskCache stores bytes, got {type(value).__name__}")
        return 0, MODE_RAW, None, sqlite3.Binary(value)

    def fetch(self, mode: int, filename: str | None, value: Any, read: bool) -> bytes:
        if mode != MODE_RAW or filename is not None or read or type(value) is not bytes:
            raise ForeignEntryError(
                f"not stored by DiskCache (mode {mode}, "
                f"{'a file' if filename else type(value).__name__})"
            )
        return value

    def remove(self, file_path: str) -> None:
        if _OWN_FILE.fullmatch(file_path):
            super().remove(file_path)
