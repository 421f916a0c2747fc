"""The network (cluster) page: its reports, the cross-platform path, a timeline, regions, the children, the
identifiers, the links and why, open takedown orders, decisions and referrals. Reading it is audited.

**Distinct children (an estimate).** Each report from a person (web form, public API) is about one child;
a platform's report is about each victim it lists (one unknown child if it lists none). A child is described
by what is known: age band, gender, province and, from a platform, the victim's screen name. Descriptions
that do not contradict each other are counted as one child (the most complete first, greedily), so a parent's
and a child's report about the same 13-15-year-old girl in one province count once. It is a low estimate:
two children with the same description count once. The page says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select

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
from safe4c.db.platforms import Platform, PlatformReport, TakedownOrder
from safe4c.db.tables import Report, ReportEvent, StaffUser
from safe4c.takedowns.rules import deadlines
from safe4c.networks.rules.identifiers.model import PLATFORMS as HANDLE_PLATFORMS
from safe4c.kernel import audit, regions
from safe4c.networks import identifiers as network_identifiers
from safe4c.networks import membership
from safe4c.networks import urgency as network_urgency
from safe4c.reports import platform_detail
from safe4c.reports.rules.platform_report import age_band
from safe4c.networks.identifiers import WEAK_SOURCE  # weak twins are not a report's own identifiers
from safe4c.takedowns import orders as takedowns
from safe4c.kernel.uow import UnitOfWork

# Identifiers that name a platform although the report did not (a Telegram invite is Telegram).
_KIND_PLATFORM = {"tg_invite": "telegram", "wa_invite": "whatsapp"}


@dataclass(frozen=True)
class MemberReport:
    id: int
    public_id: str
    received_at: datetime
    channel: str
    reporter_role: str | None
    situations: tuple[str, ...]
    platforms: tuple[str, ...]
    priority: str | None
    status: str
    province: str | None
    regency: str | None
    age_band: str | None
    gender: str | None
    consent_services: bool
    reasons: tuple[dict, ...]


@dataclass(frozen=True)
class IdentifierView:
    id: int
    kind: str
    platform: str | None
    value: str
    reports: tuple[str, ...]  # public ids in this cluster
    report_count: int  # in all reports
    linking: bool
    common: bool


@dataclass(frozen=True)
class LinkView:
    id: int
    report: str
    other_report: str
    identifier_id: int
    kind: str
    value: str


@dataclass
class ClusterView:
    id: int
    size: int
    created_at: datetime
    assignee_id: int | None
    assignee: str | None
    reports: list[MemberReport]
    path: list[dict]
    timeline: list[dict]
    regions: list[dict]
    children: int
    children_by_child: int
    identifiers: list[IdentifierView]
    links: list[LinkView]
    cuts: list[dict]
    orders: list[dict]
    decisions: list[dict]
    referrals: list[dict]
    urgency: dict
    platforms: list[dict] = field(default_factory=list)  # registered platforms, for the takedown form


_region = regions.name_of


member_rows = membership.member_rows


def identifiers_of(uow: UnitOfWork, report_ids: list[int]) -> list[tuple[LinkIdentifier, list[int], bool]]:
    """(identifier, report ids holding it, any edge cut) for the given reports, in order of first sight (their
    own identifiers: not the weak twins of their accounts, ``networks/identifiers.WEAK_SOURCE``)."""
    if not report_ids:
        return []
    found: dict[int, tuple[LinkIdentifier, list[int], list[bool]]] = {}
    for edge, ident in uow.session.execute(
            select(ReportIdentifier, LinkIdentifier).join(LinkIdentifier, LinkIdentifier.id == ReportIdentifier.identifier_id)
            .where(ReportIdentifier.report_id.in_(report_ids), ReportIdentifier.source != WEAK_SOURCE)
            .order_by(ReportIdentifier.report_id, ReportIdentifier.identifier_id)):
        entry = found.setdefault(ident.id, (ident, [], []))
        entry[1].append(edge.report_id)
        entry[2].append(edge.cut)
    return [(ident, ids, any(cuts)) for ident, ids, cuts in found.values()]


def _platform_path(rows: list[Report], idents) -> list[dict]:
    """Platforms in order of first appearance: each report's own platforms, then the platforms its
    identifiers name (accounts on a platform, Telegram and WhatsApp invites)."""
    named: dict[int, list[str]] = {}
    for ident, holders, _ in idents:
        code = ident.platform if ident.kind == "handle" else _KIND_PLATFORM.get(ident.kind)
        if code and code in HANDLE_PLATFORMS and code != "other":
            for rid in holders:
                named.setdefault(rid, [])
                if code not in named[rid]:
                    named[rid].append(code)
    path: list[dict] = []
    seen = set()
    for row in rows:
        for code in [*row.platforms, *named.get(row.id, [])]:
            if code not in seen:
                seen.add(code)
                path.append({"platform": code, "first_seen": row.received_at, "report": row.public_id})
    return path


def _victims(uow: UnitOfWork, row: Report, detail: PlatformReport | None) -> list[dict]:
    if detail is None:
        return []
    out = []
    for v in platform_detail.victims(uow, detail):
        band = age_band(v["age"]) if isinstance(v.get("age"), int) else v.get("estimated_age_band")
        screen = str(v.get("screen_name") or v.get("platform_user_id") or "").strip().lstrip("@").casefold() or None
        out.append({"age": band, "gender": None, "province": None,
                    "screen": f"{row.platforms[0] if row.platforms else ''}:{screen}" if screen else None})
    return out


def estimate_children(profiles: list[dict]) -> int:
    """Descriptions that do not contradict each other count as one child (see the module docstring)."""
    fields = ("age", "gender", "province", "screen")
    known = lambda p: sum(1 for f in fields if p.get(f))  # noqa: E731
    groups: list[dict] = []
    for p in sorted(profiles, key=known, reverse=True):
        for g in groups:
            if all(not p.get(f) or not g.get(f) or p[f] == g[f] for f in fields):
                for f in fields:
                    g[f] = g.get(f) or p.get(f)
                break
        else:
            groups.append(dict(p))
    return len(groups)


def child_profiles(uow: UnitOfWork, rows: list[Report]) -> list[dict]:
    platform_ids = [r.id for r in rows if r.channel == "platform"]
    details = {d.report_id: d for d in uow.session.scalars(
        select(PlatformReport).where(PlatformReport.report_id.in_(platform_ids)))} if platform_ids else {}
    profiles = []
    for row in rows:
        if row.channel == "platform":
            profiles += _victims(uow, row, details.get(row.id)) or [{}]
        else:
            profiles.append({"age": row.age_band if row.age_band != "unknown" else None,
                             "gender": row.gender if row.gender in ("girl", "boy") else None,
                             "province": row.province_code})
    return profiles


def _timeline(uow: UnitOfWork, rows: list[Report], orders: list[TakedownOrder], decisions) -> list[dict]:
    by_id = {r.id: r.public_id for r in rows}
    items = [{"at": r.received_at, "kind": "received", "report": r.public_id, "detail": r.channel} for r in rows]
    for e in uow.session.scalars(select(ReportEvent).where(ReportEvent.report_id.in_(list(by_id)))):
        items.append({"at": e.at, "kind": e.kind, "report": by_id[e.report_id], "detail": e.to_status or ""})
    for o in orders:
        items.append({"at": o.issued_at, "kind": "order_issued", "report": by_id.get(o.report_id), "detail": o.status})
        if o.removed_at:
            items.append({"at": o.removed_at, "kind": "order_removed", "report": by_id.get(o.report_id), "detail": ""})
    for d in decisions:
        items.append({"at": d["at"], "kind": "decision", "report": d["report"], "detail": d["kind"]})
    return sorted(items, key=lambda i: i["at"])


def _name(uow: UnitOfWork, user_id: int | None) -> str | None:
    return uow.session.scalar(select(StaffUser.display_name).where(StaffUser.id == user_id)) if user_id else None


def decisions_of(uow: UnitOfWork, cluster_id: int | None, report_ids: list[int]) -> list[dict]:
    cond = Decision.cluster_id == cluster_id if cluster_id else Decision.report_id.in_(report_ids)
    if cluster_id and report_ids:
        cond = cond | Decision.report_id.in_(report_ids)
    out = []
    for d, name, public in uow.session.execute(
            select(Decision, StaffUser.display_name, Report.public_id).join(StaffUser, StaffUser.id == Decision.actor_id)
            .outerjoin(Report, Report.id == Decision.report_id).where(cond).order_by(Decision.at, Decision.id)):
        out.append({"id": d.public_id, "kind": d.kind, "at": d.at, "actor": name, "report": public,
                    "reason": uow.ctx.sealer.open(d.reason_sealed, context="decision.reason"), "detail": d.detail})
    return out


@dataclass(frozen=True)
class Moved:
    """The network asked for was merged into network ``id``."""

    id: int


def view_cluster(*, uow: UnitOfWork, cluster_id: int, actor_id: int) -> ClusterView | Moved:
    """The whole network, decrypted for the analyst; the view is audited in the same transaction. A network
    merged into another is not shown: ``Moved`` says where it went."""
    cluster = membership.resolve_cluster(uow, cluster_id)
    if cluster.id != cluster_id:
        uow.rollback()
        return Moved(cluster.id)
    rows = member_rows(uow, cluster.id)
    ids = [r.id for r in rows]
    public = {r.id: r.public_id for r in rows}
    idents = identifiers_of(uow, ids)
    common = uow.settings.link_common_reports
    identifier_views, values = [], {}
    for ident, holders, _ in idents:
        value = network_identifiers.open_identifier(uow, ident).value
        values[ident.id] = value
        identifier_views.append(IdentifierView(ident.id, ident.kind, ident.platform, value,
                                               tuple(public[h] for h in holders), ident.report_count, ident.linking,
                                               ident.report_count >= common))
    links = [LinkView(link.id, public.get(link.report_id, "?"), public.get(link.other_report_id, "?"),
                      link.identifier_id, kind, values.get(link.identifier_id, ""))
             for link, kind in uow.session.execute(
                 select(ClusterLink, LinkIdentifier.kind).join(LinkIdentifier, LinkIdentifier.id == ClusterLink.identifier_id)
                 .where(ClusterLink.cluster_id == cluster.id).order_by(ClusterLink.id))]
    cuts = [{"report": public.get(c.report_id) or "", "kind": k, "by": n, "at": c.cut_at,
             "reason": uow.ctx.sealer.open(c.reason_sealed, context="link.reason")}
            for c, k, n in uow.session.execute(
                select(CutLink, LinkIdentifier.kind, StaffUser.display_name)
                .join(LinkIdentifier, LinkIdentifier.id == CutLink.identifier_id)
                .join(StaffUser, StaffUser.id == CutLink.cut_by)
                .where(CutLink.report_id.in_(ids) | CutLink.other_report_id.in_(ids)).order_by(CutLink.id))]
    orders = list(uow.session.scalars(select(TakedownOrder).where(TakedownOrder.report_id.in_(ids))
                                      .order_by(TakedownOrder.issued_at))) if ids else []
    names = dict(uow.session.execute(select(Platform.id, Platform.name)).all())
    now = uow.now()
    order_views = [{"id": o.public_id, "platform": names.get(o.platform_id, "?"), "status": o.status,
                    "target_type": o.target_type, "target": o.target_value, "urgent": o.urgent,
                    "deadline_at": o.deadline_at, "report": public.get(o.report_id),
                    "overdue": deadlines.is_overdue(o.deadline_at, now, status=o.status)}
                   for o in orders if o.status in takedowns.OPEN_STATUSES]
    decisions = decisions_of(uow, cluster.id, ids)
    referrals = [{"id": r.public_id, "kind": r.kind, "status": r.status, "at": r.created_at, "consent": r.consent,
                  "has_package": r.package_sealed is not None}
                 for r in uow.session.scalars(select(Referral).where(
                     (Referral.cluster_id == cluster.id) | Referral.report_id.in_(ids)).order_by(Referral.id))]
    region_counts: dict[tuple, int] = {}
    for r in rows:
        key = (_region(r.province_code), _region(r.regency_code))
        region_counts[key] = region_counts.get(key, 0) + 1
    members = [MemberReport(r.id, r.public_id, r.received_at, r.channel, r.reporter_role, tuple(r.situations),
                            tuple(r.platforms), r.priority, r.status, _region(r.province_code),
                            _region(r.regency_code), r.age_band, r.gender, r.consent_services,
                            tuple(r.triage_reasons or ())) for r in rows]
    view = ClusterView(
        id=cluster.id, size=cluster.size, created_at=cluster.created_at, assignee_id=cluster.assignee_id,
        assignee=_name(uow, cluster.assignee_id), reports=members,
        path=_platform_path(rows, idents), timeline=_timeline(uow, rows, orders, decisions),
        regions=[{"province": p, "regency": g, "reports": n} for (p, g), n in
                 sorted(region_counts.items(), key=lambda kv: (-kv[1], str(kv[0])))],
        children=estimate_children(child_profiles(uow, rows)),
        children_by_child=sum(1 for r in rows if r.reporter_role == "child"),
        identifiers=identifier_views, links=links, cuts=cuts, orders=order_views, decisions=decisions,
        referrals=referrals, urgency=network_urgency.urgency(uow, cluster.id, rows),
        platforms=[{"id": i, "name": n} for i, n in sorted(names.items(), key=lambda kv: kv[1])],
    )
    audit.record(uow, actor_id=actor_id, action="cluster.view", subject_type="cluster", subject_id=cluster.id,
                 detail={"reports": len(rows)})
    uow.commit()
    return view


@dataclass(frozen=True)
class ClusterRow:
    id: int
    size: int
    updated_at: datetime
    top_priority: str | None
    assignee: str | None


def list_clusters(*, uow: UnitOfWork, min_size: int = 2, limit: int = 100) -> list[ClusterRow]:
    """Networks of at least ``min_size`` reports, most urgent and largest first (codes and counts only)."""
    # min(priority) only over the members of the networks listed (not singletons, not merged ones)
    top = (select(ClusterMember.cluster_id, func.min(Report.priority).label("top"))
           .join(Report, Report.id == ClusterMember.report_id)
           .join(Cluster, Cluster.id == ClusterMember.cluster_id)
           .where(Cluster.merged_into.is_(None), Cluster.size >= min_size)
           .group_by(ClusterMember.cluster_id).subquery())
    query = (select(Cluster, top.c.top, StaffUser.display_name).join(top, top.c.cluster_id == Cluster.id)
             .outerjoin(StaffUser, StaffUser.id == Cluster.assignee_id)
             .order_by(top.c.top.asc().nulls_first(), Cluster.size.desc(), Cluster.id).limit(limit))
    return [ClusterRow(c.id, c.size, c.updated_at, t, n) for c, t, n in uow.session.execute(query)]


def report_network(*, uow: UnitOfWork, report_id: int) -> dict | None:
    """For the report page: the report's cluster id, its size and the kinds that link it (no values)."""
    cluster_id = membership.cluster_of(uow, report_id)
    if cluster_id is None:
        return None
    size = uow.session.scalar(select(Cluster.size).where(Cluster.id == cluster_id))
    return {"id": cluster_id, "size": size}
