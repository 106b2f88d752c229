"""DiskCache: persistence, where its key comes from, and refusing what it did not sign.

The attacks are real: a second ``diskcache.Cache`` (or plain sqlite3) on the same
directory writes rows the way someone with write access to the cache directory could,
including rows in diskcache's own pickle mode, which diskcache would unpickle itself.
"""

from __future__ import annotations

import logging
import os
import pickle
import sqlite3
import stat
import sys
import threading
from pathlib import Path
from typing import Any

import diskcache
import pytest

from hypergraph_typed._signing import Signer
from hypergraph_typed.cache import CacheKeyError, DiskCache, user_key_path
from hypergraph_typed.cache._key import load_user_key
from hypergraph_typed.cache.disk import PURPOSE

EXECUTED: list[str] = []
KEY = b"k" * 32
OTHER_KEY = b"o" * 32


def _mark(tag: str) -> None:
    EXECUTED.append(tag)


class Payload:
    """Unpickling this runs code: exactly what a forged entry would try."""

    def __reduce__(self) -> tuple[Any, tuple[str]]:
        return (_mark, ("ran",))


@pytest.fixture(autouse=True)
def _clean() -> None:
    EXECUTED.clear()


def raw_store(directory: Path) -> diskcache.Cache:
    """A second handle on the same directory, with diskcache's default (pickling) disk."""
    return diskcache.Cache(str(directory))


def extra_files(directory: Path) -> list[str]:
    """Files in a cache directory besides the database (and its WAL files)."""
    return sorted(str(p.relative_to(directory)) for p in directory.rglob("*")
                  if p.is_file() and not p.name.startswith("cache.db"))


def rows(directory: Path) -> list[tuple[Any, ...]]:
    with sqlite3.connect(directory / "cache.db") as conn:
        found = conn.execute("SELECT key, mode, filename FROM Cache").fetchall()
    conn.close()
    return found


# -- round trips -----------------------------------------------------------------------
def test_round_trip_and_persistence_across_instances(tmp_path: Path) -> None:
    with DiskCache(tmp_path) as c:
        assert c.get("k") == (False, None)
        c.set("k", {"out": [1, 2, {"x": None}]})
        c.set("none", None)
        assert c.get("k") == (True, {"out": [1, 2, {"x": None}]})
    with DiskCache(tmp_path) as again:
        assert again.get("k") == (True, {"out": [1, 2, {"x": None}]})
        assert again.get("none") == (True, None)


def test_every_value_is_a_raw_blob_in_the_database(tmp_path: Path) -> None:
    """Even large values: no value files, no pickle mode for diskcache to decode."""
    with DiskCache(tmp_path) as c:
        c.set("small", 1)
        c.set("large", "x" * 500_000)
        assert c.get("large") == (True, "x" * 500_000)
    assert sorted(rows(tmp_path)) == [("large", diskcache.core.MODE_RAW, None),
                                      ("small", diskcache.core.MODE_RAW, None)]


def test_default_dir_is_expanded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    with DiskCache() as c:
        assert c.directory == tmp_path / ".cache" / "hypergraph"
        assert extra_files(c.directory) == []  # no key in there


# -- the key: from the user, or the per-user key file ------------------------------------
def test_the_default_key_is_a_private_per_user_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    DiskCache(tmp_path / "cache").close()
    key = tmp_path / "config" / "hypergraph_typed" / "cache-key"
    assert user_key_path() == key
    assert len(key.read_bytes()) == 32
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert stat.S_IMODE(key.parent.stat().st_mode) == 0o700
    assert [p.name for p in key.parent.iterdir()] == ["cache-key"]  # no temporary left
    assert extra_files(tmp_path / "cache") == []


def test_without_a_home_setting_the_key_is_under_dot_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("XDG_CONFIG_HOME")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert user_key_path() == tmp_path / ".config" / "hypergraph_typed" / "cache-key"


def test_one_user_key_serves_every_cache_directory(tmp_path: Path) -> None:
    one, two = DiskCache(tmp_path / "one"), DiskCache(tmp_path / "two")
    one.set("k", "v")
    with raw_store(tmp_path / "one") as r1, raw_store(tmp_path / "two") as r2:
        r2.set("k", r1.get("k"))  # a genuine entry for the same key: same inputs, same value
    assert two.get("k") == (True, "v")
    one.close()
    two.close()


def test_concurrent_creators_agree_on_one_key(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "cache-key"
    results: list[bytes] = []
    barrier = threading.Barrier(8)

    def create() -> None:
        barrier.wait()
        results.append(load_user_key(path))

    threads = [threading.Thread(target=create) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 8 and len(set(results)) == 1
    assert path.read_bytes() == results[0]


def test_a_damaged_key_file_is_an_error_naming_it(tmp_path: Path) -> None:
    key = user_key_path()
    key.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    saved = key.read_bytes() if key.exists() else None
    key.write_bytes(b"short")
    key.chmod(0o600)
    try:
        with pytest.raises(CacheKeyError, match=rf"{key} holds 5 bytes.*Delete it"):
            DiskCache(tmp_path)
    finally:
        key.unlink()
        if saved is not None:
            key.write_bytes(saved)
            key.chmod(0o600)


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660])
def test_a_key_file_others_can_read_or_write_is_refused(tmp_path: Path, mode: int) -> None:
    path = tmp_path / "keys" / "cache-key"
    load_user_key(path)
    path.chmod(mode)
    with pytest.raises(CacheKeyError, match=rf"open to other users \(mode {mode:04o}\).*chmod 600"):
        load_user_key(path)
    path.chmod(0o600)
    assert len(load_user_key(path)) == 32


def test_a_key_directory_others_can_write_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "cache-key"
    load_user_key(path)
    path.parent.chmod(0o777)
    with pytest.raises(CacheKeyError, match=r"writable by other users \(mode 0777\).*chmod 700"):
        load_user_key(path)


def test_a_key_path_that_is_not_a_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "cache-key"
    path.mkdir(parents=True)
    with pytest.raises(CacheKeyError, match="is not a regular file"):
        load_user_key(path)


def test_a_symlinked_key_file_is_refused(tmp_path: Path) -> None:
    real = tmp_path / "elsewhere" / "cache-key"
    load_user_key(real)
    link = tmp_path / "keys" / "cache-key"
    link.parent.mkdir(mode=0o700)
    link.symlink_to(real)
    with pytest.raises(CacheKeyError, match="symbolic link"):
        load_user_key(link)


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0,
                    reason="giving a file to another user needs root")
def test_a_key_file_or_directory_of_another_user_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "cache-key"
    load_user_key(path)
    os.chown(path, 65534, 65534)
    with pytest.raises(CacheKeyError, match=r"cache-key belongs to uid 65534, not to you"):
        load_user_key(path)
    os.chown(path, 0, 0)
    os.chown(path.parent, 65534, 65534)
    with pytest.raises(CacheKeyError, match=r"directory .* belongs to uid 65534"):
        load_user_key(path)


def test_a_key_from_the_user_needs_no_key_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    with DiskCache(tmp_path / "c", key=KEY) as c:
        c.set("k", [1])
        assert c.get("k") == (True, [1])
    assert not (tmp_path / "config").exists()
    with DiskCache(tmp_path / "c", key=OTHER_KEY) as other:
        assert other.get("k") == (False, None)  # signed with another key: recomputed


def test_a_bad_key_from_the_user_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"at least 32 random bytes, got 5.*token_bytes"):
        DiskCache(tmp_path, key=b"short")
    with pytest.raises(TypeError, match=r"must be bytes, got str.*bytes.fromhex"):
        DiskCache(tmp_path, key="a" * 64)  # type: ignore[arg-type]


# -- what an attacker with write access to the cache directory can try -------------------
def test_a_row_in_diskcache_pickle_mode_is_never_unpickled(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    c = DiskCache(tmp_path)
    with raw_store(tmp_path) as raw:
        raw.set("small", Payload())  # diskcache pickles it: a MODE_PICKLE row
        raw.set("large", [Payload(), "x" * 100_000])  # a pickle in a value file
    modes = {key: mode for key, mode, _ in rows(tmp_path)}
    assert modes == {"small": diskcache.core.MODE_PICKLE, "large": diskcache.core.MODE_PICKLE}
    assert len(extra_files(tmp_path)) == 1  # the large pickle's value file
    with caplog.at_level(logging.WARNING, logger="hypergraph_typed.cache"):
        assert c.get("small") == (False, None)
        assert c.get("large") == (False, None)
    assert EXECUTED == []
    assert "not stored by DiskCache (mode 4" in caplog.text
    assert rows(tmp_path) == []  # both deleted, the value file too
    assert extra_files(tmp_path) == []
    c.close()


def test_a_row_with_a_pickled_key_is_never_unpickled(tmp_path: Path) -> None:
    """Rows diskcache keys by pickle are not looked up, evicted or listed by decoding them."""
    with raw_store(tmp_path) as raw:
        raw.set(Payload(), b"x")  # diskcache pickles keys that are not plain scalars
    c = DiskCache(tmp_path, size_limit=50_000, cull_limit=10)
    for i in range(40):  # enough to make diskcache cull the oldest rows
        c.set(f"k{i}", "v" * 5_000)
        c.get(f"k{i}")
    c.close()
    assert EXECUTED == []
    assert len(rows(tmp_path)) < 40  # it did cull


def test_listing_keys_in_plain_diskcache_does_unpickle_them(tmp_path: Path) -> None:
    """The counterpart: such a row is a real attack on code that lists diskcache keys."""
    with raw_store(tmp_path) as raw:
        raw.set(Payload(), b"x")
        list(raw)
    assert EXECUTED == ["ran"]


def test_the_same_pickle_row_does_run_code_in_plain_diskcache(tmp_path: Path) -> None:
    """The counterpart: the row above is a real attack on diskcache's own get()."""
    with raw_store(tmp_path) as raw:
        raw.set("small", Payload())
        raw.get("small")
    assert EXECUTED == ["ran"]


def test_a_forged_entry_is_not_unpickled_and_is_deleted(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    c = DiskCache(tmp_path)
    with raw_store(tmp_path) as raw:
        raw.set("k", b"\0" * 32 + pickle.dumps(Payload()))
    with caplog.at_level(logging.WARNING, logger="hypergraph_typed.cache"):
        assert c.get("k") == (False, None)
    assert EXECUTED == []  # HMAC checked before unpickling
    assert "HMAC" in caplog.text
    assert rows(tmp_path) == []
    c.close()


def test_a_correctly_signed_entry_is_unpickled(tmp_path: Path) -> None:
    """The counterpart of the forgery test: the same payload, signed with the key, runs."""
    c = DiskCache(tmp_path, key=KEY)
    payload = pickle.dumps(Payload())
    with raw_store(tmp_path) as raw:
        raw.set("k", Signer(KEY, PURPOSE).sign(b"k", payload) + payload)
    assert c.get("k") == (True, None)
    assert EXECUTED == ["ran"]
    c.close()


def test_an_entry_signed_for_another_cache_key_is_refused(tmp_path: Path) -> None:
    c = DiskCache(tmp_path)
    c.set("a", 1)
    with raw_store(tmp_path) as raw:
        raw.set("b", raw.get("a"))  # replay a's signed bytes under another key
    assert c.get("b") == (False, None)
    assert c.get("a") == (True, 1)
    c.close()


@pytest.mark.parametrize("stored", ["not bytes", 12345, 1.5, b"short", b""])
def test_entries_that_are_not_signed_bytes_are_misses_and_deleted(
    tmp_path: Path, stored: object
) -> None:
    c = DiskCache(tmp_path)
    with raw_store(tmp_path) as raw:
        raw.set("k", stored)
    assert c.get("k") == (False, None)
    assert rows(tmp_path) == []
    c.close()


def test_a_row_pointing_outside_the_directory_deletes_nothing_there(tmp_path: Path) -> None:
    cache_dir, victim = tmp_path / "cache", tmp_path / "victim.txt"
    victim.write_text("precious")
    c = DiskCache(cache_dir)
    c.set("k", 1)
    with sqlite3.connect(cache_dir / "cache.db") as conn:
        conn.execute("UPDATE Cache SET mode = ?, filename = ?, value = NULL",
                     (diskcache.core.MODE_BINARY, "../victim.txt"))
    conn.close()
    assert c.get("k") == (False, None)
    assert victim.read_text() == "precious"
    assert rows(cache_dir) == []
    c.close()


def test_signed_bytes_that_fail_to_unpickle_are_misses_and_deleted(tmp_path: Path) -> None:
    c = DiskCache(tmp_path, key=KEY)
    with raw_store(tmp_path) as raw:
        raw.set("k", Signer(KEY, PURPOSE).sign(b"k", b"not a pickle") + b"not a pickle")
    assert c.get("k") == (False, None)
    assert rows(tmp_path) == []
    c.close()


# -- the rest of the interface ---------------------------------------------------------
def test_unpicklable_value_is_skipped_with_a_warning(tmp_path: Path) -> None:
    c = DiskCache(tmp_path)
    with pytest.warns(RuntimeWarning, match=r"cannot be pickled.*cache=False"):
        c.set("k", threading.Lock())
    assert c.get("k") == (False, None)
    c.set("k", "fine")
    assert c.get("k") == (True, "fine")
    c.close()


def test_kwargs_are_passed_to_diskcache_but_not_a_disk(tmp_path: Path) -> None:
    DiskCache(tmp_path, size_limit=123_456).close()
    with raw_store(tmp_path) as raw:
        assert raw.size_limit == 123_456
    with pytest.raises(TypeError, match=r"disk=\.\.\.\) is not supported"):
        DiskCache(tmp_path, disk=diskcache.Disk)


def test_missing_diskcache_fails_on_instantiation_with_a_hint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "diskcache", None)
    with pytest.raises(ImportError, match=r"pip install 'hypergraph-typed\[diskcache\]'"):
        DiskCache(tmp_path)
