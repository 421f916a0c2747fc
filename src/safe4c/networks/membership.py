"""Cluster membership: which network a report is in, and clusters created, merged and folded.

A merge keeps the largest cluster (the oldest on a tie): the smaller side is relabelled, so a report is
relabelled O(log n) times over its life. Merged clusters point to the one they ended in (``merged_into``), so
an old link still leads to its network. One writer of membership at a time: the linking lock.
"""

from __future__ import annotations

from sqlalchemy import select, update

from safe4c.db import locks
from safe4c.db.linking import Cluster, ClusterLink, ClusterMember, Decision, Referral
from safe4c.db.tables import Report
from safe4c.kernel.errors import NotFound
from safe4c.kernel.uow import UnitOfWork
from safe4c.reports.rules.taxonomy import N_

CLUSTER_NOT_FOUND = N_("We could not find this network.")


def lock(uow: UnitOfWork) -> None:
    """The linking lock (``db.locks.LINKING``), held to the end of the transaction: one writer of cluster
    membership at a time. Taken before the hash-list and audit locks."""
    locks.advisory_xact_lock(uow.session, locks.LINKING)


def cluster_of(uow: UnitOfWork, report_id: int) -> int | None:
    return uow.session.scalar(select(ClusterMember.cluster_id).where(ClusterMember.report_id == report_id))


def clusters_of(uow: UnitOfWork, report_ids) -> set[int]:
    """The clusters of these reports, in one query."""
    report_ids = list(report_ids)
    if not report_ids:
        return set()
    return set(uow.session.scalars(select(ClusterMember.cluster_id).distinct()
                                   .where(ClusterMember.report_id.in_(report_ids))))


def resolve_cluster(uow: UnitOfWork, cluster_id: int) -> Cluster:
    """A cluster by id, following merges (an old link to a merged cluster still leads to its network)."""
    for _ in range(50):
        row = uow.session.get(Cluster, cluster_id)
        if row is None:
            break
        if row.merged_into is None:
            return row
        cluster_id = row.merged_into
    raise NotFound(CLUSTER_NOT_FOUND)


def member_rows(uow: UnitOfWork, cluster_id: int) -> list[Report]:
    """A cluster's reports, in order of arrival."""
    return list(uow.session.scalars(
        select(Report).join(ClusterMember, ClusterMember.report_id == Report.id)
        .where(ClusterMember.cluster_id == cluster_id).order_by(Report.received_at, Report.id)))


def new_cluster(uow: UnitOfWork, size: int) -> Cluster:
    now = uow.now()
    row = Cluster(created_at=now, updated_at=now, size=size)
    uow.session.add(row)
    uow.session.flush()
    return row


def fold_clusters(uow: UnitOfWork, keep: Cluster, others: list[Cluster], now) -> None:
    """Clusters ``others`` end in ``keep`` (merged by a new link, or retired by the bulk rebuild): their
    decisions and referrals move over, clusters merged into them point to ``keep``, ``keep`` takes the first
    assignee if it has none, and each points to ``keep`` with size 0. Members and links are the caller's."""
    if not others:
        return
    ids = [c.id for c in others]
    session = uow.session
    session.execute(update(Decision).where(Decision.cluster_id.in_(ids)).values(cluster_id=keep.id))
    session.execute(update(Referral).where(Referral.cluster_id.in_(ids)).values(cluster_id=keep.id))
    session.execute(update(Cluster).where(Cluster.merged_into.in_(ids)).values(merged_into=keep.id))
    for other in others:
        if keep.assignee_id is None and other.assignee_id is not None:
            keep.assignee_id, keep.assigned_at = other.assignee_id, other.assigned_at
        other.merged_into, other.size, other.assignee_id, other.updated_at = keep.id, 0, None, now


def merge(uow: UnitOfWork, cluster_ids: set[int]) -> Cluster:
    """Merge clusters into the largest (the oldest on a tie); the others point to it."""
    rows = sorted(uow.session.scalars(select(Cluster).where(Cluster.id.in_(list(cluster_ids)))),
                  key=lambda c: (-c.size, c.id))
    keep, others = rows[0], rows[1:]
    if others:
        ids = [c.id for c in others]
        session = uow.session
        session.execute(update(ClusterMember).where(ClusterMember.cluster_id.in_(ids)).values(cluster_id=keep.id))
        session.execute(update(ClusterLink).where(ClusterLink.cluster_id.in_(ids)).values(cluster_id=keep.id))
        keep.size += sum(other.size for other in others)
        fold_clusters(uow, keep, others, uow.now())
    keep.updated_at = uow.now()
    return keep
