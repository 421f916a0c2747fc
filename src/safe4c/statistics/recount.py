"""The recount: every figure the rollups hold, computed again straight from the raw rows, and compared.

``differences(uow)`` returns one line per figure that differs (an empty list: every dashboard and published figure
equals a direct recount; the public tables and the dashboards are computed from the rollups only). Counts are
recounted in SQL with GROUP BY (lists unnested by the database's JSON functions), not with the rollups' code;
response times and takedown figures row by row. Used by the tests and by ``safe4c bench stats``.
"""

from __future__ import annotations

from collections import Counter

from sqlalchemy import func, select, text

from safe4c.db.platforms import TakedownOrder
from safe4c.db.statistics import StatReportCount, StatResponse, StatTakedown
from safe4c.db.tables import Report
from safe4c.kernel.uow import UnitOfWork
from safe4c.statistics import case_recount
from safe4c.statistics.rollups import first_action_subquery
from safe4c.statistics.sql import dialect, month_expr

SCALAR = {"province": Report.province_code, "regency": Report.regency_code, "age": Report.age_band,
          "gender": Report.gender, "disability": Report.disability, "reporter": Report.reporter_role,
          "priority": Report.priority, "status": Report.status, "channel": Report.channel}
LISTS = {"situation": "situations", "platform": "platforms"}


def differences(uow: UnitOfWork) -> list[str]:
    out: list[str] = []
    out += _compare("reports", _rollup_counts(uow), _raw_counts(uow))
    out += _compare("response", _rollup_response(uow), _raw_response(uow))
    out += _compare("takedowns", _rollup_takedowns(uow), _raw_takedowns(uow))
    out += _compare("cases", case_recount.rollup(uow), case_recount.raw(uow))
    return out


def _compare(what: str, rollup: dict, raw: dict) -> list[str]:
    return [f"{what} {key}: rollup {rollup.get(key)} != recount {raw.get(key)}"
            for key in sorted(rollup.keys() | raw.keys(), key=str) if rollup.get(key) != raw.get(key)]


def _rollup_counts(uow: UnitOfWork) -> dict:
    return {(m, d, k): n for m, d, k, n in uow.session.execute(
        select(StatReportCount.month, StatReportCount.dim, StatReportCount.key, StatReportCount.reports))}


def _raw_counts(uow: UnitOfWork) -> dict:
    session = uow.session
    month = month_expr(uow, Report.received_at).label("month")
    out: dict = {}
    for m, n in session.execute(select(month, func.count()).group_by(month)):
        out[(m, "total", "all")] = n
    for dim, column in SCALAR.items():
        key = func.coalesce(column, "unknown")
        for m, k, n in session.execute(select(month, key, func.count()).group_by(month, key)):
            out[(m, dim, k)] = n
    for dim, column in LISTS.items():
        for m, k, n in session.execute(text(_unnest_sql(uow, column))):
            out[(m, dim, k)] = n
    return out


def _unnest_sql(uow: UnitOfWork, column: str) -> str:
    """Reports per month and list element; a report with an empty list counts under "none"."""
    if dialect(uow) == "postgresql":
        month = "to_char(timezone('Asia/Jakarta', r.received_at), 'YYYY-MM')"
        return (f"SELECT {month}, coalesce(e.value, 'none'), count(*) FROM reports r "
                f"LEFT JOIN LATERAL json_array_elements_text(r.{column}) AS e(value) ON true GROUP BY 1, 2")
    month = "strftime('%Y-%m', r.received_at, '+7 hours')"
    return (f"SELECT {month}, coalesce(e.value, 'none'), count(*) FROM reports r "
            f"LEFT JOIN json_each(r.{column}) AS e GROUP BY 1, 2")


def _rollup_response(uow: UnitOfWork) -> dict:
    return {(r.month, r.priority): (r.reports, r.acted, r.within_deadline, r.action_seconds)
            for r in uow.session.scalars(select(StatResponse))}


def _raw_response(uow: UnitOfWork) -> dict:
    month = month_expr(uow, Report.received_at)
    totals: dict = {}
    query = select(month, Report.priority, Report.received_at, Report.deadline_at, first_action_subquery())
    for m, priority, received, deadline, first in uow.session.execute(query.execution_options(yield_per=5000)):
        key = (m, priority or "none")
        reports, acted, within, seconds = totals.get(key, (0, 0, 0, 0))
        if first is not None:
            acted += 1
            seconds += max(0, int((first - received).total_seconds()))
            within += deadline is not None and first <= deadline
        totals[key] = (reports + 1, acted, within, seconds)
    return totals


def _rollup_takedowns(uow: UnitOfWork) -> dict:
    return {(r.month, r.platform_id): (r.orders, r.removed, r.removed_in_time, r.missed, r.removal_seconds,
                                       r.level1, r.level2, r.level3)
            for r in uow.session.scalars(select(StatTakedown))}


def _raw_takedowns(uow: UnitOfWork) -> dict:
    month = month_expr(uow, TakedownOrder.issued_at)
    counters: dict = {}
    for m, o in uow.session.execute(select(month, TakedownOrder)):
        c = counters.setdefault((m, o.platform_id), Counter())
        c["orders"] += 1
        if o.removed_at is not None:
            c["removed"] += 1
            c["seconds"] += max(0, int((o.removed_at - o.issued_at).total_seconds()))
            c["in_time"] += o.removed_at <= o.deadline_at
            c["missed"] += o.removed_at > o.deadline_at
        elif o.status != "withdrawn" and o.escalation_level > 0:
            c["missed"] += 1
        for level in (1, 2, 3):
            c[f"l{level}"] += o.escalation_level >= level
    return {k: (c["orders"], c["removed"], c["in_time"], c["missed"], c["seconds"], c["l1"], c["l2"], c["l3"])
            for k, c in counters.items()}
