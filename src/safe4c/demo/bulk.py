"""`safe4c demo --reports N`: synthetic reports in bulk, a million and more in minutes, on SQLite and PostgreSQL.

Rows come from ``demo/synthetic.py``; they are written in chunks, each chunk one transaction holding its reports,
their status events, takedown orders and order events, with ``db/bulk.py`` (``COPY`` on PostgreSQL,
``executemany`` on SQLite). The story, contact, accounts, status notes and dispute reasons are sealed as intake
seals them (AES-GCM takes about 1.5 microseconds a value). What bulk reports do not get, because nothing
happened to them through the system: audit entries, webhook deliveries, platform reports (every report comes
from the form or the public API), linking (their accounts are made up and unique; `safe4c link rebuild` links
them if wanted). Orders still open get the job of their next escalation step, as issuing them would have.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, text

from safe4c.access import platforms as platform_accounts
from safe4c.db.bulk import bulk_insert, db_value
from safe4c.db.platforms import Platform, TakedownEvent, TakedownOrder
from safe4c.db.tables import Report, ReportEvent
from safe4c.demo import synthetic
from safe4c.demo.reports import ensure_demo_user
from safe4c.kernel import jobs
from safe4c.kernel.platforms import PLATFORMS

CHUNK = 20_000
ESCALATE_JOB = "takedown.escalate"  # takedowns/orders.ESCALATE_JOB (demo sits above takedowns: same name)


@dataclass(frozen=True)
class Generated:
    reports: int
    events: int
    orders: int
    order_events: int
    open_orders: int
    seconds: float


class Progress:
    """A one-line progress bar on standard error (redrawn in place on a terminal, every 10% otherwise)."""

    def __init__(self, total: int, *, label: str = "reports", stream=None, enabled: bool = True):
        self.total, self.label, self.enabled = total, label, enabled
        self.stream = stream or sys.stderr
        self.start = time.perf_counter()
        self.tty = getattr(self.stream, "isatty", lambda: False)()
        self._last_tenth = -1

    def update(self, done: int) -> None:
        if not self.enabled:
            return
        share = done / self.total if self.total else 1.0
        tenth = int(share * 10)
        if not self.tty and tenth == self._last_tenth and done < self.total:
            return
        self._last_tenth = tenth
        elapsed = time.perf_counter() - self.start
        left = elapsed / share - elapsed if share else 0.0
        bar = "#" * int(share * 30)
        line = (f"{self.label} {done:,}/{self.total:,} [{bar:<30}] {share:4.0%}  {elapsed:5.1f} s"
                f"{f', about {left:.0f} s left' if done < self.total else ''}")
        self.stream.write(("\r" + line + ("\n" if done >= self.total else "")) if self.tty else line + "\n")
        self.stream.flush()


def generate(*, uow_factory, reports: int, seed: int = 2026, months: int = 24, chunk: int = CHUNK,
             progress: bool = True) -> Generated:
    """Adds ``reports`` synthetic reports (with their history and orders) to the database; returns the counts."""
    started = time.perf_counter()
    ensure_demo_user(uow_factory=uow_factory)
    platform_ids = _platforms(uow_factory)
    with uow_factory() as uow:
        actor_id = _demo_actor(uow)
        settings, now, sealer = uow.settings, uow.now(), uow.ctx.sealer
    config = synthetic.Config(now=now, months=months, deadline_minutes=dict(settings.triage_deadline_minutes),
                              takedown_hours=dict(settings.takedown_deadline_hours),
                              escalation_hours=list(settings.takedown_escalation_hours),
                              preservation_days=settings.takedown_preservation_days, platform_ids=platform_ids,
                              actor_id=actor_id)
    bar = Progress(reports, enabled=progress)
    totals = [0, 0, 0, 0]
    done = 0
    generator = None
    while done < reports:
        size = min(chunk, reports - done)
        with uow_factory() as uow:
            conn = uow.session.connection()
            if generator is None:
                generator = synthetic.Generator(config, seed=seed, sealer=sealer, ts=_ts_for(conn))
            first = _allocate(conn, Report.__table__, size)
            batch = synthetic.Batch()
            for report_id in range(first, first + size):
                generator.report(report_id, batch)
            order_base = _allocate(conn, TakedownOrder.__table__, len(batch.orders)) if batch.orders else 0
            for i, row in enumerate(batch.orders):
                row[0] = order_base + i
            bulk_insert(conn, Report.__table__, synthetic.REPORT_COLUMNS, batch.reports)
            bulk_insert(conn, ReportEvent.__table__, synthetic.EVENT_COLUMNS, batch.events)
            bulk_insert(conn, TakedownOrder.__table__, synthetic.ORDER_COLUMNS, batch.orders)
            bulk_insert(conn, TakedownEvent.__table__, synthetic.ORDER_EVENT_COLUMNS,
                        ((order_base + e[0], *e[1:]) for e in batch.order_events))
            for index, level, due in batch.open_orders:
                jobs.enqueue(uow, ESCALATE_JOB, {"order_id": order_base + index, "level": level},
                             delay=max(due - now, timedelta(0)))
            uow.commit()
        totals = [t + n for t, n in zip(totals, (len(batch.events), len(batch.orders), len(batch.order_events),
                                                  len(batch.open_orders)))]
        done += size
        bar.update(done)
    if reports:
        with uow_factory() as uow:
            _analyze(uow.session.connection())
            uow.commit()
    return Generated(reports, *totals, seconds=time.perf_counter() - started)


def _demo_actor(uow) -> int | None:
    from safe4c.db.tables import StaffUser
    from safe4c.demo.reports import DEMO_USERNAME

    return uow.session.scalar(select(StaffUser.id).where(StaffUser.username == DEMO_USERNAME))


def _platforms(uow_factory) -> dict[str, int]:
    """Every platform of the taxonomy with a platform account (found by its code, else created "(demo)")."""
    with uow_factory() as uow:
        found = dict(uow.session.execute(select(Platform.taxonomy_code, Platform.id)
                                         .where(Platform.taxonomy_code.is_not(None)).order_by(Platform.id.desc())).all())
    for code, name in PLATFORMS:
        if code in found or code not in synthetic.HABITS:
            continue
        with uow_factory() as uow:
            found[code] = platform_accounts.create_platform(uow=uow, name=f"{name} (demo)", taxonomy_code=code).id
    return found


def _allocate(conn, table, count: int) -> int:
    """The first of ``count`` new consecutive ids of ``table``, safe beside concurrent inserts: on PostgreSQL
    the ids are taken from the table's sequence; on SQLite the transaction holds the write lock (BEGIN
    IMMEDIATE), so nobody else adds rows meanwhile."""
    if conn.dialect.name == "postgresql":
        seq = f"pg_get_serial_sequence('{table.name}', 'id')"
        low, high = conn.execute(text(f"SELECT min(v), max(v) FROM (SELECT nextval({seq}) AS v "
                                      f"FROM generate_series(1, :n)) AS taken"), {"n": count}).one()
        if high - low == count - 1:  # count distinct values in a range of count: the whole block is ours
            return low
        # someone took ids in between: take a fresh block past everything handed out
        top = conn.execute(text(f"SELECT setval({seq}, nextval({seq}) + :n - 1)"), {"n": count}).scalar_one()
        return top - count + 1
    return (conn.scalar(select(func.coalesce(func.max(table.c.id), 0))) or 0) + 1


def _ts_for(conn):
    """A datetime as the driver takes it: as it is for psycopg, SQLAlchemy's text form for SQLite."""
    if conn.dialect.name == "postgresql":
        return lambda value: value
    column = Report.__table__.c.received_at
    sample = datetime(2024, 1, 2, 3, 4, 5, 6).astimezone()
    if db_value(conn, column, sample) != sample.strftime("%Y-%m-%d %H:%M:%S.%f"):
        return lambda value: db_value(conn, column, value)
    return lambda value: value.strftime("%Y-%m-%d %H:%M:%S.%f")


def _analyze(conn) -> None:
    """Fresh planner statistics after a bulk load (PostgreSQL's autovacuum would get there, later)."""
    for table in ("reports", "report_events", "takedown_orders", "takedown_events"):
        conn.execute(text(f"ANALYZE {table}"))
