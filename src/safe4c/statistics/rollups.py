"""Keeping the rollups current (docs/statistics.md): ``refresh(uow)`` is run by the worker every
``SAFE4C_STATISTICS_REFRESH_SECONDS`` and pages only read what it wrote.

Incremental by month: one grouped query takes a fingerprint of each month's raw rows (how many, the latest
change, how many triaged, the sum of ids); only the months whose fingerprint moved are recomputed, from their
own rows (found by the index on ``received_at`` / ``issued_at``). A status change, a late triage, an escalation or
a removal changes its month's fingerprint, so figures follow later changes to old reports and orders.

Nothing changed is cheap: before the month fingerprints (a scan of every row), a cursor per table is read from
an index (``ix_reports_updated``, ``ix_takedown_updated``): the highest id, the latest ``updated_at``, and how many
rows have an ``updated_at`` within ``LATE_COMMIT`` of it (so a transaction that set its ``updated_at`` a little
earlier but committed later still moves the cursor). Every writer sets ``updated_at``. When a table's cursor is
where the last refresh left it, its months are not looked at. A change stamped earlier than that window (a
clock set back) is caught by the full check every ``FULL_EVERY`` (an hour), or ``refresh(uow, full=True)``.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, insert, select, update

from safe4c.db.locks import STATISTICS, advisory_xact_lock
from safe4c.db.platforms import TakedownOrder
from safe4c.db.statistics import StatPartition, StatReportCount, StatResponse, StatState, StatTakedown
from safe4c.db.tables import Report, ReportEvent
from safe4c.kernel.months import month_bounds
from safe4c.kernel.uow import UnitOfWork
from safe4c.statistics.rules.counting import (MonthOfReports, OrderFacts, ReportFacts, TakedownCell, add_order,
                                              add_report)
from safe4c.statistics import case_rollups
from safe4c.statistics.sql import month_expr, table_cursor

log = logging.getLogger(__name__)

STATE_ID = 1
CURSOR_MONTH = "*"  # the stat_partitions row of a table's cursor (source "<source>-cursor")
FULL_EVERY = timedelta(hours=1)  # how often every month's fingerprint is compared anyway
LEASE = timedelta(minutes=10)  # a refresh's lease lapses this long after its last write (it died)
LEASE_POLL_SECONDS = 0.5


@dataclass(frozen=True)
class _Source:
    """Raw rows whose rollups move together: their cursor, their fingerprint per month, the rollup tables and
    a month's rows for them (read only)."""

    name: str
    cursor: Callable[[UnitOfWork], str]
    fingerprints: Callable[[UnitOfWork], dict[str, str]]
    tables: tuple
    rows: Callable[[UnitOfWork, str], dict]


def refresh(uow: UnitOfWork, *, full: bool = False, wait: bool = True) -> bool:
    """Bring every rollup current; the version moves with every month whose figures changed. ``full``: compare
    every month's fingerprint even when the cursors have not moved. Returns False, having done nothing, when
    another refresh holds the lease and ``wait`` is False (the worker's tick: the other one is doing the work).

    One refresh at a time, by a lease (``stat_state.lease_token`` / ``lease_until``) that is not a lock held
    open: everything is read in read-only transactions, and each stale month is written, the version moved and
    the lease renewed in one short transaction of its own. On SQLite, where one writer holds the whole
    database, a report sent during a long refresh (the first one over a million reports) waits for one month's
    write, not for the refresh. A refresh that dies leaves figures and version consistent month by month; its
    lease lapses ``LEASE`` after its last write."""
    token = uuid.uuid4().hex
    while not _take_lease(uow, token):
        if not wait:
            return False
        time.sleep(LEASE_POLL_SECONDS)
    try:
        with uow.reading() as reader:
            full = _full_check_due(reader) or full
            plans = [plan for source in SOURCES if (plan := _plan(reader, source, full)) is not None]
        for source, _cursor, current, stale in plans:
            for month in stale:
                with uow.reading() as reader:
                    figures = source.rows(reader, month)
                state = _hold(uow, token)
                _write_month(uow, source, month, figures, current.get(month))
                state.version += 1
                uow.commit()
        state = _hold(uow, token)
        for source, cursor, _current, _stale in plans:
            _mark(uow, f"{source.name}-cursor", cursor)
        if full:
            _mark(uow, "full-check", uow.now().isoformat())
        state.version = max(state.version, 1)  # the first refresh gives version 1 even when nothing was there
        state.refreshed_at = uow.now()
        state.lease_token = state.lease_until = None
        uow.commit()
    except BaseException:
        uow.rollback()
        _give_up_lease(uow, token)
        raise
    return True


def version(uow: UnitOfWork) -> tuple[int, object]:
    """The rollups' version and when they were last brought current ((0, None) before the first refresh)."""
    state = uow.session.get(StatState, STATE_ID)
    return (state.version, state.refreshed_at) if state else (0, None)


def lease_until(uow: UnitOfWork) -> datetime | None:
    """Until when a refresh holds the lease (None: none does)."""
    state = uow.session.get(StatState, STATE_ID, populate_existing=True)
    return state.lease_until if state is not None and _lease_live(uow, state) else None


def _state(uow: UnitOfWork) -> StatState:
    """The rollups' one state row, read afresh in this write transaction (made on the first refresh)."""
    advisory_xact_lock(uow.session, STATISTICS)
    state = uow.session.get(StatState, STATE_ID, populate_existing=True)
    if state is None:
        state = StatState(id=STATE_ID, version=0)
        uow.session.add(state)
    return state


def _lease_live(uow: UnitOfWork, state: StatState) -> bool:
    """A lease runs until its time, unless that time is further off than a lease lasts (written by a host whose
    clock ran fast): then it has lapsed."""
    now = uow.now()
    return state.lease_token is not None and state.lease_until is not None and now < state.lease_until <= now + LEASE


def _take_lease(uow: UnitOfWork, token: str) -> bool:
    """Take the refresh lease unless another refresh holds it."""
    state = _state(uow)
    if _lease_live(uow, state):
        uow.rollback()
        return False
    state.lease_token, state.lease_until = token, uow.now() + LEASE
    uow.commit()
    return True


def _hold(uow: UnitOfWork, token: str) -> StatState:
    """In a write transaction: check the lease is still this refresh's and renew it; the rollups' state row."""
    state = _state(uow)
    if state.lease_token != token:
        raise LeaseLost()
    state.lease_until = uow.now() + LEASE
    return state


def _give_up_lease(uow: UnitOfWork, token: str) -> None:
    try:
        advisory_xact_lock(uow.session, STATISTICS)
        uow.session.execute(update(StatState).where(StatState.id == STATE_ID, StatState.lease_token == token)
                            .values(lease_token=None, lease_until=None))
        uow.commit()
    except Exception as exc:  # noqa: BLE001 - the lease lapses by itself
        uow.rollback()
        log.warning("statistics refresh lease not given up: %s", type(exc).__name__)


class LeaseLost(Exception):
    """The refresh's lease lapsed and another refresh took it: this one stops (the other brings the figures
    current)."""


def _full_check_due(uow: UnitOfWork) -> bool:
    """True when the last full check (noted at the end of a refresh) is older than FULL_EVERY, or there was none."""
    row = uow.session.get(StatPartition, ("full-check", CURSOR_MONTH))
    return row is None or uow.now() - datetime.fromisoformat(row.fingerprint) >= FULL_EVERY


def _plan(uow: UnitOfWork, source: _Source, full: bool):
    """(source, cursor, fingerprints, stale months), or None when the source's cursor is where the last refresh
    left it."""
    cursor = source.cursor(uow)
    stored = uow.session.get(StatPartition, (f"{source.name}-cursor", CURSOR_MONTH))
    if not full and stored is not None and stored.fingerprint == cursor:
        return None
    current = source.fingerprints(uow)
    known = dict(uow.session.execute(select(StatPartition.month, StatPartition.fingerprint)
                                     .where(StatPartition.source == source.name)).all())
    return source, cursor, current, sorted(m for m in current.keys() | known.keys() if current.get(m) != known.get(m))


def _write_month(uow: UnitOfWork, source: _Source, month: str, figures: dict, fingerprint: str | None) -> None:
    """Replace the month's rollups of ``source`` and its fingerprint (none: the month has no rows any more)."""
    session = uow.session
    for table in source.tables:
        session.execute(delete(table).where(table.month == month))
    for table, values in figures.items():
        if values:
            session.execute(insert(table), values)
    session.execute(delete(StatPartition).where(StatPartition.source == source.name, StatPartition.month == month))
    if fingerprint is not None:
        session.add(StatPartition(source=source.name, month=month, fingerprint=fingerprint))
    session.flush()


def _mark(uow: UnitOfWork, mark: str, value: str) -> None:
    stored = uow.session.get(StatPartition, (mark, CURSOR_MONTH), populate_existing=True)
    if stored is None:
        uow.session.add(StatPartition(source=mark, month=CURSOR_MONTH, fingerprint=value))
    else:
        stored.fingerprint = value
    uow.session.flush()


def _fingerprints(uow: UnitOfWork, table, moment, *extra) -> dict[str, str]:
    month = month_expr(uow, moment).label("month")
    query = (select(month, func.count(), func.max(table.updated_at), func.sum(table.id), *extra)
             .group_by(month))
    return {row[0]: "|".join(str(v) for v in row[1:]) for row in uow.session.execute(query)}


def _report_fingerprints(uow: UnitOfWork) -> dict[str, str]:
    return _fingerprints(uow, Report, Report.received_at, func.count(Report.priority), func.count(Report.triaged_at))


def _order_fingerprints(uow: UnitOfWork) -> dict[str, str]:
    return _fingerprints(uow, TakedownOrder, TakedownOrder.issued_at, func.sum(TakedownOrder.escalation_level),
                         func.count(TakedownOrder.removed_at))


def first_action_subquery():
    """When staff first changed the report's status (its first action), per report."""
    return (select(func.min(ReportEvent.at)).where(ReportEvent.report_id == Report.id, ReportEvent.kind == "status",
                                                   ReportEvent.actor_id.is_not(None))
            .correlate(Report).scalar_subquery())


def month_facts(uow: UnitOfWork, month: str):
    """Every report received in ``month``, as ReportFacts, streamed."""
    start, end = month_bounds(month)
    query = (select(Report.received_at, Report.province_code, Report.regency_code, Report.situations,
                    Report.platforms, Report.age_band, Report.gender, Report.disability, Report.reporter_role,
                    Report.priority, Report.status, Report.channel, Report.deadline_at,
                    first_action_subquery())
             .where(Report.received_at >= start, Report.received_at < end))
    for row in uow.session.execute(query.execution_options(yield_per=5000)):
        yield ReportFacts(row[0], row[1], row[2], tuple(row[3] or ()), tuple(row[4] or ()), *row[5:])


def _report_rows(uow: UnitOfWork, month: str) -> dict:
    acc = MonthOfReports()
    for facts in month_facts(uow, month):
        add_report(acc, facts)
    return {
        StatReportCount: [{"month": month, "dim": d, "key": k, "reports": n} for (d, k), n in acc.counts.items()],
        StatResponse: [{"month": month, "priority": p, "reports": c.reports, "acted": c.acted,
                        "within_deadline": c.within_deadline, "action_seconds": c.action_seconds}
                       for p, c in acc.response.items()],
    }


def _order_rows(uow: UnitOfWork, month: str) -> dict:
    start, end = month_bounds(month)
    cells: dict[int, TakedownCell] = {}
    query = (select(TakedownOrder.platform_id, TakedownOrder.issued_at, TakedownOrder.deadline_at,
                    TakedownOrder.status, TakedownOrder.removed_at, TakedownOrder.escalation_level)
             .where(TakedownOrder.issued_at >= start, TakedownOrder.issued_at < end))
    for row in uow.session.execute(query):
        add_order(cells, OrderFacts(*row))
    return {StatTakedown: [
        {"month": month, "platform_id": pid, "orders": c.orders, "removed": c.removed,
         "removed_in_time": c.removed_in_time, "missed": c.missed, "removal_seconds": c.removal_seconds,
         "level1": c.levels[0], "level2": c.levels[1], "level3": c.levels[2]}
        for pid, c in cells.items()]}


SOURCES = (
    _Source("reports", lambda uow: table_cursor(uow, Report), _report_fingerprints, (StatReportCount, StatResponse),
            _report_rows),
    _Source("takedowns", lambda uow: table_cursor(uow, TakedownOrder), _order_fingerprints, (StatTakedown,),
            _order_rows),
    _Source(case_rollups.SOURCE, case_rollups.cursor, case_rollups.fingerprints, case_rollups.ROLLUPS,
            case_rollups.rows),
)
