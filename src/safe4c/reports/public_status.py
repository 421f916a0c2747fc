"""The status page's query: a follow-up code to what happened to that one report (rules/public_status.py).

It gathers yes/no facts about the report, its takedown orders, referrals and the decisions on it or its
network, and hands back only the stage, the steps and two dates: no ids, no counts, no platform, nothing
about another report. Reads only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import exists, select

from safe4c.db.linking import ClusterMember, Decision, Referral, ReportAssignment
from safe4c.db.platforms import TakedownOrder
from safe4c.db.tables import AuditEntry, Report, ReportEvent
from safe4c.kernel.errors import NotFound
from safe4c.kernel.ratelimits import Check
from safe4c.kernel.uow import UnitOfWork
from safe4c.reports.rules import followup
from safe4c.reports.rules.public_status import Progress, StatusFacts, progress

@dataclass(frozen=True)
class PublicStatus:
    status: str  # the report's own status (new, in_review, actioned, closed), as the API has always said
    received_at: datetime
    updated_at: datetime  # the last thing that happened to it, of those the steps tell
    progress: Progress
    # Not shown to anyone: lets the page ask case management whether someone took the report up
    # (cases/child_status.py, which this area may not import).
    report_id: int | None = None


def status_for_code(*, uow: UnitOfWork, code: str, rate: Check | None = None) -> PublicStatus:
    """What a reporter may see with their follow-up code: what happened, in plain words, nothing an analyst
    wrote. Reads only. With ``rate``, ``RateLimited`` when the sender already had its limit of look-ups that
    found nothing this minute (count those with ``count_missed_lookup``)."""
    if rate is not None:
        rate.check(uow)
    digest = followup.code_hash(code, key=uow.ctx.followup_key)
    row = None
    if digest is not None:
        row = uow.session.execute(select(Report).where(Report.followup_hash == digest)).scalar_one_or_none()
    if row is None:
        raise NotFound("We could not find a report with this code. Check the code and try again.")
    facts, last = _facts(uow, row)
    return PublicStatus(row.status, row.received_at, max([row.updated_at, *last]), progress(facts), row.id)


def count_missed_lookup(*, uow: UnitOfWork, rate: Check) -> None:
    """A follow-up code found nothing (a guess, or a typo): count it against the sender's shared limit."""
    rate.count(uow)
    uow.commit()


def _facts(uow: UnitOfWork, row: Report) -> tuple[StatusFacts, list[datetime]]:
    session = uow.session
    cluster_id = session.scalar(select(ClusterMember.cluster_id).where(ClusterMember.report_id == row.id))
    about_it = Decision.report_id == row.id
    if cluster_id is not None:
        about_it = about_it | (Decision.cluster_id == cluster_id)
    decisions = session.execute(select(Decision.kind, Decision.at).where(about_it)).all()
    orders = session.execute(select(TakedownOrder.status, TakedownOrder.issued_at, TakedownOrder.removed_at)
                             .where(TakedownOrder.report_id == row.id, TakedownOrder.status != "withdrawn")).all()
    mine = Referral.report_id == row.id
    if cluster_id is not None:  # a police referral of her network carries her report too
        mine = mine | ((Referral.cluster_id == cluster_id) & (Referral.kind == "police"))
    referrals = [r for r in session.execute(select(Referral.kind, Referral.consent, Referral.created_at,
                                                   Referral.report_id).where(mine)).all()
                 if r.kind == "police" or (r.report_id == row.id and r.consent)]
    assigned = session.scalar(select(ReportAssignment.assigned_at).where(ReportAssignment.report_id == row.id))
    viewed = session.scalar(select(exists().where(AuditEntry.subject_type == "report",
                                                  AuditEntry.subject_id == row.public_id,
                                                  AuditEntry.action == "report.view")))
    acted_on = row.status == "actioned" or session.scalar(select(exists().where(
        ReportEvent.report_id == row.id, ReportEvent.to_status == "actioned")))
    facts = StatusFacts(
        status=row.status,
        read=bool(viewed or assigned or decisions),
        takedown_requested=bool(orders),
        content_removed=any(o.status == "removed" for o in orders),
        acted_on=bool(acted_on),
        passed_on=any(r.kind == "police" for r in referrals),
        help_arranged=any(r.kind == "child_help" for r in referrals),
        closed_not_actionable=any(d.kind == "close" for d in decisions),
    )
    last = [d.at for d in decisions] + [r.created_at for r in referrals]
    last += [t for o in orders for t in (o.issued_at, o.removed_at) if t is not None]
    return facts, last
