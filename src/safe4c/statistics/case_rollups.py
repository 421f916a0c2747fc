"""Cases in the rollups (docs/statistics.md, *Cases*), refreshed with the reports and orders by
``rollups.refresh`` and the same design: a cheap cursor says whether anything changed, a fingerprint per WIB month
says which months, and a stale month is recomputed from its own rows.

A month's case figures come from the cases opened in it, the cases closed in it and the referrals sent in it, so
its fingerprint joins three groupings. Every writer of a case, of its consent and of its statements sets
``cases.updated_at``; every writer of a referral sets ``case_referrals.updated_at`` (migration 0016). The share
within the first-contact deadline moves with the clock (a case past its deadline without contact starts to
count), so the cursor and the fingerprints also count the cases overdue at the refresh (``ix_cases_contact_due``).
A case whose consent refuses statistics (``cases.rules.consent.counts_in_statistics``) counts nowhere.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict

from sqlalchemy import and_, func, or_, select
from sqlalchemy import case as when

from safe4c.cases.rules.consent import counts_in_statistics
from safe4c.db.cases import Case, CaseConsent, CaseReferral, CaseStatement
from safe4c.db.statistics import StatCaseContact, StatCaseContactTime, StatCaseCount, StatCaseReferral
from safe4c.db.tables import Report
from safe4c.kernel.uow import UnitOfWork
from safe4c.statistics.rules.cases import CaseFacts, MonthOfCases, ReferralFacts, add_case, add_referral
from safe4c.kernel.months import month_bounds
from safe4c.statistics.sql import month_expr, table_cursor

SOURCE = "cases"
ROLLUPS = (StatCaseCount, StatCaseContact, StatCaseContactTime, StatCaseReferral)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:64]


def _overdue(uow: UnitOfWork):
    """Cases past their first-contact deadline without contact (``cases.rules.deadlines.is_overdue`` in SQL)."""
    return and_(Case.first_contact_at.is_(None), Case.first_contact_due_at < uow.now())


def cursor(uow: UnitOfWork) -> str:
    overdue = uow.session.scalar(select(func.count()).where(_overdue(uow)))
    return _digest(f"{table_cursor(uow, Case)}/{table_cursor(uow, CaseReferral)}/{overdue}")


def fingerprints(uow: UnitOfWork) -> dict[str, str]:
    parts: dict[str, list[str]] = defaultdict(lambda: ["", "", ""])
    opened = month_expr(uow, Case.opened_at).label("month")
    closed = month_expr(uow, Case.closed_at).label("month")
    sent = month_expr(uow, CaseReferral.sent_at).label("month")
    queries = (
        select(opened, func.count(), func.max(Case.updated_at), func.sum(Case.id), func.count(Case.first_contact_at),
               func.sum(when((_overdue(uow), 1), else_=0))).group_by(opened),
        select(closed, func.count(), func.max(Case.updated_at), func.sum(Case.id))
        .where(Case.closed_at.is_not(None)).group_by(closed),
        # a consent change sets the case's updated_at: the months of its referrals move too
        select(sent, func.count(), func.max(CaseReferral.updated_at), func.sum(CaseReferral.id),
               func.max(Case.updated_at)).join(Case, Case.id == CaseReferral.case_id).group_by(sent),
    )
    for i, query in enumerate(queries):
        for row in uow.session.execute(query):
            parts[row[0]][i] = "|".join(str(v) for v in row[1:])
    return {month: _digest("/".join(found)) for month, found in parts.items()}


def _excluded(uow: UnitOfWork, case_ids) -> set[int]:
    """Of the cases ``case_ids`` (a subquery) those whose consent keeps them out of statistics."""
    consents: dict[int, list] = defaultdict(list)
    for case_id, recorded, cid, statistics, withdrawn in uow.session.execute(
            select(CaseConsent.case_id, CaseConsent.recorded_at, CaseConsent.id, CaseConsent.statistics,
                   CaseConsent.withdrawn_at.is_not(None)).where(CaseConsent.case_id.in_(case_ids))):
        consents[case_id].append((recorded, cid, statistics, withdrawn))
    return {case_id for case_id, found in consents.items() if not counts_in_statistics(found)}


def month_of_cases(uow: UnitOfWork, month: str) -> MonthOfCases:
    """What the cases opened or closed and the referrals sent in ``month`` count for."""
    start, end = month_bounds(month)
    acc = MonthOfCases()
    inside = or_(and_(Case.opened_at >= start, Case.opened_at < end),
                 and_(Case.closed_at >= start, Case.closed_at < end))
    statements = (select(func.count()).where(CaseStatement.case_id == Case.id).correlate(Case).scalar_subquery())
    excluded = _excluded(uow, select(Case.id).where(inside))
    query = (select(Case.id, Case.opened_at, Case.closed_at, Case.region_code, Case.origin, Case.priority,
                    Report.received_at, Case.first_contact_due_at, Case.first_contact_at, statements)
             .outerjoin(Report, Report.id == Case.report_id).where(inside))
    now = uow.now()
    for case_id, *facts in uow.session.execute(query):
        if case_id not in excluded:
            add_case(acc, month, CaseFacts(*facts), now=now)
    in_month = and_(CaseReferral.sent_at >= start, CaseReferral.sent_at < end)
    excluded = _excluded(uow, select(CaseReferral.case_id).where(in_month))
    for case_id, *facts in uow.session.execute(select(CaseReferral.case_id, CaseReferral.sent_at,
                                                      CaseReferral.service_type, CaseReferral.status).where(in_month)):
        if case_id not in excluded:
            add_referral(acc, ReferralFacts(*facts))
    return acc


def rows(uow: UnitOfWork, month: str) -> dict:
    """The month's case rollups, by table, as rows to insert (read only: rollups.refresh writes them)."""
    acc = month_of_cases(uow, month)
    return {
        StatCaseCount: [
            {"month": month, "dim": d, "key": k, "opened": c.opened, "closed": c.closed,
             "with_statement": c.with_statement, "statements": c.statements, "more_statements": c.more_statements}
            for (d, k), c in acc.counts.items()],
        StatCaseContact: [
            {"month": month, "priority": p, "cases": c.cases, "contacted": c.contacted, "due": c.due,
             "within": c.within} for p, c in acc.contact.items()],
        StatCaseContactTime: [{"month": month, "priority": p, "minutes": m, "cases": n}
                              for p, c in acc.contact.items() for m, n in c.minutes.items()],
        StatCaseReferral: [
            {"month": month, "service_type": s, "made": c.made, "accepted": c.accepted, "declined": c.declined,
             "completed": c.completed} for s, c in acc.referrals.items()],
    }
