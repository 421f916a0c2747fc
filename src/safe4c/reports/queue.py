"""The analysts' triage queue, a report's full record, and status changes.

Queue order: untriaged reports first (their urgency is unknown, so someone must look), then P1 to P4,
then the earliest deadline. Filters on the JSON list columns (situations, platforms) use a LIKE on the
JSON text for the quoted code, e.g. ``'%"grooming"%'``: it is the same SQL on SQLite and PostgreSQL, and
exact because codes come from the taxonomy (letters and underscores only; ``_`` is escaped).

What the queue shows (codes, priority, province, times) is not audited; opening a report, which
decrypts the child's story and contact, always is ("report.view"), and so is every status change.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import String, cast, func, select

from safe4c.db.tables import Report, ReportEvent, StaffUser
from safe4c.kernel import regions
from safe4c.reports.rules.taxonomy import N_, PLATFORM_CODES, SITUATION_CODES, STATUS_CODES, can_move
from safe4c.reports.rules.taxonomy import next_statuses as allowed_moves
from safe4c.reports.rules.triage import PRIORITIES
from safe4c.kernel.validation import parse_id
from safe4c.kernel.errors import FieldError, Invalid, NotFound
from safe4c.kernel import audit
from safe4c.reports import fields as report_fields, workspace
from safe4c.kernel.uow import UnitOfWork

PAGE_SIZE = 50
OPEN_STATUSES = ("new", "in_review", "actioned")
MAX_NOTE = 5000


@dataclass(frozen=True)
class QueueFilters:
    """Filters from the query string; values that are not known codes are dropped, not errors."""

    status: str | None = None
    priority: str | None = None
    situation: str | None = None
    platform: str | None = None
    province: str | None = None
    page: int = 1
    assignee: str | None = None  # "me", "none" or a staff user id (the workspace, services/workspace.py)

    @classmethod
    def parse(cls, params) -> "QueueFilters":
        def pick(name: str, allowed) -> str | None:
            value = (params.get(name) or "").strip()
            return value if value in allowed else None

        province = (params.get("province") or "").strip()
        assignee = (params.get("assignee") or "").strip()
        if not (assignee in ("me", "none") or parse_id(assignee)):
            assignee = None
        try:
            page = max(1, min(int(params.get("page") or 1), 10_000))
        except ValueError:
            page = 1
        return cls(
            status=pick("status", STATUS_CODES), priority=pick("priority", PRIORITIES),
            situation=pick("situation", SITUATION_CODES), platform=pick("platform", PLATFORM_CODES),
            province=province if province and regions.is_province(province) else None, page=page,
            assignee=assignee,
        )

    def query(self, **changes) -> dict[str, str]:
        """The filters as query parameters (for links to other pages), without empty ones."""
        values = {"status": self.status, "priority": self.priority, "situation": self.situation,
                  "platform": self.platform, "province": self.province, "assignee": self.assignee,
                  "page": self.page, **changes}
        return {k: str(v) for k, v in values.items() if v not in (None, "") and not (k == "page" and v == 1)}


@dataclass(frozen=True)
class TimeLeft:
    """Until (or since) a deadline, in the largest unit that reads naturally: min, h or days."""

    amount: int
    unit: str  # "min", "h" or "d"
    overdue: bool


# The triage deadline is for the first action: once an analyst has taken the report up, it is met.
AWAITING_FIRST_ACTION = "new"


def time_left(deadline: datetime | None, now: datetime) -> TimeLeft | None:
    if deadline is None:
        return None
    seconds = (deadline - now).total_seconds()
    overdue = seconds < 0
    minutes = math.floor(abs(seconds) / 60) if overdue else math.ceil(seconds / 60)
    if minutes < 60:
        return TimeLeft(minutes, "min", overdue)
    if minutes < 48 * 60:
        return TimeLeft(minutes // 60, "h", overdue)
    return TimeLeft(minutes // (24 * 60), "d", overdue)


@dataclass(frozen=True)
class QueueRow:
    public_id: str
    status: str
    priority: str | None
    situations: tuple[str, ...]
    platforms: tuple[str, ...]
    province_code: str | None
    province_name: str | None
    received_at: datetime
    deadline_at: datetime | None
    time_left: TimeLeft | None
    assignee: str | None = None  # display name of the analyst it is assigned to
    cluster_id: int | None = None  # its network, when it shares identifiers with other reports
    cluster_size: int = 1


@dataclass(frozen=True)
class QueuePage:
    rows: list[QueueRow]
    total: int
    page: int
    pages: int
    filters: QueueFilters
    now: datetime
    analysts: list[dict] = field(default_factory=list)  # for assignment (workspace)
    saved_filters: list[dict] = field(default_factory=list)  # the viewer's own


def _contains_code(column, code: str):
    pattern = '%"' + code.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + '"%'
    return cast(column, String).like(pattern, escape="\\")


def list_queue(*, uow: UnitOfWork, filters: QueueFilters, page_size: int = PAGE_SIZE,
               viewer_id: int | None = None) -> QueuePage:
    from safe4c.db.linking import Cluster, ClusterMember, ReportAssignment

    conditions = [Report.status == filters.status] if filters.status else [Report.status.in_(OPEN_STATUSES)]
    if filters.assignee == "none":
        conditions.append(~Report.id.in_(select(ReportAssignment.report_id)))
    elif filters.assignee:
        who = viewer_id if filters.assignee == "me" else int(filters.assignee)
        conditions.append(Report.id.in_(select(ReportAssignment.report_id).where(ReportAssignment.assignee_id == who)))
    if filters.priority:
        conditions.append(Report.priority == filters.priority)
    if filters.situation:
        conditions.append(_contains_code(Report.situations, filters.situation))
    if filters.platform:
        conditions.append(_contains_code(Report.platforms, filters.platform))
    if filters.province:
        conditions.append(Report.province_code == filters.province)

    total = uow.session.scalar(select(func.count()).select_from(Report).where(*conditions)) or 0
    pages = max(1, math.ceil(total / page_size))
    page = min(filters.page, pages)
    query = (
        select(Report.public_id, Report.status, Report.priority, Report.situations, Report.platforms,
               Report.province_code, Report.received_at, Report.deadline_at, StaffUser.display_name.label("assignee"),
               ClusterMember.cluster_id, Cluster.size.label("cluster_size"))
        .outerjoin(ReportAssignment, ReportAssignment.report_id == Report.id)
        .outerjoin(StaffUser, StaffUser.id == ReportAssignment.assignee_id)
        .outerjoin(ClusterMember, ClusterMember.report_id == Report.id)
        .outerjoin(Cluster, Cluster.id == ClusterMember.cluster_id)
        .where(*conditions)
        .order_by(Report.priority.asc().nulls_first(), Report.deadline_at.asc().nulls_first(), Report.id)
        .limit(page_size).offset((page - 1) * page_size)
    )
    now = uow.now()
    rows = []
    for r in uow.session.execute(query):
        region = regions.get(r.province_code) if r.province_code else None
        rows.append(QueueRow(r.public_id, r.status, r.priority, tuple(r.situations), tuple(r.platforms),
                             r.province_code, region.name if region else None, r.received_at, r.deadline_at,
                             time_left(r.deadline_at, now) if r.status == AWAITING_FIRST_ACTION else None,
                             r.assignee, r.cluster_id, r.cluster_size or 1))
    return QueuePage(rows, total, page, pages, filters, now, analysts=workspace.analysts(uow=uow),
                     saved_filters=workspace.list_filters(uow=uow, owner_id=viewer_id) if viewer_id else [])


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
    workspace: dict | None = None  # network, assignment, identifiers and decisions (services/workspace.py)


def _load(uow: UnitOfWork, public_id: str, *, for_update: bool = False) -> Report:
    query = select(Report).where(Report.public_id == public_id)
    if for_update and uow.session.bind.dialect.name == "postgresql":
        query = query.with_for_update()  # two analysts changing one report: the second waits, then re-checks
    row = uow.session.scalar(query)
    if row is None:
        raise NotFound(N_("There is no report with this id."))
    return row


def next_statuses(status: str) -> tuple[str, ...]:
    return allowed_moves(status)


def region_name(code: str | None) -> str | None:
    """A province's or regency's name for display (the code itself when unknown); the network page and the
    evidence package use it too."""
    region = regions.get(code) if code else None
    return region.name if region else code


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
    )


def _workspace(uow: UnitOfWork, row: Report) -> dict:
    return workspace.report_panel(uow=uow, report_id=row.id)


def view_report(*, uow: UnitOfWork, public_id: str, actor_id: int) -> ReportDetail:
    """Everything reported, decrypted, with its history. The view is audited in the same transaction."""
    row = _load(uow, public_id)
    detail = _detail(uow, row, with_sealed=True)
    audit.record(uow, actor_id=actor_id, action="report.view", subject_type="report", subject_id=row.public_id)
    uow.commit()
    return detail


def report_summary(*, uow: UnitOfWork, public_id: str) -> ReportDetail:
    """The report without anything sealed (no story, contact, accounts, "other" app or notes): not audited, like
    the queue."""
    return _detail(uow, _load(uow, public_id), with_sealed=False)


def change_status(*, uow: UnitOfWork, public_id: str, actor_id: int, to_status: str, note: str,
                  expected_status: str | None = None) -> None:
    """Move a report to another status with a required note: event, status and audit in one transaction.

    ``expected_status`` is the status the analyst saw; if someone changed it meanwhile, nothing is saved.
    """
    note = (note or "").strip()
    row = _load(uow, public_id, for_update=True)
    errors: list[FieldError] = []
    if expected_status and expected_status != row.status:
        errors.append(FieldError("status", N_("Someone else changed the status meanwhile. "
                                              "Check the history, then try again.")))
    elif to_status not in STATUS_CODES or not can_move(row.status, to_status):
        errors.append(FieldError("status", N_("This status change is not allowed from the current status.")))
    if not note:
        errors.append(FieldError("note", N_("Write a note: why is the status changing?")))
    elif len(note) > MAX_NOTE:
        errors.append(FieldError("note", N_("The note is too long (at most {max} characters)."), {"max": MAX_NOTE}))
    if errors:
        uow.rollback()
        raise Invalid(errors)
    now = uow.now()
    from_status = row.status
    uow.session.add(ReportEvent(report_id=row.id, at=now, actor_id=actor_id, kind="status", from_status=from_status,
                                to_status=to_status,
                                note_sealed=uow.ctx.sealer.seal(note, context="report.note")))
    row.status, row.updated_at = to_status, now
    audit.record(uow, actor_id=actor_id, action="report.status", subject_type="report", subject_id=row.public_id,
                 detail={"from": from_status, "to": to_status})
    uow.commit()
