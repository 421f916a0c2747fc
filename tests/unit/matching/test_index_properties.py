"""Every index returns exactly what a plain model returns: same ids, same
distances, through interleaved adds, removes, compactions and searches.

The model shares no code with the indexes (a dict id -> bytes, Python's
popcount, a sort), so a bookkeeping bug in ``PdqIndex`` cannot hide in both.
"""

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from safe4c.hashlist.matching import COMPACT, FAST, BruteForcePdqIndex, MultiHashPdqIndex

hashes = st.binary(min_size=32, max_size=32).map(lambda b: np.frombuffer(b, dtype=np.uint8))
flips = st.lists(st.integers(0, 255), max_size=31, unique=True)
ids = st.integers(0, 60)


class Model:
    """The specification: upsert by id, removal by id, every stored hash within the distance."""

    def __init__(self) -> None:
        self.rows: dict[int, bytes] = {}

    def add(self, ids, rows) -> None:
        for id_, row in zip(ids, rows):
            self.rows[int(id_)] = bytes(row)

    def remove(self, ids) -> int:
        return sum(self.rows.pop(int(id_), None) is not None for id_ in set(ids))

    def search(self, queries, limit: int) -> list[list[tuple[int, int]]]:
        results = []
        for query in queries:
            q = int.from_bytes(bytes(query), "big")
            pairs = [(id_, (q ^ int.from_bytes(row, "big")).bit_count()) for id_, row in self.rows.items()]
            results.append(sorted(((i, d) for i, d in pairs if d <= limit), key=lambda p: (p[1], p[0])))
        return results

    def __len__(self) -> int:
        return len(self.rows)


def flipped(row: np.ndarray, positions: list[int]) -> np.ndarray:
    bits = np.unpackbits(row)
    bits[positions] ^= 1
    return np.packbits(bits)


@st.composite
def operations(draw):
    """A script of ('add', ids, rows) / ('remove', ids) / ('search', rows).

    Added rows and queries are often near duplicates (up to 31 bits flipped) of
    earlier rows, so that matches, clusters and the distance boundary happen.
    """
    seen: list[np.ndarray] = [draw(hashes)]

    def some_hash() -> np.ndarray:
        if draw(st.booleans()):
            return draw(hashes)
        return flipped(draw(st.sampled_from(seen)), draw(flips))

    script = []
    for _ in range(draw(st.integers(1, 12))):
        kind = draw(st.sampled_from(["add", "add", "remove", "search"]))
        if kind == "add":
            batch_ids = draw(st.lists(ids, min_size=1, max_size=15, unique=True))
            rows = [some_hash() for _ in batch_ids]
            seen.extend(rows)
            script.append(("add", batch_ids, np.stack(rows)))
        elif kind == "remove":
            script.append(("remove", draw(st.lists(ids, max_size=10))))
        else:
            script.append(("search", np.stack([some_hash() for _ in range(draw(st.integers(1, 8)))])))
    script.append(("search", np.stack([some_hash() for _ in range(8)])))
    return script


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(script=operations(), kind=st.sampled_from(["fast", "compact", "brute"]), compact_midway=st.booleans(),
       limit=st.integers(0, 31))
def test_every_index_equals_the_model(script, kind, compact_midway, limit):
    fast = {"fast": lambda: MultiHashPdqIndex(params=FAST), "compact": lambda: MultiHashPdqIndex(params=COMPACT),
            "brute": lambda: BruteForcePdqIndex(max_distance=31)}[kind]()
    reference = Model()
    for step, operation in enumerate(script):
        if operation[0] == "add":
            fast.add(operation[1], operation[2])
            reference.add(operation[1], operation[2])
        elif operation[0] == "remove":
            assert fast.remove(operation[1]) == reference.remove(operation[1])
        else:
            assert fast.search(operation[1], limit) == reference.search(operation[1], limit)
        if compact_midway and step == len(script) // 2:
            fast.compact()
        assert len(fast) == len(reference)


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n_flips=st.lists(st.integers(0, 31), min_size=20, max_size=20))
def test_near_duplicates_of_a_larger_random_list_match_brute_force(seed, n_flips):
    rng = np.random.default_rng(seed)
    stored = rng.integers(0, 256, (2000, 32), dtype=np.uint8)
    picks = rng.integers(0, len(stored), len(n_flips))
    queries = np.stack([flipped(stored[p], list(rng.choice(256, k, replace=False))) for p, k in zip(picks, n_flips)])
    fast, reference = MultiHashPdqIndex(), Model()
    for index in (fast, reference):
        index.add(np.arange(len(stored)) * 3 + 1, stored)
    expected = reference.search(queries, 31)
    assert fast.search(queries) == expected
    for pick, k, found in zip(picks, n_flips, expected):
        assert (int(pick) * 3 + 1, k) in found
