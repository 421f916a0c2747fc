"""`safe4c bench stats`, small: 1,500 reports on a temporary SQLite file and on a fresh PostgreSQL database, the
rollups refreshed, every statistics page answered 200 through the app and equal to a direct recount; the
database it made is dropped afterwards (a benchmark never writes into a database it did not create), or kept
with --keep and used again with --reuse."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from helpers import need
from sqlalchemy import create_engine, text

pytest.importorskip("safe4c.statistics.rollups", reason="the statistics area (issue 11, h11a) is not merged yet")

from safe4c import statistics  # noqa: E402
from safe4c.bench.stats import PREFIX, measure  # noqa: E402

PG_URL = os.environ.get("SAFE4C_TEST_DATABASE_URL", "")


def bench_databases(url: str) -> set[str]:
    eng = create_engine(url)
    try:
        with eng.connect() as conn:
            return set(conn.scalars(text("SELECT datname FROM pg_database WHERE datname LIKE :p"),
                                    {"p": PREFIX.replace("_", "\\_") + "%"}))
    finally:
        eng.dispose()


def check(r: dict, reports: int) -> None:
    assert r["reports"] == reports
    assert [p["path"] for p in r["pages"]] == list(statistics.PAGES)
    assert all(p["status"] == 200 and p["bytes"] > 0 and p["changed"] > 0 for p in r["pages"]), r["pages"]
    assert r["differences"] == []


def test_bench_stats_on_sqlite_kept_and_reused():
    r = measure(reports=1500, database_url=None, runs=2, keep=True, progress=False)
    check(r, 1500)
    kept = Path(r["database"])
    try:
        assert r["kept"] and kept.exists()
        again = measure(reports=1500, database_url=None, runs=1, reuse=str(kept), progress=False)
        assert again["generated"] is None  # nothing generated the second time
        check(again, 1501)  # with the report the first run added for "new figures"
    finally:
        import shutil

        shutil.rmtree(kept.parent, ignore_errors=True)


def test_bench_stats_on_a_fresh_postgresql_database_dropped_afterwards():
    need(bool(PG_URL), "SAFE4C_TEST_DATABASE_URL is not set")
    before = bench_databases(PG_URL)
    r = measure(reports=1500, database_url=PG_URL, runs=2, progress=False)
    check(r, 1500)
    assert r["database"].startswith(PREFIX) and not r["kept"]
    assert bench_databases(PG_URL) == before  # its own database was dropped


def test_reuse_takes_only_a_database_the_benchmark_made():
    need(bool(PG_URL), "SAFE4C_TEST_DATABASE_URL is not set")
    with pytest.raises(SystemExit, match="not 'test'"):
        measure(reports=10, database_url=PG_URL, reuse="test", progress=False)
    with pytest.raises(SystemExit, match="kept bench.db"):
        measure(reports=10, database_url=None, reuse="/etc/passwd", progress=False)
