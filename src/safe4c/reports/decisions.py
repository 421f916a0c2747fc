"""The analysts' workspace: assignment, bulk actions, saved filters, and decisions on a report or a network.

Every decision is a ``decisions`` row (who, when, why sealed, and what it produced, as ids and counts) and an
audit entry ``decision.<kind>``:

- ``confirm_material``: the hashes of the report or network go to the confirmed bank
  (``SAFE4C_LINK_CONFIRMED_BANK``, through services/hashlist.py), and the network becomes urgent;
- ``takedown``: takedown orders for chosen links, hashes, accounts or invites (services/takedowns.py);
- ``refer_police``: a referral with an evidence package (services/evidence.py), JSON and PDF;
- ``refer_child``: a referral for help, recorded with the reporter's consent; it waits for case management
  (``status = awaiting_handover``): there is no case system yet, and this module does not pretend one;
- ``close``: the open reports are closed as not actionable, with the reason as the status note.

hashlist.add_entry and takedowns.issue_order commit on their own (they are use cases too), so a decision that
calls them writes its own row in a last transaction. add_entry is idempotent (an entry already in the bank is
returned); issue_order is not, so the takedown decision skips a target that already has an open order for the
same platform (``takedown_orders.open_order_exists``, the match job's rule too): a decision repeated after a
failure does no harm.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode, urlsplit

from sqlalchemy import delete, select

from safe4c.access.rules import policy
from safe4c.db.linking import (
    Cluster,
    ClusterMember,
    Decision,
    LinkIdentifier,
    Referral,
    ReportAssignment,
    SavedFilter,
)
from safe4c.db.platforms import Platform, PlatformReport
from safe4c.db.tables import Report, StaffUser
from safe4c.networks.rules.identifiers import HASH_KINDS
from safe4c.reports.rules.taxonomy import N_
from safe4c.kernel.errors import Conflict, FieldError, Invalid, NotFound
from safe4c.kernel import audit
from safe4c.networks import clusters, linking
from safe4c.reports import evidence, queue, status
from safe4c.takedowns import orders as takedown_orders
from safe4c.kernel.uow import UnitOfWork

DECISIONS = ("confirm_material", "takedown", "refer_police", "refer_child", "close")
BULK_ACTIONS = ("assign", "unassign", "status")
MAX_FILTERS = 30
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
        raise NotFound(linking.CLUSTER_NOT_FOUND)
    cluster = linking.resolve_cluster(uow, cluster_id)
    ids = list(uow.session.scalars(select(ClusterMember.report_id).where(ClusterMember.cluster_id == cluster.id)
                                   .order_by(ClusterMember.report_id)))
    return Scope(ids, cluster.id, None)


def _record(uow: UnitOfWork, *, kind: str, where: Scope, actor_id: int, reason: str, detail: dict) -> Decision:
    row = Decision(public_id=str(uuid.uuid4()), kind=kind, report_id=where.report_id, cluster_id=where.cluster_id,
                   actor_id=actor_id, at=uow.now(),
                   reason_sealed=uow.ctx.sealer.seal(reason, context="decision.reason"), detail=detail)
    uow.session.add(row)
    uow.session.flush()
    subject = {"report": _public(uow, where.report_id)} if where.report_id else {"cluster": where.cluster_id}
    audit.record(uow, actor_id=actor_id, action=f"decision.{kind}", subject_type="decision",
                 subject_id=row.public_id, detail={**subject, **detail})
    return row


def _public(uow: UnitOfWork, report_id: int | None) -> str | None:
    return uow.session.scalar(select(Report.public_id).where(Report.id == report_id)) if report_id else None


def _identifiers(uow: UnitOfWork, where: Scope, identifier_ids: list[int] | None, kinds) -> list[tuple]:
    """(identifier row, its value, the first report of the scope holding it), optionally only those chosen."""
    out = []
    for ident, holders, _ in clusters.identifiers_of(uow, where.report_ids):
        if (kinds is None or ident.kind in kinds) and (not identifier_ids or ident.id in identifier_ids):
            out.append((ident, linking.open_identifier(uow, ident).value, holders[0]))
    return out


@dataclass
class Outcome:
    decision_id: str
    detail: dict = field(default_factory=dict)


# --- decisions ------------------------------------------------------------------------------------------

def confirm_material(*, uow: UnitOfWork, where: Scope, actor_id: int, reason: str,
                     identifier_ids: list[int] | None = None) -> Outcome:
    from safe4c.hashlist import banks as hashlist

    reason = linking._reason(reason)
    chosen = _identifiers(uow, where, identifier_ids, HASH_KINDS)
    if not chosen:
        raise Invalid([FieldError("identifiers", N_("There is no hash to confirm here."))])
    name = uow.settings.link_confirmed_bank
    try:
        bank_id = hashlist.bank_id_by_name(uow=uow, name=name)
    except NotFound:
        bank_id = hashlist.create_bank(uow=uow, name=name, confirmed=True, actor_id=actor_id,
                                       description="Confirmed by safe4c analysts")
    entries = []
    for ident, value, holder in chosen:
        try:
            result = hashlist.add_entry(uow=uow, bank_id=bank_id, signal_type=ident.kind, value=value,
                                        classification="csam", source="analyst", actor_id=actor_id,
                                        report_public_id=_public(uow, holder))
            entries.append(result.entry_id)
        except Conflict:
            continue  # disabled in the bank on purpose: the earlier decision stands until someone enables it
    linking.lock(uow)
    decision = _record(uow, kind="confirm_material", where=where, actor_id=actor_id, reason=reason,
                       detail={"entries": entries, "bank_id": bank_id})
    cluster_id = where.cluster_id or linking.cluster_of(uow, where.report_id)
    raised = linking.raise_if_urgent(uow, cluster_id) if cluster_id else []
    uow.commit()
    return Outcome(decision.public_id, {"entries": len(entries), "raised": len(raised)})


def _order_target(ident: LinkIdentifier, value: str) -> tuple[str, str, str | None, str | None]:
    """(target type, value, hash type, platform code) for an identifier."""
    from safe4c.hashlist.known_material import PLATFORM_OF_HOST

    if ident.kind in HASH_KINDS:
        return "hash", value, ident.kind, None
    if ident.kind == "url":
        return "url", value, None, PLATFORM_OF_HOST.get(urlsplit(value).hostname or "")
    if ident.kind == "tg_invite":
        return "url", f"https://t.me/+{value}", None, "telegram"
    if ident.kind == "wa_invite":
        return "url", f"https://chat.whatsapp.com/{value}", None, "whatsapp"
    return "account", value, None, ident.platform


def issue_takedowns(*, uow: UnitOfWork, where: Scope, actor_id: int, reason: str, identifier_ids: list[int],
                    platform_id: int | None = None, category: str = "csam") -> Outcome:
    """One order per chosen link, hash, invite or account, to the chosen platform or, if none is chosen, to
    the registered platform the target belongs to. Targets with no platform are listed, not guessed."""
    from safe4c.takedowns import orders as takedowns

    reason = linking._reason(reason)
    if category not in takedowns.CATEGORIES:
        raise Invalid([FieldError("category", N_("This choice is not one of the allowed options."))])
    chosen = _identifiers(uow, where, identifier_ids,
                          ("url", "tg_invite", "wa_invite", "handle", *HASH_KINDS))
    if not identifier_ids or not chosen:
        raise Invalid([FieldError("identifiers", N_("Choose at least one link, hash or account."))])
    by_code = {code: pid for pid, code in uow.session.execute(
        select(Platform.id, Platform.taxonomy_code).where(Platform.active.is_(True)).order_by(Platform.id.desc()))}
    issued, skipped = [], 0
    for ident, value, holder in chosen:
        target_type, target, hash_type, code = _order_target(ident, value)
        pid = platform_id or by_code.get(code) or _reporting_platform(uow, holder)
        if pid is None:
            skipped += 1
            continue
        if takedown_orders.open_order_exists(uow, pid, target_type, target):
            continue
        issued.append(takedowns.issue_order(uow=uow, actor_id=actor_id, order=takedowns.OrderInput(
            platform_id=pid, target_type=target_type, target_value=target, category=category,
            urgent=category in takedowns.URGENT_CATEGORIES, hash_type=hash_type, report_id=_public(uow, holder))))
    linking.lock(uow)
    decision = _record(uow, kind="takedown", where=where, actor_id=actor_id, reason=reason,
                       detail={"orders": issued, "without_platform": skipped})
    uow.commit()
    return Outcome(decision.public_id, {"orders": len(issued), "without_platform": skipped})


def _reporting_platform(uow: UnitOfWork, report_id: int) -> int | None:
    return uow.session.scalar(select(PlatformReport.platform_id).where(PlatformReport.report_id == report_id))


def refer_police(*, uow: UnitOfWork, where: Scope, actor_id: int, reason: str) -> Outcome:
    reason = linking._reason(reason)
    linking.lock(uow)
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
    report so case management, when it exists, knows what it may do with it."""
    reason = linking._reason(reason)
    linking.lock(uow)
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


def close_not_actionable(*, uow: UnitOfWork, where: Scope, actor_id: int, reason: str) -> Outcome:
    reason = linking._reason(reason)
    publics = list(uow.session.scalars(select(Report.public_id).where(Report.id.in_(where.report_ids),
                                                                      Report.status != "closed")))
    uow.rollback()  # end this read before each change's own transaction (SQLite takes the write lock at BEGIN)
    closed = 0
    for public_id in publics:
        with uow.fork() as inner:
            try:
                status.change_status(uow=inner, public_id=public_id, actor_id=actor_id, to_status="closed",
                                     note=reason)
                closed += 1
            except Invalid:
                pass
    linking.lock(uow)
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


# --- assignment -----------------------------------------------------------------------------------------

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
                     subject_id=_public(uow, rid), detail={"assignee": assignee_id})
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


def analysts(*, uow: UnitOfWork) -> list[dict]:
    return [{"id": i, "name": n} for i, n in uow.session.execute(
        select(StaffUser.id, StaffUser.display_name).where(StaffUser.active.is_(True), StaffUser.role.in_(ASSIGNABLE_ROLES))
        .order_by(StaffUser.display_name))]


@dataclass
class BulkResult:
    done: int = 0
    refused: int = 0


def bulk(*, uow: UnitOfWork, actor_id: int, public_ids: list[str], action: str, assignee_id: int | None = None,
         to_status: str | None = None, note: str = "") -> BulkResult:
    """The same action on many reports from the queue. Status changes go one by one through the queue's own
    rules (a move that is not allowed from a report's status is counted as refused, the others are made)."""
    public_ids = list(dict.fromkeys(p for p in public_ids if p))[:200]
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
    uow.rollback()  # each change runs in its own transaction; do not hold this one open meanwhile
    for public_id in public_ids:
        with uow.fork() as inner:
            try:
                status.change_status(uow=inner, public_id=public_id, actor_id=actor_id, to_status=to_status or "",
                                     note=note)
                result.done += 1
            except (Invalid, NotFound):
                result.refused += 1
    return result


# --- saved filters --------------------------------------------------------------------------------------

def _normalise_query(raw: str) -> str:
    params = dict(parse_qsl(raw.lstrip("?"), keep_blank_values=False))
    filters = queue.QueueFilters.parse(params)
    return urlencode(filters.query(page=1))


def save_filter(*, uow: UnitOfWork, owner_id: int, name: str, query: str) -> str:
    """Save (or replace) a named queue filter. Returns the query as saved (normalised), for the redirect."""
    name = (name or "").strip()
    if not 1 <= len(name) <= 80:
        raise Invalid([FieldError("name", N_("Give the filter a name of 1 to 80 characters."))])
    normalised = _normalise_query(query or "")
    existing = uow.session.scalar(select(SavedFilter).where(SavedFilter.owner_id == owner_id, SavedFilter.name == name))
    if existing is not None:
        existing.query = normalised
    else:
        count = len(list_filters(uow=uow, owner_id=owner_id))
        if count >= MAX_FILTERS:
            raise Invalid([FieldError("name", N_("You have too many saved filters; delete one first."))])
        existing = SavedFilter(owner_id=owner_id, name=name, query=normalised, created_at=uow.now())
        uow.session.add(existing)
    uow.session.flush()
    uow.commit()
    return normalised


def list_filters(*, uow: UnitOfWork, owner_id: int) -> list[dict]:
    return [{"id": f.id, "name": f.name, "query": f.query} for f in uow.session.scalars(
        select(SavedFilter).where(SavedFilter.owner_id == owner_id).order_by(SavedFilter.name))]


def delete_filter(*, uow: UnitOfWork, owner_id: int, filter_id: int) -> None:
    uow.session.execute(delete(SavedFilter).where(SavedFilter.id == filter_id, SavedFilter.owner_id == owner_id))
    uow.commit()


# --- the report page's part ---------------------------------------------------------------------------------

def report_panel(*, uow: UnitOfWork, report_id: int) -> dict:
    """What the report page shows of the workspace: its network, assignee, identifiers (decrypted: the page
    view is audited) and decisions, plus what the decision forms need."""
    where = Scope([report_id], None, report_id)
    assignment = uow.session.get(ReportAssignment, report_id)
    idents = [{"id": ident.id, "kind": ident.kind, "platform": ident.platform, "value": value, "linking": ident.linking}
              for ident, value, _ in _identifiers(uow, where, None, None)]
    return {
        "network": clusters.report_network(uow=uow, report_id=report_id),
        "assignee_id": assignment.assignee_id if assignment else None,
        "analysts": analysts(uow=uow),
        "identifiers": idents,
        "decisions": clusters.decisions_of(uow, None, [report_id]),
        "platforms": [{"id": i, "name": n} for i, n in uow.session.execute(
            select(Platform.id, Platform.name).where(Platform.active.is_(True)).order_by(Platform.name))],
    }
