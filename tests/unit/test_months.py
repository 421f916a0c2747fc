"""One calendar month for every figure (kernel/months.py): a WIB month, its UTC bounds, the months between two,
the months before one, a month a person typed; and the first-contact deadline's one comparison."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta, timezone

import pytest

from safe4c.cases.rules import deadlines, figures
from safe4c.kernel import months
from safe4c.kernel.errors import Invalid
from safe4c.statistics.rules.cases import CaseFacts, MonthOfCases, add_case

UTC = timezone.utc
LATE_31_JAN = datetime(2026, 1, 31, 20, 0, tzinfo=UTC)  # 1 February 2026, 03:00 WIB


def test_a_moment_counts_in_its_wib_month():
    assert months.month_of(LATE_31_JAN) == "2026-02"
    assert months.month_of(datetime(2026, 1, 31, 16, 59, 59, tzinfo=UTC)) == "2026-01"
    assert months.month_of(datetime(2026, 1, 31, 17, 0, tzinfo=UTC)) == "2026-02"
    assert months.month_of(datetime(2025, 12, 31, 18, 0, tzinfo=UTC)) == "2026-01"  # the year turns too


def test_a_months_bounds_are_the_utc_instants_of_its_wib_midnights():
    assert months.month_bounds("2026-02") == (datetime(2026, 1, 31, 17, 0, tzinfo=UTC),
                                              datetime(2026, 2, 28, 17, 0, tzinfo=UTC))
    assert months.month_bounds("2025-12") == (datetime(2025, 11, 30, 17, 0, tzinfo=UTC),
                                              datetime(2025, 12, 31, 17, 0, tzinfo=UTC))
    start, end = months.month_bounds("2026-02")
    assert start <= LATE_31_JAN < end and months.month_of(start) == "2026-02"
    assert months.month_of(end) == "2026-03" and months.month_of(end - timedelta(microseconds=1)) == "2026-02"


@pytest.mark.parametrize("text", ["2026-13", "2026-00", "2026-3", "26-03", "9999-12", "1999-12", "2026-03-01", ""])
def test_anything_but_a_month_is_refused(text):
    assert not months.is_month(text)
    with pytest.raises(ValueError):
        months.month_bounds(text)


def test_months_between_and_before():
    assert months.months_between("2025-11", "2026-02") == ["2025-11", "2025-12", "2026-01", "2026-02"]
    assert months.months_between("2026-02", "2026-02") == ["2026-02"]
    assert months.months_between("2026-03", "2026-02") == []
    assert months.previous_months("2026-02", 3) == ["2025-12", "2026-01", "2026-02"]
    assert months.previous_months("2026-12", 12) == months.months_between("2026-01", "2026-12")
    assert months.previous_months("2026-02", 0) == []


def test_a_month_a_person_gives_or_this_wib_month():
    assert months.parse_month(None, now=LATE_31_JAN) == "2026-02"
    assert months.parse_month("", now=LATE_31_JAN) == "2026-02"
    assert months.parse_month("2025-07", now=LATE_31_JAN) == "2025-07"
    with pytest.raises(Invalid) as refused:
        months.parse_month("2026-13", now=LATE_31_JAN)
    assert [(e.field, e.message) for e in refused.value.fields] == [("month", months.BAD_MONTH)]


def test_a_case_opened_late_on_31_january_utc_counts_in_february_in_figures_and_statistics():
    row = figures.CaseRow(agency_id=1, opened_at=LATE_31_JAN, closed_at=None, assigned_to=None,
                          report_received_at=None, first_contact_due_at=None, first_contact_at=None, statements=1)
    now = LATE_31_JAN + timedelta(days=40)
    opened = {m: figures.compute([row], [], start=months.month_bounds(m)[0], end=months.month_bounds(m)[1],
                                 now=now)[-1].cases_opened for m in ("2026-01", "2026-02")}
    assert opened == {"2026-01": 0, "2026-02": 1}
    stats = {m: MonthOfCases() for m in ("2026-01", "2026-02")}
    for name, month in stats.items():
        add_case(month, name, CaseFacts(opened_at=LATE_31_JAN, region_code="32.73", statements=1), now=now)
    assert {m: sum(c.opened for (dim, _), c in acc.counts.items() if dim == "total") for m, acc in stats.items()} \
        == {"2026-01": 0, "2026-02": 1}


def test_the_first_contact_deadline_is_met_at_the_deadline_and_missed_only_after_it():
    due = datetime(2026, 1, 6, 8, 0, tzinfo=UTC)
    assert deadlines.is_met(due, due) and not deadlines.is_met(due, due + timedelta(seconds=1))
    assert not deadlines.is_overdue(due, None, due) and deadlines.is_overdue(due, None, due + timedelta(seconds=1))
    # the figures' share uses the same comparison: at the deadline without contact the outcome is not known yet
    assert not figures.first_contact_decided(due, None, due)
    assert figures.first_contact_decided(due, None, due + timedelta(seconds=1))
    assert figures.first_contact_decided(due, due, due) and figures.first_contact_within(due, due)
    # and the caseload's overdue step is the same moment
    assert deadlines.is_overdue(due, None, due + timedelta(seconds=1)) == \
        figures.first_contact_decided(due, None, due + timedelta(seconds=1))


def test_time_to_first_contact_is_one_definition_in_hours_and_whole_minutes():
    received = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
    contacted = received + timedelta(hours=5, minutes=7, seconds=59)
    assert figures.first_contact_hours(received, contacted) == pytest.approx(5 + 7 / 60 + 59 / 3600)
    assert figures.first_contact_minutes(received, contacted) == 307
    assert figures.first_contact_minutes(received, received - timedelta(minutes=3)) == 0  # never negative
    assert figures.first_contact_hours(received, received - timedelta(minutes=3)) == 0
    assert figures.first_contact_minutes(None, contacted) is None
    assert figures.first_contact_hours(received, None) is None
    month = MonthOfCases()
    add_case(month, "2026-01", CaseFacts(opened_at=received, priority="P1", report_received_at=received,
                                         first_contact_at=contacted), now=contacted)
    assert month.contact["P1"].minutes == Counter({307: 1})
