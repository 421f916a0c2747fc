"""What the cases dashboard shows (docs/statistics.md, *Cases*), read from the case rollups only."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass

from sqlalchemy import func, select

from safe4c.db.statistics import StatCaseContact, StatCaseContactTime, StatCaseCount, StatCaseReferral
from safe4c.kernel.uow import UnitOfWork
from safe4c.statistics.rules.cases import median_hours


@dataclass(frozen=True)
class CaseRow:
    key: str
    opened: int
    closed: int
    with_statement: int
    statements: int
    more_statements: int

    @property
    def statements_per_case(self) -> float | None:
        return self.statements / self.with_statement if self.with_statement else None


def by(uow: UnitOfWork, dim: str, months: list[str], *, per_month: bool = False) -> list[CaseRow]:
    """Cases by ``dim`` over ``months`` (largest first), or month by month for ``per_month`` (dim ``total``)."""
    t = StatCaseCount
    group = t.month if per_month else t.key
    rows = {r[0]: CaseRow(r[0], *(int(v) for v in r[1:])) for r in uow.session.execute(
        select(group, func.sum(t.opened), func.sum(t.closed), func.sum(t.with_statement), func.sum(t.statements),
               func.sum(t.more_statements)).where(t.dim == dim, t.month.in_(months)).group_by(group))}
    if per_month:
        return [rows.get(m, CaseRow(m, 0, 0, 0, 0, 0)) for m in months]
    return sorted(rows.values(), key=lambda r: (-r.opened, -r.closed, r.key))


@dataclass(frozen=True)
class ContactRow:
    priority: str
    cases: int
    contacted: int
    median_hours: float | None
    due: int
    within: int

    @property
    def share_within(self) -> float | None:
        return self.within / self.due if self.due else None


def first_contact(uow: UnitOfWork, months: list[str]) -> list[ContactRow]:
    """Report to first contact by priority over ``months``; the median from the minutes' distribution."""
    minutes: dict[str, Counter] = defaultdict(Counter)
    for priority, value, n in uow.session.execute(
            select(StatCaseContactTime.priority, StatCaseContactTime.minutes, func.sum(StatCaseContactTime.cases))
            .where(StatCaseContactTime.month.in_(months))
            .group_by(StatCaseContactTime.priority, StatCaseContactTime.minutes)):
        minutes[priority][int(value)] += int(n)
    t = StatCaseContact
    rows = uow.session.execute(
        select(t.priority, func.sum(t.cases), func.sum(t.contacted), func.sum(t.due), func.sum(t.within))
        .where(t.month.in_(months)).group_by(t.priority).order_by(t.priority))
    return [ContactRow(p, int(c), int(k), median_hours(minutes[p]), int(d), int(w)) for p, c, k, d, w in rows]


@dataclass(frozen=True)
class ReferralRow:
    key: str  # a service type, or a month
    made: int
    accepted: int
    declined: int
    completed: int


def referrals(uow: UnitOfWork, months: list[str], *, per_month: bool = False) -> list[ReferralRow]:
    t = StatCaseReferral
    group = t.month if per_month else t.service_type
    rows = {r[0]: ReferralRow(r[0], *(int(v) for v in r[1:])) for r in uow.session.execute(
        select(group, func.sum(t.made), func.sum(t.accepted), func.sum(t.declined), func.sum(t.completed))
        .where(t.month.in_(months)).group_by(group))}
    if per_month:
        return [rows.get(m, ReferralRow(m, 0, 0, 0, 0)) for m in months]
    return sorted(rows.values(), key=lambda r: (-r.made, r.key))
