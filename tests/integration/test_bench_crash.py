"""The durability harness (`safe4c bench crash`), small: 200 reports through real `safe4c serve` and `safe4c worker`
processes, each killed with SIGKILL once and restarted, on a fresh SQLite file and a fresh PostgreSQL schema.
Every report is acknowledged and stored exactly once with the receipt its client got, and every job finishes."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

from helpers import need

from safe4c.bench.crash import measure
from safe4c.bench.databases import bench_databases

PG_URL = os.environ.get("SAFE4C_TEST_DATABASE_URL", "")


def test_200_reports_under_sigkill_nothing_lost_nothing_twice_nothing_left():
    need(bool(PG_URL), "SAFE4C_TEST_DATABASE_URL is not set")
    with bench_databases(PG_URL) as (data_dir, targets):
        need([label for label, _ in targets] == ["sqlite", "postgresql"], "PostgreSQL is not reachable")
        with ThreadPoolExecutor(2) as both:  # independent processes, ports and databases: side by side
            rows = list(both.map(lambda t: measure(t[0], t[1], data_dir, reports=200, kills=2, threads=8), targets))
    for r in rows:
        assert r["kills"] == {"server": 1, "worker": 1}, r
        assert r["requests"] > r["sent"], r  # the kills cut requests off, and clients retried them
        assert (r["acknowledged"], r["stored"]) == (200, 200), r
        assert (r["lost"], r["duplicated"], r["wrong_receipts"]) == (0, 0, 0), r
        assert (r["unfinished"], r["failed"]) == (0, 0), r
