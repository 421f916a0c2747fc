"""A report's page for analysts: everything reported, decrypted, with its history and the workspace panel.

Opening a report decrypts the child's story and contact, so the view is always audited ("report.view"); the
summary shown beside a refused status change holds nothing sealed and is not.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select

from safe4c.cases.caseload import summary_for_report
from safe4c.db.tables import Report, ReportEvent, StaffUser
from safe4c.kernel import audit, jobs
from safe4c.kernel.uow import UnitOfWork
from safe4c.workspace import queries as workspace
from safe4c.reports import fields as report_fields
from safe4c.reports import platform_detail
from safe4c.kernel.regions import name_of as region_name
from safe4c.reports.queue import AWAITING_FIRST_ACTION, TimeLeft, time_left
from safe4c.reports.status import load_report, next_statuses


@dataclass(frozen=True)
class EventView:
    at: datetime
    kind: str
    from_status: str | None
    to_status: str | None
    actor: str | None  # display name of the staff member, None for the system
    note: str | None


@dataclass(frozen=True)
class ReportDetail:
    public_id: str
    channel: str
    status: str
    priority: str | None
    reasons: tuple[dict, ...]
    received_at: datetime
    updated_at: datetime
    deadline_at: datetime | None
    time_left: TimeLeft | None
    situations: tuple[str, ...]
    platforms: tuple[str, ...]
    platform_other: str | None
    accounts: tuple[str, ...]
    incident_when: str | None
    province: str | None
    regency: str | None
    age_band: str | None
    gender: str | None
    disability: str | None
    reporter_role: str | None
    urgent_signals: tuple[str, ...]
    language: str
    contact_method: str
    contact: str | None
    consent_services: bool
    story: str | None
    next_statuses: tuple[str, ...]
    events: tuple[EventView, ...] = field(default=())
    workspace: dict | None = None  # network, assignment, identifiers and decisions (reports/decisions.py)
    platform: dict | None = None  # what a platform sent (reports/platform_detail.for_analyst)
    processing: dict | None = None  # its intake jobs still open, and whether a worker runs (kernel/jobs.py)
    case: dict | None = None  # its case's stage and agency, if it has one (never the statement or notes)


def _detail(uow: UnitOfWork, row: Report, *, with_sealed: bool) -> ReportDetail:
    sealer = uow.ctx.sealer
    events: tuple[EventView, ...] = ()
    if with_sealed:
        found = uow.session.execute(
            select(ReportEvent, StaffUser.display_name).outerjoin(StaffUser, StaffUser.id == ReportEvent.actor_id)
            .where(ReportEvent.report_id == row.id).order_by(ReportEvent.at, ReportEvent.id)
        )
        events = tuple(EventView(e.at, e.kind, e.from_status, e.to_status, name,
                                 sealer.open(e.note_sealed, context="report.note")) for e, name in found)
        if not any(e.kind == "created" for e in events):
            # Intake stores no "created" event (one INSERT on the hot path): the receipt time stands for it.
            events = (EventView(row.received_at, "created", None, "new", None, None),) + events
    return ReportDetail(
        public_id=row.public_id, channel=row.channel, status=row.status, priority=row.priority,
        reasons=tuple(row.triage_reasons or ()), received_at=row.received_at, updated_at=row.updated_at,
        deadline_at=row.deadline_at,
        time_left=time_left(row.deadline_at, uow.now()) if row.status == AWAITING_FIRST_ACTION else None,
        situations=tuple(row.situations), platforms=tuple(row.platforms),
        platform_other=report_fields.platform_other(sealer, row) if with_sealed else None,
        accounts=tuple(report_fields.accounts(sealer, row)) if with_sealed else (), incident_when=row.incident_when,
        province=region_name(row.province_code), regency=region_name(row.regency_code),
        age_band=row.age_band, gender=row.gender, disability=row.disability, reporter_role=row.reporter_role,
        urgent_signals=tuple(row.urgent_signals), language=row.language, contact_method=row.contact_method,
        contact=sealer.open(row.contact_sealed, context="report.contact") if with_sealed else None,
        consent_services=row.consent_services,
        story=sealer.open(row.story_sealed, context="report.story") if with_sealed else None,
        next_statuses=next_statuses(row.status), events=events,
        workspace=_workspace(uow, row) if with_sealed else None,
        platform=platform_detail.for_analyst(uow, row.id) if with_sealed and row.channel == "platform" else None,
        processing=_processing(uow, row) if with_sealed else None,
        case=summary_for_report(uow, row.id),
    )


def _processing(uow: UnitOfWork, row: Report) -> dict | None:
    """Until the worker has triaged, matched and linked a report, its identifiers are not read and the decision
    forms have nothing to offer: the page says so (and whether a worker is running) instead of empty forms."""
    found = jobs.open_for_report(uow=uow, report_id=row.id)
    return found if found["open"] or found["failed"] else None


def _workspace(uow: UnitOfWork, row: Report) -> dict:
    return workspace.report_panel(uow=uow, report_id=row.id)


def view_report(*, uow: UnitOfWork, public_id: str, actor_id: int) -> ReportDetail:
    """Everything reported, decrypted, with its history. The view is audited in the same transaction."""
    row = load_report(uow, public_id)
    detail = _detail(uow, row, with_sealed=True)
    audit.record(uow, actor_id=actor_id, action="report.view", subject_type="report", subject_id=row.public_id)
    uow.commit()
    return detail


def report_summary(*, uow: UnitOfWork, public_id: str) -> ReportDetail:
    """The report without anything sealed (no story, contact, accounts, "other" app or notes): not audited, like
    the queue."""
    return _detail(uow, load_report(uow, public_id), with_sealed=False)
