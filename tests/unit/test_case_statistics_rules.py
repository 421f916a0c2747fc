"""The data centre's counting of cases (pure): the median from a minute distribution equals statistics.median,
consent to statistics decided by the newest record, a case counted in its opening and its closing month."""

from __future__ import annotations

import statistics
from collections import Counter
from datetime import datetime, timedelta, timezone

from hypothesis import given, strategies as st

from safe4c.cases.rules.consent import counts_in_statistics
from safe4c.statistics.rules.cases import CaseFacts, MonthOfCases, add_case, median_hours

UTC = timezone.utc


@given(st.lists(st.integers(min_value=0, max_value=5000), min_size=1, max_size=40))
def test_median_from_the_distribution_equals_the_median_of_the_values(values):
    assert median_hours(Counter(values)) == statistics.median(values) / 60


def test_no_values_no_median():
    assert median_hours(Counter()) is None


def test_the_newest_consent_decides():
    jan, feb = datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 2, 1, tzinfo=UTC)
    assert counts_in_statistics([]) is True  # nothing recorded yet
    assert counts_in_statistics([(jan, 1, True, False)]) is True
    assert counts_in_statistics([(jan, 1, True, False), (feb, 2, False, False)]) is False
    assert counts_in_statistics([(jan, 1, False, False), (feb, 2, True, False)]) is True
    assert counts_in_statistics([(jan, 1, True, True)]) is False  # withdrawn


def test_a_case_counts_when_it_opens_and_when_it_closes():
    opened = datetime(2026, 1, 31, 18, 0, tzinfo=UTC)  # 1 February 01:00 WIB
    case = CaseFacts(opened_at=opened, closed_at=opened + timedelta(days=40), region_code="32.73", origin="walk_in",
                     priority="P2", first_contact_due_at=opened + timedelta(hours=24), statements=2)
    now = opened + timedelta(days=50)
    feb, mar, jan = MonthOfCases(), MonthOfCases(), MonthOfCases()
    for name, month in (("2026-02", feb), ("2026-03", mar), ("2026-01", jan)):
        add_case(month, name, case, now=now)
    assert (feb.counts[("province", "32")].opened, feb.counts[("province", "32")].more_statements) == (1, 1)
    assert feb.contact["P2"].due == 1 and feb.contact["P2"].within == 0 and feb.contact["P2"].contacted == 0
    assert (mar.counts[("origin", "walk_in")].opened, mar.counts[("origin", "walk_in")].closed) == (0, 1)
    assert not mar.contact and not jan.counts
