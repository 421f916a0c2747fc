"""A frozen PDQ index in flat arrays, so that it can live in a memory-mapped file shared by every process.

Multi-index hashing (the scheme FAISS's ``IndexBinaryMultiHash`` uses, see mih_index.py), but stored the way a
static list allows: for each of ``NHASH`` chunks of ``bits`` bits, the rows sorted by their chunk value
(``rows``, uint32) and where each chunk value starts (``offsets``, one uint32 per possible value, like a CSR
matrix). A query probes, in every table, each chunk value within ``NFLIP`` bit flips of its own, and checks the
full distance of every row found. Exact for the same reason as FAISS's: ``NHASH * (NFLIP + 1) = 33 > 31``, so a
hash within distance 31 agrees with the query on some chunk up to 2 flips (pigeonhole).

The arrays: ``vectors`` (n, 32) uint8, ``ids`` (n,) int64, ``offsets`` (NHASH, 2**bits + 1) uint32 and ``rows``
(NHASH, n) uint32. With ``bits`` near log2(n) (``bits_for``) a table has about one row per chunk value, so a
query checks a few thousand candidates at 1 or 10 million hashes, and the whole index takes about
32 + 8 + 11 * 4 + 11 * 4 * 2**bits / n, i.e. 100-130 bytes per hash. Pure numpy: search works on batches of
queries with a fixed number of numpy calls per batch (no Python loop per candidate).

``ExactKeys`` is the same idea for md5, sha1, sha256 and url: sorted 64-bit prefixes of SHA-256 keys with the
full digests and the entry ids, found by binary search (48 bytes per entry).
"""

from __future__ import annotations

import hashlib
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from itertools import combinations

import numpy as np

from safe4c.hashlist.matching.pdq import PDQ_BYTES

NHASH = 11
NFLIP = 2
MAX_EXACT_DISTANCE = NHASH * (NFLIP + 1) - 1  # 32
MIN_BITS, MAX_BITS = 12, 23  # 11 * 23 = 253 <= 256 bits
_BUILD_CHUNK = 1_000_000
_SEARCH_BATCH = 256  # queries per numpy pass: keeps the candidate arrays to a few MB
# A batch of several passes is searched by up to this many threads: numpy lets go of the GIL inside its loops,
# so a large batch (a partner's list checked against ours) uses the machine's cores, as FAISS does.
SEARCH_THREADS = max(1, min(4, os.cpu_count() or 1))
_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def _search_pool() -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=SEARCH_THREADS, thread_name_prefix="safe4c-pdq-search")
        return _pool


def bits_for(n_hashes: int) -> int:
    """Chunk width: about one row per chunk value (2**bits close to n)."""
    return int(min(MAX_BITS, max(MIN_BITS, int(np.log2(max(n_hashes, 1))) + 1)))


def _flip_masks(bits: int) -> np.ndarray:
    masks = [0] + [1 << i for i in range(bits)]
    masks += [(1 << i) | (1 << j) for i, j in combinations(range(bits), 2)]
    return np.array(masks, dtype=np.int64)


def chunk_keys(vectors: np.ndarray, bits: int) -> np.ndarray:
    """(n, NHASH) int64: chunk t is bits [t*bits, (t+1)*bits) of the 256, most significant first."""
    words = np.ascontiguousarray(vectors).view(">u8").astype(np.uint64)  # (n, 4), big-endian words
    keys = np.empty((len(vectors), NHASH), dtype=np.int64)
    mask = np.uint64((1 << bits) - 1)
    for t in range(NHASH):
        start = t * bits
        word, offset = divmod(start, 64)
        if offset + bits <= 64:
            value = (words[:, word] >> np.uint64(64 - offset - bits)) & mask
        else:
            low_bits = offset + bits - 64
            value = ((words[:, word] << np.uint64(low_bits)) | (words[:, word + 1] >> np.uint64(64 - low_bits))) & mask
        keys[:, t] = value.astype(np.int64)
    return keys


def build_pdq_arrays(ids: np.ndarray, vectors: np.ndarray) -> dict[str, np.ndarray]:
    """The arrays of a ``StaticPdqIndex`` over ``vectors`` (rows keep their order)."""
    n = len(vectors)
    bits = bits_for(n)
    size = 1 << bits
    offsets = np.zeros((NHASH, size + 1), dtype=np.uint32)
    rows = np.empty((NHASH, n), dtype=np.uint32)
    keys = np.empty((NHASH, n), dtype=np.uint32)
    for start in range(0, n, _BUILD_CHUNK):
        keys[:, start:start + _BUILD_CHUNK] = chunk_keys(vectors[start:start + _BUILD_CHUNK], bits).T
    for t in range(NHASH):
        # any order within a bucket will do (a search takes the whole bucket, and the matches are made unique and
        # sorted by row afterwards): quicksort, 4x faster than a stable sort at a million rows
        order = np.argsort(keys[t], kind="quicksort").astype(np.uint32)
        rows[t] = order
        counts = np.bincount(keys[t], minlength=size)
        np.cumsum(counts, out=offsets[t, 1:])
    return {"pdq_vectors": np.ascontiguousarray(vectors, dtype=np.uint8).reshape(n, PDQ_BYTES),
            "pdq_ids": np.asarray(ids, dtype=np.int64), "pdq_offsets": offsets, "pdq_rows": rows}


class StaticPdqIndex:
    """Search over the arrays of ``build_pdq_arrays`` (numpy arrays or memory maps; never written)."""

    def __init__(self, arrays: dict[str, np.ndarray]) -> None:
        self.vectors = arrays["pdq_vectors"]
        self.ids = arrays["pdq_ids"]
        self.offsets = arrays["pdq_offsets"]
        self.rows = arrays["pdq_rows"]
        self.n = len(self.ids)
        self.bits = int(np.log2(self.offsets.shape[1] - 1)) if self.n else MIN_BITS
        self._words = self.vectors.view(np.uint64).reshape(self.n, 4) if self.n else None
        self._masks = _flip_masks(self.bits)
        self._flat_offsets = self.offsets.reshape(-1)
        self._flat_rows = self.rows.reshape(-1)
        self._table_base = (np.arange(NHASH, dtype=np.int64) * (self.offsets.shape[1]))[None, :, None]
        self._row_base = (np.arange(NHASH, dtype=np.int64) * self.n)[None, :, None]

    def __len__(self) -> int:
        return self.n

    def search_rows(self, queries: np.ndarray, max_distance: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(query index, row, distance) of every row within ``max_distance`` (inclusive), each pair once,
        sorted by query then row."""
        if max_distance > MAX_EXACT_DISTANCE:
            raise ValueError(f"the static index is exact up to distance {MAX_EXACT_DISTANCE}")
        empty = np.empty(0, dtype=np.int64)
        if not self.n or not len(queries):
            return empty, empty, empty
        starts = range(0, len(queries), _SEARCH_BATCH)
        if len(starts) > 1 and SEARCH_THREADS > 1:
            parts = list(_search_pool().map(
                lambda s: self._search_batch(queries[s:s + _SEARCH_BATCH], max_distance, s), starts))
        else:
            parts = [self._search_batch(queries[s:s + _SEARCH_BATCH], max_distance, s) for s in starts]
        return tuple(np.concatenate([p[i] for p in parts]) for i in range(3))  # type: ignore[return-value]

    def _search_batch(self, queries: np.ndarray, max_distance: int, first: int):
        q = len(queries)
        probes = chunk_keys(queries, self.bits)[:, :, None] ^ self._masks[None, None, :]  # (q, NHASH, P)
        slots = (probes + self._table_base).reshape(-1)
        starts = np.take(self._flat_offsets, slots).astype(np.int64)
        lengths = np.take(self._flat_offsets, slots + 1).astype(np.int64) - starts
        starts += np.broadcast_to(self._row_base, probes.shape).reshape(-1)
        per_query = lengths.reshape(q, -1).sum(axis=1)
        total = int(per_query.sum())
        if not total:
            empty = np.empty(0, dtype=np.int64)
            return empty, empty, empty
        ends = np.cumsum(lengths)
        positions = np.arange(total, dtype=np.int64) + np.repeat(starts - (ends - lengths), lengths)
        candidates = np.take(self._flat_rows, positions).astype(np.int64)
        cand_query = np.repeat(np.arange(q, dtype=np.int64), per_query)
        query_words = np.ascontiguousarray(queries).view(np.uint64).reshape(q, 4)
        xor = np.take(self._words, candidates, axis=0)
        xor ^= np.take(query_words, cand_query, axis=0)
        distances = np.bitwise_count(xor).sum(axis=1, dtype=np.int64)
        hit = distances <= max_distance
        # a row found in several tables is one match: unique on (query, row), which also sorts them
        pairs, first_at = np.unique(cand_query[hit] * self.n + candidates[hit], return_index=True)
        return pairs // self.n + first, pairs % self.n, distances[hit][first_at]


def exact_digest(signal_type: str, match_key: str) -> bytes:
    return hashlib.sha256(f"{signal_type}:{match_key}".encode()).digest()


def build_exact_arrays(ids: np.ndarray, digests: np.ndarray) -> dict[str, np.ndarray]:
    """``digests`` (k, 32) uint8 from ``exact_digest``; sorted by their first 8 bytes (big-endian)."""
    digests = np.ascontiguousarray(digests, dtype=np.uint8).reshape(-1, 32)
    prefixes = digests[:, :8].copy().view(">u8").reshape(-1).astype(np.uint64)
    order = np.argsort(prefixes, kind="stable")
    return {"exact_prefixes": prefixes[order], "exact_digests": digests[order],
            "exact_ids": np.asarray(ids, dtype=np.int64)[order]}


class ExactKeys:
    def __init__(self, arrays: dict[str, np.ndarray]) -> None:
        self.prefixes = arrays["exact_prefixes"]
        self.digests = arrays["exact_digests"]
        self.ids = arrays["exact_ids"]

    def __len__(self) -> int:
        return len(self.ids)

    def lookup(self, digest: bytes) -> list[int]:
        prefix = np.uint64(int.from_bytes(digest[:8], "big"))
        lo = int(np.searchsorted(self.prefixes, prefix, side="left"))
        hi = int(np.searchsorted(self.prefixes, prefix, side="right"))
        return [int(self.ids[i]) for i in range(lo, hi) if self.digests[i].tobytes() == digest]
