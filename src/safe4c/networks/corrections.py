"""An analyst's corrections to the networks: a link cut, an identifier marked as not linking (or linking again).

Cutting a link (``cut_link``) or marking an identifier as not linking (``set_identifier_linking``) re-splits
only the clusters concerned (``networks/rules/linker.split`` on their reports); a part that is no longer urgent
has its network raises undone (``networks/urgency.calm``). Marking it as linking again merges the clusters it
joined and raises them if urgent. Each is a use case: one transaction, under the linking lock.
"""

from __future__ import annotations

from sqlalchemy import delete, select, update

from safe4c.db.hashlist import HashEntry
from safe4c.db.linking import (
    Cluster,
    ClusterLink,
    ClusterMember,
    CutLink,
    Decision,
    LinkIdentifier,
    Referral,
    ReportIdentifier,
)
from safe4c.db.tables import Report
from safe4c.kernel import audit
from safe4c.kernel.errors import Conflict, FieldError, Invalid, NotFound
from safe4c.kernel.uow import UnitOfWork
from safe4c.networks.identifiers import WEAK_SOURCE
from safe4c.networks.membership import clusters_of, lock, merge, new_cluster
from safe4c.networks.rules import linker
from safe4c.networks.urgency import calm, raise_if_urgent
from safe4c.reports.rules.taxonomy import N_

MAX_REASON = 2000
LINK_NOT_FOUND = N_("We could not find this link.")
REASON_REQUIRED = N_("Write why: the reason is kept with the decision.")


def resplit(uow: UnitOfWork, cluster_id: int) -> list[int]:
    """Recompute one cluster's components (only its reports); the largest keeps the id. Decisions and
    referrals go with the part they are about; a part that is no longer urgent is calmed (``urgency.calm``).
    Returns all ids."""
    session = uow.session
    members = list(session.scalars(select(ClusterMember.report_id).where(ClusterMember.cluster_id == cluster_id)
                                   .order_by(ClusterMember.report_id)))
    keys_of: dict[int, list[int]] = {}
    weak_of: dict[int, list[int]] = {}
    for rid, iid, source in session.execute(
            select(ReportIdentifier.report_id, ReportIdentifier.identifier_id, ReportIdentifier.source)
            .join(LinkIdentifier, LinkIdentifier.id == ReportIdentifier.identifier_id)
            .join(ClusterMember, ClusterMember.report_id == ReportIdentifier.report_id)
            .where(ClusterMember.cluster_id == cluster_id, ReportIdentifier.cut.is_(False),
                   LinkIdentifier.linking.is_(True))
            .order_by(ReportIdentifier.report_id, ReportIdentifier.identifier_id)):
        (weak_of if source == WEAK_SOURCE else keys_of).setdefault(rid, []).append(iid)
    components = linker.split(members, keys_of, weak_of)
    components.sort(key=lambda c: (-len(c.reports), c.reports[0]))
    now = uow.now()
    session.execute(delete(ClusterLink).where(ClusterLink.cluster_id == cluster_id))
    ids = []
    for n, component in enumerate(components):
        if n == 0:
            cluster = session.get(Cluster, cluster_id)
            cluster.size, cluster.updated_at = len(component.reports), now
        else:
            cluster = new_cluster(uow, len(component.reports))
            session.execute(update(ClusterMember).where(ClusterMember.report_id.in_(component.reports))
                            .values(cluster_id=cluster.id))
        ids.append(cluster.id)
        for report, other, identifier_id in component.links:
            session.add(ClusterLink(cluster_id=cluster.id, report_id=report, other_report_id=other,
                                    identifier_id=identifier_id, created_at=now))
    session.flush()
    if len(components) > 1:
        _move_decisions(uow, cluster_id, dict(zip(ids, (c.reports for c in components))))
        for part in ids:
            calm(uow, part)
    return ids


def _move_decisions(uow: UnitOfWork, cluster_id: int, parts: dict[int, list[int]]) -> None:
    """A split cluster's decisions and referrals go to the part they are about: the part holding their report,
    and for a network's confirm_material decision the part holding the identifiers it confirmed (else they
    stay with the part that keeps the id)."""
    session = uow.session
    part_of = {rid: cid for cid, rids in parts.items() for rid in rids}
    for table in (Decision, Referral):
        for row in session.scalars(select(table).where(table.cluster_id == cluster_id,
                                                       table.report_id.is_not(None))):
            row.cluster_id = part_of.get(row.report_id, cluster_id)
    for decision in session.scalars(select(Decision).where(Decision.cluster_id == cluster_id,
                                                           Decision.kind == "confirm_material")):
        entries = [e for e in (decision.detail or {}).get("entries") or () if isinstance(e, int)]
        if not entries:
            continue
        holders = session.scalars(
            select(ReportIdentifier.report_id)
            .join(LinkIdentifier, LinkIdentifier.id == ReportIdentifier.identifier_id)
            .join(HashEntry, HashEntry.value_key == LinkIdentifier.signal_key)
            .where(HashEntry.id.in_(entries), ReportIdentifier.report_id.in_(list(part_of)))
            .order_by(ReportIdentifier.report_id))
        parts_holding = [part_of[rid] for rid in holders]
        if parts_holding and cluster_id not in parts_holding:
            decision.cluster_id = parts_holding[0]
    session.flush()


def reason_text(reason: str) -> str:
    """The reason an analyst gives for a change to a network, trimmed; required and bounded."""
    reason = (reason or "").strip()
    if not reason:
        raise Invalid([FieldError("reason", REASON_REQUIRED)])
    if len(reason) > MAX_REASON:
        raise Invalid([FieldError("reason", N_("This is too long (at most {max_length} characters)."),
                                  {"max_length": MAX_REASON})])
    return reason


def cut_link(*, uow: UnitOfWork, link_id: int, actor_id: int, reason: str) -> list[int]:
    """An analyst says an identifier wrongly links a report (a school's phone, a shared device): the report's
    edge to that identifier stops linking and its cluster is split. Returns the resulting cluster ids."""
    reason = reason_text(reason)
    lock(uow)
    link = uow.session.get(ClusterLink, link_id)
    if link is None:
        raise NotFound(LINK_NOT_FOUND)
    edge = uow.session.get(ReportIdentifier, (link.report_id, link.identifier_id))
    edge.cut = True
    uow.session.add(CutLink(report_id=link.report_id, identifier_id=link.identifier_id,
                            other_report_id=link.other_report_id, cut_by=actor_id, cut_at=uow.now(),
                            reason_sealed=uow.ctx.sealer.seal(reason, context="link.reason")))
    cluster_id, kind = link.cluster_id, edge.kind
    public_id = uow.session.scalar(select(Report.public_id).where(Report.id == link.report_id))
    uow.session.flush()
    ids = resplit(uow, cluster_id)
    audit.record(uow, actor_id=actor_id, action="cluster.cut", subject_type="cluster", subject_id=cluster_id,
                 detail={"report": public_id, "identifier": link.identifier_id, "kind": kind, "clusters": ids})
    uow.commit()
    return ids


def set_identifier_linking(*, uow: UnitOfWork, identifier_id: int, linking: bool, actor_id: int,
                           reason: str) -> list[int]:
    """Mark a very common identifier (a school, a shop, a helpline) as not linking, or undo it. The clusters
    it joined are split, or joined again. Returns the cluster ids touched."""
    reason = reason_text(reason)
    lock(uow)
    ident = uow.session.get(LinkIdentifier, identifier_id)
    if ident is None:
        raise NotFound(LINK_NOT_FOUND)
    if ident.linking == linking:
        raise Conflict(N_("Nothing to change: the identifier is already like this."))
    ident.linking, ident.marked_by, ident.marked_at = linking, actor_id, uow.now()
    ident.mark_note_sealed = uow.ctx.sealer.seal(reason, context="link.reason")
    uow.session.flush()  # the sessions do not autoflush: resplit must see the change
    holders = list(uow.session.scalars(select(ReportIdentifier.report_id).where(
        ReportIdentifier.identifier_id == identifier_id, ReportIdentifier.cut.is_(False))
        .order_by(ReportIdentifier.report_id)))
    clusters = sorted(clusters_of(uow, holders))
    touched: list[int] = []
    if not linking:
        for cluster_id in clusters:
            touched += resplit(uow, cluster_id)
    elif clusters:
        keep = merge(uow, set(clusters))
        now = uow.now()
        anchor = holders[0]
        linked = set(uow.session.scalars(select(ClusterLink.report_id).where(
            ClusterLink.identifier_id == identifier_id, ClusterLink.report_id.in_(holders[1:]))))
        for report_id in holders[1:]:
            if report_id not in linked:
                uow.session.add(ClusterLink(cluster_id=keep.id, report_id=report_id, other_report_id=anchor,
                                            identifier_id=identifier_id, created_at=now))
        uow.session.flush()
        raise_if_urgent(uow, keep.id)
        touched = [keep.id]
    audit.record(uow, actor_id=actor_id, action="identifier.linking" if linking else "identifier.not_linking",
                 subject_type="identifier", subject_id=identifier_id,
                 detail={"kind": ident.kind, "clusters": touched})
    uow.commit()
    return touched
