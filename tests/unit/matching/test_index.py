import threading

import numpy as np
import pytest

from safe4c.matching import (
    COMPACT,
    FAST,
    BruteForcePdqIndex,
    InvalidSignal,
    MultiHashParams,
    MultiHashPdqIndex,
)


def random_hashes(n: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (n, 32), dtype=np.uint8)


def flip(hash_row: np.ndarray, positions) -> np.ndarray:
    bits = np.unpackbits(hash_row.copy())
    bits[list(positions)] ^= 1
    return np.packbits(bits)


@pytest.fixture(params=["brute", "fast", "compact"])
def index(request):
    return {
        "brute": lambda: BruteForcePdqIndex(max_distance=31),
        "fast": lambda: MultiHashPdqIndex(params=FAST),
        "compact": lambda: MultiHashPdqIndex(params=COMPACT),
    }[request.param]()


def test_finds_near_duplicates_up_to_31_bits_and_not_32(index):
    stored = random_hashes(50)
    index.add(range(100, 150), stored)
    queries = np.stack([flip(stored[0], range(31)), flip(stored[1], range(32)), stored[2]])
    assert index.search(queries) == [[(100, 31)], [], [(102, 0)]]


def test_accepts_hex_strings_and_a_smaller_max_distance(index):
    stored = random_hashes(3)
    index.add([1, 2, 3], [row.tobytes().hex() for row in stored])
    query = flip(stored[1], range(10)).tobytes().hex()
    assert index.search([query]) == [[(2, 10)]]
    assert index.search([query], max_distance=9) == [[]]


def test_results_are_sorted_by_distance_then_id(index):
    base = random_hashes(1)[0]
    index.add([5, 4, 3], np.stack([flip(base, [0, 1]), flip(base, [2]), flip(base, [3, 4])]))
    assert index.search(base[None, :]) == [[(4, 1), (3, 2), (5, 2)]]


def test_removed_ids_stop_matching_and_can_come_back(index):
    stored = random_hashes(4)
    index.add([1, 2, 3, 4], stored)
    assert index.remove([2, 99]) == 1
    assert 2 not in index and len(index) == 3
    assert index.search(stored[1:2]) == [[]]
    index.add([2], stored[1:2])
    assert index.search(stored[1:2]) == [[(2, 0)]]


def test_adding_an_active_id_replaces_its_hash(index):
    old, new = random_hashes(2)
    index.add([7], old[None, :])
    index.add([7], new[None, :])
    assert len(index) == 1
    assert index.search(np.stack([old, new])) == [[], [(7, 0)]]


def test_compact_drops_removed_rows_and_keeps_results(index):
    stored = random_hashes(20)
    index.add(range(20), stored)
    index.remove(range(0, 20, 2))
    before = index.search(stored)
    assert index.inactive_rows == 10
    index.compact()
    assert index.inactive_rows == 0
    assert index.search(stored) == before
    index.add([0], stored[:1])
    assert index.search(stored[:1]) == [[(0, 0)]]


def test_empty_index_and_empty_query_batches(index):
    assert index.search(random_hashes(2)) == [[], []]
    index.add([], np.empty((0, 32), dtype=np.uint8))
    assert index.search(np.empty((0, 32), dtype=np.uint8)) == []


def test_bad_input_is_refused(index):
    with pytest.raises(ValueError, match="same length"):
        index.add([1, 2], random_hashes(1))
    with pytest.raises(ValueError, match="unique"):
        index.add([1, 1], random_hashes(2))
    with pytest.raises(InvalidSignal):
        index.add([1], ["not a hash"])
    with pytest.raises(ValueError, match="max_distance"):
        index.search(random_hashes(1), max_distance=-1)


def test_fast_index_refuses_distances_it_cannot_guarantee():
    with pytest.raises(ValueError, match="between 0 and 31"):
        MultiHashPdqIndex().search(random_hashes(1), max_distance=32)


@pytest.mark.parametrize(
    ("params", "exact_up_to"),
    [(FAST, 32), (COMPACT, 31), (MultiHashParams(32, 8, 0), 31), (MultiHashParams(10, 25, 2), 29)],
)
def test_parameters_are_checked_for_full_recall(params, exact_up_to):
    assert params.max_exact_distance == exact_up_to
    MultiHashPdqIndex(params=params, max_distance=exact_up_to)
    with pytest.raises(ValueError, match="cannot guarantee full recall"):
        MultiHashPdqIndex(params=params, max_distance=exact_up_to + 1)


@pytest.mark.parametrize("params", [FAST, COMPACT])
def test_worst_case_spread_of_31_flips_is_still_found(params):
    # Spread the flips as evenly as possible over the chunks so that as many
    # chunks as possible exceed nflip: the case the pigeonhole bound is about.
    base = random_hashes(1, seed=9)[0]
    b, n = params.bits_per_hash, params.nhash
    queries = []
    for shift in range(b):
        positions = [chunk * b + (shift + k) % b for k in range(params.nflip + 1) for chunk in range(n)]
        positions = sorted(set(positions))[:31]
        queries.append(flip(base, positions))
    index = MultiHashPdqIndex(params=params)
    index.add([1], base[None, :])
    for result in index.search(np.stack(queries)):
        assert result == [(1, 31)]


def test_searches_run_while_another_thread_adds_and_removes():
    index = MultiHashPdqIndex()
    anchors = random_hashes(10, seed=1)
    index.add(range(10), anchors)
    errors: list[BaseException] = []
    stop = threading.Event()

    def search_forever():
        try:
            while not stop.is_set():
                results = index.search(anchors)
                assert [r[0] for r in results] == [(i, 0) for i in range(10)]
        except BaseException as error:  # surfaced in the main thread below
            errors.append(error)

    readers = [threading.Thread(target=search_forever) for _ in range(3)]
    for reader in readers:
        reader.start()
    try:
        for round_ in range(30):
            ids = range(1000 + round_ * 50, 1050 + round_ * 50)
            index.add(ids, random_hashes(50, seed=100 + round_))
            index.remove(list(ids)[::3])
    finally:
        stop.set()
        for reader in readers:
            reader.join()
    assert not errors
    assert len(index) == 10 + 30 * 33


def test_parameters_follow_the_expected_list_size():
    assert MultiHashParams.for_expected_size(10_000) == COMPACT
    assert MultiHashParams.for_expected_size(5_000_000) == FAST
