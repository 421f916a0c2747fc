"""The bare database rate: what PostgreSQL does with intake's statements and nothing else.

The same rows a public report writes (the report, its job), in one transaction each, from as many connections
as the HTTP benchmark uses, by psycopg directly on asyncio: no HTTP, no framework, no SQLAlchemy, no sealing or
triage (the sealed columns get random bytes of the same size). `safe4c bench intake` prints it next to the
served rate, measured in the same run on the same schema, so the ratio holds however loaded the machine is.
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from datetime import datetime, timezone

import psycopg
from psycopg.types.json import Jsonb
from sqlalchemy import insert
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import make_url

from safe4c.bench.cpu import CpuMeter
from safe4c.bench.loadgen import LoadResult, run_on_own_loop
from safe4c.db.tables import Job, Report

_DIALECT = postgresql.psycopg.dialect()


def _sql(stmt) -> str:
    return str(stmt.compile(dialect=_DIALECT))


def _report_values(i: int) -> dict:
    now = datetime.now(timezone.utc)
    return dict(
        public_id=str(uuid.uuid4()), channel="api", received_at=now, updated_at=now, language="id",
        situations=Jsonb(["grooming"]), platforms=Jsonb(["instagram", "whatsapp"]), platform_other_sealed=None,
        accounts_sealed=os.urandom(110), incident_when="this_week", province_code="31", regency_code="3171",
        age_band="13_15", gender=None, disability=None, reporter_role="child", urgent_signals=Jsonb([]),
        contact_method="none", contact_sealed=None, consent_services=False, story_sealed=os.urandom(330),
        followup_hash=uuid.uuid4().hex + uuid.uuid4().hex, status="new", submission_key=None,
        followup_sealed=None, priority="P3", triage_reasons=Jsonb([["situation", "grooming"]]),
        deadline_at=now, triaged_at=now,
    )


def _job_values(report_id: int) -> dict:
    now = datetime.now(timezone.utc)
    return dict(kind="report.link", payload=Jsonb({"report_id": report_id}), priority=90, created_at=now,
                run_after=now, attempts=0, locked_by=None, locked_until=None, done_at=None, failed_at=None,
                last_error=None)


def conninfo(url: str) -> str:
    """The SQLAlchemy URL as libpq reads it (its search_path option included)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def bare_loop(url: str, *, reports: int, concurrency: int, db_pids=True) -> tuple[LoadResult, float, float]:
    """``reports`` transactions (report INSERT ... RETURNING id, job INSERT, COMMIT) from ``concurrency``
    connections: (latencies, CPU seconds of this process, CPU seconds of PostgreSQL: of the processes
    ``db_pids()`` names, or of every PostgreSQL process)."""
    report_sql = _sql(insert(Report.__table__).values({c: None for c in _report_values(0)})
                      .returning(Report.__table__.c.id))
    job_sql = _sql(insert(Job.__table__).values({c: None for c in _job_values(0)}))
    result = LoadResult()
    counter = iter(range(reports))
    meter = CpuMeter(os.getpid(), postgres=db_pids)

    async def client(conn):
        while (i := next(counter, None)) is not None:
            values = _report_values(i)
            started = time.perf_counter()
            async with conn.cursor() as cur:
                await cur.execute(report_sql, values)
                report_id = (await cur.fetchone())[0]
                await cur.execute(job_sql, _job_values(report_id))
            await conn.commit()
            result.latencies.append(time.perf_counter() - started)
            result.statuses[201] = result.statuses.get(201, 0) + 1

    async def main():
        # connected before the meter starts, so the server processes of these connections are measured whole
        conns = [await psycopg.AsyncConnection.connect(conninfo(url)) for _ in range(concurrency)]
        meter.start()
        started = time.perf_counter()
        await asyncio.gather(*(client(conn) for conn in conns))
        result.seconds = time.perf_counter() - started
        spent = meter.stop()
        for conn in conns:
            await conn.close()
        return spent

    own, db = run_on_own_loop(main())
    return result, own, db
