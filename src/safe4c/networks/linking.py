"""Linking reports into networks: identifiers are extracted, stored and joined incrementally.

The ``report.link`` job (enqueued by intake in the report's own transaction) runs ``link_report``:

1. collect the report's identifiers: the accounts field, the story (free text) and, for a platform report,
   its content hashes and content links; keep each once, with the field it came from;
2. store them (``link_identifiers`` is one row per distinct identifier, found by a keyed hash of its key;
   the value is sealed) and the report's edges (``report_identifiers``);
3. for each identifier that links, the *anchor* is the earliest other report holding it (edge not cut);
   the report joins the anchors' clusters, which merge into the largest (union by size: the smaller side is
   relabelled, so a report is relabelled O(log n) times over its life: no full recomputation ever);
4. write one ``cluster_links`` row per identifier that joined it, a ``linked`` report event, and
5. if the cluster holds a P1 report or confirmed material, raise its other open reports to P1 with the
   reason ``link.urgent_cluster`` (a ``raised`` event and an audit entry each). A hash-list match that comes
   later raises the network from the match job (``services/known_material.py`` calls ``raise_if_urgent``).

Cutting a link (``cut_link``) or marking an identifier as not linking (``set_identifier_linking``) re-splits
only the clusters concerned (``domain.linker.split`` on their reports); a part that is no longer urgent has
its network raises undone (``intake.retriage``). One writer at a time: a PostgreSQL
advisory lock (SQLite transactions are already serialised).
"""

from __future__ import annotations

import hashlib
import hmac
from functools import lru_cache

from sqlalchemy import delete, func, select, update

from safe4c.kernel.crypto import derive_key
from safe4c.db import locks
from safe4c.db.hashlist import HashBank, HashEntry
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
from safe4c.db.platforms import PlatformReport
from safe4c.db.tables import Report, ReportEvent
from safe4c.networks.rules import linker
from safe4c.networks.rules.identifiers import Identifier, extract_from_fields, extract_from_text, identifiers_from_url, normalise_hash
from safe4c.reports.rules.taxonomy import N_
from safe4c.reports.rules.triage import KNOWN_MATERIAL, LINKED_TO_URGENT
from safe4c.kernel.errors import Conflict, FieldError, Invalid, NotFound
from safe4c.kernel.signals import SIGNAL_KINDS
from safe4c.kernel import audit
from safe4c.reports import intake, platform_detail, fields as report_fields
from safe4c.kernel.uow import UnitOfWork

JOB = "report.link"
REASON_CODE = LINKED_TO_URGENT
MAX_REASON = 2000

CLUSTER_NOT_FOUND = N_("We could not find this network.")
LINK_NOT_FOUND = N_("We could not find this link.")
REASON_REQUIRED = N_("Write why: the reason is kept with the decision.")


def should_link(*, channel: str, accounts, story: str | None) -> bool:
    """Intake's question: is there anything a ``report.link`` job could find?"""
    return channel == "platform" or bool(accounts) or bool(story)


# --- identifiers ----------------------------------------------------------------------------------------

@lru_cache(maxsize=4)
def _hmac_key(secret: bytes) -> bytes:
    return derive_key(secret, "identifier-key")


def key_hash(uow: UnitOfWork, key: str) -> str:
    """Identifiers are looked up by a keyed hash: the table holds no phone number or account in the clear."""
    return hmac.new(_hmac_key(uow.settings.resolved_secret), key.encode(), hashlib.sha256).hexdigest()


def signal_key(identifier: Identifier) -> str | None:
    """The hash list's value key for hashes and links, so confirmed material is found with one index."""
    if identifier.kind not in SIGNAL_KINDS:
        return None
    from safe4c.hashlist.banks import value_key

    return value_key(identifier.kind, identifier.value)


def collect(uow: UnitOfWork, row: Report, *, story: str | None = None) -> list[tuple[Identifier, str]]:
    """A report's identifiers with the field each came from, each key once (the first field wins). ``story``:
    the story already opened by the caller (else it is decrypted here)."""
    platform = row.platforms[0] if len(row.platforms or ()) == 1 else None
    found = [(i, "accounts") for i in extract_from_fields(accounts=report_fields.accounts(uow.ctx.sealer, row),
                                                         platform=platform)]
    if story is None:
        story = uow.ctx.sealer.open(row.story_sealed, context="report.story")
    if story:
        found += [(i, "story") for i in extract_from_text(story)]
    detail = uow.session.get(PlatformReport, row.id) if row.channel == "platform" else None
    if detail is not None:
        for item in detail.content_hashes or ():
            identifier = normalise_hash(item.get("value", ""), item.get("type"))
            if identifier:
                found.append((identifier, "content"))
        for item in platform_detail.content_items(uow, detail):
            if item.get("url"):
                found += [(i, "content") for i in identifiers_from_url(item["url"])]
    unique: dict[str, tuple[Identifier, str]] = {}
    for identifier, source in found:
        unique.setdefault(identifier.key, (identifier, source))
    return list(unique.values())


def open_identifier(uow: UnitOfWork, row: LinkIdentifier) -> Identifier:
    """The identifier behind a row (its sealed key, parsed back)."""
    key = uow.ctx.sealer.open(row.value_sealed, context="identifier.key")
    value = key.split(":", 2 if row.platform else 1)[-1]
    return Identifier(row.kind, value, row.platform)


def lock(uow: UnitOfWork) -> None:
    """The linking lock (``db.locks.LINKING``), held to the end of the transaction: one writer of cluster
    membership at a time. Taken before the hash-list and audit locks."""
    locks.advisory_xact_lock(uow.session, locks.LINKING)


def _new_identifier(uow: UnitOfWork, identifier: Identifier, digest: str) -> LinkIdentifier:
    """A new ``link_identifiers`` row (the caller looked it up by ``digest`` and did not find it; under the
    linking lock nobody else creates it meanwhile)."""
    row = LinkIdentifier(key_hash=digest, kind=identifier.kind, platform=identifier.platform,
                         value_sealed=uow.ctx.sealer.seal(identifier.key, context="identifier.key"),
                         signal_key=signal_key(identifier), linking=True, report_count=0, first_seen_at=uow.now())
    uow.session.add(row)
    return row


# --- clusters -------------------------------------------------------------------------------------------

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


def _new_cluster(uow: UnitOfWork, size: int) -> Cluster:
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


def _merge(uow: UnitOfWork, cluster_ids: set[int]) -> Cluster:
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


def _anchors(uow: UnitOfWork, report_id: int, identifier_ids: list[int]) -> dict[int, int]:
    """identifier id -> the earliest other report that holds it (edge not cut)."""
    if not identifier_ids:
        return {}
    rows = uow.session.execute(
        select(ReportIdentifier.identifier_id, func.min(ReportIdentifier.report_id))
        .where(ReportIdentifier.identifier_id.in_(identifier_ids), ReportIdentifier.report_id != report_id,
               ReportIdentifier.cut.is_(False))
        .group_by(ReportIdentifier.identifier_id)
    )
    return {identifier_id: other for identifier_id, other in rows}


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
    found = collect(uow, row)
    digests = {identifier.key: key_hash(uow, identifier.key) for identifier, _ in found}
    known = {r.key_hash: r for r in session.scalars(
        select(LinkIdentifier).where(LinkIdentifier.key_hash.in_(list(digests.values()))))} if found else {}
    edges = []
    for identifier, source in found:
        digest = digests[identifier.key]
        ident = known.get(digest) or _new_identifier(uow, identifier, digest)
        ident.report_count += 1
        edges.append((ident, identifier.kind, source))
    session.flush()  # ids for the new identifiers
    by_id = {}
    for ident, kind, source in edges:
        session.add(ReportIdentifier(report_id=report_id, identifier_id=ident.id, kind=kind, source=source,
                                     cut=False))
        by_id[ident.id] = ident
        if ident.linking:
            linking_ids.append(ident.id)
    session.flush()
    anchors = _anchors(uow, report_id, linking_ids)
    clusters = clusters_of(uow, anchors.values())
    cluster = _merge(uow, clusters) if clusters else _new_cluster(uow, 0)
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
    if len(clusters) == 1 and not _urgent_report(uow, row):
        # Joined one network and brings nothing urgent: the network's urgency is unchanged (its other open
        # reports were raised when it became urgent), so only this report may need raising.
        raised = [row.id] if (needs_raise(row.priority, row.triage_reasons) and row.status != "closed"
                              and urgency(uow, cluster.id)["urgent"]
                              and raise_report(uow, row, cluster.id)) else []
    else:
        raised = raise_if_urgent(uow, cluster.id)
    uow.commit()
    return {"cluster": cluster.id, "links": len(anchors), "identifiers": len(linking_ids), "raised": len(raised)}


# --- urgency --------------------------------------------------------------------------------------------

def _is_urgent_source(priority: str | None, reasons: list | None) -> tuple[bool, bool]:
    """(P1 for a reason of its own, holds confirmed material). A report that is P1 only because of its
    network does not make the network urgent: otherwise a cut link could never calm a network down."""
    reasons = reasons or []
    own_p1 = priority == "P1" and any(r.get("priority") == "P1" and r.get("code") != REASON_CODE for r in reasons)
    material = any(r.get("code") == KNOWN_MATERIAL for r in reasons)
    return own_p1, material


def _urgent_report(uow: UnitOfWork, row: Report) -> bool:
    """Would this one report make its network urgent (own P1, matched or listed material)?"""
    return any(_is_urgent_source(row.priority, row.triage_reasons)) or _holds_listed_material(uow, [row.id])


def member_rows(uow: UnitOfWork, cluster_id: int) -> list[Report]:
    """A cluster's reports, in order of arrival."""
    return list(uow.session.scalars(
        select(Report).join(ClusterMember, ClusterMember.report_id == Report.id)
        .where(ClusterMember.cluster_id == cluster_id).order_by(Report.received_at, Report.id)))


def urgency(uow: UnitOfWork, cluster_id: int, rows: list[Report] | None = None) -> dict:
    """Why a cluster is urgent: its P1 reports and whether it holds confirmed material. ``rows``: its member
    reports when the caller has them already (else only the columns needed are read)."""
    if rows is None:
        members = list(uow.session.execute(
            select(Report.id, Report.priority, Report.triage_reasons)
            .join(ClusterMember, ClusterMember.report_id == Report.id).where(ClusterMember.cluster_id == cluster_id)))
    else:
        members = [(r.id, r.priority, r.triage_reasons) for r in rows]
    p1, material = [], False
    for rid, priority, reasons in members:
        own, mat = _is_urgent_source(priority, reasons)
        if own:
            p1.append(rid)
        material = material or mat
    if not material:
        material = uow.session.scalar(
            select(func.count()).select_from(Decision)
            .where(Decision.cluster_id == cluster_id, Decision.kind == "confirm_material")) > 0
    if not material:
        material = _holds_listed_material(uow, [rid for rid, _, _ in members])
    return {"p1_reports": p1, "confirmed_material": bool(material), "urgent": bool(p1 or material)}


def listed_material_holders():
    """SELECT of the report ids holding a hash or link that is in an enabled confirmed bank (one index:
    ``link_identifiers.signal_key`` = ``hash_entries.value_key``). Callers add their own report filter."""
    return (select(ReportIdentifier.report_id)
            .join(LinkIdentifier, LinkIdentifier.id == ReportIdentifier.identifier_id)
            .join(HashEntry, HashEntry.value_key == LinkIdentifier.signal_key)
            .join(HashBank, HashBank.id == HashEntry.bank_id)
            .where(LinkIdentifier.signal_key.is_not(None), HashEntry.enabled.is_(True), HashBank.enabled.is_(True),
                   HashBank.confirmed.is_(True)))


def _holds_listed_material(uow: UnitOfWork, report_ids: list[int]) -> bool:
    if not report_ids:
        return False
    found = uow.session.scalar(
        listed_material_holders().where(ReportIdentifier.report_id.in_(report_ids)).limit(1))
    return found is not None


def raise_if_urgent(uow: UnitOfWork, cluster_id: int) -> list[int]:
    """Raise the cluster's open reports to P1 with the reason ``link.urgent_cluster`` when the cluster holds a
    P1 report or confirmed material. Returns the ids raised. The caller holds the linking lock and commits."""
    rows = member_rows(uow, cluster_id)
    if not urgency(uow, cluster_id, rows)["urgent"]:
        return []
    return [row.id for row in rows
            if row.status != "closed" and needs_raise(row.priority, row.triage_reasons)
            and raise_report(uow, row, cluster_id)]


def needs_raise(priority: str | None, reasons: list | None) -> bool:
    """An open report of an urgent cluster is raised unless it is P1 already or was raised by a network."""
    return not (priority == "P1" or any(r.get("code") == REASON_CODE for r in reasons or ()))


def raise_report(uow: UnitOfWork, row: Report, cluster_id: int) -> bool:
    """Raise one open report of an urgent cluster to P1 (``intake.raise_to_p1``: reason ``link.urgent_cluster``,
    a ``raised`` event) with an audit entry ``report.raise``. Shared by ``raise_if_urgent`` and the bulk
    rebuild (``services/link_rebuild.py``)."""
    if not needs_raise(row.priority, row.triage_reasons):
        return False
    if not intake.raise_to_p1(uow, row, reason_code=REASON_CODE, event_kind="raised", note=f"#{cluster_id}"):
        return False
    audit.record(uow, actor_id=None, action="report.raise", subject_type="report", subject_id=row.public_id,
                 detail={"cluster": cluster_id, "reason": REASON_CODE})
    return True


def _calm(uow: UnitOfWork, cluster_id: int) -> list[int]:
    """After a split: if the cluster is no longer urgent, its open reports raised only by a network are
    triaged again on their own facts (a ``lowered`` event, an audit entry ``report.lower``). Returns their ids."""
    rows = member_rows(uow, cluster_id)
    if urgency(uow, cluster_id, rows)["urgent"]:
        return []
    lowered = []
    for row in rows:
        if row.status != "closed" and intake.retriage(uow, row, dropped_code=REASON_CODE, event_kind="lowered",
                                                      note=f"#{cluster_id}"):
            audit.record(uow, actor_id=None, action="report.lower", subject_type="report", subject_id=row.public_id,
                         detail={"cluster": cluster_id, "reason": REASON_CODE})
            lowered.append(row.id)
    return lowered


# --- cutting and re-splitting ---------------------------------------------------------------------------

def _resplit(uow: UnitOfWork, cluster_id: int) -> list[int]:
    """Recompute one cluster's components (only its reports); the largest keeps the id. Decisions and
    referrals go with the part they are about; a part that is no longer urgent is calmed (``_calm``).
    Returns all ids."""
    session = uow.session
    members = list(session.scalars(select(ClusterMember.report_id).where(ClusterMember.cluster_id == cluster_id)
                                   .order_by(ClusterMember.report_id)))
    keys_of: dict[int, list[int]] = {}
    for rid, iid in session.execute(
            select(ReportIdentifier.report_id, ReportIdentifier.identifier_id)
            .join(LinkIdentifier, LinkIdentifier.id == ReportIdentifier.identifier_id)
            .join(ClusterMember, ClusterMember.report_id == ReportIdentifier.report_id)
            .where(ClusterMember.cluster_id == cluster_id, ReportIdentifier.cut.is_(False),
                   LinkIdentifier.linking.is_(True))
            .order_by(ReportIdentifier.report_id, ReportIdentifier.identifier_id)):
        keys_of.setdefault(rid, []).append(iid)
    components = linker.split(members, keys_of)
    components.sort(key=lambda c: (-len(c.reports), c.reports[0]))
    now = uow.now()
    session.execute(delete(ClusterLink).where(ClusterLink.cluster_id == cluster_id))
    ids = []
    for n, component in enumerate(components):
        if n == 0:
            cluster = session.get(Cluster, cluster_id)
            cluster.size, cluster.updated_at = len(component.reports), now
        else:
            cluster = _new_cluster(uow, len(component.reports))
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
            _calm(uow, part)
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


def _reason(reason: str) -> str:
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
    reason = _reason(reason)
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
    ids = _resplit(uow, cluster_id)
    audit.record(uow, actor_id=actor_id, action="cluster.cut", subject_type="cluster", subject_id=cluster_id,
                 detail={"report": public_id, "identifier": link.identifier_id, "kind": kind, "clusters": ids})
    uow.commit()
    return ids


def set_identifier_linking(*, uow: UnitOfWork, identifier_id: int, linking: bool, actor_id: int,
                           reason: str) -> list[int]:
    """Mark a very common identifier (a school, a shop, a helpline) as not linking, or undo it. The clusters
    it joined are split, or joined again. Returns the cluster ids touched."""
    reason = _reason(reason)
    lock(uow)
    ident = uow.session.get(LinkIdentifier, identifier_id)
    if ident is None:
        raise NotFound(LINK_NOT_FOUND)
    if ident.linking == linking:
        raise Conflict(N_("Nothing to change: the identifier is already like this."))
    ident.linking, ident.marked_by, ident.marked_at = linking, actor_id, uow.now()
    ident.mark_note_sealed = uow.ctx.sealer.seal(reason, context="link.reason")
    uow.session.flush()  # the sessions do not autoflush: _resplit must see the change
    holders = list(uow.session.scalars(select(ReportIdentifier.report_id).where(
        ReportIdentifier.identifier_id == identifier_id, ReportIdentifier.cut.is_(False))
        .order_by(ReportIdentifier.report_id)))
    clusters = sorted(clusters_of(uow, holders))
    touched: list[int] = []
    if not linking:
        for cluster_id in clusters:
            touched += _resplit(uow, cluster_id)
    elif clusters:
        keep = _merge(uow, set(clusters))
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


