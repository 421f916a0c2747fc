"""Benchmark of PDQ matching: ``safe4c bench match --hashes N``.

Builds the fast index on N synthetic hashes, measures build time, memory,
single and batched queries per second and recall against the brute-force
reference, and runs python-threatexchange's PDQ index (the one its PDQ signal
type uses) on the same data for a side-by-side ratio.

Synthetic data: uniformly random 256-bit hashes, 10% of them near duplicates
of others (clusters, as real hash lists have), and queries of which half are
near duplicates of listed hashes with 0-31 bits flipped and half are unrelated.
Real PDQ hashes are less uniform than random bits, so real buckets are fuller
and real throughput somewhat lower; recall is unaffected (the index is exact).
"""

from __future__ import annotations

import gc
import os
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from safe4c.hashlist.matching.index import BruteForcePdqIndex, PdqIndex
from safe4c.hashlist.matching.mih_index import FAST, MultiHashParams, MultiHashPdqIndex
from safe4c.hashlist.matching.pdq import PDQ_BYTES, PDQ_MATCH_DISTANCE, array_to_hashes

_CHUNK = 100_000


def rss_mib() -> float:
    """Resident memory of this process, from /proc (Linux), in MiB."""
    try:
        with open("/proc/self/statm") as statm:
            resident_pages = int(statm.read().split()[1])
    except OSError:
        return float("nan")
    return resident_pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def flip_random_bits(rows: np.ndarray, counts: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Copy of ``rows`` with ``counts[i]`` distinct random bits flipped in row i."""
    out = np.empty_like(rows)
    for start in range(0, len(rows), _CHUNK):
        block = np.unpackbits(rows[start : start + _CHUNK], axis=1)
        wanted = counts[start : start + _CHUNK, None]
        # rank of a random key per bit: the k lowest ranks are k distinct bits
        ranks = rng.random(block.shape, dtype=np.float32).argsort(axis=1).argsort(axis=1)
        block ^= (ranks < wanted).astype(np.uint8)
        out[start : start + _CHUNK] = np.packbits(block, axis=1)
    return out


def make_dataset(n_hashes: int, n_queries: int, *, near_duplicate_share: float, max_distance: int, seed: int):
    rng = np.random.default_rng(seed)
    stored = rng.integers(0, 256, (n_hashes, PDQ_BYTES), dtype=np.uint8)
    n_variants = n_hashes // 10
    if n_variants:
        sources = rng.integers(0, n_hashes, n_variants)
        counts = rng.integers(1, max_distance + 1, n_variants)
        stored[n_hashes - n_variants :] = flip_random_bits(stored[sources], counts, rng)
    n_near = int(n_queries * near_duplicate_share)
    picks = rng.integers(0, n_hashes, n_near)
    near = flip_random_bits(stored[picks], rng.integers(0, max_distance + 1, n_near), rng)
    unrelated = rng.integers(0, 256, (n_queries - n_near, PDQ_BYTES), dtype=np.uint8)
    queries = np.concatenate([near, unrelated])
    order = rng.permutation(n_queries)
    return stored, queries[order], order < n_near


def _timed(action: Callable[[], Any]) -> tuple[Any, float]:
    start = time.perf_counter()
    result = action()
    return result, time.perf_counter() - start


def _build(make: Callable[[], Any]) -> tuple[Any, float, float]:
    gc.collect()
    before = rss_mib()
    built, seconds = _timed(make)
    gc.collect()
    return built, seconds, rss_mib() - before


def _recall(found: list[set[tuple[int, int]]], truth: list[set[tuple[int, int]]]) -> dict[str, Any]:
    expected = sum(len(t) for t in truth)
    hits = sum(len(f & t) for f, t in zip(found, truth))
    return {
        "recall": hits / expected if expected else 1.0,
        "identical_to_brute_force": found == truth,
        "expected_matches": expected,
    }


def run_match_bench(
    n_hashes: int,
    n_queries: int = 10_000,
    *,
    single_queries: int = 2_000,
    recall_queries: int | None = None,
    batch_size: int = 1_000,
    near_duplicate_share: float = 0.5,
    max_distance: int = PDQ_MATCH_DISTANCE,
    params: MultiHashParams = FAST,
    compare_threatexchange: bool = True,
    rounds: int = 3,
    seed: int = 0,
    out: Callable[[str], None] | None = print,
) -> dict[str, Any]:
    """Run the benchmark, print one line per figure through ``out`` (None: silent)
    and return the figures as a dict (JSON-serialisable)."""
    say = out or (lambda line: None)
    single_queries = min(single_queries, n_queries)
    if recall_queries is None:  # brute force is O(n) per query: keep it to about a minute
        recall_queries = min(1_000, max(100, 10**9 // max(n_hashes, 1)))
    recall_queries = min(recall_queries, n_queries)
    ids = np.arange(n_hashes, dtype=np.int64)
    stored, queries, is_near = make_dataset(
        n_hashes, n_queries, near_duplicate_share=near_duplicate_share, max_distance=max_distance, seed=seed
    )
    query_hex = array_to_hashes(queries)
    say(f"data: {n_hashes:,} hashes ({n_hashes // 10:,} near-duplicate variants), {n_queries:,} queries "
        f"({is_near.mean():.0%} near duplicates, 0-{max_distance} bits flipped)")
    report: dict[str, Any] = {"n_hashes": n_hashes, "n_queries": n_queries, "max_distance": max_distance,
                              "params": f"nhash={params.nhash} bits={params.bits_per_hash} nflip={params.nflip}",
                              "threads": _faiss_threads()}

    def build_ours() -> PdqIndex:
        index = MultiHashPdqIndex(max_distance=max_distance, params=params)
        for start in range(0, n_hashes, 1_000_000):  # incremental adds, as a matcher does
            index.add(ids[start : start + 1_000_000], stored[start : start + 1_000_000])
        return index

    ours, build_s, memory = _build(build_ours)
    report["safe4c"] = {"build_s": build_s, "rss_mib": memory}
    say(f"safe4c MIH ({report['params']}): build {build_s:.1f} s, +{memory:,.0f} MiB RSS")

    sample = queries[:recall_queries]
    truth, truth_s = _timed(lambda: _brute_force_truth(ids, stored, sample, max_distance))
    found = [set(matches) for matches in ours.search(sample, max_distance)]
    report["safe4c"].update(_recall(found, truth))
    say(f"safe4c recall vs brute force on {recall_queries:,} queries "
        f"({report['safe4c']['expected_matches']:,} true matches): {report['safe4c']['recall']:.4%}, "
        f"identical results: {report['safe4c']['identical_to_brute_force']} (brute force took {truth_s:.1f} s)")

    # Throughput rounds alternate between the two indexes and keep each one's
    # best, so that other load on a shared machine penalises neither side.
    runners = {"safe4c": (lambda q: ours.search([q], max_distance), lambda qs: ours.search(qs, max_distance))}
    if compare_threatexchange:
        runners.update(threatexchange_runners(stored, query_hex, truth, max_distance, say, report))
    for name in runners:
        report[name].update(single_qps=0.0, batch_qps=0.0)
    for _ in range(rounds):
        for name, (search_one, search_many) in runners.items():
            figures = report[name]
            figures["single_qps"] = max(figures["single_qps"], _single_qps(search_one, query_hex[:single_queries]))
            figures["batch_qps"] = max(figures["batch_qps"], _batch_qps(search_many, queries, batch_size))
    for name in runners:
        say(f"{name}: {report[name]['single_qps']:,.0f} queries/s single, "
            f"{report[name]['batch_qps']:,.0f} queries/s batched ({batch_size} per call), best of {rounds}")
    if "threatexchange" in runners:
        report["ratio_single"] = report["safe4c"]["single_qps"] / report["threatexchange"]["single_qps"]
        report["ratio_batch"] = report["safe4c"]["batch_qps"] / report["threatexchange"]["batch_qps"]
        say(f"throughput ratio safe4c / threatexchange: {report['ratio_single']:.1f}x single, "
            f"{report['ratio_batch']:.1f}x batched")
    return report


def _faiss_threads() -> int:
    import faiss

    return int(faiss.omp_get_max_threads())


def _single_qps(search_one: Callable[[str], Any], hexes: list[str]) -> float:
    _, seconds = _timed(lambda: [search_one(h) for h in hexes])
    return len(hexes) / seconds


def _batch_qps(search_many: Callable[[Any], Any], queries: Any, batch_size: int) -> float:
    _, seconds = _timed(
        lambda: [search_many(queries[start : start + batch_size]) for start in range(0, len(queries), batch_size)]
    )
    return len(queries) / seconds


def _brute_force_truth(ids: np.ndarray, stored: np.ndarray, sample: np.ndarray, max_distance: int):
    reference = BruteForcePdqIndex(max_distance=max_distance)
    reference.add(ids, stored)
    return [set(matches) for matches in reference.search(sample)]


def threatexchange_runners(stored: np.ndarray, query_hex: list[str], truth: list[set[tuple[int, int]]],
                           max_distance: int, say: Callable[[str], None], report: dict[str, Any]) -> dict:
    """threatexchange's PDQ index on ``stored``, its build figures and its recall on the first ``len(truth)``
    queries put in ``report["threatexchange"]``; returns its (single, batch) search functions by name, or
    nothing when it is not installed or matches at another distance."""
    theirs = _threatexchange_index(stored, say, max_distance)
    report["threatexchange"] = theirs.pop("figures")
    if "index" not in theirs:
        return {}
    tx = theirs["index"]
    found = [{(m.metadata, int(m.similarity_info.distance)) for m in tx.query(h)} for h in query_hex[:len(truth)]]
    report["threatexchange"].update(_recall(found, truth))
    say(f"threatexchange recall vs brute force: {report['threatexchange']['recall']:.4%}, "
        f"identical: {report['threatexchange']['identical_to_brute_force']}")
    # Its public index answers one query at a time; batching needs its lower layer.
    return {"threatexchange": (
        tx.query, lambda qs: tx.index.search_with_distance_in_result(array_to_hashes(qs), max_distance))}


def _threatexchange_index(stored: np.ndarray, say: Callable[[str], None], max_distance: int) -> dict[str, Any]:
    try:
        from threatexchange.signal_type.pdq.signal import PdqSignal as TxPdqSignal
    except ImportError:
        say("threatexchange: not installed (pip install threatexchange) - comparison skipped")
        return {"figures": {"skipped": "threatexchange not installed"}}
    index_cls = TxPdqSignal.get_index_cls()
    if index_cls.get_match_threshold() != max_distance:
        say(f"threatexchange: its index matches at {index_cls.get_match_threshold()}, not {max_distance} - skipped")
        return {"figures": {"skipped": "different match threshold"}}
    stored_hex = array_to_hashes(stored)  # its API takes hex strings; conversion not timed
    tx, build_s, memory = _build(lambda: index_cls(entries=zip(stored_hex, range(len(stored_hex)))))
    say(f"threatexchange {index_cls.__module__}.{index_cls.__name__}: build {build_s:.1f} s, +{memory:,.0f} MiB RSS")
    return {"index": tx, "figures": {"index": f"{index_cls.__module__}.{index_cls.__name__}",
                                     "build_s": build_s, "rss_mib": memory}}
