"""The per-user key that signs ``DiskCache`` entries, kept outside every cache directory.

A key kept inside the cache directory protects nothing: whoever can write the directory
can read or replace it and sign their own entries. The default key therefore lives in
the user's configuration directory, is created owner-only (0600) and is refused unless
it is a regular file owned by the current user, unreadable by anyone else, in a directory
no one else can write.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
import tempfile
from pathlib import Path

from hypergraph_typed._signing import MIN_KEY_BYTES
from hypergraph_typed.exceptions import CacheKeyError

KEY_NAME = "cache-key"


def user_key_path() -> Path:
    """``$XDG_CONFIG_HOME/hypergraph_typed/cache-key`` (``~/.config/...`` by default)."""
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return Path(base) / "hypergraph_typed" / KEY_NAME


def load_user_key(path: Path | None = None) -> bytes:
    """The key in ``path`` (default ``user_key_path()``), created on first use.

    A new key is written to an owner-only temporary file and hard-linked into place, so
    concurrent first users agree on one key and nobody reads a partial one.
    """
    if not hasattr(os, "geteuid"):
        raise CacheKeyError(
            "DiskCache cannot check the owner and mode of a key file on this platform; "
            "pass the key yourself: DiskCache(cache_dir, key=secrets.token_bytes(32)) "
            "with a key you keep"
        )
    path = path or user_key_path()
    _private_directory(path.parent)
    try:
        return _read(path)
    except FileNotFoundError:
        pass
    key = secrets.token_bytes(MIN_KEY_BYTES)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)  # mode 0600
    try:
        _write(fd, key)
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass  # another process made the key first: use theirs
        except OSError:  # no hard links here: exclusive creation still has one winner
            with contextlib.suppress(FileExistsError):
                _write(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), key)
    finally:
        os.unlink(tmp)
    return _read(path)


def _write(fd: int, key: bytes) -> None:
    with os.fdopen(fd, "wb") as f:
        f.write(key)
        f.flush()
        os.fsync(f.fileno())


def _private_directory(directory: Path) -> None:
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    st = directory.stat()
    fix = f"chmod 700 {directory}, or pass DiskCache(..., key=...)"
    if st.st_uid != os.geteuid():
        raise CacheKeyError(
            f"The DiskCache key directory {directory} belongs to uid {st.st_uid}, not to "
            f"you (uid {os.geteuid()}): its owner could replace the key. Use a directory "
            "of your own (set XDG_CONFIG_HOME), or pass DiskCache(..., key=...)"
        )
    if st.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        raise CacheKeyError(
            f"The DiskCache key directory {directory} is writable by other users (mode "
            f"{stat.S_IMODE(st.st_mode):04o}): they could replace the key. Fix: {fix}"
        )


def _read(path: Path) -> bytes:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        if isinstance(exc, FileNotFoundError):
            raise
        if os.path.islink(path):
            raise CacheKeyError(
                f"The DiskCache key file {path} is a symbolic link; it must be a regular "
                f"file of yours. Delete it (a new key is made), or pass DiskCache(..., key=...)"
            ) from exc
        raise CacheKeyError(f"The DiskCache key file {path} cannot be read: {exc}") from exc
    try:
        _check(path, os.fstat(fd))
    except BaseException:
        os.close(fd)
        raise
    with os.fdopen(fd, "rb") as f:
        data = f.read(MIN_KEY_BYTES + 1)
    if len(data) != MIN_KEY_BYTES:
        raise CacheKeyError(
            f"The DiskCache key file {path} holds {len(data)} bytes, expected "
            f"{MIN_KEY_BYTES}. Delete it to make a new key (cached entries are then "
            "recomputed once)"
        )
    return data


def _check(path: Path, st: os.stat_result) -> None:
    if not stat.S_ISREG(st.st_mode):
        raise CacheKeyError(f"The DiskCache key file {path} is not a regular file")
    if st.st_uid != os.geteuid():
        raise CacheKeyError(
            f"The DiskCache key file {path} belongs to uid {st.st_uid}, not to you (uid "
            f"{os.geteuid()}): whoever owns it can sign cache entries. Delete it (a new "
            "key is made), or pass DiskCache(..., key=...)"
        )
    mode = stat.S_IMODE(st.st_mode)
    if mode & 0o077:
        raise CacheKeyError(
            f"The DiskCache key file {path} is open to other users (mode {mode:04o}): "
            f"whoever can read it can sign cache entries. Fix: chmod 600 {path}, or "
            "delete it (a new key is made)"
        )
