import threading

import numpy as np
import pytest

from safe4c.hashlist.matching import COMPACT, FAST, BruteForcePdqIndex, InvalidSignal, MultiHashParams, MultiHashPdqIndex


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


@pytest.mark.parametrize("make", [lambda: BruteForcePdqIndex(max_distance=31), lambda: MultiHashPdqIndex()])
def test_compaction_builds_outside_the_lock_and_keeps_changes_made_meanwhile(make):
    index = make()
    stored = random_hashes(40, seed=3)
    index.add(range(40), stored)
    index.remove(range(0, 40, 2))  # 20 inactive rows to drop
    replacement = random_hashes(1, seed=4)
    during: dict[str, object] = {}

    def while_building():
        # Another thread searches while the new index is built: it must not wait for the compaction.
        searched = threading.Event()
        reader = threading.Thread(target=lambda: (during.update(found=index.search(stored[1:2])), searched.set()))
        reader.start()
        during["search_finished"] = searched.wait(timeout=10)
        reader.join(timeout=10)
        index.add([1], replacement)  # replaced, removed and added during the build: replayed at the swap
        index.remove([3])
        index.add([100], stored[:1])

    index._after_build = while_building
    index.compact()
    assert during == {"search_finished": True, "found": [[(1, 0)]]}
    assert index.inactive_rows == 2 and len(index) == 20  # only rows changed during the build are left
    assert index.search(np.concatenate([stored[1:4], replacement, stored[:1]])) == [
        [], [], [], [(1, 0)], [(100, 0)]]
    assert index.search(stored[5:6]) == [[(5, 0)]]


def test_compaction_re_chooses_parameters_for_the_current_size(monkeypatch):
    from safe4c.hashlist.matching import mih_index

    monkeypatch.setattr(mih_index, "LARGE_LIST", 50)
    index = MultiHashPdqIndex()
    assert index.params == COMPACT and not index.params_outgrown
    index.add(range(60), random_hashes(60))
    assert index.params_outgrown
    index.compact()
    assert index.params == FAST and not index.params_outgrown
    index.remove(range(40))
    assert index.params_outgrown  # below half the crossover
    index.compact()
    assert index.params == COMPACT and index.search(random_hashes(60)[59:]) == [[(59, 0)]]
    pinned = MultiHashPdqIndex(params=COMPACT)
    pinned.add(range(60), random_hashes(60))
    assert not pinned.params_outgrown
    pinned.compact()
    assert pinned.params == COMPACT
