"""Fast PDQ index: FAISS binary multi-index hashing (MIH), exact by design.

MIH splits the 256 bits into ``nhash`` chunks of ``bits_per_hash`` bits, keeps
one hash table per chunk, and at query time probes every chunk key within
``nflip`` bit flips, then checks the full distance of each candidate.

Exactness (100% recall) follows from the pigeonhole principle: if two hashes
differ in at most ``max_distance`` bits and every chunk differed in more than
``nflip`` bits, there would be at least ``nhash * (nflip + 1)`` differing bits.
So ``nhash * (nflip + 1) > max_distance`` guarantees that some chunk differs in
at most ``nflip`` bits and the true match is among the candidates. Bits left
outside the chunks only make this easier. The constructor refuses parameters
that break the guarantee.

Presets (measured on 2 cores, uniform random hashes; see docs/matching.md):

- ``FAST`` 11 x 23 bits, nflip 2: ~4x the queries/s of 16 x 16 at 1M hashes, but
  ~0.9 KiB per hash, because nearly every chunk value has its own bucket.
- ``COMPACT`` 16 x 16 bits, nflip 1 (what python-threatexchange uses): ~0.35 KiB
  per hash, slower as buckets fill (65,536 keys per table).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from safe4c.hashlist.matching.index import PdqIndex
from safe4c.hashlist.matching.pdq import PDQ_BITS, PDQ_BYTES, PDQ_MATCH_DISTANCE


@dataclass(frozen=True, slots=True)
class MultiHashParams:
    nhash: int
    bits_per_hash: int
    nflip: int

    def is_exact_for(self, max_distance: int) -> bool:
        return (
            self.nhash * self.bits_per_hash <= PDQ_BITS
            and self.nhash * (self.nflip + 1) > max_distance
        )

    @property
    def max_exact_distance(self) -> int:
        return self.nhash * (self.nflip + 1) - 1

    @staticmethod
    def for_expected_size(n_hashes: int, max_distance: int = PDQ_MATCH_DISTANCE) -> MultiHashParams:
        """FAST pays ~3,000 hash-table probes per query whatever the size;
        COMPACT pays ~270 probes plus N / 65,536 candidates per probe. Measured
        crossover on random hashes: a few hundred thousand hashes. COMPACT is
        only chosen where it is exact (distance <= 31)."""
        if n_hashes < LARGE_LIST and COMPACT.is_exact_for(max_distance):
            return COMPACT
        return FAST


LARGE_LIST = 300_000
FAST = MultiHashParams(nhash=11, bits_per_hash=23, nflip=2)
COMPACT = MultiHashParams(nhash=16, bits_per_hash=16, nflip=1)


class MultiHashPdqIndex(PdqIndex):
    """Exact PDQ range search at distance <= ``max_distance`` with FAISS MIH.

    Adds are incremental (FAISS appends to its hash tables; no rebuild).
    ``nflip`` is fixed at construction, never changed per search, so
    concurrent searches never race on it.

    Without ``params`` they are chosen for ``expected_size`` hashes
    (:meth:`MultiHashParams.for_expected_size`) and chosen again for the
    current size at every ``compact()``; explicit ``params`` are kept.
    """

    def __init__(self, *, max_distance: int = PDQ_MATCH_DISTANCE, params: MultiHashParams | None = None,
                 expected_size: int = 0) -> None:
        self.auto_params = params is None
        if params is None:
            params = MultiHashParams.for_expected_size(expected_size, max_distance)
        if not params.is_exact_for(max_distance):
            raise ValueError(
                f"{params} cannot guarantee full recall at distance {max_distance}; "
                f"it is exact only up to {params.max_exact_distance}"
            )
        super().__init__(max_distance=max_distance)
        self.params = params
        self._faiss = self._new_faiss_index()

    def _new_faiss_index(self):  # type: ignore[no-untyped-def]
        import faiss

        index = faiss.IndexBinaryMultiHash(PDQ_BITS, self.params.nhash, self.params.bits_per_hash)
        index.nflip = self.params.nflip
        return index

    def _append_rows(self, hashes: np.ndarray) -> None:
        self._faiss.add(hashes)

    def _search_rows(self, queries: np.ndarray, max_distance: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        # FAISS binary range search keeps distances strictly below the radius.
        limits, distances, rows = self._faiss.range_search(queries, max_distance + 1)
        return limits, distances.astype(np.int64, copy=False), rows

    def _stored_hashes(self) -> np.ndarray:
        import faiss

        return faiss.vector_to_array(self._faiss.storage.xb).reshape(-1, PDQ_BYTES)

    def _empty_for(self, n_hashes: int) -> MultiHashPdqIndex:
        params = None if self.auto_params else self.params
        return MultiHashPdqIndex(max_distance=self.max_distance, params=params, expected_size=n_hashes)

    @property
    def params_outgrown(self) -> bool:
        """Chosen parameters no longer suit the size: a ``compact()`` would choose others."""
        if not self.auto_params:
            return False
        # Hysteresis: a list hovering around the crossover must not be rebuilt at every change.
        if self.params == COMPACT:
            return len(self) >= LARGE_LIST
        return MultiHashParams.for_expected_size(2 * len(self), self.max_distance) == COMPACT
