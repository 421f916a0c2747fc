"""`safe4c bench match` on tiny data: the figures it prints exist and recall is exact (no timing asserted)."""

from __future__ import annotations

from safe4c.bench.match import run_index
from safe4c.bench.match_data import image_dataset


def test_the_index_benchmark_reports_exact_recall_and_ratios():
    lines: list[str] = []
    report = run_index(400, 60, rounds=1, single=10, batch=20, say=lines.append)
    assert report["safe4c"]["recall"] == 1.0 and report["safe4c"]["identical_to_brute_force"]
    assert 100 < report["safe4c"]["bytes_per_hash"] < 2000
    assert set(report["ratios"]) == {"single_qps", "single_qps_cpu", "batch_qps", "batch_qps_cpu"}
    assert any(line.startswith("ratio safe4c / threatexchange") for line in lines)


def test_image_data_is_clustered_hashes_of_generated_images(tmp_path):
    stored, queries, near = image_dataset(20, 4, processes=1, cache=str(tmp_path / "d.npz"))
    assert stored.shape == (20, 32) and queries.shape == (4, 32) and near.sum() == 2
    again = image_dataset(20, 4, processes=1, cache=str(tmp_path / "d.npz"))  # from the cache
    assert (again[0] == stored).all()
