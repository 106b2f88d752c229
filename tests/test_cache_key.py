"""compute_cache_key: stable, input-order independent, empty when inputs cannot be pickled."""

from __future__ import annotations

import hashlib
import pickle
import threading

from hypergraph_typed.cache import compute_cache_key


def test_key_is_sha256_of_hash_then_sorted_pickled_inputs() -> None:
    inputs = {"b": [1, 2], "a": "x"}
    expected = hashlib.sha256(
        b"deadbeef" + pickle.dumps(sorted(inputs.items()), protocol=5)
    ).hexdigest()
    assert compute_cache_key("deadbeef", inputs) == expected


def test_key_ignores_insertion_order_but_not_values_or_names() -> None:
    k = compute_cache_key("h", {"a": 1, "b": 2})
    assert len(k) == 64 and int(k, 16) >= 0
    assert compute_cache_key("h", {"b": 2, "a": 1}) == k
    assert compute_cache_key("h", {"a": 1, "b": 3}) != k
    assert compute_cache_key("h", {"a": 1, "c": 2}) != k
    assert compute_cache_key("other", {"a": 1, "b": 2}) != k
    assert compute_cache_key("h", {}) != compute_cache_key("g", {})


def test_unpicklable_inputs_give_an_empty_key() -> None:
    assert compute_cache_key("h", {"lock": threading.Lock()}) == ""
    assert compute_cache_key("h", {"f": lambda: 1}) == ""
