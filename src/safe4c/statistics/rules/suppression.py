"""Small-cell suppression of the open statistics (pure; the method is explained in docs/statistics.md).

What is published: for each table (reports by province, by situation, by platform) and each closed month, one
count per category, and the month's national total; for each closed calendar year, the year's count per category
and the year's national total. Nothing else (no running totals, no current month), so every published figure is
a sum of the same fixed cells and never changes once its month has closed.

1. Primary: a count from 1 to 9 is never published.
2. Complementary, per month: in each table's month column (its categories and the national total) a suppressed
   cell is never alone: the smallest other non-zero cell is suppressed with it (never a zero, so moving one
   report between the two suppressed cells keeps every published figure and both stay possible).
3. Per closed year: the yearly counts add one equation per category. Yearly counts are suppressed (smallest
   non-zero first) until every suppressed cell lies on a cycle of suppressed cells in the table with its margins,
   so no sum or difference of published figures pins it (``suppress_year``).

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


def suppress_year(months: dict[str, dict[str, int]], hidden: dict[str, set[str]], totals: dict[str, int],
                  *, total_hidden: bool = False) -> set[str]:
    """The yearly keys to suppress (``TOTAL``: the national yearly total), given each month's counts, the keys
    hidden in each month (fixed: those months were published before the year closed) and the month totals.

    The year adds one equation per category (its months add up to its yearly count). A suppressed cell is safe
    when it lies on a cycle of suppressed cells in the table with its margins (rows: categories and the national
    total; columns: the months and the year): one report can then move around the cycle, keeping every published
    figure. Yearly counts are suppressed, smallest non-zero first, until no suppressed cell is a bridge."""
    keys = sorted({k for cells in months.values() for k in cells})
    annual = {k: sum(cells.get(k, 0) for cells in months.values()) for k in keys}
    annual[TOTAL] = sum(totals.get(m, 0) for m in months)
    edges = {(k, m) for m, ks in hidden.items() for k in ks}
    year_hidden = {k for k, v in annual.items() if primary(v)}
    if total_hidden:
        year_hidden.add(TOTAL)
    while True:
        graph = edges | {(k, YEAR) for k in year_hidden}
        bridge = _find_bridge(graph)
        if bridge is None:
            return year_hidden
        side_a, side_b = _sides(graph, bridge)
        added = _mend(bridge, side_a, side_b, annual, year_hidden)
        if not added:  # nothing can protect it (cannot happen when every month column has two hidden cells)
            return year_hidden
        year_hidden |= added


YEAR = "\x00year"


def _nodes(edge: tuple[str, str]) -> tuple[tuple[str, str], tuple[str, str]]:
    return ("r", edge[0]), ("c", edge[1])


def _component(graph: set, start, without) -> set:
    adjacency: dict = {}
    for edge in graph:
        if edge == without:
            continue
        a, b = _nodes(edge)
        adjacency.setdefault(a, []).append(b)
        adjacency.setdefault(b, []).append(a)
    seen, todo = {start}, [start]
    while todo:
        for nxt in adjacency.get(todo.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def _find_bridge(graph: set):
    for edge in sorted(graph):
        a, b = _nodes(edge)
        if b not in _component(graph, a, edge):
            return edge
    return None


def _sides(graph: set, bridge) -> tuple[set, set]:
    a, b = _nodes(bridge)
    return _component(graph, a, bridge), _component(graph, b, bridge)


def _mend(bridge, side_a: set, side_b: set, annual: dict[str, int], year_hidden: set[str]) -> set[str]:
    """Yearly cells whose suppression closes a cycle through ``bridge`` (smallest non-zero first)."""
    year = ("c", YEAR)

    def rows(side: set) -> list[str]:
        found = [n[1] for n in side if n[0] == "r" and n[1] not in year_hidden and annual.get(n[1], 0) > 0]
        return sorted(found, key=lambda k: (annual[k], k))

    if year in side_a:
        return set(rows(side_b)[:1])
    if year in side_b:
        return set(rows(side_a)[:1])
    a, b = rows(side_a), rows(side_b)
    return {a[0], b[0]} if a and b else set()


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
    (each of whose twelve months is in ``months``). The national yearly total is one figure in every table, so it
    is suppressed in all of them when any one needs it."""
    out: list[Cell] = []
    keys = {t: sorted({k for m in months for k in by_month.get(m, {})}) for t, by_month in tables.items()}
    grid = {t: {m: {k: by_month.get(m, {}).get(k, 0) for k in keys[t]} for m in months}
            for t, by_month in tables.items()}
    hidden = {t: {m: suppress_month(grid[t][m], totals.get(m, 0)) for m in months} for t in tables}
    yearly: dict[tuple[str, str], set[str]] = {}
    for year in years:
        in_year = [m for m in months if m.startswith(year)]
        force = False
        for _ in range(2):  # a second round when one table hid the national total the others showed
            for t in tables:
                yearly[(t, year)] = suppress_year({m: grid[t][m] for m in in_year}, {m: hidden[t][m] for m in in_year},
                                                  totals, total_hidden=force)
            if force or not any(TOTAL in yearly[(t, year)] for t in tables):
                break
            force = True
    for t in tables:
        for month in months:
            out.extend(Cell(t, month, k, None if k in hidden[t][month] else v) for k, v in grid[t][month].items())
            out.append(Cell(t, month, TOTAL, None if TOTAL in hidden[t][month] else totals.get(month, 0)))
        for year in years:
            in_year = [m for m in months if m.startswith(year)]
            for k in keys[t]:
                value = sum(grid[t][m][k] for m in in_year)
                out.append(Cell(t, year, k, None if k in yearly[(t, year)] else value))
            total = sum(totals.get(m, 0) for m in in_year)
            out.append(Cell(t, year, TOTAL, None if TOTAL in yearly[(t, year)] else total))
    return out
