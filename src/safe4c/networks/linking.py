"""Linking reports into networks: the ``report.link`` job, which joins a new report to the networks it shares an
identifier with. Identifiers are stored and joined incrementally; nothing is ever recomputed for the whole
database.

The job (enqueued by intake in the report's own transaction) runs ``link_report``:

1. collect the report's identifiers: the accounts field, the story (free text) and, for a platform report,
   its content hashes and content links; keep each once, with the field it came from, and store them
   (``networks/identifiers.py``: one row per distinct identifier, found by a keyed hash of its key; the value
   is sealed) with the report's edges (``report_identifiers``);
2. for each identifier that links, the *anchor* is the earliest other report holding it (edge not cut);
   for a weak edge (an account on a named platform, held also as the same handle of unknown platform), the
   earliest holding it for real, so Instagram @budi meets a child's @budi of unknown platform but not TikTok
   @budi; the report joins the anchors' clusters, which merge into the largest (``networks/membership.py``);
3. write one ``cluster_links`` row per identifier that joined it, a ``linked`` report event, and
4. if the cluster holds a P1 report or confirmed material, raise its other open reports to P1 with the
   reason ``link.urgent_cluster`` (``networks/urgency.py``; the rules: ``networks/rules/urgency.py``). A
   hash-list match that comes later raises the network from the match job (``hashlist/known_material.py``).

An analyst's corrections (cutting a link, marking an identifier as not linking) are ``networks/corrections.py``;
the bulk rebuild of every network is ``networks/rebuild.py``. One writer at a time: the linking lock.
"""

from __future__ import annotations

from sqlalchemy import func, select

from safe4c.db.linking import ClusterLink, ClusterMember, LinkIdentifier, ReportIdentifier
from safe4c.db.tables import Report, ReportEvent
from safe4c.kernel import audit, jobs
from safe4c.kernel.errors import NotFound
from safe4c.kernel.uow import UnitOfWork
from safe4c.networks.identifiers import WEAK_SOURCE, collect, key_hash, new_identifier
from safe4c.networks.membership import cluster_of, clusters_of, lock, merge, new_cluster
from safe4c.networks.urgency import raise_after_link


JOB = jobs.LINK_REPORT


def _anchors(uow: UnitOfWork, report_id: int, identifier_ids: list[int], weak_ids: list[int]) -> dict[int, int]:
    """identifier id -> the earliest other report that holds it (edge not cut); for the report's weak edges
    (``identifiers.WEAK_SOURCE``), the earliest that holds it for real."""
    found = {}
    for ids, extra in ((identifier_ids, ()), (weak_ids, (ReportIdentifier.source != WEAK_SOURCE,))):
        if ids:
            found.update(uow.session.execute(
                select(ReportIdentifier.identifier_id, func.min(ReportIdentifier.report_id))
                .where(ReportIdentifier.identifier_id.in_(ids), ReportIdentifier.report_id != report_id,
                       ReportIdentifier.cut.is_(False), *extra)
                .group_by(ReportIdentifier.identifier_id)).all())
    return found


def link_report(*, uow: UnitOfWork, report_id: int) -> dict:
    """Worker job ``report.link``: idempotent (a report already in a cluster is left as it is)."""
    lock(uow)
    row = uow.session.get(Report, report_id)
    if row is None:
        raise NotFound()
    existing = cluster_of(uow, report_id)
    if existing is not None:
        uow.rollback()
        return {"cluster": existing, "links": 0, "identifiers": 0, "raised": 0}
    session = uow.session
    now = uow.now()
    linking_ids: list[int] = []
    weak_ids: list[int] = []
    found = collect(uow, row)
    digests = {identifier.key: key_hash(uow, identifier.key) for identifier, _ in found}
    known = {r.key_hash: r for r in session.scalars(
        select(LinkIdentifier).where(LinkIdentifier.key_hash.in_(list(digests.values()))))} if found else {}
    edges = []
    for identifier, source in found:
        digest = digests[identifier.key]
        ident = known.get(digest) or new_identifier(uow, identifier, digest)
        ident.report_count += 1
        edges.append((ident, identifier.kind, source))
    session.flush()  # ids for the new identifiers
    by_id = {}
    for ident, kind, source in edges:
        session.add(ReportIdentifier(report_id=report_id, identifier_id=ident.id, kind=kind, source=source,
                                     cut=False))
        by_id[ident.id] = ident
        if ident.linking:
            (weak_ids if source == WEAK_SOURCE else linking_ids).append(ident.id)
    session.flush()
    anchors = _anchors(uow, report_id, linking_ids, weak_ids)
    clusters = clusters_of(uow, anchors.values())
    cluster = merge(uow, clusters) if clusters else new_cluster(uow, 0)
    cluster.size += 1
    session.add(ClusterMember(report_id=report_id, cluster_id=cluster.id, joined_at=now))
    kinds = set()
    for identifier_id, other in anchors.items():
        session.add(ClusterLink(cluster_id=cluster.id, report_id=report_id, other_report_id=other,
                                identifier_id=identifier_id, created_at=now))
        kinds.add(by_id[identifier_id].kind)
    if anchors:
        # The note names the cluster and the kinds of identifier only, never a value.
        note = f"#{cluster.id} · " + ", ".join(sorted(kinds))
        session.add(ReportEvent(report_id=report_id, at=now, kind="linked",
                                note_sealed=uow.ctx.sealer.seal(note, context="report.note")))
        audit.record(uow, actor_id=None, action="report.link", subject_type="report", subject_id=row.public_id,
                     detail={"cluster": cluster.id, "links": len(anchors), "merged": len(clusters)})
    session.flush()
    raised = raise_after_link(uow, row, cluster.id, joined=len(clusters))
    uow.commit()
    return {"cluster": cluster.id, "links": len(anchors), "identifiers": len(linking_ids) + len(weak_ids),
            "raised": len(raised)}
