"""Figures of case management per agency and month (docs/cases.md, *Figures*). Pure: plain rows in.

Each figure has one definition, written here once; ``cases/figures.py`` only fetches the rows.

- **cases opened / closed**: the agency leads the case; ``opened_at`` / ``closed_at`` falls in the month.
- **report to first contact**: cases opened in the month that came from a report and had their first contact:
  hours from the report's receipt to the first contact (median; the data centre keeps the same time in whole
  minutes). **Within deadline**: of the cases opened in the month with a first-contact deadline, those
  contacted by it (at the deadline still counts), out of those whose outcome is known: contacted, or past the
  deadline (``deadlines.is_met`` / ``is_overdue``).
- **referrals made / accepted / declined / completed**: referrals of the agency's cases sent in the month, and
  of those, the ones accepted (accepted or delivered), declined, and delivered. **Received**: referrals to the
  agency sent in the month.
- **statements per case** (the goal is 1): statements of cases opened in the month, per case that has one;
  and how many such cases have more than one.
- **caseload per worker**: the agency's cases open at the end of the month (or now, for the running month)
  per assigned worker: how many workers, the mean and the largest caseload; and open cases with nobody
  assigned. No worker is named: a national officer sees these aggregates only.

A month is a calendar month in Western Indonesia Time (``kernel/months.py``), as for every figure.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from statistics import median

from safe4c.cases.rules import deadlines


@dataclass(frozen=True)
class CaseRow:
    agency_id: int
    opened_at: datetime
    closed_at: datetime | None
    assigned_to: int | None
    report_received_at: datetime | None
    first_contact_due_at: datetime | None
    first_contact_at: datetime | None
    statements: int


@dataclass(frozen=True)
class ReferralRow:
    from_agency_id: int  # the case's lead agency
    to_agency_id: int | None
    sent_at: datetime
    status: str


@dataclass
class AgencyFigures:
    agency_id: int | None  # None: all agencies together
    cases_opened: int = 0
    cases_closed: int = 0
    first_contact_cases: int = 0
    first_contact_median_hours: float | None = None
    first_contact_due: int = 0  # counted for the share (first_contact_decided): contacted, or past the deadline
    first_contact_within: int = 0
    referrals_made: int = 0
    referrals_accepted: int = 0
    referrals_declined: int = 0
    referrals_completed: int = 0
    referrals_received: int = 0
    cases_with_statement: int = 0
    statements: int = 0
    cases_with_more_statements: int = 0
    workers: int = 0
    caseload_mean: float | None = None
    caseload_max: int = 0
    open_unassigned: int = 0
    _hours: list[float] = field(default_factory=list, repr=False)

    @property
    def within_share(self) -> float | None:
        return self.first_contact_within / self.first_contact_due if self.first_contact_due else None

    @property
    def statements_per_case(self) -> float | None:
        return self.statements / self.cases_with_statement if self.cases_with_statement else None


# --- one case, one referral: the definitions (the data centre's rollups, statistics/rules/cases.py, use them too) --

ACCEPTED = frozenset({"accepted", "delivered"})  # a delivered referral was accepted first
DECLINED = frozenset({"declined"})
COMPLETED = frozenset({"delivered"})


def time_to_first_contact(report_received_at: datetime | None, first_contact_at: datetime | None) -> timedelta | None:
    """From the report's receipt to the first contact (never negative); None for a case not from a report or not
    contacted."""
    if report_received_at is None or first_contact_at is None:
        return None
    return max(timedelta(0), first_contact_at - report_received_at)


def first_contact_hours(report_received_at: datetime | None, first_contact_at: datetime | None) -> float | None:
    """``time_to_first_contact`` in hours (the figures' median)."""
    time = time_to_first_contact(report_received_at, first_contact_at)
    return None if time is None else time.total_seconds() / 3600


def first_contact_minutes(report_received_at: datetime | None, first_contact_at: datetime | None) -> int | None:
    """``time_to_first_contact`` in whole minutes (the data centre's distribution)."""
    time = time_to_first_contact(report_received_at, first_contact_at)
    return None if time is None else time // timedelta(minutes=1)


def first_contact_decided(due_at: datetime | None, contacted_at: datetime | None, now: datetime) -> bool:
    """Does the case count for the share within the deadline: it has a deadline, and was contacted or is overdue."""
    return due_at is not None and (contacted_at is not None or deadlines.is_overdue(due_at, contacted_at, now))


def first_contact_within(due_at: datetime | None, contacted_at: datetime | None) -> bool:
    return deadlines.is_met(due_at, contacted_at)


def referral_outcome(status: str) -> tuple[bool, bool, bool]:
    """(accepted, declined, completed) for a referral's status."""
    return status in ACCEPTED, status in DECLINED, status in COMPLETED


def _in(when: datetime | None, start: datetime, end: datetime) -> bool:
    return when is not None and start <= when < end


def compute(cases: list[CaseRow], referrals: list[ReferralRow], *, start: datetime, end: datetime,
            now: datetime, only: frozenset | None = None) -> list[AgencyFigures]:
    """One row per agency that has anything in the month, by agency id, then the total (agency_id None) of
    those rows; ``only``: just these agencies (a supervisor's own)."""
    cut = min(end, now)  # the caseload is counted at the end of the month, or now in the running month
    rows: dict[int, AgencyFigures] = {}
    caseloads: dict[int, Counter] = {}

    def of(agency_id: int) -> AgencyFigures:
        return rows.setdefault(agency_id, AgencyFigures(agency_id))

    for c in cases:
        if _in(c.opened_at, start, end):
            f = of(c.agency_id)
            f.cases_opened += 1
            hours = first_contact_hours(c.report_received_at, c.first_contact_at)
            if hours is not None:
                f.first_contact_cases += 1
                f._hours.append(hours)
            if first_contact_decided(c.first_contact_due_at, c.first_contact_at, now):
                f.first_contact_due += 1
                f.first_contact_within += first_contact_within(c.first_contact_due_at, c.first_contact_at)
            if c.statements:
                f.cases_with_statement += 1
                f.statements += c.statements
                f.cases_with_more_statements += c.statements > 1
        if _in(c.closed_at, start, end):
            of(c.agency_id).cases_closed += 1
        if c.opened_at < cut and (c.closed_at is None or c.closed_at >= cut):
            if c.assigned_to is None:
                of(c.agency_id).open_unassigned += 1
            else:
                caseloads.setdefault(c.agency_id, Counter())[c.assigned_to] += 1
                of(c.agency_id)
    for r in referrals:
        if not _in(r.sent_at, start, end):
            continue
        f = of(r.from_agency_id)
        accepted, declined, completed = referral_outcome(r.status)
        f.referrals_made += 1
        f.referrals_accepted += accepted
        f.referrals_declined += declined
        f.referrals_completed += completed
        if r.to_agency_id is not None:
            of(r.to_agency_id).referrals_received += 1
    if only is not None:
        rows = {k: f for k, f in rows.items() if k in only}
        caseloads = {k: loads for k, loads in caseloads.items() if k in only}
    total = AgencyFigures(None)
    for agency_id, f in rows.items():
        loads = caseloads.get(agency_id, Counter())
        f.workers, f.caseload_max = len(loads), max(loads.values(), default=0)
        f.caseload_mean = sum(loads.values()) / len(loads) if loads else None
        f.first_contact_median_hours = median(f._hours) if f._hours else None
    all_loads = [n for loads in caseloads.values() for n in loads.values()]
    for name in ("cases_opened", "cases_closed", "first_contact_cases", "first_contact_due", "first_contact_within",
                 "referrals_made", "referrals_accepted", "referrals_declined", "referrals_completed",
                 "referrals_received", "cases_with_statement", "statements", "cases_with_more_statements",
                 "open_unassigned"):
        setattr(total, name, sum(getattr(f, name) for f in rows.values()))
    hours = [h for f in rows.values() for h in f._hours]
    total.first_contact_median_hours = median(hours) if hours else None
    total.workers, total.caseload_max = len(all_loads), max(all_loads, default=0)
    total.caseload_mean = sum(all_loads) / len(all_loads) if all_loads else None
    return [rows[k] for k in sorted(rows)] + [total]
