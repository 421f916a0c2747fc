"""The evidence package for a police referral: JSON (the record) and a PDF rendering of it.

The package holds the reports (with the reporter's words and the accounts given, never the reporter's own
contact details: the police ask the hotline for those), the identifiers, hashes and links, the cross-platform
path, the timeline, the takedown orders and the **chain of custody**: every audit-log entry about these
reports, the network, its orders and its referrals (who viewed or changed what, and when), each with its
hash in the tamper-evident audit chain, so it can be checked with ``safe4c audit verify``.

The JSON is canonical (sorted keys, no spaces); ``integrity.sha256`` is the SHA-256 of the package without
its ``integrity`` member. The package is stored sealed with the referral; every download is audited.
"""

from __future__ import annotations

import hashlib
import json

from sqlalchemy import and_, or_, select

from safe4c.db.linking import Decision, Referral
from safe4c.db.platforms import Platform, TakedownOrder
from safe4c.db.tables import AuditEntry, Report, ReportEvent, StaffUser
from safe4c.networks.rules.identifiers import HASH_KINDS
from safe4c.workspace import network_page as clusters
from safe4c.networks import identifiers as network_identifiers
from safe4c.kernel import regions
from safe4c.reports import fields as report_fields
from safe4c.kernel.clock import rfc3339
from safe4c.kernel.uow import UnitOfWork

FORMAT = "safe4c.evidence/1"


_region = regions.name_of


def canonical(data: dict) -> bytes:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str).encode()


def build(uow: UnitOfWork, *, package_id: str, report_ids: list[int], cluster_id: int | None, actor_id: int,
          reason: str) -> dict:
    """The package as a dict (with its integrity hash). Reads only; the caller stores and audits it."""
    session, sealer = uow.session, uow.ctx.sealer
    rows = list(session.scalars(select(Report).where(Report.id.in_(report_ids)).order_by(Report.received_at, Report.id)))
    public = {r.id: r.public_id for r in rows}
    reports = [{
        "id": r.public_id, "received_at": rfc3339(r.received_at), "channel": r.channel,
        "reporter_role": r.reporter_role, "situations": list(r.situations), "platforms": list(r.platforms),
        "platform_other": report_fields.platform_other(sealer, r), "incident_when": r.incident_when, "priority": r.priority,
        "priority_reasons": [x.get("code") for x in (r.triage_reasons or [])], "status": r.status,
        "province": _region(r.province_code), "regency": _region(r.regency_code),
        "province_code": r.province_code, "age_band": r.age_band,
        "gender": r.gender, "accounts": report_fields.accounts(sealer, r),
        "statement": sealer.open(r.story_sealed, context="report.story"),
    } for r in rows]
    idents = clusters.identifiers_of(uow, [r.id for r in rows])
    identifiers, hashes, urls = [], [], []
    for ident, holders, cut in idents:
        value = network_identifiers.open_identifier(uow, ident).value
        item = {"kind": ident.kind, "platform": ident.platform, "value": value,
                "reports": [public[h] for h in holders], "links": ident.linking and not cut}
        identifiers.append(item)
        if ident.kind in HASH_KINDS:
            hashes.append({"type": ident.kind, "value": value, "reports": item["reports"]})
        elif ident.kind == "url":
            urls.append({"url": value, "reports": item["reports"]})
    orders = list(session.execute(
        select(TakedownOrder, Platform.name).join(Platform, Platform.id == TakedownOrder.platform_id)
        .where(TakedownOrder.report_id.in_(list(public))).order_by(TakedownOrder.issued_at)))
    order_items = [{"id": o.public_id, "platform": name, "target_type": o.target_type, "target": o.target_value,
                    "hash_type": o.hash_type, "category": o.category, "status": o.status,
                    "issued_at": rfc3339(o.issued_at), "deadline_at": rfc3339(o.deadline_at),
                    "removed_at": rfc3339(o.removed_at),
                    "preserve_until": rfc3339(o.preserve_until), "report": public.get(o.report_id)}
                   for o, name in orders]
    timeline = [{"at": rfc3339(r.received_at), "event": "received", "report": r.public_id} for r in rows]
    for e in session.scalars(select(ReportEvent).where(ReportEvent.report_id.in_(list(public)))):
        timeline.append({"at": rfc3339(e.at), "event": e.kind, "report": public[e.report_id],
                         **({"to_status": e.to_status} if e.to_status else {})})
    for o in order_items:
        timeline.append({"at": o["issued_at"], "event": "takedown_issued", "report": o["report"], "order": o["id"]})
        if o["removed_at"]:
            timeline.append({"at": o["removed_at"], "event": "takedown_removed", "report": o["report"],
                             "order": o["id"]})
    timeline.sort(key=lambda t: t["at"])
    actor = session.get(StaffUser, actor_id)
    package = {
        "format": FORMAT, "package_id": package_id, "created_at": rfc3339(uow.now()),
        "created_by": {"username": actor.username, "name": actor.display_name},
        "scope": {"cluster": cluster_id, "reports": [r.public_id for r in rows]},
        "reason": reason,
        "path": [{**p, "first_seen": rfc3339(p["first_seen"])} for p in clusters._platform_path(rows, idents)],
        "reports": reports, "identifiers": identifiers, "hashes": hashes, "urls": urls,
        "timeline": timeline, "takedown_orders": order_items,
        "chain_of_custody": chain_of_custody(uow, report_public_ids=list(public.values()), cluster_id=cluster_id,
                                             order_ids=[o["id"] for o in order_items]),
    }
    package["integrity"] = {"sha256": hashlib.sha256(canonical(package)).hexdigest(),
                            "method": "SHA-256 of the canonical JSON (sorted keys, no spaces) without 'integrity'"}
    return package


def chain_of_custody(uow: UnitOfWork, *, report_public_ids: list[str], cluster_id: int | None,
                     order_ids: list[str]) -> list[dict]:
    """Every audit entry about these reports, the network, its orders and referrals, oldest first."""
    session = uow.session
    referral_ids = list(session.scalars(select(Referral.public_id).where(
        or_(Referral.cluster_id == cluster_id if cluster_id else False,
            Referral.report_id.in_(select(Report.id).where(Report.public_id.in_(report_public_ids)))))))
    conditions = [and_(AuditEntry.subject_type == "report", AuditEntry.subject_id.in_(report_public_ids))]
    if cluster_id:
        conditions.append(and_(AuditEntry.subject_type == "cluster", AuditEntry.subject_id == str(cluster_id)))
    if order_ids:
        conditions.append(and_(AuditEntry.subject_type == "takedown", AuditEntry.subject_id.in_(order_ids)))
    if referral_ids:
        conditions.append(and_(AuditEntry.subject_type == "referral", AuditEntry.subject_id.in_(referral_ids)))
    decision_ids = list(session.scalars(select(Decision.public_id).where(
        or_(Decision.cluster_id == cluster_id if cluster_id else False,
            Decision.report_id.in_(select(Report.id).where(Report.public_id.in_(report_public_ids)))))))
    if decision_ids:
        conditions.append(and_(AuditEntry.subject_type == "decision", AuditEntry.subject_id.in_(decision_ids)))
    out = []
    for entry, username in session.execute(
            select(AuditEntry, StaffUser.username).outerjoin(StaffUser, StaffUser.id == AuditEntry.actor_id)
            .where(or_(*conditions)).order_by(AuditEntry.id)):
        out.append({"entry": entry.id, "at": rfc3339(entry.at), "actor": username or "system", "action": entry.action,
                    "subject_type": entry.subject_type, "subject_id": entry.subject_id, "hash": entry.hash})
    return out
