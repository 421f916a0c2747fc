"""The static (snapshot) PDQ index and the exact-key arrays: same results as brute force, through a file."""

from __future__ import annotations

import numpy as np
import pytest

from safe4c.hashlist.matching import BruteForcePdqIndex
from safe4c.hashlist.matching.bench import flip_random_bits
from safe4c.hashlist.matching.static_index import (
    ExactKeys,
    StaticPdqIndex,
    bits_for,
    build_exact_arrays,
    build_pdq_arrays,
    exact_digest,
)


def as_sets(query_of, rows, distances, ids, n_queries):
    found = [set() for _ in range(n_queries)]
    for q, r, d in zip(query_of.tolist(), rows.tolist(), distances.tolist()):
        found[q].add((int(ids[r]), d))
    return found


@pytest.mark.parametrize("n", [1, 50, 3000, 40_000])
def test_results_equal_brute_force_at_every_distance_up_to_31(n):
    rng = np.random.default_rng(n)
    stored = rng.integers(0, 256, (n, 32), dtype=np.uint8)
    stored[n // 2:] = flip_random_bits(stored[: n - n // 2], rng.integers(0, 40, n - n // 2), rng)  # clusters
    ids = rng.permutation(10 * n)[:n].astype(np.int64)
    picks = rng.integers(0, n, 300)
    queries = np.concatenate([flip_random_bits(stored[picks], rng.integers(0, 34, 300), rng),
                              rng.integers(0, 256, (50, 32), dtype=np.uint8)])
    index = StaticPdqIndex(build_pdq_arrays(ids, stored))
    brute = BruteForcePdqIndex(max_distance=31)
    brute.add(ids, stored)
    for limit in (31, 20, 0):
        assert as_sets(*index.search_rows(queries, limit), ids, len(queries)) == \
            [set(m) for m in brute.search(queries, max_distance=limit)]


def test_a_large_batch_searched_by_several_threads_gives_the_same_arrays_in_the_same_order(monkeypatch):
    import safe4c.hashlist.matching.static_index as static_index

    rng = np.random.default_rng(7)
    stored = rng.integers(0, 256, (5000, 32), dtype=np.uint8)
    queries = np.concatenate([flip_random_bits(stored[rng.integers(0, 5000, 900)], rng.integers(0, 34, 900), rng),
                              rng.integers(0, 256, (300, 32), dtype=np.uint8)])  # 1,200: five passes
    index = StaticPdqIndex(build_pdq_arrays(np.arange(5000, dtype=np.int64), stored))
    monkeypatch.setattr(static_index, "SEARCH_THREADS", 1)
    alone = index.search_rows(queries, 31)
    monkeypatch.setattr(static_index, "SEARCH_THREADS", 3)
    threaded = index.search_rows(queries, 31)
    assert len(alone[0]) > 800  # the near copies within 31 bits were found (flips of 32 and 33 are not)
    assert all(np.array_equal(a, b) for a, b in zip(alone, threaded))
    assert np.all(np.diff(threaded[0]) >= 0)  # sorted by query


def test_a_row_found_in_several_tables_is_one_match_and_duplicates_of_a_hash_all_match():
    stored = np.zeros((3, 32), dtype=np.uint8)  # three entries with the same hash (three banks)
    index = StaticPdqIndex(build_pdq_arrays(np.array([7, 8, 9]), stored))
    query_of, rows, distances = index.search_rows(np.zeros((1, 32), dtype=np.uint8), 31)
    assert sorted(index.ids[rows].tolist()) == [7, 8, 9] and distances.tolist() == [0, 0, 0]


def test_empty_index_and_chunk_widths():
    index = StaticPdqIndex(build_pdq_arrays(np.empty(0, dtype=np.int64), np.empty((0, 32), dtype=np.uint8)))
    assert [len(a) for a in index.search_rows(np.zeros((2, 32), dtype=np.uint8), 31)] == [0, 0, 0]
    assert bits_for(0) == 12 and bits_for(1_000_000) == 20 and bits_for(10**9) == 23
    with pytest.raises(ValueError):
        index.search_rows(np.zeros((1, 32), dtype=np.uint8), 33)


def test_exact_keys_find_every_entry_of_a_value():
    keys = [exact_digest("md5", "a" * 32), exact_digest("url", "https://example.com/a"),
            exact_digest("md5", "a" * 32), exact_digest("sha256", "b" * 64)]
    arrays = build_exact_arrays(np.array([1, 2, 3, 4]), np.frombuffer(b"".join(keys), dtype=np.uint8).reshape(-1, 32))
    exact = ExactKeys(arrays)
    assert sorted(exact.lookup(exact_digest("md5", "a" * 32))) == [1, 3]
    assert exact.lookup(exact_digest("url", "https://example.com/a")) == [2]
    assert exact.lookup(exact_digest("md5", "c" * 32)) == []
