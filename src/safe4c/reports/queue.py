"""The analysts' triage queue: filters, rows and pages.

Queue order (``reports/rules/queue_order.py``): untriaged reports first (their urgency is unknown, so someone
must look), then P1 to P4; within a priority new reports (waiting for their first action) before reports already
taken up, then the earliest deadline. Filters on the JSON list columns (situations, platforms) use a LIKE on the
JSON text for the quoted code, e.g. ``'%"grooming"%'``: it is the same SQL on SQLite and PostgreSQL, and
exact because codes come from the taxonomy (letters and underscores only; ``_`` is escaped).

What the queue shows (codes, priority, province, times) is not audited; opening a report, which
decrypts the child's story and contact, always is ("report.view", ``reports/report_page.py``), and so is every
status change (``reports/status.py``). The workspace adds its own to the page: the analysts a report can be
assigned to and the viewer's saved filters (``reports/decisions.py``, composed by the web handler).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import String, case, cast, func, select

from safe4c.db.linking import Cluster, ClusterMember, ReportAssignment
from safe4c.db.tables import Report, StaffUser
from safe4c.kernel import regions
from safe4c.reports.rules.taxonomy import PLATFORM_CODES, SITUATION_CODES, STATUS_CODES
from safe4c.reports.rules.queue_order import AWAITING_FIRST_ACTION, OTHER_STATUS_RANK, STATUS_RANK
from safe4c.reports.rules.triage import PRIORITIES
from safe4c.kernel.validation import parse_id
from safe4c.kernel.uow import UnitOfWork

PAGE_SIZE = 50
OPEN_STATUSES = ("new", "in_review", "actioned")


@dataclass(frozen=True)
class QueueFilters:
    """Filters from the query string; values that are not known codes are dropped, not errors."""

    status: str | None = None
    priority: str | None = None
    situation: str | None = None
    platform: str | None = None
    province: str | None = None
    page: int = 1
    assignee: str | None = None  # "me", "none" or a staff user id (the workspace, reports/decisions.py)

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


# The triage deadline is for the first action (AWAITING_FIRST_ACTION): once an analyst has taken the report up,
# it is met.


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
    analysts: list[dict] = field(default_factory=list)  # for assignment (the workspace adds them)
    saved_filters: list[dict] = field(default_factory=list)  # the viewer's own (the workspace adds them)


def _contains_code(column, code: str):
    pattern = '%"' + code.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + '"%'
    return cast(column, String).like(pattern, escape="\\")


# queue_order.sort_key in SQL: new (waiting for a first action) before reports already taken up.
_STATUS_ORDER = case(STATUS_RANK, value=Report.status, else_=OTHER_STATUS_RANK)


def list_queue(*, uow: UnitOfWork, filters: QueueFilters, page_size: int = PAGE_SIZE,
               viewer_id: int | None = None) -> QueuePage:
    """A page of the queue; ``viewer_id`` is who "me" is in the assignee filter."""
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
        .order_by(Report.priority.asc().nulls_first(), _STATUS_ORDER, Report.deadline_at.asc().nulls_first(),
                  Report.id)
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
    return QueuePage(rows, total, page, pages, filters, now)

