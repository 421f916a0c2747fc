"""Small-cell suppression of the open statistics (pure; the method is explained in docs/statistics.md).

What is published: for each table (reports by province, by situation, by platform) and each closed month, one
count per category, and the month's national total; for each closed calendar year, the year's count per category
and the year's national total. Nothing else (no running totals, no current month), so every published figure is
a sum of the same fixed cells and never changes once its month has closed.

1. Primary: a count from 1 to 9 is never published.
2. Complementary, per month: in each table's month column (its categories and the national total) a suppressed
   cell is never alone: the smallest other non-zero cell is suppressed with it (never a zero, so moving one
   report between the two suppressed cells keeps every published figure and both stay possible).
3. Per closed year: a category's yearly count is suppressed when any of its months is, and the national yearly
   total when any month's total is. Every suppressed cell then lies on a cycle of suppressed cells (month ->
   another category of that month -> their yearly counts), so no sum or difference of published figures pins it.

A month's pattern depends only on that month's counts, so the same cell is suppressed in every download and
every period that shows it; the yearly figures are added once the year has closed.
"""

from __future__ import annotations

from dataclasses import dataclass

MIN_PUBLISHED = 10
TOTAL = "all"


def primary(value: int) -> bool:
    return 1 <= value < MIN_PUBLISHED


def suppress_month(cells: dict[str, int], total: int) -> set[str]:
    """The keys of one month column to suppress (``TOTAL`` for the national total)."""
    hidden = {k for k, v in cells.items() if primary(v)}
    if primary(total):
        hidden.add(TOTAL)
    if len(hidden) == 1:
        candidates = sorted((v, k) for k, v in cells.items() if v > 0 and k not in hidden)
        if candidates:
            hidden.add(candidates[0][1])
    return hidden


def suppress_year(months: dict[str, set[str]], annual: dict[str, int], annual_total: int) -> set[str]:
    """The yearly keys to suppress, given each month's suppressed keys."""
    touched = set().union(*months.values()) if months else set()
    hidden = {k for k, v in annual.items() if primary(v) or k in touched}
    if primary(annual_total) or TOTAL in touched:
        hidden.add(TOTAL)
    return hidden


@dataclass(frozen=True)
class Cell:
    table: str  # province, situation, platform
    period: str  # "YYYY-MM" or "YYYY"
    key: str  # a category code, or TOTAL
    value: int | None  # None: suppressed (between 1 and 9, or protecting one that is)


def publish(tables: dict[str, dict[str, dict[str, int]]], totals: dict[str, int], months: list[str],
            years: list[str]) -> list[Cell]:
    """``tables``: table -> month -> key -> count (every key of the table in every month, zeros included);
    ``totals``: month -> national total; ``months``: the closed months to publish; ``years``: the closed years
    (each of whose twelve months is in ``months``)."""
    out: list[Cell] = []
    for table, by_month in tables.items():
        keys = sorted({k for m in months for k in by_month.get(m, {})})
        hidden_by_month: dict[str, set[str]] = {}
        for month in months:
            cells = {k: by_month.get(month, {}).get(k, 0) for k in keys}
            hidden = hidden_by_month[month] = suppress_month(cells, totals.get(month, 0))
            out.extend(Cell(table, month, k, None if k in hidden else v) for k, v in cells.items())
            out.append(Cell(table, month, TOTAL, None if TOTAL in hidden else totals.get(month, 0)))
        for year in years:
            in_year = [m for m in months if m.startswith(year)]
            annual = {k: sum(by_month.get(m, {}).get(k, 0) for m in in_year) for k in keys}
            annual_total = sum(totals.get(m, 0) for m in in_year)
            hidden = suppress_year({m: hidden_by_month[m] for m in in_year}, annual, annual_total)
            out.extend(Cell(table, year, k, None if k in hidden else v) for k, v in annual.items())
            out.append(Cell(table, year, TOTAL, None if TOTAL in hidden else annual_total))
    return out
