"""Figures of case management per agency and month (definitions in cases/rules/figures.py, docs/cases.md).

Reads the rows the month needs (a WIB month, ``kernel/months.py``, as every figure's) and hands them to the pure
rule; the page and the CLI call ``figures``, the demo ``total_over`` for its months together. Aggregates only:
no child, no case id, no worker named. Who sees which agencies is the policy's ``case.figures.view`` filter (a
supervisor their agency, national staff all).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select

from safe4c.access.rules import policy
from safe4c.access.rules.policy import Actor
from safe4c.cases.rules import figures as rules
from safe4c.cases.rules.figures import AgencyFigures, CaseRow, ReferralRow
from safe4c.db.cases import Agency, Case, CaseReferral, CaseStatement
from safe4c.db.tables import Report
from safe4c.kernel import months
from safe4c.kernel.uow import UnitOfWork


@dataclass(frozen=True)
class Figures:
    month: str
    rows: list[AgencyFigures]  # per agency, then the total (agency_id None)
    agencies: dict[int, tuple[str, str]]  # id -> (code, name)


def figures(*, uow: UnitOfWork, month: str | None = None, actor: Actor | None = None) -> Figures:
    """The month's figures for every agency the actor may see (``actor`` None: every agency, for the CLI)."""
    month = months.parse_month(month, now=uow.now())  # a WIB month, as every figure's
    only = None
    if actor is not None:
        allowed = policy.record_filter(actor, "case.figures.view")
        if allowed is None:
            return Figures(month, [AgencyFigures(None)], {})
        only = allowed.values("agency_id")
    rows = _compute(uow, *months.month_bounds(month), only=only)
    ids = [r.agency_id for r in rows if r.agency_id is not None]
    names = {i: (code, name) for i, code, name in uow.session.execute(
        select(Agency.id, Agency.code, Agency.name).where(Agency.id.in_(ids)))} if ids else {}
    return Figures(month, rows, names)


def total_over(*, uow: UnitOfWork, first: str, last: str) -> AgencyFigures:
    """Every agency together over the months ``first`` to ``last`` as one period (the demo's summary): the same
    definitions as a month's figures, so a median over the period is the median of its cases, not of months."""
    start, _ = months.month_bounds(first)
    _, end = months.month_bounds(last)
    return _compute(uow, start, end, only=None)[-1]


def _compute(uow: UnitOfWork, start: datetime, end: datetime, *, only) -> list[AgencyFigures]:
    statements = (select(CaseStatement.case_id, func.count().label("n")).group_by(CaseStatement.case_id)
                  .subquery())
    query = (select(Case.agency_id, Case.opened_at, Case.closed_at, Case.assigned_to, Report.received_at,
                    Case.first_contact_due_at, Case.first_contact_at, func.coalesce(statements.c.n, 0))
             .outerjoin(Report, Report.id == Case.report_id)
             .outerjoin(statements, statements.c.case_id == Case.id)
             # the period's openings and closings, and every case still open then (the caseload)
             .where(Case.opened_at < end, or_(Case.closed_at.is_(None), Case.closed_at >= start)))
    referrals = (select(Case.agency_id, CaseReferral.to_agency_id, CaseReferral.sent_at, CaseReferral.status)
                 .join(Case, Case.id == CaseReferral.case_id)
                 .where(CaseReferral.sent_at >= start, CaseReferral.sent_at < end))
    if only is not None:
        query = query.where(Case.agency_id.in_(only))
        referrals = referrals.where(or_(Case.agency_id.in_(only), CaseReferral.to_agency_id.in_(only)))
    cases = [CaseRow(*row) for row in uow.session.execute(query)]
    sent = [ReferralRow(*row) for row in uow.session.execute(referrals)]
    return rules.compute(cases, sent, start=start, end=end, now=uow.now(), only=only)
