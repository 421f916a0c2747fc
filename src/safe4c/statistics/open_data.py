"""The open statistics (/statistik and its downloads): the rollups' counts by province, situation and platform
per closed month and closed year, with small-cell suppression (rules/suppression.py, docs/statistics.md).

Everything public comes from ``published(uow)``: the page, the CSV and the Parquet file show the same cells, so
they cannot be played against each other. Cached per rollup version and month.
"""

from __future__ import annotations

import csv
import io
import threading
from collections import defaultdict

from sqlalchemy import select

from safe4c.db.statistics import StatReportCount
from safe4c.kernel import regions
from safe4c.kernel.platforms import PLATFORM_CODES
from safe4c.kernel.uow import UnitOfWork
from safe4c.reports.rules.taxonomy import SITUATION_CODES
from safe4c.statistics.rollups import version
from safe4c.kernel.months import month_of, months_between
from safe4c.statistics.rules.counting import NONE, UNKNOWN
from safe4c.statistics.rules.suppression import TOTAL, Cell, publish

TABLES = ("province", "situation", "platform")
COLUMNS = ("table", "period", "code", "reports", "suppressed")


def categories(table: str) -> tuple[str, ...]:
    """Every category of a table, so a zero is published as a zero (and a category never just disappears)."""
    if table == "province":
        return (*(p.code for p in regions.provinces()), UNKNOWN)
    if table == "situation":
        return (*SITUATION_CODES, NONE)
    return (*PLATFORM_CODES, "other", NONE)


_cache: dict = {}
_lock = threading.Lock()


def published(uow: UnitOfWork) -> list[Cell]:
    current = month_of(uow.now())
    key = (str(uow.session.get_bind().url), version(uow)[0], current)
    with _lock:
        if key in _cache:
            return _cache[key]
    cells = _compute(uow, current)
    with _lock:
        _cache.clear()
        _cache[key] = cells
    return cells


def closed_periods(first_month: str | None, current: str) -> tuple[list[str], list[str]]:
    """Closed months from the January of the first year with data to the month before ``current``, and the
    closed years among them."""
    if first_month is None or first_month >= current:
        return [], []
    year, mon = int(current[:4]), int(current[5:7])
    last = f"{year - 1:04d}-12" if mon == 1 else f"{year:04d}-{mon - 1:02d}"
    months = months_between(f"{first_month[:4]}-01", last)
    years = sorted({m[:4] for m in months if m[:4] < current[:4]})
    return months, years


def _compute(uow: UnitOfWork, current: str) -> list[Cell]:
    rows = uow.session.execute(select(StatReportCount.month, StatReportCount.dim, StatReportCount.key,
                                      StatReportCount.reports)
                               .where(StatReportCount.dim.in_(("total", *TABLES)), StatReportCount.month < current))
    totals: dict[str, int] = {}
    tables: dict[str, dict[str, dict[str, int]]] = {t: defaultdict(dict) for t in TABLES}
    for month, dim, key, n in rows:
        if dim == "total":
            totals[month] = n
        else:
            tables[dim][month][key] = n
    months, years = closed_periods(min(totals) if totals else None, current)
    for table in TABLES:  # every category in every month, zeros included
        for month in months:
            cells = tables[table][month]
            for code in categories(table):
                cells.setdefault(code, 0)
    return publish(tables, totals, months, years)


def value(cells: list[Cell], table: str, period: str, key: str = TOTAL) -> int | None:
    for c in cells:
        if c.table == table and c.period == period and c.key == key:
            return c.value
    return None


def to_csv(cells: list[Cell]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for c in cells:
        writer.writerow((c.table, c.period, c.key, "" if c.value is None else c.value,
                         "true" if c.value is None else "false"))
    return out.getvalue()


def to_parquet(cells: list[Cell]) -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table({
        "table": pa.array([c.table for c in cells], pa.string()),
        "period": pa.array([c.period for c in cells], pa.string()),
        "code": pa.array([c.key for c in cells], pa.string()),
        "reports": pa.array([c.value for c in cells], pa.int64()),
        "suppressed": pa.array([c.value is None for c in cells], pa.bool_()),
    })
    sink = io.BytesIO()
    pq.write_table(table, sink, compression="zstd")
    return sink.getvalue()


def by_period(cells: list[Cell], table: str, period: str) -> dict[str, int | None]:
    return {c.key: c.value for c in cells if c.table == table and c.period == period}


def periods(cells: list[Cell]) -> tuple[list[str], list[str]]:
    found = sorted({c.period for c in cells})
    return [p for p in found if len(p) == 7], [p for p in found if len(p) == 4]
