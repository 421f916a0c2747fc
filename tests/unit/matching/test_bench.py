import numpy as np

from safe4c.hashlist.matching.bench import flip_random_bits, make_dataset, run_match_bench
from safe4c.hashlist.matching.mih_index import COMPACT


def test_flip_random_bits_flips_exactly_the_requested_number():
    rng = np.random.default_rng(0)
    rows = rng.integers(0, 256, (50, 32), dtype=np.uint8)
    counts = np.arange(50) % 32
    flipped = flip_random_bits(rows, counts, rng)
    distances = np.unpackbits(rows ^ flipped, axis=1).sum(axis=1)
    assert distances.tolist() == counts.tolist()


def test_dataset_has_the_requested_share_of_near_duplicate_queries():
    stored, queries, is_near = make_dataset(1000, 200, near_duplicate_share=0.5, max_distance=31, seed=1)
    assert stored.shape == (1000, 32) and queries.shape == (200, 32)
    assert is_near.sum() == 100


def test_bench_reports_full_recall_and_every_figure():
    lines: list[str] = []
    report = run_match_bench(
        3000, 300, single_queries=50, recall_queries=300, params=COMPACT,
        compare_threatexchange=False, rounds=1, out=lines.append,
    )
    assert report["safe4c"]["recall"] == 1.0
    assert report["safe4c"]["identical_to_brute_force"] is True
    assert report["safe4c"]["expected_matches"] >= 150
    for figure in ("build_s", "rss_mib", "single_qps", "batch_qps"):
        assert report["safe4c"][figure] >= 0
    assert any("recall" in line for line in lines)
