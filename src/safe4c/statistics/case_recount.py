"""The recount of the case rollups (part of ``recount.differences``): every figure computed again from the raw
rows. Counts by SQL GROUP BY, with the consent rule written again in SQL (the newest consent record decides: a
withdrawn one or one without statistics keeps the case out); first-contact figures and referral outcomes row by
row with the definitions of cases/rules/figures.py, not with the rollups' code."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import and_, func, literal, select
from sqlalchemy import case as when

from safe4c.cases.rules import figures
from safe4c.db.cases import Case, CaseConsent, CaseReferral, CaseStatement
from safe4c.db.statistics import StatCaseContact, StatCaseContactTime, StatCaseCount, StatCaseReferral
from safe4c.db.tables import Report
from safe4c.kernel.uow import UnitOfWork
from safe4c.statistics.sql import month_expr


def _counted():
    """True for a case that counts in statistics: its newest consent record (if any) allows statistics and was
    not withdrawn."""
    newest = (select(when((and_(CaseConsent.statistics.is_(True), CaseConsent.withdrawn_at.is_(None)), 1), else_=0))
              .where(CaseConsent.case_id == Case.id).correlate(Case)
              .order_by(CaseConsent.recorded_at.desc(), CaseConsent.id.desc()).limit(1).scalar_subquery())
    return func.coalesce(newest, 1) == 1


def rollup(uow: UnitOfWork) -> dict:
    out: dict = {}
    for r in uow.session.scalars(select(StatCaseCount)):
        out[("cases", r.month, r.dim, r.key)] = (r.opened, r.closed, r.with_statement, r.statements,
                                                 r.more_statements)
    for r in uow.session.scalars(select(StatCaseContact)):
        out[("contact", r.month, r.priority)] = (r.cases, r.contacted, r.due, r.within)
    for r in uow.session.scalars(select(StatCaseContactTime)):
        out[("contact-minutes", r.month, r.priority, r.minutes)] = r.cases
    for r in uow.session.scalars(select(StatCaseReferral)):
        out[("referrals", r.month, r.service_type)] = (r.made, r.accepted, r.declined, r.completed)
    return out


def raw(uow: UnitOfWork) -> dict:
    session = uow.session
    counted = _counted()
    keys = {"total": literal("all"),
            "province": func.coalesce(func.substr(Case.region_code, 1, 2), "unknown"),
            "origin": func.coalesce(Case.origin, "unknown")}
    statements = (select(CaseStatement.case_id, func.count().label("n")).group_by(CaseStatement.case_id)
                  .subquery())
    n = func.coalesce(statements.c.n, 0)
    cells: dict = {}
    for dim, key in keys.items():
        opened = month_expr(uow, Case.opened_at)
        for m, k, o, w, s, more in session.execute(
                select(opened, key, func.count(), func.sum(when((n > 0, 1), else_=0)), func.sum(n),
                       func.sum(when((n > 1, 1), else_=0)))
                .outerjoin(statements, statements.c.case_id == Case.id).where(counted).group_by(opened, key)):
            cells[("cases", m, dim, k)] = [int(o), 0, int(w), int(s), int(more)]
        closed = month_expr(uow, Case.closed_at)
        for m, k, c in session.execute(select(closed, key, func.count())
                                       .where(counted, Case.closed_at.is_not(None)).group_by(closed, key)):
            cells.setdefault(("cases", m, dim, k), [0, 0, 0, 0, 0])[1] = int(c)
    out: dict = {k: tuple(v) for k, v in cells.items()}
    now = uow.now()
    contact: dict = {}
    minutes: Counter = Counter()
    query = (select(month_expr(uow, Case.opened_at), Case.priority, Report.received_at, Case.first_contact_due_at,
                    Case.first_contact_at).outerjoin(Report, Report.id == Case.report_id).where(counted))
    for m, priority, received, due, contacted in session.execute(query):
        key = ("contact", m, priority or "none")
        c = contact.setdefault(key, Counter())
        c["cases"] += 1
        taken = figures.first_contact_minutes(received, contacted)
        if taken is not None:
            c["contacted"] += 1
            minutes[("contact-minutes", m, priority or "none", taken)] += 1
        decided = figures.first_contact_decided(due, contacted, now)
        c["due"] += decided
        c["within"] += decided and figures.first_contact_within(due, contacted)
    out.update({k: (c["cases"], c["contacted"], c["due"], c["within"]) for k, c in contact.items()})
    out.update(minutes)
    sent = month_expr(uow, CaseReferral.sent_at)
    service = func.coalesce(CaseReferral.service_type, "none")
    ok = lambda statuses: func.sum(when((CaseReferral.status.in_(sorted(statuses)), 1), else_=0))  # noqa: E731
    for m, s, made, acc, dec, comp in session.execute(
            select(sent, service, func.count(), ok(figures.ACCEPTED), ok(figures.DECLINED), ok(figures.COMPLETED))
            .join(Case, Case.id == CaseReferral.case_id).where(counted).group_by(sent, service)):
        out[("referrals", m, s)] = (int(made), int(acc), int(dec), int(comp))
    return out
