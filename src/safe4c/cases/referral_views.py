"""What staff read about referrals (docs/cases.md, *Referrals*): a case's referrals with suggested providers,
an agency's referrals in and out, one referral as its receiver sees it, and a police unit's evidence package.

Reading a statement, a referral or a package is audited here and committed with the reading.
The statement is shown to a referral's receiver by the same rule as on the case's page (cases/statements.py
``may_read``: the policy's ``case.statement.read`` on the case's record, live referrals only, and the consent in
force), so the two pages never disagree.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, or_, select

from safe4c.access.rules import policy
from safe4c.access.rules.policy import Actor
from safe4c.cases import cases
from safe4c.cases import referrals as use
from safe4c.cases import statements as statement_use
from safe4c.cases.rules import referrals as rules
from safe4c.db.cases import Agency, Case, CaseReferral, CaseStatement
from safe4c.db.directory import DirectoryOrganization, DirectoryService, DirectoryServiceArea
from safe4c.db.linking import Referral
from safe4c.db.tables import AuditEntry, StaffUser
from safe4c.directory.rules.types import covers
from safe4c.kernel import audit, regions
from safe4c.kernel.errors import NotFound
from safe4c.kernel.i18n import N_
from safe4c.kernel.uow import UnitOfWork

# The statement's sealing context: the one cases/statements.py seals it with (a referral's receiver reads the
# statement the lead agency recorded; a different context would not open it).
STATEMENT_CONTEXT = statement_use.BODY_CONTEXT


@dataclass(frozen=True)
class ReferralSummary:
    public_id: str
    case_public_id: str
    kind: str
    status: str
    to_name: str
    from_name: str
    service_type: str | None
    sent_at: datetime
    respond_by: datetime | None
    overdue: bool
    reminded: bool
    shares_statement: bool
    incoming: bool  # sent to the reader's agency


@dataclass(frozen=True)
class Statement:
    number: int
    body: str
    taken_at: datetime
    language: str


@dataclass(frozen=True)
class ReferralDetail:
    summary: ReferralSummary
    region_name: str | None
    age_band: str | None
    priority: str | None
    reason: str
    decline_reason: str | None
    services_delivered: list[str]
    responded_at: datetime | None
    delivered_at: datetime | None
    statements: list[Statement]  # empty unless the consent in force allows this receiver to read them
    statement_withheld: bool  # the case has a statement this receiver may not read
    package_sha256: str | None
    has_package: bool
    custody: list[dict]
    can_respond: bool
    can_open_package: bool
    can_withdraw: bool = False
    withdrawn_at: datetime | None = None
    withdraw_reason: str | None = None


@dataclass(frozen=True)
class Provider:
    kind: str  # agency, organization
    id: int
    name: str
    type: str
    region_name: str
    is_example: bool
    service_types: tuple[str, ...]


@dataclass(frozen=True)
class CaseReferrals:
    case_public_id: str
    region_name: str | None
    referrals: list[ReferralSummary]
    can_send: bool
    agencies: list[Provider]  # agencies serving the case's region (police units included)
    organizations: list[Provider]  # directory organisations with a service covering the region


def _names(uow: UnitOfWork, ids: set[int | None]) -> dict[int, str]:
    ids = {i for i in ids if i}
    return dict(uow.session.execute(select(Agency.id, Agency.name).where(Agency.id.in_(ids))).all()) if ids else {}


def _summaries(uow: UnitOfWork, actor: Actor, pairs: list[tuple[CaseReferral, Case]]) -> list[ReferralSummary]:
    agencies = _names(uow, {r.to_agency_id for r, _ in pairs} | {c.agency_id for _, c in pairs})
    org_ids = {r.to_organization_id for r, _ in pairs if r.to_organization_id}
    orgs = dict(uow.session.execute(select(DirectoryOrganization.id, DirectoryOrganization.name)
                                    .where(DirectoryOrganization.id.in_(org_ids))).all()) if org_ids else {}
    now = uow.now()
    out = []
    for r, c in pairs:
        if not policy.allowed(actor, "case.referral.view", use.referral_record(c, r)):
            continue
        to_name = agencies.get(r.to_agency_id) or orgs.get(r.to_organization_id) or ""
        out.append(ReferralSummary(r.public_id, c.public_id, r.kind, r.status, to_name, agencies.get(c.agency_id, ""),
                                   r.service_type, r.sent_at, r.respond_by,
                                   r.overdue_at is not None or rules.is_overdue(status=r.status, due=r.respond_by,
                                                                                now=now),
                                   r.reminded_at is not None, r.shares_statement,
                                   r.to_agency_id is not None and r.to_agency_id == actor.agency_id))
    return out


def for_case(*, uow: UnitOfWork, actor: Actor, case_public_id: str) -> CaseReferrals:
    case, record = cases.load_with_record(uow, public_id=case_public_id, actor=actor, action="case.referral.view",
                                          seen_with="case.referral.view")
    rows = list(uow.session.scalars(select(CaseReferral).where(CaseReferral.case_id == case.id)
                                    .order_by(CaseReferral.sent_at, CaseReferral.id)))
    can_send = policy.allowed(actor, "case.referral.send", record) and case.closed_at is None
    agencies, organizations = suggest(uow, case.region_code) if can_send else ([], [])
    return CaseReferrals(case.public_id, regions.name_of(case.region_code), _summaries(uow, actor, [(r, case) for r in rows]),
                         can_send, agencies, organizations)


def suggest(uow: UnitOfWork, region_code: str | None) -> tuple[list[Provider], list[Provider]]:
    """Providers for a child of this region: active agencies whose region covers it, and directory
    organisations with a service whose service area covers it (national ones included), with those services."""
    def serves(area: str) -> bool:
        return region_code is None or covers(area, region_code) or region_code == area or (
            len(region_code) == 2 and area.startswith(region_code + "."))
    agencies = [Provider("agency", a.id, a.name, a.agency_type, regions.name_of(a.region_code) or a.region_code,
                         a.is_example, ())
                for a in uow.session.scalars(select(Agency).where(Agency.active).order_by(Agency.name, Agency.id))
                if serves(a.region_code)]
    types: dict[int, set[str]] = {}
    for org_id, service_type, area in uow.session.execute(
            select(DirectoryServiceArea.organization_id, DirectoryService.service_type, DirectoryServiceArea.region_code)
            .join(DirectoryService, DirectoryService.id == DirectoryServiceArea.service_id)
            .where(DirectoryService.status == "active")):
        if serves(area):
            types.setdefault(org_id, set()).add(service_type)
    orgs = [Provider("organization", o.id, o.name, o.org_type, regions.name_of(o.region_code) or o.region_code,
                     o.is_example, tuple(sorted(types[o.id])))
            for o in uow.session.scalars(select(DirectoryOrganization).where(DirectoryOrganization.id.in_(types))
                                         .order_by(DirectoryOrganization.name, DirectoryOrganization.id))] if types else []
    return agencies, orgs


def inbox(*, uow: UnitOfWork, actor: Actor) -> list[ReferralSummary]:
    """Referrals to the reader's agency and referrals of its cases, those waiting for an answer first."""
    if actor.agency_id is None:
        return []
    pairs = list(uow.session.execute(
        select(CaseReferral, Case).join(Case, Case.id == CaseReferral.case_id)
        .where(or_(CaseReferral.to_agency_id == actor.agency_id, Case.agency_id == actor.agency_id))
        .order_by(CaseReferral.sent_at.desc(), CaseReferral.id.desc())))
    waiting = {"sent": 0, "accepted": 1}
    return sorted(_summaries(uow, actor, pairs), key=lambda s: (waiting.get(s.status, 2), s.respond_by or s.sent_at))


@dataclass(frozen=True)
class Waiting:
    """What the caseload shows beside the cases: referrals waiting for the agency's answer, and referrals the
    agency sent that are past their answer deadline."""

    incoming: list[ReferralSummary]
    overdue_sent: list[ReferralSummary]


def waiting(*, uow: UnitOfWork, actor: Actor) -> Waiting:
    rows = inbox(uow=uow, actor=actor)
    return Waiting([s for s in rows if s.incoming and s.status == "sent"],
                   [s for s in rows if not s.incoming and s.overdue])


def detail(*, uow: UnitOfWork, actor: Actor, referral_id: str) -> ReferralDetail:
    """One referral as the reader may see it; reading it and its statement is audited ."""
    case, r = use.load_referral(uow, actor, referral_id, "case.referral.view")
    statements: list[Statement] = []
    has_statement = uow.session.scalar(select(CaseStatement.id).where(CaseStatement.case_id == case.id).limit(1))
    receiving = r.to_agency_id is not None and r.to_agency_id == actor.agency_id
    case_record = cases.record_of(uow, case)
    # The lead agency reads its own statement on the case's page; here, the receiver reads it by the same rule.
    if receiving and has_statement and statement_use.may_read(uow, actor, case, case_record):
        for s in uow.session.scalars(select(CaseStatement).where(CaseStatement.case_id == case.id)
                                     .order_by(CaseStatement.number)):
            statements.append(Statement(s.number, uow.ctx.sealer.open(s.body_sealed, context=STATEMENT_CONTEXT),
                                        s.taken_at, s.language))
            audit.record(uow, actor_id=actor.id, action="case.statement.read", subject_type="case_statement",
                         subject_id=s.public_id, detail={"referral": r.public_id})
    elif receiving and has_statement:
        # Shown as withheld: a refused read, audited like one on the case's page.
        audit.record(uow, actor_id=actor.id, action="case.statement.refused", subject_type="case",
                     subject_id=case.public_id, detail={"agency_id": actor.agency_id, "referral": r.public_id})
    audit.record(uow, actor_id=actor.id, action="case.referral.view", subject_type="case_referral",
                 subject_id=r.public_id)
    summary = _summaries(uow, actor, [(r, case)])[0]
    record = use.referral_record(case, r)
    out = ReferralDetail(
        summary=summary, region_name=regions.name_of(case.region_code), age_band=case.child_age_band,
        priority=case.priority, reason=uow.ctx.sealer.open(r.reason_sealed, context=use.REASON_CONTEXT) or "",
        decline_reason=uow.ctx.sealer.open(r.decline_reason_sealed, context=use.DECLINE_CONTEXT),
        services_delivered=list(r.services_delivered or []), responded_at=r.responded_at,
        delivered_at=r.delivered_at, statements=statements,
        statement_withheld=bool(has_statement) and receiving and not statements,
        package_sha256=r.package_sha256, has_package=r.evidence_referral_id is not None,
        custody=custody(uow, r) if r.kind == "police" else [],
        can_respond=policy.allowed(actor, "case.referral.respond", record),
        can_open_package=r.evidence_referral_id is not None and policy.allowed(actor, "case.referral.package", record),
        can_withdraw=rules.can_move(r.status, "withdraw") and policy.allowed(actor, "case.referral.withdraw",
                                                                            case_record),
        withdrawn_at=r.withdrawn_at,
        withdraw_reason=uow.ctx.sealer.open(r.withdraw_reason_sealed, context=use.WITHDRAW_CONTEXT))
    uow.commit()
    return out


def custody(uow: UnitOfWork, r: CaseReferral) -> list[dict]:
    """The chain of custody of a police referral: every audit entry about it and about its evidence package,
    oldest first (who, what, when; the package's SHA-256 where the entry names it)."""
    conditions = [and_(AuditEntry.subject_type == "case_referral", AuditEntry.subject_id == r.public_id)]
    if r.evidence_referral_id is not None:
        package_id = uow.session.scalar(select(Referral.public_id).where(Referral.id == r.evidence_referral_id))
        conditions.append(and_(AuditEntry.subject_type == "referral", AuditEntry.subject_id == package_id))
    return [{"at": e.at, "actor": name or "system", "action": e.action, "sha256": (e.detail or {}).get("sha256")}
            for e, name in uow.session.execute(
                select(AuditEntry, StaffUser.display_name).outerjoin(StaffUser, StaffUser.id == AuditEntry.actor_id)
                .where(or_(*conditions)).order_by(AuditEntry.id))]


def package(*, uow: UnitOfWork, actor: Actor, referral_id: str) -> dict:
    """The evidence package handed over with a police referral, for the police unit it went to. Audited on the
    referral and on the package (its chain of custody)."""
    _, r = use.load_referral(uow, actor, referral_id, "case.referral.package")
    row = uow.session.get(Referral, r.evidence_referral_id) if r.evidence_referral_id else None
    if row is None or row.package_sealed is None:
        raise NotFound(N_("We could not find this evidence package."))
    data = json.loads(uow.ctx.sealer.open(row.package_sealed, context="referral.package"))
    for subject_type, subject_id in (("case_referral", r.public_id), ("referral", row.public_id)):
        audit.record(uow, actor_id=actor.id, action="case.referral.package", subject_type=subject_type,
                     subject_id=subject_id, detail={"sha256": row.package_sha256})
    uow.commit()
    return data
