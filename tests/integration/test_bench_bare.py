"""`safe4c bench intake`'s bare loop (bench/bare.py) writes what a public report writes, and its CPU figures
count only its own PostgreSQL backends (found by application_name)."""

from __future__ import annotations

from helpers import empty_postgresql_schema
from sqlalchemy import func, select

from safe4c.bench.bare import bare_loop
from safe4c.bench.databases import backends, named
from safe4c.db.session import make_engine
from safe4c.db.tables import Job, Report


def test_the_bare_loop_stores_a_report_and_its_job_per_transaction(pg_schema_url):
    engine = make_engine(pg_schema_url, pool_size=1, max_overflow=0)
    try:
        with engine.connect() as conn:
            reports_before = conn.scalar(select(func.count()).select_from(Report))
            jobs_before = conn.scalar(select(func.count()).select_from(Job))
        seen = []

        def own_backends():
            seen.append(backends(engine, "safe4c-test-bare"))
            return seen[-1]

        result, own_cpu, db_cpu = bare_loop(named(pg_schema_url, "safe4c-test-bare"), reports=40, concurrency=4,
                                            db_pids=own_backends)
        with engine.connect() as conn:
            assert conn.scalar(select(func.count()).select_from(Report)) - reports_before == 40
            linked = conn.scalar(select(func.count()).select_from(Job).where(Job.kind == "report.link"))
            assert conn.scalar(select(func.count()).select_from(Job)) - jobs_before == 40 and linked >= 40
        assert result.statuses == {201: 40} and len(result.latencies) == 40
        assert [len(pids) for pids in seen] == [4, 4]  # its 4 connections, measured at start and at stop
        assert own_cpu >= 0 and db_cpu >= 0
    finally:
        empty_postgresql_schema(engine)
        engine.dispose()


def test_the_intake_benchmark_alternates_served_rounds_with_the_bare_loop(pg_schema_url, capsys):
    """`safe4c bench intake` on PostgreSQL: a bare loop before the first served round and after each, every round
    compared with the loops on either side, and what the server stored counted apart from the bare loop's rows."""
    from safe4c.bench.intake import run

    assert run(reports=40, rounds=2, concurrency=4, workers=1, database_url=pg_schema_url) == 0
    out = capsys.readouterr().out
    assert "2 rounds of 40 reports" in out
    assert [line.split()[:2] for line in out.splitlines() if line.startswith("bare ")] == [
        ["bare", "1"], ["bare", "2"], ["bare", "3"]]
    [share] = [line for line in out.splitlines() if "intake / bare database loop (all rounds)" in line]
    assert len(share.split("before and after each: ")[1].split(", ")) == 2
    # durable on both databases: the reports the server acknowledged are the reports it stored
    table = [line.split() for line in out.splitlines()
             if line.startswith(("sqlite ", "postgresql ")) and line.split()[1].isdigit()]
    assert [(row[0], row[-1]) for row in table] == [("sqlite", "yes"), ("postgresql", "yes")]
    assert "postgresql: 380 background jobs" in out  # its own reports' jobs only (300 warm-up + 2 x 40)
