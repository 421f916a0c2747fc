"""Triage of a stored report: its facts, and the raise or lower that something learnt later causes.

The rules are pure (``reports/rules/triage.py``, ``reports/rules/escalation.py``); these helpers read what
they need from a report row, apply the result to it and write a report event, in the caller's transaction.
They never commit: the use cases that call them (intake's triage job, the match job, linking) do. They sit
low, importing no other area, so hash-list matching and networks can raise a report without a cycle.
"""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import select

from safe4c.db.platforms import PlatformReport
from safe4c.db.tables import Report, ReportEvent
from safe4c.kernel.uow import UnitOfWork
from safe4c.reports import fields as report_fields
from safe4c.reports.rules import escalation
from safe4c.reports.rules.report import ReportCreate
from safe4c.reports.rules.triage import TriageFacts


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
        escalated = uow.session.scalar(
            select(PlatformReport.escalate_to_urgent).where(PlatformReport.report_id == row.id))
        facts = replace(facts, platform_escalation=bool(escalated))
    return facts


def triage_values(facts: TriageFacts, *, received_at, uow: UnitOfWork) -> dict:
    """The triage columns of a report with these facts (intake's INSERT takes them as they are)."""
    return _columns(escalation.triaged(facts, received_at=received_at, now=uow.now(),
                                       deadline_minutes=uow.settings.triage_deadline_minutes))


def _columns(change: escalation.Retriage) -> dict:
    values = {"priority": change.priority, "triage_reasons": list(change.reasons), "deadline_at": change.deadline_at}
    if change.triaged_at is not None:
        values["triaged_at"] = change.triaged_at
    return values


def _apply(uow: UnitOfWork, row: Report, change: escalation.Retriage, *, now, event_kind: str,
           note: str | None) -> None:
    for name, value in _columns(change).items():
        setattr(row, name, value)
    row.updated_at = now
    uow.session.add(ReportEvent(report_id=row.id, at=row.updated_at, kind=event_kind,
                                note_sealed=uow.ctx.sealer.seal(note, context="report.note") if note else None))


def triage_row(uow: UnitOfWork, row: Report) -> None:
    """Triage a report stored without a priority, on all its facts (its columns only; no event)."""
    for name, value in triage_values(facts_for_row(uow, row), received_at=row.received_at, uow=uow).items():
        setattr(row, name, value)


def raise_to_p1(uow: UnitOfWork, row: Report, *, reason_code: str, event_kind: str, note: str | None = None) -> bool:
    """Raise a stored report to P1 for something learnt after intake (``match.known_material``: a hash-list
    match; ``link.urgent_cluster``: an urgent network), with a report event ``event_kind`` (``note`` sealed).
    Returns False, changing nothing, when the report already has this reason. The caller audits and commits.
    The deadline rule and the triage of a report not triaged yet: ``reports/rules/escalation.raise_to_p1``."""
    if escalation.has_reason(row.triage_reasons, reason_code):
        return False
    now = uow.now()
    change = escalation.raise_to_p1(
        reason_code=reason_code, priority=row.priority, reasons=row.triage_reasons, deadline_at=row.deadline_at,
        received_at=row.received_at, now=now, deadline_minutes=uow.settings.triage_deadline_minutes,
        facts=facts_for_row(uow, row) if row.priority is None else None)
    _apply(uow, row, change, now=now, event_kind=event_kind, note=note)
    return True


def retriage(uow: UnitOfWork, row: Report, *, dropped_code: str, event_kind: str, note: str | None = None) -> bool:
    """Undo a raise: drop the reason ``dropped_code`` and triage the report again on its own facts (priority,
    reasons and deadline as at intake), with a report event. False when it does not have the reason."""
    if not escalation.has_reason(row.triage_reasons, dropped_code):
        return False
    now = uow.now()
    change = escalation.lower(dropped_code=dropped_code, reasons=row.triage_reasons, facts=facts_for_row(uow, row),
                              received_at=row.received_at, now=now,
                              deadline_minutes=uow.settings.triage_deadline_minutes)
    _apply(uow, row, change, now=now, event_kind=event_kind, note=note)
    return True
