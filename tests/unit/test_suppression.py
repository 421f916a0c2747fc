"""Small-cell suppression against an attacker who knows every published figure and how they add up
(statistics/rules/suppression.py, docs/statistics.md)."""

from __future__ import annotations

import itertools

import numpy as np
from hypothesis import given, settings, strategies as st

from safe4c.statistics.rules.suppression import TOTAL, publish, suppress_month

MONTHS_2025 = [f"2025-{m:02d}" for m in range(1, 13)]


def table(rows: dict[str, list[int]], months: list[str]) -> tuple[dict, dict]:
    """An additive table: category -> count per month; the month totals are the column sums."""
    by_month = {m: {k: v[i] for k, v in rows.items()} for i, m in enumerate(months)}
    totals = {m: sum(by_month[m].values()) for m in months}
    return {"province": by_month}, totals


def equations(cells, months, years):
    """Every linear equation the published figures satisfy (rows and columns, months and years), over the
    suppressed cells as unknowns: returns (unknowns, A, b)."""
    value = {(c.period, c.key): c.value for c in cells}
    keys = sorted({c.key for c in cells if c.key != TOTAL})
    unknown = sorted(k for k, v in value.items() if v is None)
    index = {k: i for i, k in enumerate(unknown)}
    rows, rhs = [], []

    def add(plus: list, minus: list):
        row, b = np.zeros(len(unknown)), 0.0
        for sign, group in ((1, plus), (-1, minus)):
            for cell in group:
                if cell in index:
                    row[index[cell]] += sign
                else:
                    b -= sign * value[cell]
        if row.any():
            rows.append(row)
            rhs.append(b)

    for m in months:  # a month's categories add up to its total
        add([(m, k) for k in keys], [(m, TOTAL)])
    for y in years:
        in_year = [m for m in months if m.startswith(y)]
        for k in [*keys, TOTAL]:  # a category's months add up to its year
            add([(m, k) for m in in_year], [(y, k)])
        add([(y, k) for k in keys], [(y, TOTAL)])
    return unknown, np.array(rows).reshape(len(rows), len(unknown)), np.array(rhs)


def determined(cells, months, years) -> list:
    """Suppressed cells whose value follows from the equations alone (linear algebra)."""
    unknown, a, _ = equations(cells, months, years)
    if not unknown:
        return []
    rank = np.linalg.matrix_rank(a) if len(a) else 0
    out = []
    for i, cell in enumerate(unknown):
        e = np.zeros(len(unknown))
        e[i] = 1
        if len(a) and np.linalg.matrix_rank(np.vstack([a, e])) == rank:
            out.append(cell)
    return out


def feasible_values(cells, months, years, bound: int) -> dict:
    """Brute force over every completion with values 0..bound: the values each suppressed cell can take."""
    unknown, a, b = equations(cells, months, years)
    seen = {cell: set() for cell in unknown}
    for values in itertools.product(range(bound + 1), repeat=len(unknown)):
        x = np.array(values)
        if not len(a) or np.allclose(a @ x, b):
            for cell, v in zip(unknown, values):
                seen[cell].add(v)
    return seen


def check_safe(rows: dict[str, list[int]], months: list[str], years: list[str]):
    tables, totals = table(rows, months)
    cells = publish(tables, totals, months, years)
    assert all(c.value is None or c.value == 0 or c.value >= 10 for c in cells)
    assert determined(cells, months, years) == []
    return cells


def test_small_counts_are_never_published_and_a_lone_one_gets_a_partner():
    assert suppress_month({"11": 1, "31": 25, "32": 40}, 66) == {"11", "31"}
    assert suppress_month({"11": 0, "31": 25, "32": 40}, 65) == set()
    assert suppress_month({"11": 3, "31": 4}, 7) == {"11", "31", TOTAL}


def test_a_single_report_in_a_province_cannot_be_recovered_from_the_month_total():
    months = ["2025-01"]
    cells = check_safe({"11": [1], "31": [25], "32": [40]}, months, [])
    shown = {c.key: c.value for c in cells}
    assert shown["11"] is None and shown["31"] is None and shown[TOTAL] == 66
    seen = feasible_values(cells, months, [], bound=66)
    assert len(seen[("2025-01", "11")]) > 1


def test_two_cells_differing_by_one_and_total_minus_visible_cells():
    months = ["2025-01", "2025-02"]
    cells = check_safe({"11": [9, 10], "31": [10, 9], "32": [30, 30]}, months, [])
    by = {(c.period, c.key): c.value for c in cells}
    assert by[("2025-01", "11")] is None and by[("2025-02", "31")] is None
    # the total minus the visible cells leaves a sum of at least two hidden cells, never one
    for m in months:
        hidden = [k for k in ("11", "31", "32") if by[(m, k)] is None]
        assert len(hidden) != 1


def test_a_closed_year_adds_its_totals_without_revealing_a_month():
    rows = {"11": [1] + [0] * 11, "31": [12] * 12, "32": [5, 20, 20, 20, 20, 20, 20, 20, 20, 20, 20, 20]}
    cells = check_safe(rows, MONTHS_2025, ["2025"])
    year = {c.key: c.value for c in cells if c.period == "2025"}
    assert year["31"] == 144  # a province never suppressed keeps its yearly count
    assert year["11"] is None  # the single report of the year


def test_the_months_of_a_year_read_the_same_before_and_after_it_closes():
    rows = {"11": [1, 0, 3, 14, 0, 2, 11, 12, 13, 0, 9, 20], "31": [12] * 12, "32": [30] * 12}
    early = publish(*table({k: v[:5] for k, v in rows.items()}, MONTHS_2025[:5]), MONTHS_2025[:5], [])
    late = publish(*table(rows, MONTHS_2025), MONTHS_2025, ["2025"])
    late_months = {c for c in late if c.period in MONTHS_2025[:5]}
    assert set(early) <= late_months and len(early) == len(late_months)
    assert determined(late, MONTHS_2025, ["2025"]) == []


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.integers(0, 14), min_size=12, max_size=12), min_size=2, max_size=5))
def test_no_suppressed_cell_follows_from_the_published_sums(counts):
    rows = {f"{11 + i}": row for i, row in enumerate(counts)}
    check_safe(rows, MONTHS_2025, ["2025"])
