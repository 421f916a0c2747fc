"""Decisions on a report or a network, each one use case in one transaction.

Every decision is a ``decisions`` row (who, when, why sealed, and what it produced, as ids and counts) and an
audit entry ``decision.<kind>``:

- ``confirm_material``: the hashes of the report or network go to the confirmed bank
  (``SAFE4C_LINK_CONFIRMED_BANK``, through hashlist/banks.py), and the network becomes urgent;
- ``takedown``: takedown orders for chosen links, hashes, accounts or invites (takedowns/orders.py);
- ``refer_police``: a referral with an evidence package (reports/evidence.py), JSON and PDF;
- ``refer_child``: a referral for help, recorded with the reporter's consent; it waits for case management
  (``status = awaiting_handover``) until a case opens for the report (``handed_over``, cases/cases.py);
- ``open_case``: a case for each report of the scope that comes from a child or someone who knows them, routed
  to the UPTD PPA nearest the child (cases/cases.py); it takes up the report's waiting ``refer_child``
  referrals. The analyst sees afterwards that a case exists and its stage, never its statement or notes;
- ``close``: the open reports are closed as not actionable, with the reason as the status note.

The hash list entries and the takedown orders are written with ``banks.put_entry`` and
``orders.place_order``, which do not commit: the decision, its entries and its orders commit together or not
at all. ``put_entry`` is idempotent (an entry already in the bank is returned); an order is not, so the takedown
decision skips a target that already has an open order for the same platform (``orders.place_order`` refuses
it with ``DuplicateOrder``; the database's unique index over open orders backs it). Closing reports moves each open report to closed (reports/status.py
``move_status``) in the decision's transaction (a report whose status may not move is left as it is), and the
decision is written with them.
Assignment and bulk actions are in assignment.py, saved filters in saved_filters.py, what the pages read in
workspace.py.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field

from sqlalchemy import select

from safe4c.cases import cases
from safe4c.db.linking import Decision, Referral
from safe4c.db.platforms import Platform, PlatformReport
from safe4c.db.tables import Report
from safe4c.hashlist import banks
from safe4c.kernel import audit
from safe4c.kernel.errors import Conflict, FieldError, Invalid, NotFound
from safe4c.kernel.uow import UnitOfWork
from safe4c.networks import corrections, membership
from safe4c.networks import urgency as network_urgency
from safe4c.networks.rules.identifiers import HASH_KINDS
from safe4c.workspace import evidence
from safe4c.reports import status
from safe4c.reports.rules.taxonomy import N_
from safe4c.workspace.queries import Scope, identifiers, public_id, scope
from safe4c.takedowns import orders as takedowns
from safe4c.takedowns.rules.targets import ORDER_KINDS, order_target

__all__ = ["DECISIONS", "Outcome", "Scope", "scope", "decide", "confirm_material", "issue_takedowns",
           "refer_police", "refer_child", "open_case", "close_not_actionable", "referral_package"]

DECISIONS = ("confirm_material", "takedown", "refer_police", "refer_child", "open_case", "close")


def _record(uow: UnitOfWork, *, kind: str, where: Scope, actor_id: int, reason: str, detail: dict) -> Decision:
    row = Decision(public_id=str(uuid.uuid4()), kind=kind, report_id=where.report_id, cluster_id=where.cluster_id,
                   actor_id=actor_id, at=uow.now(),
                   reason_sealed=uow.ctx.sealer.seal(reason, context="decision.reason"), detail=detail)
    uow.session.add(row)
    uow.session.flush()
    subject = {"report": public_id(uow, where.report_id)} if where.report_id else {"cluster": where.cluster_id}
    audit.record(uow, actor_id=actor_id, action=f"decision.{kind}", subject_type="decision",
                 subject_id=row.public_id, detail={**subject, **detail})
    return row


@dataclass
class Outcome:
    decision_id: str
    detail: dict = field(default_factory=dict)


# --- decisions ------------------------------------------------------------------------------------------

def confirm_material(*, uow: UnitOfWork, where: Scope, actor_id: int, reason: str,
                     identifier_ids: list[int] | None = None) -> Outcome:
    reason = corrections.reason_text(reason)
    chosen = identifiers(uow, where, identifier_ids, HASH_KINDS)
    if not chosen:
        raise Invalid([FieldError("identifiers", N_("There is no hash to confirm here."))])
    membership.lock(uow)  # before the hash list's and the audit's locks (networks/membership.py)
    name = uow.settings.link_confirmed_bank
    try:
        bank_id = banks.bank_id_by_name(uow=uow, name=name)
    except NotFound:
        bank_id = banks.place_bank(uow=uow, name=name, confirmed=True, actor_id=actor_id,
                                   description="Confirmed by safe4c analysts")
    entries = []
    for ident, value, holder in chosen:
        try:
            result = banks.put_entry(uow=uow, bank_id=bank_id, signal_type=ident.kind, value=value,
                                     classification="csam", source="analyst", actor_id=actor_id,
                                     report_public_id=public_id(uow, holder))
            entries.append(result.entry_id)
        except Conflict:
            continue  # disabled in the bank on purpose: the earlier decision stands until someone enables it
    decision = _record(uow, kind="confirm_material", where=where, actor_id=actor_id, reason=reason,
                       detail={"entries": entries, "bank_id": bank_id})
    cluster_id = where.cluster_id or membership.cluster_of(uow, where.report_id)
    raised = network_urgency.raise_if_urgent(uow, cluster_id) if cluster_id else []
    uow.commit()
    return Outcome(decision.public_id, {"entries": len(entries), "raised": len(raised)})


def issue_takedowns(*, uow: UnitOfWork, where: Scope, actor_id: int, reason: str, identifier_ids: list[int],
                    platform_id: int | None = None, category: str = "csam") -> Outcome:
    """One order per chosen link, hash, invite or account, to the chosen platform or, if none is chosen, to
    the registered platform the target belongs to. Targets with no platform are listed, not guessed."""
    reason = corrections.reason_text(reason)
    if category not in takedowns.CATEGORIES:
        raise Invalid([FieldError("category", N_("This choice is not one of the allowed options."))])
    chosen = identifiers(uow, where, identifier_ids, ORDER_KINDS)
    if not identifier_ids or not chosen:
        raise Invalid([FieldError("identifiers", N_("Choose at least one link, hash or account."))])
    by_code = {code: pid for pid, code in uow.session.execute(
        select(Platform.id, Platform.taxonomy_code).where(Platform.active.is_(True)).order_by(Platform.id.desc()))}
    membership.lock(uow)  # before the audit's lock (networks/membership.py)
    issued, skipped = [], 0
    for ident, value, holder in chosen:
        target = order_target(ident.kind, value, ident.platform)
        pid = platform_id or by_code.get(target.platform) or _reporting_platform(uow, holder)
        if pid is None:
            skipped += 1
            continue
        try:
            order = takedowns.place_order(uow=uow, actor_id=actor_id, order=takedowns.OrderInput(
                platform_id=pid, target_type=target.type, target_value=target.value, category=category,
                urgent=category in takedowns.URGENT_CATEGORIES, hash_type=target.hash_type,
                report_id=public_id(uow, holder)))
        except takedowns.DuplicateOrder:  # one open order per platform and target, however it is named
            continue
        issued.append(order.public_id)
    decision = _record(uow, kind="takedown", where=where, actor_id=actor_id, reason=reason,
                       detail={"orders": issued, "without_platform": skipped})
    uow.commit()
    return Outcome(decision.public_id, {"orders": len(issued), "without_platform": skipped})


def _reporting_platform(uow: UnitOfWork, report_id: int) -> int | None:
    return uow.session.scalar(select(PlatformReport.platform_id).where(PlatformReport.report_id == report_id))


def refer_police(*, uow: UnitOfWork, where: Scope, actor_id: int, reason: str) -> Outcome:
    reason = corrections.reason_text(reason)
    membership.lock(uow)
    package_id = str(uuid.uuid4())
    decision = _record(uow, kind="refer_police", where=where, actor_id=actor_id, reason=reason,
                       detail={"referral": package_id, "reports": len(where.report_ids)})
    package = evidence.build(uow, package_id=package_id, report_ids=where.report_ids, cluster_id=where.cluster_id,
                             actor_id=actor_id, reason=reason)
    referral = Referral(public_id=package_id, kind="police", decision_id=decision.id, report_id=where.report_id,
                        cluster_id=where.cluster_id, status="awaiting_handover", consent=False,
                        created_by=actor_id, created_at=uow.now(), package_sha256=package["integrity"]["sha256"],
                        package_sealed=uow.ctx.sealer.seal(evidence.canonical(package).decode(),
                                                           context="referral.package"))
    uow.session.add(referral)
    audit.record(uow, actor_id=actor_id, action="referral.create", subject_type="referral", subject_id=package_id,
                 detail={"kind": "police", "sha256": referral.package_sha256})
    uow.commit()
    return Outcome(decision.public_id, {"referral": package_id})


def refer_child(*, uow: UnitOfWork, where: Scope, actor_id: int, reason: str) -> Outcome:
    """Record that the child needs help. One referral per report of the scope; consent is copied from each
    report so case management knows what it may do with it (``open_case`` takes it up)."""
    reason = corrections.reason_text(reason)
    membership.lock(uow)
    rows = list(uow.session.scalars(select(Report).where(Report.id.in_(where.report_ids), Report.channel != "platform")))
    if not rows:
        raise Invalid([FieldError("reason", N_("No report here comes from a child or a person who knows the "
                                               "child: there is nobody to refer yet."))])
    decision = _record(uow, kind="refer_child", where=where, actor_id=actor_id, reason=reason,
                       detail={"reports": len(rows)})
    ids = []
    for row in rows:
        referral = Referral(public_id=str(uuid.uuid4()), kind="child_help", decision_id=decision.id,
                            report_id=row.id, cluster_id=where.cluster_id, status="awaiting_handover",
                            consent=row.consent_services, created_by=actor_id, created_at=uow.now())
        uow.session.add(referral)
        audit.record(uow, actor_id=actor_id, action="referral.create", subject_type="referral",
                     subject_id=referral.public_id, detail={"kind": "child_help", "consent": row.consent_services})
        ids.append(referral.public_id)
    uow.commit()
    return Outcome(decision.public_id, {"referrals": len(ids), "without_consent": sum(not r.consent_services for r in rows)})


def open_case(*, uow: UnitOfWork, where: Scope, actor_id: int, reason: str) -> Outcome:
    """A case for each report of the scope from a child or someone who knows them (one that has a case keeps
    it)."""
    reason = corrections.reason_text(reason)
    rows = list(uow.session.scalars(select(Report).where(Report.id.in_(where.report_ids), Report.channel != "platform")
                                    .order_by(Report.id)))
    if not rows:
        raise Invalid([FieldError("reason", N_("No report here comes from a child or a person who knows the "
                                               "child: there is nobody to refer yet."))])
    membership.lock(uow)
    # Counted from what each placing did: a case the job opened since the reports were read is "already open".
    placed = [cases.place_case_for_report(uow, report=row, origin="report", actor_id=actor_id) for row in rows]
    existing = sum(not opened for _case, opened in placed)
    decision = _record(uow, kind="open_case", where=where, actor_id=actor_id, reason=reason,
                       detail={"cases": sorted({c.public_id for c, _opened in placed}), "already_open": existing})
    uow.commit()
    return Outcome(decision.public_id, {"cases": len(rows) - existing, "already_open": existing})


def close_not_actionable(*, uow: UnitOfWork, where: Scope, actor_id: int, reason: str) -> Outcome:
    reason = corrections.reason_text(reason)
    open_reports = list(uow.session.scalars(select(Report.public_id).where(Report.id.in_(where.report_ids),
                                                                           Report.status != "closed")))
    membership.lock(uow)  # the linking lock before the audit lock (networks/membership.py)
    closed = 0
    for report in open_reports:
        try:
            status.move_status(uow=uow, public_id=report, actor_id=actor_id, to_status="closed", note=reason)
            closed += 1
        except Invalid:
            pass  # a report whose status cannot move to closed stays as it is
    decision = _record(uow, kind="close", where=where, actor_id=actor_id, reason=reason, detail={"closed": closed})
    uow.commit()
    return Outcome(decision.public_id, {"closed": closed})


def decide(*, uow: UnitOfWork, kind: str, where: Scope, actor_id: int, reason: str,
           identifier_ids: list[int] | None = None, platform_id: int | None = None,
           category: str = "csam") -> Outcome:
    if kind == "confirm_material":
        return confirm_material(uow=uow, where=where, actor_id=actor_id, reason=reason, identifier_ids=identifier_ids)
    if kind == "takedown":
        return issue_takedowns(uow=uow, where=where, actor_id=actor_id, reason=reason,
                               identifier_ids=identifier_ids or [], platform_id=platform_id, category=category)
    if kind == "refer_police":
        return refer_police(uow=uow, where=where, actor_id=actor_id, reason=reason)
    if kind == "refer_child":
        return refer_child(uow=uow, where=where, actor_id=actor_id, reason=reason)
    if kind == "open_case":
        return open_case(uow=uow, where=where, actor_id=actor_id, reason=reason)
    if kind == "close":
        return close_not_actionable(uow=uow, where=where, actor_id=actor_id, reason=reason)
    raise NotFound()


# --- referrals and their packages -------------------------------------------------------------------------

def referral_package(*, uow: UnitOfWork, referral_id: str, actor_id: int, fmt: str) -> dict:
    """The stored evidence package; every download is audited (it is part of the chain of custody)."""
    row = uow.session.scalar(select(Referral).where(Referral.public_id == referral_id))
    if row is None or row.package_sealed is None:
        raise NotFound(N_("We could not find this evidence package."))
    package = json.loads(uow.ctx.sealer.open(row.package_sealed, context="referral.package"))
    audit.record(uow, actor_id=actor_id, action="referral.download", subject_type="referral",
                 subject_id=referral_id, detail={"format": fmt, "sha256": row.package_sha256})
    uow.commit()
    return package
