"""Intake: one use case for every channel (form, public API, later platforms).

The report, its first event and the follow-up job are written in one transaction, so an acknowledged
report is durable and its follow-up work cannot be lost. Triage runs inline because it is pure and fast;
if it ever fails, the report is still stored and a job triages it later.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, replace
from datetime import timedelta

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from safe4c.db.tables import Report, ReportEvent
from safe4c.reports.rules import followup
from safe4c.reports.rules.report import ReportCreate
from safe4c.reports.rules.triage import KNOWN_MATERIAL, LINKED_TO_URGENT, TriageFacts, p1_reason, triage
from safe4c.kernel.errors import NotFound
from safe4c.kernel import jobs
from safe4c.reports import replay
from safe4c.hashlist import known_material
from safe4c.networks import linking
from safe4c.reports import fields as report_fields
from safe4c.kernel.ratelimits import Check
from safe4c.kernel.uow import UnitOfWork

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Receipt:
    report_id: str
    followup_code: str  # shown to the reporter (again only on a replay of the same submission), never stored
    priority: str | None
    situations: tuple[str, ...]
    received_at: object = None  # a datetime: the stored reports.received_at (the platform API answers with it)
    replayed: bool = False  # the same submission was received before: this is its first receipt


# A Core statement on the table (not the ORM entity) with parameters passed apart: compiled once, cached,
# and no ORM bulk-insert machinery on the hot path.
_INSERT_REPORT = insert(Report.__table__).returning(Report.__table__.c.id)


def submit_report(*, uow: UnitOfWork, report: ReportCreate, channel: str, language: str,
                  idempotency_key: str | None = None, rate: Check | None = None) -> Receipt:
    """Store a report. With an ``idempotency_key`` (the API's Idempotency-Key, the form's one-time id), sending
    the same report again returns the first receipt, with the same follow-up code (services/replay.py); another
    report with the same key is refused with ``replay.KeyReused``. With ``rate``, the report counts against the
    sender's shared limit in the same transaction, and ``RateLimited`` (nothing stored) when the limit is
    reached."""
    submission = (replay.Submission.of(uow.ctx, channel=channel, key=idempotency_key, report=report)
                  if idempotency_key is not None else None)
    # No look-up first: the unique constraint on submission_key refuses the second copy (one statement fewer
    # on the hot path, and two copies sent at once are one report), and the IntegrityError tells the cases apart.
    try:
        _, receipt = stage_report(uow=uow, report=report, channel=channel, language=language, submission=submission)
        if rate is not None:
            rate.hit(uow)  # last: on PostgreSQL the counter row stays locked until the commit
        uow.commit()
    except IntegrityError:
        uow.rollback()
        first = replay.find(uow, submission) if submission is not None else None
        if first is None:
            raise
        return Receipt(first.report_id, first.followup_code, first.priority, first.situations, first.received_at,
                       replayed=True)
    return receipt


def stage_report(*, uow: UnitOfWork, report: ReportCreate, channel: str, language: str,
                 platform_escalation: bool = False, submission: replay.Submission | None = None
                 ) -> tuple[int, Receipt]:
    """``submit_report`` without the commit: returns the row id so a channel (platforms) can add its own rows
    to the same transaction. ``platform_escalation`` is the platform's "escalate to urgent" flag (triage P1)."""
    ctx = uow.ctx
    now = uow.now()
    code = followup.new_code()
    values = dict(
        public_id=str(uuid.uuid4()), channel=channel, received_at=now, updated_at=now, language=language,
        situations=list(report.situations), platforms=list(report.platforms),
        platform_other_sealed=report_fields.seal_platform_other(ctx.sealer, report.platform_other),
        accounts_sealed=report_fields.seal_accounts(ctx.sealer, report.accounts),
        incident_when=report.when, province_code=report.province_code,
        regency_code=report.regency_code, age_band=report.age_band, gender=report.gender,
        disability=report.disability, reporter_role=report.reporter_role,
        urgent_signals=list(report.urgent_signals), contact_method=report.contact_method,
        contact_sealed=ctx.sealer.seal(report.contact_value, context="report.contact"),
        consent_services=report.consent_services,
        story_sealed=ctx.sealer.seal(report.story, context="report.story"),
        followup_hash=followup.code_hash(code, key=ctx.followup_key), status="new",
        submission_key=submission.key_hash if submission else None,
        followup_sealed=submission.seal(code) if submission else None,
        priority=None, triage_reasons=None, deadline_at=None, triaged_at=None,
    )
    try:
        facts = facts_of(report)
        if platform_escalation:
            facts = replace(facts, platform_escalation=True)
        values.update(triage_values(facts, received_at=now, uow=uow))
    except Exception:  # never let a rule bug lose a report: store it, triage it later
        log.exception("inline triage failed; deferring to the worker")
    # One INSERT (Core, not the ORM unit of work): intake is the hot path. Its "created" event is
    # the row's received_at; the history shows it without a row of its own.
    report_id = uow.session.connection().execute(_INSERT_REPORT, values).scalar_one()
    work = []
    if values["priority"] is None:
        work.append(("report.triage", {"report_id": report_id}))
    if uow.settings.match_at_intake and known_material.should_match(channel=channel, accounts=report.accounts):
        # Matching needs the in-memory hash list: a job keeps it off the hot path (services/known_material.py).
        work.append((known_material.JOB, {"report_id": report_id}))
    if linking.should_link(channel=channel, accounts=report.accounts, story=report.story):
        # Linking into networks reads the identifiers in the accounts, the story and a platform's content
        # (services/linking.py, job "report.link"); same transaction, off the hot path.
        work.append((linking.JOB, {"report_id": report_id}))
    # One statement, however many jobs; a P1 report's jobs overtake a burst of ordinary ones (services/jobs.py).
    jobs.enqueue_many(uow, work, urgent=values["priority"] == "P1")
    return report_id, Receipt(values["public_id"], code, values["priority"], tuple(values["situations"]),
                              now)


def facts_of(row: Report | ReportCreate) -> TriageFacts:
    """What triage looks at; the same fields on a stored report and on a new one."""
    return TriageFacts(
        situations=tuple(row.situations), urgent_signals=tuple(row.urgent_signals), age_band=row.age_band,
        disability=row.disability, reporter_role=row.reporter_role,
        has_identifiers=report_fields.has_accounts(row) if isinstance(row, Report) else bool(row.accounts),
    )


def facts_for_row(uow: UnitOfWork, row: Report) -> TriageFacts:
    """``facts_of`` a stored report plus what is kept beside it: a platform's "escalate to urgent" flag
    (stored with the platform's detail). Every later triage of a stored row starts here."""
    facts = facts_of(row)
    if row.channel == "platform":
        from safe4c.db.platforms import PlatformReport

        escalated = uow.session.scalar(
            select(PlatformReport.escalate_to_urgent).where(PlatformReport.report_id == row.id))
        facts = replace(facts, platform_escalation=bool(escalated))
    return facts


# The fact that stands for each reason a report can be raised for after intake.
_RAISE_FACTS = {KNOWN_MATERIAL: "known_material", LINKED_TO_URGENT: "linked_to_urgent"}


def raise_to_p1(uow: UnitOfWork, row: Report, *, reason_code: str, event_kind: str, note: str | None = None) -> bool:
    """Raise a stored report to P1 for something learnt after intake (``match.known_material``: a hash-list
    match; ``link.urgent_cluster``: an urgent network), with a report event ``event_kind`` (``note`` sealed).
    Returns False, changing nothing, when the report already has this reason. The caller audits and commits.

    The one deadline rule: the first action is due at the earlier of the deadline the report already had and
    the P1 time from *now*. What makes a report urgent may be learnt hours after it arrived; the analyst
    still gets the P1 time to act on it, and a deadline that was already earlier stays.
    A report not triaged yet is triaged now with every fact (its platform's escalation included)."""
    reasons = list(row.triage_reasons or [])
    if any(r.get("code") == reason_code for r in reasons):
        return False
    now = uow.now()
    first_action = now + timedelta(minutes=uow.settings.triage_deadline_minutes["P1"])
    if row.priority is None:
        facts = facts_for_row(uow, row)
        current = triage(facts, received_at=row.received_at,
                         deadline_minutes=uow.settings.triage_deadline_minutes).deadline_at
        for name, value in triage_values(replace(facts, **{_RAISE_FACTS[reason_code]: True}),
                                         received_at=row.received_at, uow=uow).items():
            setattr(row, name, value)
        row.deadline_at = min(current, first_action)
    else:
        reason = p1_reason(reason_code)
        row.triage_reasons = [{"code": reason.code, "text": reason.text, "priority": reason.priority}, *reasons]
        row.priority = "P1"
        row.deadline_at = min(row.deadline_at, first_action) if row.deadline_at else first_action
    row.updated_at = now
    uow.session.add(ReportEvent(report_id=row.id, at=now, kind=event_kind,
                                note_sealed=uow.ctx.sealer.seal(note, context="report.note") if note else None))
    return True


def retriage(uow: UnitOfWork, row: Report, *, dropped_code: str, event_kind: str, note: str | None = None) -> bool:
    """Undo a raise: drop the reason ``dropped_code`` and triage the report again on its own facts (priority,
    reasons and deadline as at intake), with a report event. False when it does not have the reason."""
    if not any(r.get("code") == dropped_code for r in row.triage_reasons or ()):
        return False
    for name, value in triage_values(facts_for_row(uow, row), received_at=row.received_at, uow=uow).items():
        setattr(row, name, value)
    row.updated_at = uow.now()
    uow.session.add(ReportEvent(report_id=row.id, at=row.updated_at, kind=event_kind,
                                note_sealed=uow.ctx.sealer.seal(note, context="report.note") if note else None))
    return True


def triage_values(facts: TriageFacts, *, received_at, uow: UnitOfWork) -> dict:
    result = triage(facts, received_at=received_at, deadline_minutes=uow.settings.triage_deadline_minutes)
    return {
        "priority": result.priority,
        "triage_reasons": [{"code": r.code, "text": r.text, "priority": r.priority} for r in result.reasons],
        "deadline_at": result.deadline_at,
        "triaged_at": uow.now(),
    }


def triage_report(*, uow: UnitOfWork, report_id: int) -> None:
    """Worker job: triage a report stored without a priority. Idempotent."""
    row = uow.session.get(Report, report_id)
    if row is None:
        raise NotFound()
    if row.priority is None:
        for name, value in triage_values(facts_for_row(uow, row), received_at=row.received_at, uow=uow).items():
            setattr(row, name, value)
        uow.session.add(ReportEvent(report_id=row.id, at=uow.now(), kind="triaged"))
        uow.commit()
