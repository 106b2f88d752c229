"""The per-directory HMAC key that lets ``DiskCache`` refuse entries it did not write."""

from __future__ import annotations

import os
import secrets
import tempfile
from pathlib import Path

KEY_FILE = ".hypergraph_hmac_key"
KEY_BYTES = 32


def _read(path: Path) -> bytes:
    data = path.read_bytes()
    if len(data) != KEY_BYTES:
        raise ValueError(
            f"The cache key file {path} holds {len(data)} bytes, expected {KEY_BYTES}. "
            "Delete it to create a new key (entries signed with the old key are then "
            "recomputed)"
        )
    return data


def load_or_create_secret(directory: Path) -> bytes:
    """Read ``<directory>/.hypergraph_hmac_key``, creating it first if it does not exist.

    A new key is written to an owner-only (0600) temporary file and hard-linked into
    place, so another process never sees a partial key and a concurrent creator's key
    is never overwritten: whoever links first wins and the other reads that key.
    """
    path = directory / KEY_FILE
    try:
        return _read(path)
    except FileNotFoundError:
        pass
    secret = secrets.token_bytes(KEY_BYTES)
    fd, tmp = tempfile.mkstemp(prefix=KEY_FILE + ".", dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            os.chmod(tmp, 0o600)
            f.write(secret)
            f.flush()
            os.fsync(f.fileno())
        try:
            os.link(tmp, path)
        except FileExistsError:
            return _read(path)
        except OSError:
            # No hard links on this filesystem: exclusive creation is still atomic
            # against a second creator; the key is written before anyone can use it.
            return _create_exclusive(path, secret)
    finally:
        os.unlink(tmp)
    return secret


def _create_exclusive(path: Path, secret: bytes) -> bytes:
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read(path)
    with os.fdopen(fd, "wb") as f:
        f.write(secret)
        f.flush()
        os.fsync(f.fileno())
    return secret
