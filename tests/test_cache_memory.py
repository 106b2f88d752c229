"""InMemoryCache: hits, misses and least-recently-used eviction."""

from __future__ import annotations

import pytest

from hypergraph_typed.cache import CacheBackend, DiskCache, InMemoryCache


def test_miss_then_hit_and_stored_none_is_a_hit() -> None:
    c = InMemoryCache()
    assert c.get("k") == (False, None)
    c.set("k", {"out": 1})
    assert c.get("k") == (True, {"out": 1})
    c.set("none", None)
    assert c.get("none") == (True, None)


def test_unbounded_by_default() -> None:
    c = InMemoryCache()
    for i in range(1000):
        c.set(str(i), i)
    assert len(c) == 1000
    assert c.get("0") == (True, 0)


def test_set_beyond_max_size_evicts_least_recently_used() -> None:
    c = InMemoryCache(max_size=2)
    c.set("a", 1)
    c.set("b", 2)
    c.set("c", 3)
    assert c.get("a") == (False, None)
    assert (c.get("b"), c.get("c")) == ((True, 2), (True, 3))


def test_get_marks_an_entry_as_recently_used() -> None:
    c = InMemoryCache(max_size=2)
    c.set("a", 1)
    c.set("b", 2)
    assert c.get("a") == (True, 1)  # "b" is now the least recently used
    c.set("c", 3)
    assert "b" not in c
    assert c.get("a") == (True, 1)
    assert c.get("c") == (True, 3)


def test_overwriting_refreshes_and_does_not_grow() -> None:
    c = InMemoryCache(max_size=2)
    c.set("a", 1)
    c.set("b", 2)
    c.set("a", 10)  # "b" becomes the oldest
    assert len(c) == 2
    c.set("c", 3)
    assert c.get("a") == (True, 10)
    assert c.get("b") == (False, None)


@pytest.mark.parametrize("bad", [-1, 1.5, "3", True])
def test_max_size_must_be_a_non_negative_int(bad: object) -> None:
    with pytest.raises(ValueError, match="max_size"):
        InMemoryCache(max_size=bad)  # type: ignore[arg-type]


def test_backends_satisfy_the_protocol(tmp_path: object) -> None:
    assert isinstance(InMemoryCache(), CacheBackend)
    assert issubclass(DiskCache, CacheBackend)
    assert not isinstance(object(), CacheBackend)
