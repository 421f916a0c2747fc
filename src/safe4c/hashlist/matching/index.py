"""PDQ hash indexes: the interface, shared bookkeeping and the brute-force
reference every fast index is tested against.

Ids are the caller's int64 identifiers (for example hash-table row ids).
Internally each added hash gets a *row*; removal only marks the row inactive
(a mask applied to results), because FAISS multi-index hashing cannot delete
in place. ``compact()`` rebuilds without inactive rows to give memory back; it
builds the new index outside the lock, so searches go on meanwhile.

``add`` is an upsert: adding an id that is already active replaces its hash.
That keeps a matcher that replays hash-table changes (at least once) correct.

Thread safety: every public method takes a readers-writer lock, so searches
run concurrently with each other and never see a half-applied add or remove.
``compact()`` holds the write lock only to replay what changed during its
build and swap the new index in.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence

import threading

import numpy as np

from safe4c.hashlist.matching.pdq import PDQ_BYTES, PDQ_MATCH_DISTANCE, hashes_to_array
from safe4c.hashlist.matching.rwlock import ReadWriteLock

Match = tuple[int, int]  # (id, distance)
_POPCOUNT = np.array([bin(i).count("1") for i in range(256)], dtype=np.uint16)


def hamming_distances(query: np.ndarray, stored: np.ndarray) -> np.ndarray:
    """Distances from one (32,) uint8 query to every row of an (n, 32) array."""
    xor = np.bitwise_xor(stored, query)
    if hasattr(np, "bitwise_count"):  # numpy >= 2: hardware popcount on 64-bit words
        return np.bitwise_count(xor.view(np.uint64)).sum(axis=1, dtype=np.int64)
    return _POPCOUNT[xor].sum(axis=1, dtype=np.int64)


def _as_ids(ids: Iterable[int] | np.ndarray) -> np.ndarray:
    array = np.asarray(list(ids) if not isinstance(ids, np.ndarray) else ids)
    if array.size == 0:
        return np.empty(0, dtype=np.int64)
    if array.ndim != 1 or not np.issubdtype(array.dtype, np.integer):
        raise ValueError("ids must be a flat sequence of integers")
    return array.astype(np.int64, copy=False)


class _GrowingArray:
    """An append-only numpy array with amortised doubling (no copy per add)."""

    def __init__(self, dtype: np.dtype | type, width: int | None = None) -> None:
        shape = (16,) if width is None else (16, width)
        self._data = np.zeros(shape, dtype=dtype)
        self.size = 0

    def extend(self, values: np.ndarray) -> None:
        needed = self.size + len(values)
        if needed > len(self._data):
            capacity = max(needed, 2 * len(self._data))
            grown = np.zeros((capacity, *self._data.shape[1:]), dtype=self._data.dtype)
            grown[: self.size] = self._data[: self.size]
            self._data = grown
        self._data[self.size : needed] = values
        self.size = needed

    @property
    def view(self) -> np.ndarray:
        return self._data[: self.size]


class PdqIndex(ABC):
    """Interface and bookkeeping shared by every PDQ index."""

    def __init__(self, *, max_distance: int = PDQ_MATCH_DISTANCE) -> None:
        self.max_distance = max_distance
        self._lock = ReadWriteLock()
        self._compacting = threading.Lock()  # one compaction at a time
        self._row_ids = _GrowingArray(np.int64)
        self._row_active = _GrowingArray(np.bool_)
        self._row_of_id: dict[int, int] = {}

    # -- public API --------------------------------------------------------

    def add(self, ids: Sequence[int] | np.ndarray, hashes: Sequence[str] | np.ndarray) -> None:
        """Add (or replace) hashes; ``ids[i]`` names ``hashes[i]``."""
        id_array = _as_ids(ids)
        hash_array = hashes_to_array(hashes)
        if len(id_array) != len(hash_array):
            raise ValueError("ids and hashes must have the same length")
        if len(np.unique(id_array)) != len(id_array):
            raise ValueError("ids must be unique within one add")
        if not len(id_array):
            return
        with self._lock.writing():
            self._insert(id_array, hash_array)

    def remove(self, ids: Iterable[int] | np.ndarray) -> int:
        """Stop matching these ids; unknown ids are ignored. Returns how many were active."""
        id_array = _as_ids(ids)
        with self._lock.writing():
            return self._deactivate(id_array)

    def search(
        self, queries: Sequence[str] | np.ndarray, max_distance: int | None = None
    ) -> list[list[Match]]:
        """For each query, the active (id, distance) pairs within ``max_distance``
        (inclusive), sorted by distance then id."""
        limit = self.max_distance if max_distance is None else max_distance
        if not 0 <= limit <= self.max_distance:
            raise ValueError(f"max_distance must be between 0 and {self.max_distance} for this index")
        query_array = hashes_to_array(queries)
        with self._lock.reading():
            if not len(query_array) or not self._row_ids.size:
                return [[] for _ in range(len(query_array))]
            limits, distances, rows = self._search_rows(query_array, limit)
            return self._to_matches(limits, distances, rows)

    def compact(self) -> None:
        """Rebuild without removed rows (O(n)); call when many were removed.

        Searches, adds and removes go on during the build: it reads a snapshot
        under the read lock, builds a new index with no lock held, then, under
        a short write lock, replays what changed meanwhile and swaps it in.
        """
        with self._compacting:
            with self._lock.reading():
                snapshot_rows = self._row_ids.size
                kept_rows = np.flatnonzero(self._row_active.view)
                ids = self._row_ids.view[kept_rows].copy()
                hashes = self._stored_hashes()[kept_rows]
            fresh = self._empty_for(len(ids))
            fresh._insert(ids, hashes)  # the slow part; ``fresh`` is not shared yet
            self._after_build()
            with self._lock.writing():
                removed_meanwhile = kept_rows[~self._row_active.view[kept_rows]]
                fresh._deactivate(self._row_ids.view[removed_meanwhile])
                later_rows = np.arange(snapshot_rows, self._row_ids.size)
                later_rows = later_rows[self._row_active.view[later_rows]]
                if len(later_rows):  # added (or replaced) meanwhile, in order: add is an upsert
                    fresh._insert(self._row_ids.view[later_rows], self._stored_hashes()[later_rows])
                self._adopt(fresh)

    def __len__(self) -> int:
        return len(self._row_of_id)

    def __contains__(self, id_: object) -> bool:
        return id_ in self._row_of_id

    @property
    def inactive_rows(self) -> int:
        """Rows kept only because removal is a mask; ``compact()`` frees them."""
        return self._row_ids.size - len(self._row_of_id)

    # -- for subclasses ----------------------------------------------------

    @abstractmethod
    def _append_rows(self, hashes: np.ndarray) -> None: ...

    @abstractmethod
    def _search_rows(
        self, queries: np.ndarray, max_distance: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """FAISS range-search layout: rows and distances of query i are
        ``rows[limits[i]:limits[i+1]]``, all within ``max_distance`` inclusive."""

    @abstractmethod
    def _stored_hashes(self) -> np.ndarray: ...

    def _empty_for(self, n_hashes: int) -> PdqIndex:
        """A new, empty index like this one, for ``n_hashes`` hashes (``compact``)."""
        return type(self)(max_distance=self.max_distance)

    def _after_build(self) -> None:
        """Called by ``compact`` between its build and the swap, with no lock held (a seam for tests)."""

    def _adopt(self, fresh: PdqIndex) -> None:
        """Take over ``fresh``'s rows and storage (under the write lock); the locks stay ours."""
        for name, value in vars(fresh).items():
            if name not in ("_lock", "_compacting"):
                setattr(self, name, value)

    # -- helpers -----------------------------------------------------------

    def _insert(self, id_array: np.ndarray, hash_array: np.ndarray) -> None:
        """``add`` without the lock: the caller holds the write lock or owns the index."""
        self._deactivate(id_array)
        first_row = self._row_ids.size
        self._append_rows(hash_array)
        self._row_ids.extend(id_array)
        self._row_active.extend(np.ones(len(id_array), dtype=np.bool_))
        for offset, id_ in enumerate(id_array.tolist()):
            self._row_of_id[id_] = first_row + offset

    def _deactivate(self, ids: np.ndarray) -> int:
        removed = 0
        active = self._row_active.view
        for id_ in ids.tolist():
            row = self._row_of_id.pop(id_, None)
            if row is not None:
                active[row] = False
                removed += 1
        return removed

    def _to_matches(self, limits: np.ndarray, distances: np.ndarray, rows: np.ndarray) -> list[list[Match]]:
        keep = self._row_active.view[rows]
        ids = self._row_ids.view[rows]
        results: list[list[Match]] = []
        for start, end in zip(limits[:-1].tolist(), limits[1:].tolist()):
            mask = keep[start:end]
            pairs = zip(ids[start:end][mask].tolist(), distances[start:end][mask].tolist())
            results.append(sorted(pairs, key=lambda pair: (pair[1], pair[0])))
        return results


class BruteForcePdqIndex(PdqIndex):
    """Exact reference: compares each query with every stored hash.

    O(n) per query; used by tests and the benchmark as ground truth, and fine
    in production for lists of a few thousand hashes.
    """

    def __init__(self, *, max_distance: int = 256) -> None:
        super().__init__(max_distance=max_distance)
        self._hashes = _GrowingArray(np.uint8, PDQ_BYTES)

    def _append_rows(self, hashes: np.ndarray) -> None:
        self._hashes.extend(hashes)

    def _search_rows(self, queries: np.ndarray, max_distance: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        stored = self._hashes.view
        rows_per_query, distances_per_query = [], []
        for query in queries:
            distances = hamming_distances(query, stored)
            rows = np.flatnonzero(distances <= max_distance)
            rows_per_query.append(rows)
            distances_per_query.append(distances[rows])
        limits = np.zeros(len(queries) + 1, dtype=np.int64)
        limits[1:] = np.cumsum([len(rows) for rows in rows_per_query])
        return limits, np.concatenate(distances_per_query), np.concatenate(rows_per_query)

    def _stored_hashes(self) -> np.ndarray:
        return self._hashes.view.copy()
