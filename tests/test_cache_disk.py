"""DiskCache: persistence, the HMAC key file, and refusing entries it did not sign."""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import pickle
import stat
import sys
import threading
from pathlib import Path
from typing import Any

import diskcache
import pytest

from hypergraph_typed.cache import DiskCache
from hypergraph_typed.cache._secret import KEY_FILE, load_or_create_secret

EXECUTED: list[str] = []


def _mark(tag: str) -> None:
    EXECUTED.append(tag)


class Payload:
    """Unpickling this runs code: exactly what a forged entry would try."""

    def __reduce__(self) -> tuple[Any, tuple[str]]:
        return (_mark, ("ran",))


def raw_store(directory: Path) -> diskcache.Cache:
    """A second handle on the same directory, bypassing DiskCache's signing."""
    return diskcache.Cache(str(directory))


def sign(directory: Path, key: str, payload: bytes) -> bytes:
    secret = (directory / KEY_FILE).read_bytes()
    k = key.encode()
    mac = hmac.new(secret, len(k).to_bytes(8, "big") + k + payload, hashlib.sha256).digest()
    return mac + payload


def test_round_trip_and_persistence_across_instances(tmp_path: Path) -> None:
    with DiskCache(tmp_path) as c:
        assert c.get("k") == (False, None)
        c.set("k", {"out": [1, 2, {"x": None}]})
        c.set("none", None)
        assert c.get("k") == (True, {"out": [1, 2, {"x": None}]})
    with DiskCache(tmp_path) as again:
        assert again.get("k") == (True, {"out": [1, 2, {"x": None}]})
        assert again.get("none") == (True, None)


def test_default_dir_is_expanded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    with DiskCache() as c:
        assert c.directory == tmp_path / ".cache" / "hypergraph"
        assert (c.directory / KEY_FILE).is_file()


def test_key_file_is_32_bytes_owner_only(tmp_path: Path) -> None:
    DiskCache(tmp_path / "c").close()
    key = tmp_path / "c" / KEY_FILE
    assert len(key.read_bytes()) == 32
    if os.name == "posix":
        assert stat.S_IMODE(key.stat().st_mode) == 0o600
    # no temporary files are left behind
    assert [p.name for p in (tmp_path / "c").iterdir() if p.name.startswith(KEY_FILE)] == [KEY_FILE]


def test_concurrent_creators_agree_on_one_key(tmp_path: Path) -> None:
    results: list[bytes] = []
    barrier = threading.Barrier(8)

    def create() -> None:
        barrier.wait()
        results.append(load_or_create_secret(tmp_path))

    threads = [threading.Thread(target=create) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 8 and len(set(results)) == 1
    assert (tmp_path / KEY_FILE).read_bytes() == results[0]


def test_a_damaged_key_file_is_an_error_naming_it(tmp_path: Path) -> None:
    (tmp_path / KEY_FILE).write_bytes(b"short")
    with pytest.raises(ValueError, match=r"hypergraph_hmac_key.*5 bytes.*Delete it"):
        DiskCache(tmp_path)


def test_forged_entry_is_not_unpickled_and_is_deleted(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    c = DiskCache(tmp_path)
    forged = b"\0" * 32 + pickle.dumps(Payload())
    with raw_store(tmp_path) as raw:
        raw.set("k", forged)
    EXECUTED.clear()
    with caplog.at_level(logging.WARNING, logger="hypergraph_typed.cache"):
        assert c.get("k") == (False, None)
    assert EXECUTED == []  # HMAC checked before unpickling
    assert "HMAC" in caplog.text
    with raw_store(tmp_path) as raw:
        assert "k" not in raw
    c.close()


def test_correctly_signed_entry_is_unpickled(tmp_path: Path) -> None:
    """The counterpart of the forgery test: the same payload, signed, does run."""
    c = DiskCache(tmp_path)
    with raw_store(tmp_path) as raw:
        raw.set("k", sign(tmp_path, "k", pickle.dumps(Payload())))
    EXECUTED.clear()
    assert c.get("k") == (True, None)
    assert EXECUTED == ["ran"]
    c.close()


def test_entry_signed_for_another_key_is_refused(tmp_path: Path) -> None:
    c = DiskCache(tmp_path)
    c.set("a", 1)
    with raw_store(tmp_path) as raw:
        raw.set("b", raw.get("a"))  # replay a's signed bytes under another key
    assert c.get("b") == (False, None)
    assert c.get("a") == (True, 1)
    c.close()


def test_entry_from_another_cache_directory_is_refused(tmp_path: Path) -> None:
    one, two = DiskCache(tmp_path / "one"), DiskCache(tmp_path / "two")
    one.set("k", "v")
    with raw_store(tmp_path / "one") as r1, raw_store(tmp_path / "two") as r2:
        r2.set("k", r1.get("k"))
    assert two.get("k") == (False, None)
    one.close()
    two.close()


@pytest.mark.parametrize("stored", ["not bytes", 12345, b"short", b""])
def test_entries_that_are_not_signed_bytes_are_misses_and_deleted(
    tmp_path: Path, stored: object
) -> None:
    c = DiskCache(tmp_path)
    with raw_store(tmp_path) as raw:
        raw.set("k", stored)
    assert c.get("k") == (False, None)
    with raw_store(tmp_path) as raw:
        assert "k" not in raw
    c.close()


def test_signed_bytes_that_fail_to_unpickle_are_misses_and_deleted(tmp_path: Path) -> None:
    c = DiskCache(tmp_path)
    with raw_store(tmp_path) as raw:
        raw.set("k", sign(tmp_path, "k", b"definitely not a pickle"))
    assert c.get("k") == (False, None)
    with raw_store(tmp_path) as raw:
        assert "k" not in raw
    c.close()


def test_unpicklable_value_is_skipped_with_a_warning(tmp_path: Path) -> None:
    c = DiskCache(tmp_path)
    with pytest.warns(RuntimeWarning, match=r"cannot be pickled.*cache=False"):
        c.set("k", threading.Lock())
    assert c.get("k") == (False, None)
    c.set("k", "fine")
    assert c.get("k") == (True, "fine")
    c.close()


def test_kwargs_are_passed_to_diskcache(tmp_path: Path) -> None:
    DiskCache(tmp_path, size_limit=123_456).close()
    with raw_store(tmp_path) as raw:
        assert raw.size_limit == 123_456


def test_missing_diskcache_fails_on_instantiation_with_a_hint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "diskcache", None)
    with pytest.raises(ImportError, match=r"pip install 'hypergraph-typed\[diskcache\]'"):
        DiskCache(tmp_path)
