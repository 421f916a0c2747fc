"""What one case and one referral count for in the data centre's case rollups (pure, plain values).

Each figure is defined once, in ``cases/rules/figures.py`` (first contact, the deadline share, a referral's
outcome) and ``cases/rules/consent.py`` (whether a case counts in statistics at all); here they are only
added up by month (WIB, ``kernel/months.py``, the same months as the case figures) and by the data centre's
dimensions. A case's province is the first part of its region (``"32.73"`` -> ``"32"``); a missing one counts
under ``unknown``, a case without a priority under ``none``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from safe4c.cases.rules import figures
from safe4c.kernel.months import month_of
from safe4c.statistics.rules.counting import ALL, NONE, UNKNOWN


@dataclass(frozen=True)
class CaseFacts:
    opened_at: datetime
    closed_at: datetime | None = None
    region_code: str | None = None
    origin: str = "report"
    priority: str | None = None
    report_received_at: datetime | None = None
    first_contact_due_at: datetime | None = None
    first_contact_at: datetime | None = None
    statements: int = 0


@dataclass(frozen=True)
class ReferralFacts:
    sent_at: datetime
    service_type: str | None
    status: str


@dataclass
class CaseCell:
    opened: int = 0
    closed: int = 0
    with_statement: int = 0
    statements: int = 0
    more_statements: int = 0


@dataclass
class ContactCell:
    cases: int = 0
    contacted: int = 0
    due: int = 0
    within: int = 0
    minutes: Counter = field(default_factory=Counter)  # whole minutes to first contact -> cases


@dataclass
class ReferralCell:
    made: int = 0
    accepted: int = 0
    declined: int = 0
    completed: int = 0


@dataclass
class MonthOfCases:
    counts: dict[tuple[str, str], CaseCell] = field(default_factory=dict)  # (dim, key) -> cell
    contact: dict[str, ContactCell] = field(default_factory=dict)  # priority -> cell
    referrals: dict[str, ReferralCell] = field(default_factory=dict)  # service type -> cell


def province_of(region_code: str | None) -> str:
    return region_code.split(".")[0] if region_code else UNKNOWN


def case_keys(case: CaseFacts) -> list[tuple[str, str]]:
    return [("total", ALL), ("province", province_of(case.region_code)), ("origin", case.origin or UNKNOWN)]


def add_case(month: MonthOfCases, name: str, case: CaseFacts, *, now: datetime) -> None:
    """Add what ``case`` counts for in month ``name``: its opening (with its statements and first contact) if it
    was opened then, its closing if it was closed then."""
    opened, closed = month_of(case.opened_at) == name, case.closed_at is not None and month_of(case.closed_at) == name
    for key in case_keys(case) if opened or closed else ():
        cell = month.counts.setdefault(key, CaseCell())
        cell.closed += closed
        if opened:
            cell.opened += 1
            cell.with_statement += case.statements > 0
            cell.statements += case.statements
            cell.more_statements += case.statements > 1
    if not opened:
        return
    contact = month.contact.setdefault(case.priority or NONE, ContactCell())
    contact.cases += 1
    minutes = figures.first_contact_minutes(case.report_received_at, case.first_contact_at)
    if minutes is not None:
        contact.contacted += 1
        contact.minutes[minutes] += 1
    if figures.first_contact_decided(case.first_contact_due_at, case.first_contact_at, now):
        contact.due += 1
        contact.within += figures.first_contact_within(case.first_contact_due_at, case.first_contact_at)


def add_referral(month: MonthOfCases, referral: ReferralFacts) -> None:
    cell = month.referrals.setdefault(referral.service_type or NONE, ReferralCell())
    accepted, declined, completed = figures.referral_outcome(referral.status)
    cell.made += 1
    cell.accepted += accepted
    cell.declined += declined
    cell.completed += completed


def median_hours(minutes: Counter) -> float | None:
    """The median of a distribution of whole minutes, in hours (the mean of the two middle values when even, as
    ``statistics.median``)."""
    total = sum(minutes.values())
    if not total:
        return None
    wanted = (total - 1) // 2, total // 2  # 0-based positions of the middle value(s)
    found: list[int] = []
    seen = 0
    for value in sorted(minutes):
        n = minutes[value]
        for position in wanted:
            if seen <= position < seen + n:
                found.append(value)
        seen += n
        if len(found) == 2:
            break
    return (found[0] + found[1]) / 2 / 60
