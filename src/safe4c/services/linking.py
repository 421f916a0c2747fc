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
   reason ``link.urgent_cluster`` (a ``raised`` event and an audit entry each).

Cutting a link (``cut_link``) or marking an identifier as not linking (``set_identifier_linking``) re-splits
only the clusters concerned (``domain.linker.split`` on their reports). One writer at a time: a PostgreSQL
advisory lock (SQLite transactions are already serialised).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from functools import lru_cache

from sqlalchemy import delete, func, select, update

from ..crypto import derive_key
from ..db.hashlist import HashBank, HashEntry
from ..db.linking import Cluster, ClusterLink, ClusterMember, CutLink, Decision, LinkIdentifier, Referral, \
    ReportIdentifier
from ..db.platforms import PlatformReport
from ..db.tables import Job, Report, ReportEvent
from ..domain import linker
from ..domain.identifiers import Identifier, extract_from_fields, extract_from_text, identifiers_from_url, \
    normalise_hash
from ..domain.taxonomy import N_
from ..domain.triage import TriageFacts, triage
from ..errors import Conflict, FieldError, Invalid, NotFound
from . import audit, intake, jobs
from .uow import UnitOfWork

JOB = "report.link"
RECHECK_JOB = "link.recheck"
REASON_CODE = "link.urgent_cluster"
MATCH_REASON = "match.known_material"
SIGNAL_KINDS = ("md5", "sha1", "sha256", "pdq", "url")
HASH_KINDS = ("md5", "sha1", "sha256", "pdq")
MAX_REASON = 2000
_LOCK_KEY = 4244  # audit.py 4242, hashlist.py 4243; this one is taken first, before audit's

_EPOCH = datetime(2000, 1, 1, tzinfo=timezone.utc)  # any time: only the reason text is used

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
    from .hashlist import value_key

    return value_key(identifier.kind, identifier.value)


def _content_items(uow: UnitOfWork, detail: PlatformReport) -> list[dict]:
    raw = uow.ctx.sealer.open(detail.detail_sealed, context="platform_report.detail")
    try:
        return [item for item in (json.loads(raw or "{}").get("content") or []) if isinstance(item, dict)]
    except (ValueError, AttributeError):
        return []


def collect(uow: UnitOfWork, row: Report) -> list[tuple[Identifier, str]]:
    """A report's identifiers with the field each came from, each key once (the first field wins)."""
    platform = row.platforms[0] if len(row.platforms or ()) == 1 else None
    found = [(i, "accounts") for i in extract_from_fields(accounts=row.accounts or (), platform=platform)]
    story = uow.ctx.sealer.open(row.story_sealed, context="report.story")
    if story:
        found += [(i, "story") for i in extract_from_text(story)]
    detail = uow.session.get(PlatformReport, row.id) if row.channel == "platform" else None
    if detail is not None:
        for item in detail.content_hashes or ():
            identifier = normalise_hash(item.get("value", ""), item.get("type"))
            if identifier:
                found.append((identifier, "content"))
        for item in _content_items(uow, detail):
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


def _lock(uow: UnitOfWork) -> None:
    if uow.session.bind.dialect.name == "postgresql":
        uow.session.execute(select(func.pg_advisory_xact_lock(_LOCK_KEY)))


def _identifier_row(uow: UnitOfWork, identifier: Identifier) -> LinkIdentifier:
    digest = key_hash(uow, identifier.key)
    row = uow.session.scalar(select(LinkIdentifier).where(LinkIdentifier.key_hash == digest))
    if row is None:
        row = LinkIdentifier(key_hash=digest, kind=identifier.kind, platform=identifier.platform,
                             value_sealed=uow.ctx.sealer.seal(identifier.key, context="identifier.key"),
                             signal_key=signal_key(identifier), linking=True, report_count=0,
                             first_seen_at=uow.now())
        uow.session.add(row)
        uow.session.flush()
    return row


# --- clusters -------------------------------------------------------------------------------------------

def cluster_of(uow: UnitOfWork, report_id: int) -> int | None:
    return uow.session.scalar(select(ClusterMember.cluster_id).where(ClusterMember.report_id == report_id))


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


def _merge(uow: UnitOfWork, cluster_ids: set[int]) -> Cluster:
    """Merge clusters into the largest (the oldest on a tie); the others point to it."""
    rows = sorted((uow.session.get(Cluster, i) for i in cluster_ids), key=lambda c: (-c.size, c.id))
    keep, others = rows[0], rows[1:]
    if others:
        ids = [c.id for c in others]
        session = uow.session
        session.execute(update(ClusterMember).where(ClusterMember.cluster_id.in_(ids)).values(cluster_id=keep.id))
        session.execute(update(ClusterLink).where(ClusterLink.cluster_id.in_(ids)).values(cluster_id=keep.id))
        session.execute(update(Decision).where(Decision.cluster_id.in_(ids)).values(cluster_id=keep.id))
        session.execute(update(Referral).where(Referral.cluster_id.in_(ids)).values(cluster_id=keep.id))
        session.execute(update(Cluster).where(Cluster.merged_into.in_(ids)).values(merged_into=keep.id))
        for other in others:
            keep.size += other.size
            if keep.assignee_id is None and other.assignee_id is not None:
                keep.assignee_id, keep.assigned_at = other.assignee_id, other.assigned_at
            other.merged_into, other.size, other.assignee_id = keep.id, 0, None
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
    _lock(uow)
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
    for identifier, source in found:
        ident = known.get(digests[identifier.key]) or _identifier_row(uow, identifier)
        ident.report_count += 1
        session.add(ReportIdentifier(report_id=report_id, identifier_id=ident.id, kind=identifier.kind,
                                     source=source, cut=False))
        if ident.linking:
            linking_ids.append(ident.id)
    session.flush()
    anchors = _anchors(uow, report_id, linking_ids)
    clusters = {cluster_of(uow, other) for other in anchors.values()} - {None}
    cluster = _merge(uow, clusters) if clusters else _new_cluster(uow, 0)
    cluster.size += 1
    session.add(ClusterMember(report_id=report_id, cluster_id=cluster.id, joined_at=now))
    kinds = set()
    for identifier_id, other in anchors.items():
        session.add(ClusterLink(cluster_id=cluster.id, report_id=report_id, other_report_id=other,
                                identifier_id=identifier_id, created_at=now))
        kinds.add(session.get(LinkIdentifier, identifier_id).kind)
    if anchors:
        # The note names the cluster and the kinds of identifier only, never a value.
        note = f"#{cluster.id} · " + ", ".join(sorted(kinds))
        session.add(ReportEvent(report_id=report_id, at=now, kind="linked",
                                note_sealed=uow.ctx.sealer.seal(note, context="report.note")))
        audit.record(uow, actor_id=None, action="report.link", subject_type="report", subject_id=row.public_id,
                     detail={"cluster": cluster.id, "links": len(anchors), "merged": len(clusters)})
    session.flush()
    raised = raise_if_urgent(uow, cluster.id)
    if _match_pending(uow, report_id):
        # The hash-list match may still make this report urgent; look at the cluster again after it ran.
        jobs.enqueue(uow, RECHECK_JOB, {"report_id": report_id},
                     delay=timedelta(seconds=uow.settings.link_recheck_seconds))
    uow.commit()
    return {"cluster": cluster.id, "links": len(anchors), "identifiers": len(linking_ids), "raised": len(raised)}


def _match_pending(uow: UnitOfWork, report_id: int) -> bool:
    from .known_material import JOB as MATCH_JOB

    payloads = uow.session.scalars(select(Job.payload).where(Job.kind == MATCH_JOB, Job.done_at.is_(None),
                                                             Job.failed_at.is_(None)))
    return any(isinstance(p, dict) and p.get("report_id") == report_id for p in payloads)


def recheck(*, uow: UnitOfWork, report_id: int) -> int:
    """Worker job ``link.recheck``: after the match job, raise the cluster if it became urgent."""
    _lock(uow)
    if _match_pending(uow, report_id):
        jobs.enqueue(uow, RECHECK_JOB, {"report_id": report_id},
                     delay=timedelta(seconds=uow.settings.link_recheck_seconds))
        uow.commit()
        return 0
    cluster_id = cluster_of(uow, report_id)
    raised = raise_if_urgent(uow, cluster_id) if cluster_id else []
    uow.commit()
    return len(raised)


# --- urgency --------------------------------------------------------------------------------------------

def _is_urgent_source(priority: str | None, reasons: list | None) -> tuple[bool, bool]:
    """(P1 for a reason of its own, holds confirmed material). A report that is P1 only because of its
    network does not make the network urgent: otherwise a cut link could never calm a network down."""
    reasons = reasons or []
    own_p1 = priority == "P1" and any(r.get("priority") == "P1" and r.get("code") != REASON_CODE for r in reasons)
    material = any(r.get("code") == MATCH_REASON for r in reasons)
    return own_p1, material


def urgency(uow: UnitOfWork, cluster_id: int) -> dict:
    """Why a cluster is urgent: its P1 reports and whether it holds confirmed material."""
    members = list(uow.session.execute(
        select(Report.id, Report.priority, Report.triage_reasons).join(ClusterMember, ClusterMember.report_id == Report.id)
        .where(ClusterMember.cluster_id == cluster_id)))
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


def _holds_listed_material(uow: UnitOfWork, report_ids: list[int]) -> bool:
    if not report_ids:
        return False
    found = uow.session.scalar(
        select(func.count()).select_from(ReportIdentifier)
        .join(LinkIdentifier, LinkIdentifier.id == ReportIdentifier.identifier_id)
        .join(HashEntry, HashEntry.value_key == LinkIdentifier.signal_key)
        .join(HashBank, HashBank.id == HashEntry.bank_id)
        .where(ReportIdentifier.report_id.in_(report_ids), LinkIdentifier.signal_key.is_not(None),
               HashEntry.enabled.is_(True), HashBank.enabled.is_(True), HashBank.confirmed.is_(True)))
    return bool(found)


def _link_reason() -> dict:
    reason = next(r for r in triage(TriageFacts(situations=(), linked_to_urgent=True), received_at=_EPOCH,
                                    deadline_minutes={"P1": 0, "P2": 0, "P3": 0, "P4": 0}).reasons
                  if r.code == REASON_CODE)
    return {"code": reason.code, "text": reason.text, "priority": reason.priority}


def raise_if_urgent(uow: UnitOfWork, cluster_id: int) -> list[int]:
    """Raise the cluster's open reports to P1 with the reason ``link.urgent_cluster`` when the cluster holds a
    P1 report or confirmed material. Returns the ids raised. The caller commits."""
    if not urgency(uow, cluster_id)["urgent"]:
        return []
    now = uow.now()
    first_action = now + timedelta(minutes=uow.settings.triage_deadline_minutes["P1"])
    raised = []
    rows = uow.session.scalars(select(Report).join(ClusterMember, ClusterMember.report_id == Report.id)
                               .where(ClusterMember.cluster_id == cluster_id, Report.status != "closed"))
    for row in rows:
        if raise_report(uow, row, cluster_id, now=now, first_action=first_action):
            raised.append(row.id)
    return raised


def needs_raise(priority: str | None, reasons: list | None) -> bool:
    """An open report of an urgent cluster is raised unless it is P1 already or was raised by a network."""
    return not (priority == "P1" or any(r.get("code") == REASON_CODE for r in reasons or ()))


def raise_report(uow: UnitOfWork, row: Report, cluster_id: int, *, now, first_action) -> bool:
    """Raise one open report of an urgent cluster to P1 (a ``raised`` event, an audit entry ``report.raise``).
    Shared by ``raise_if_urgent`` and the bulk rebuild (``services/link_rebuild.py``)."""
    reasons = list(row.triage_reasons or [])
    if not needs_raise(row.priority, reasons):
        return False
    if row.priority is None:
        facts = replace(intake.facts_of(row), linked_to_urgent=True)
        for name, value in intake.triage_values(facts, received_at=row.received_at, uow=uow).items():
            setattr(row, name, value)
    else:
        row.triage_reasons = [_link_reason(), *reasons]
        row.priority = "P1"
        # Raised now: the first action is due an hour (the P1 time) from now, or earlier if it already was.
        row.deadline_at = min(row.deadline_at, first_action) if row.deadline_at else first_action
    row.updated_at = now
    uow.session.add(ReportEvent(report_id=row.id, at=now, kind="raised",
                                note_sealed=uow.ctx.sealer.seal(f"#{cluster_id}", context="report.note")))
    audit.record(uow, actor_id=None, action="report.raise", subject_type="report", subject_id=row.public_id,
                 detail={"cluster": cluster_id, "reason": REASON_CODE})
    return True


# --- cutting and re-splitting ---------------------------------------------------------------------------

def _resplit(uow: UnitOfWork, cluster_id: int) -> list[int]:
    """Recompute one cluster's components (only its reports); the largest keeps the id. Returns all ids."""
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
    return ids


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
    _lock(uow)
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
    _lock(uow)
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
    clusters = sorted({c for c in (cluster_of(uow, r) for r in holders) if c is not None})
    touched: list[int] = []
    if not linking:
        for cluster_id in clusters:
            touched += _resplit(uow, cluster_id)
    elif clusters:
        keep = _merge(uow, set(clusters))
        now = uow.now()
        anchor = holders[0]
        for report_id in holders[1:]:
            exists = uow.session.scalar(select(ClusterLink.id).where(ClusterLink.report_id == report_id,
                                                                     ClusterLink.identifier_id == identifier_id))
            if exists is None:
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


