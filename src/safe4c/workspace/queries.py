"""What the analysts' workspace reads: the scope of a decision (a report or a network), the report page's
panel, the analysts one may assign, and a person's saved filters.

Queries only, no use case: the queue and the report page read from here, and the use cases (decisions.py,
assignment.py, saved_filters.py) build on it; nothing here imports them or the queue.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from safe4c.access.rules import policy
from safe4c.db.linking import ClusterMember, ReportAssignment, SavedFilter
from safe4c.db.platforms import Platform
from safe4c.db.tables import Report, StaffUser
from safe4c.kernel.errors import NotFound
from safe4c.kernel.uow import UnitOfWork
from safe4c.workspace import network_page as clusters
from safe4c.networks import identifiers as network_identifiers
from safe4c.networks import membership
from safe4c.reports.rules.taxonomy import N_

ASSIGNABLE_ROLES = policy.roles_allowed("report.view")  # who may read a report may be given one


@dataclass(frozen=True)
class Scope:
    """What a decision is about: one report, or a network (all its reports)."""

    report_ids: list[int]
    cluster_id: int | None
    report_id: int | None  # set when the decision is about one report


def scope(uow: UnitOfWork, *, report_public_id: str | None = None, cluster_id: int | None = None) -> Scope:
    if report_public_id:
        row = uow.session.scalar(select(Report).where(Report.public_id == report_public_id))
        if row is None:
            raise NotFound(N_("There is no report with this id."))
        return Scope([row.id], None, row.id)
    if cluster_id is None:
        raise NotFound(membership.CLUSTER_NOT_FOUND)
    cluster = membership.resolve_cluster(uow, cluster_id)
    ids = list(uow.session.scalars(select(ClusterMember.report_id).where(ClusterMember.cluster_id == cluster.id)
                                   .order_by(ClusterMember.report_id)))
    return Scope(ids, cluster.id, None)


def public_id(uow: UnitOfWork, report_id: int | None) -> str | None:
    return uow.session.scalar(select(Report.public_id).where(Report.id == report_id)) if report_id else None


def identifiers(uow: UnitOfWork, where: Scope, identifier_ids: list[int] | None, kinds) -> list[tuple]:
    """(identifier row, its value, the first report of the scope holding it), optionally only those chosen."""
    out = []
    for ident, holders, _ in clusters.identifiers_of(uow, where.report_ids):
        if (kinds is None or ident.kind in kinds) and (not identifier_ids or ident.id in identifier_ids):
            out.append((ident, network_identifiers.open_identifier(uow, ident).value, holders[0]))
    return out


def analysts(*, uow: UnitOfWork) -> list[dict]:
    return [{"id": i, "name": n} for i, n in uow.session.execute(
        select(StaffUser.id, StaffUser.display_name).where(StaffUser.active.is_(True), StaffUser.role.in_(ASSIGNABLE_ROLES))
        .order_by(StaffUser.display_name))]


def list_filters(*, uow: UnitOfWork, owner_id: int) -> list[dict]:
    return [{"id": f.id, "name": f.name, "query": f.query} for f in uow.session.scalars(
        select(SavedFilter).where(SavedFilter.owner_id == owner_id).order_by(SavedFilter.name))]


def report_panel(*, uow: UnitOfWork, report_id: int) -> dict:
    """What the report page shows of the workspace: its network, assignee, identifiers (decrypted: the page
    view is audited) and decisions, plus what the decision forms need."""
    where = Scope([report_id], None, report_id)
    assignment = uow.session.get(ReportAssignment, report_id)
    idents = [{"id": ident.id, "kind": ident.kind, "platform": ident.platform, "value": value, "linking": ident.linking}
              for ident, value, _ in identifiers(uow, where, None, None)]
    return {
        "network": clusters.report_network(uow=uow, report_id=report_id),
        "assignee_id": assignment.assignee_id if assignment else None,
        "analysts": analysts(uow=uow),
        "identifiers": idents,
        "decisions": clusters.decisions_of(uow, None, [report_id]),
        "platforms": [{"id": i, "name": n} for i, n in uow.session.execute(
            select(Platform.id, Platform.name).where(Platform.active.is_(True)).order_by(Platform.name))],
    }
