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
