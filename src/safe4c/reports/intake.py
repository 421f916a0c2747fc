"""Intake: one use case for every channel (form, public API, later platforms).

The report, its first event and the follow-up job are written in one transaction, so an acknowledged
report is durable and its follow-up work cannot be lost. Triage runs inline because it is pure and fast;
if it ever fails, the report is still stored and a job triages it later.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, replace

from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError

from safe4c.db.tables import Report, ReportEvent
from safe4c.reports.rules import followup
from safe4c.reports.rules.intake_jobs import should_link, should_match
from safe4c.reports.rules.report import ReportCreate
from safe4c.kernel.errors import NotFound
from safe4c.kernel import jobs
from safe4c.reports import replay
from safe4c.reports import fields as report_fields
from safe4c.reports.escalation import facts_of, triage_row, triage_values
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
    the same report again returns the first receipt, with the same follow-up code (kernel/replay.py); another
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
    values, code = _row(uow, report, channel=channel, language=language, platform_escalation=platform_escalation,
                        submission=submission)
    # One INSERT (Core, not the ORM unit of work): intake is the hot path. Its "created" event is
    # the row's received_at; the history shows it without a row of its own.
    report_id = uow.session.connection().execute(_INSERT_REPORT, values).scalar_one()
    # One statement, however many jobs; a P1 report's jobs overtake a burst of ordinary ones (kernel/jobs.py).
    jobs.enqueue_many(uow, _work(uow, report, channel, values, report_id), urgent=values["priority"] == "P1")
    return report_id, _receipt(values, code)


def _row(uow, report: ReportCreate, *, channel: str, language: str, platform_escalation: bool,
         submission: replay.Submission | None) -> tuple[dict, str]:
    """The report's row (sealed, triaged) and its follow-up code: no database work."""
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
    return values, code


def _work(uow, report: ReportCreate, channel: str, values: dict, report_id: int) -> list[tuple[str, dict]]:
    """The jobs a new report needs, written in its transaction."""
    work = []
    if values["priority"] is None:
        work.append((jobs.TRIAGE_REPORT, {"report_id": report_id}))
    if uow.settings.match_at_intake and should_match(channel=channel, accounts=report.accounts):
        # Matching needs the in-memory hash list: a job keeps it off the hot path (hashlist/known_material.py).
        work.append((jobs.MATCH_REPORT, {"report_id": report_id}))
    if should_link(channel=channel, accounts=report.accounts, story=report.story):
        # Linking into networks reads the identifiers in the accounts, the story and a platform's content
        # (networks/linking.py, job "report.link"); same transaction, off the hot path.
        work.append((jobs.LINK_REPORT, {"report_id": report_id}))
    if report.consent_services and channel != "platform":
        # The reporter agreed to be passed to services: case management takes the child up (cases/cases.py).
        work.append((jobs.OPEN_CASE, {"report_id": report_id}))
    return work


def _receipt(values: dict, code: str) -> Receipt:
    return Receipt(values["public_id"], code, values["priority"], tuple(values["situations"]), values["received_at"])


def triage_report(*, uow: UnitOfWork, report_id: int) -> None:
    """Worker job: triage a report stored without a priority. Idempotent."""
    row = uow.session.get(Report, report_id)
    if row is None:
        raise NotFound()
    if row.priority is None:
        triage_row(uow, row)
        row.updated_at = uow.now()  # a change like any other (the statistics' change cursor reads it)
        uow.session.add(ReportEvent(report_id=row.id, at=uow.now(), kind="triaged"))
        uow.commit()
