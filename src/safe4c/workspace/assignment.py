"""Giving reports and networks to analysts, and the queue's bulk actions."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from safe4c.db.linking import Cluster, ReportAssignment
from safe4c.db.tables import Report, StaffUser
from safe4c.kernel import audit
from safe4c.kernel.errors import FieldError, Invalid, NotFound
from safe4c.kernel.uow import UnitOfWork
from safe4c.reports import status
from safe4c.reports.rules.taxonomy import N_
from safe4c.workspace.queries import ASSIGNABLE_ROLES, Scope, public_id

BULK_ACTIONS = ("assign", "unassign", "status")
MAX_BULK = 200


def _check_assignee(uow: UnitOfWork, assignee_id: int | None) -> None:
    if assignee_id is None:
        return
    user = uow.session.get(StaffUser, assignee_id)
    if user is None or not user.active or user.role not in ASSIGNABLE_ROLES:
        raise Invalid([FieldError("assignee", N_("Choose an active analyst."))])


def assign_reports(*, uow: UnitOfWork, report_ids: list[int], assignee_id: int | None, actor_id: int) -> int:
    """Give reports to an analyst (or take them back with None). The caller commits."""
    _check_assignee(uow, assignee_id)
    now, changed = uow.now(), 0
    for rid in report_ids:
        row = uow.session.get(ReportAssignment, rid)
        if assignee_id is None:
            if row is not None:
                uow.session.delete(row)
                changed += 1
        elif row is None or row.assignee_id != assignee_id:
            if row is None:
                uow.session.add(ReportAssignment(report_id=rid, assignee_id=assignee_id, assigned_by=actor_id,
                                                 assigned_at=now))
            else:
                row.assignee_id, row.assigned_by, row.assigned_at = assignee_id, actor_id, now
            changed += 1
        else:
            continue
        audit.record(uow, actor_id=actor_id, action="report.assign", subject_type="report",
                     subject_id=public_id(uow, rid), detail={"assignee": assignee_id})
    uow.session.flush()
    return changed


def assign(*, uow: UnitOfWork, where: Scope, assignee_id: int | None, actor_id: int) -> int:
    """Assign a report, or a network and all its reports."""
    changed = assign_reports(uow=uow, report_ids=where.report_ids, assignee_id=assignee_id, actor_id=actor_id)
    if where.cluster_id is not None:
        cluster = uow.session.get(Cluster, where.cluster_id)
        cluster.assignee_id, cluster.assigned_at = assignee_id, uow.now() if assignee_id else None
        audit.record(uow, actor_id=actor_id, action="cluster.assign", subject_type="cluster",
                     subject_id=where.cluster_id, detail={"assignee": assignee_id})
    uow.commit()
    return changed


@dataclass
class BulkResult:
    done: int = 0
    refused: int = 0


def bulk(*, uow: UnitOfWork, actor_id: int, public_ids: list[str], action: str, assignee_id: int | None = None,
         to_status: str | None = None, note: str = "") -> BulkResult:
    """The same action on many reports from the queue, in one transaction. A status move that is not allowed
    from a report's status is counted as refused (nothing is written for it); the others are made."""
    public_ids = list(dict.fromkeys(p for p in public_ids if p))[:MAX_BULK]
    if not public_ids:
        raise Invalid([FieldError("reports", N_("Choose at least one report."))])
    if action not in BULK_ACTIONS:
        raise Invalid([FieldError("action", N_("This choice is not one of the allowed options."))])
    result = BulkResult()
    if action in ("assign", "unassign"):
        ids = list(uow.session.scalars(select(Report.id).where(Report.public_id.in_(public_ids))))
        result.done = assign_reports(uow=uow, report_ids=ids, assignee_id=assignee_id if action == "assign" else None,
                                     actor_id=actor_id)
        uow.commit()
        return result
    if not (note or "").strip():
        raise Invalid([FieldError("note", N_("Write a note: why is the status changing?"))])
    for report in public_ids:
        try:
            status.move_status(uow=uow, public_id=report, actor_id=actor_id, to_status=to_status or "", note=note)
            result.done += 1
        except (Invalid, NotFound):
            result.refused += 1
    uow.commit()
    return result
