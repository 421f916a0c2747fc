"""Calendar months, the one definition every figure uses (pure: no database, no unit of work).

A month is a calendar month in Western Indonesia Time (WIB, UTC+7 all year, no daylight saving), the national
reference: a case opened at 2026-01-31 20:00 UTC (1 February, 03:00 WIB) counts in February in the case figures,
the data centre's statistics and anywhere else. A month is written ``"YYYY-MM"``; its bounds are the UTC instants
it starts and ends (end excluded), which is how times are stored. The statistics' SQL (``statistics/sql.py``)
writes the same month in SQL.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from safe4c.kernel.errors import FieldError, Invalid
from safe4c.kernel.i18n import N_

WIB = timezone(timedelta(hours=7), "WIB")
# Months of this century: a year like 9999 would overflow the month's bounds (and nothing counted is that old).
MONTH_PATTERN = r"^20[0-9]{2}-(0[1-9]|1[0-2])$"
BAD_MONTH = N_("Give the month as YYYY-MM, e.g. 2026-01.")


def is_month(text: str) -> bool:
    return re.fullmatch(MONTH_PATTERN, text) is not None


def month_of(moment: datetime) -> str:
    """The WIB month of an aware instant."""
    return moment.astimezone(WIB).strftime("%Y-%m")


def month_bounds(month: str) -> tuple[datetime, datetime]:
    """``"2026-03"`` -> the UTC instants 1 March 00:00 WIB and 1 April 00:00 WIB (end excluded). Raises
    ValueError for anything that is not a month of MONTH_PATTERN."""
    if not is_month(month):
        raise ValueError(f"not a month (YYYY-MM): {month!r}")
    year, mon = int(month[:4]), int(month[5:7])
    start = datetime(year, mon, 1, tzinfo=WIB)
    end = datetime(year + (mon == 12), mon % 12 + 1, 1, tzinfo=WIB)
    return start.astimezone(timezone.utc), end.astimezone(timezone.utc)


def next_month(month: str) -> str:
    year, mon = int(month[:4]), int(month[5:7])
    return f"{year + 1:04d}-01" if mon == 12 else f"{year:04d}-{mon + 1:02d}"


def months_between(first: str, last: str) -> list[str]:
    """Every month from ``first`` to ``last``, both included (empty when ``first`` is after ``last``)."""
    out, month = [], first
    while month <= last:
        out.append(month)
        month = next_month(month)
    return out


def previous_months(month: str, count: int) -> list[str]:
    """The ``count`` months that end with ``month``, oldest first."""
    year, mon = int(month[:4]), int(month[5:7])
    first = year * 12 + mon - 1 - (count - 1)
    return months_between(f"{first // 12:04d}-{first % 12 + 1:02d}", month) if count > 0 else []


def parse_month(value: str | None, *, now: datetime) -> str:
    """A month a person gave (a page's or the CLI's ``month``), or this WIB month when none was given."""
    if not value:
        return month_of(now)
    if not is_month(value):
        raise Invalid([FieldError("month", BAD_MONTH)])
    return value
