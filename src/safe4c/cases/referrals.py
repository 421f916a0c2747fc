"""Referrals of a case (docs/cases.md, *Referrals*): the lead agency refers a case to a provider (an agency, or
an organisation of the service directory) or to a police unit; the receiving agency accepts or declines with a
reason, then records the services delivered; the worker reminds and marks overdue (``check_referral``).

A referral carries only what the consent in force allows when it is sent (``shares_statement``), and what the
receiver reads is decided again at each read by the case's one rule (cases/statements.py ``may_read``, the same
on the case page and the referral's page), so a withdrawal hides the statement at once. A police referral hands over the evidence package an analyst made (``referrals``, workspace/decisions.py
``refer_police``): its SHA-256 is copied onto the case referral and the handover is audited on the package, so
it joins the package's chain of custody. Who may do what to which referral: access/rules/policy.py
(``case.referral.*``) with the records built here, checked by the case's one access check (cases/cases.py
``load`` and ``check``).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import desc, or_, select

from safe4c.access.rules.policy import Actor
from safe4c.cases import cases, texts
from safe4c.cases.rules import referrals as rules
from safe4c.db.cases import Agency, Case, CaseConsent, CaseReferral
from safe4c.db.directory import DirectoryOrganization
from safe4c.db.linking import ClusterMember, Referral
from safe4c.directory.rules.types import SERVICE_TYPES
from safe4c.kernel import audit, jobs
from safe4c.kernel.errors import Conflict, FieldError, Invalid, NotFound
from safe4c.kernel.i18n import N_
from safe4c.kernel.uow import UnitOfWork

CHECK_JOB = "case.referral.check"
NOT_FOUND = N_("We could not find this referral.")
NOT_YOURS = N_("Only the agency the referral was sent to can answer it.")
REASON_CONTEXT, DECLINE_CONTEXT = "case_referral.reason", "case_referral.decline_reason"
WITHDRAW_CONTEXT = "case_referral.withdraw_reason"


@dataclass(frozen=True)
class ReferralInput:
    kind: str  # services, police
    to_agency_id: int | None = None
    to_organization_id: int | None = None
    service_type: str | None = None
    reason: str = ""
    extra: dict = field(default_factory=dict)


# --- records for the policy: the same fields decide one referral and a list -------------------------------

def responder(case: Case, referral: CaseReferral) -> int:
    """The agency that answers a referral: the receiving agency; for a directory organisation that has no
    agency in safe4c, the lead agency records the provider's answer (it asked them by phone or letter)."""
    return referral.to_agency_id if referral.to_agency_id is not None else case.agency_id


def referral_record(case: Case, referral: CaseReferral) -> dict:
    """One referral as the policy reads it. A withdrawn referral is the sender's alone: its receiver loses it,
    and with it the case, at once."""
    to = referral.to_agency_id if referral.status != "withdrawn" else None
    answering = responder(case, referral) if to is not None or referral.to_agency_id is None else case.agency_id
    return {"agency_id": answering, "agencies": {case.agency_id, *([to] if to else [])},
            "police_agencies": {to} if referral.kind == "police" and to else set()}


def load_referral(uow: UnitOfWork, actor: Actor, public_id: str, action: str) -> tuple[Case, CaseReferral]:
    """The referral and its case, if ``actor`` may see it (else 404: not even its existence is confirmed) and
    may do ``action`` to it (else 403): the case's one access check (``cases.check``) with the referral's record."""
    referral = uow.session.scalar(select(CaseReferral).where(CaseReferral.public_id == public_id))
    case = uow.session.get(Case, referral.case_id) if referral is not None else None
    if case is None:
        raise NotFound(NOT_FOUND)
    record = referral_record(case, referral)
    cases.check(actor, "case.referral.view", record, seen_with="case.referral.view", not_found=NOT_FOUND)
    cases.check(actor, action, record, seen_with="case.referral.view", refused=NOT_YOURS, not_found=NOT_FOUND)
    return case, referral


def consents_of(uow: UnitOfWork, case_id: int) -> list[dict]:
    rows = uow.session.scalars(select(CaseConsent).where(CaseConsent.case_id == case_id))
    return [{"id": c.id, "recorded_at": c.recorded_at, "withdrawn_at": c.withdrawn_at, "services": c.services,
             "share_statement": c.share_statement, "police": c.police, "share_with": c.share_with or [],
             "withheld": c.withheld or [], "legal_basis": c.legal_basis} for c in rows]


# --- sending ----------------------------------------------------------------------------------------------

def _target(uow: UnitOfWork, data: ReferralInput) -> tuple[Agency | None, DirectoryOrganization | None]:
    errors = []
    agency = uow.session.get(Agency, data.to_agency_id) if data.to_agency_id else None
    org = uow.session.get(DirectoryOrganization, data.to_organization_id) if data.to_organization_id else None
    if (agency is None) == (org is None) or (agency is not None and not agency.active):
        errors.append(FieldError("to", N_("Choose one provider: an agency or an organisation of the directory.")))
    if data.kind not in rules.KINDS:
        errors.append(FieldError("kind", N_("Choose a referral for services or to the police.")))
    elif data.kind == "services" and data.service_type not in SERVICE_TYPES:
        errors.append(FieldError("service_type", N_("Choose the service the child needs.")))
    found = texts.problem(data.reason, field="reason", max_length=texts.REASON_MAX,
                          required=N_("Say why the child is referred, so the provider knows what to do."))
    if found is not None:
        errors.append(found)
    if errors:
        raise Invalid(errors)
    if org is not None:  # an organisation that has an agency in safe4c: that agency answers
        agency = uow.session.scalar(select(Agency).where(Agency.organization_id == org.id, Agency.active))
    police_target = (agency is not None and agency.agency_type == rules.POLICE_AGENCY_TYPE) or (
        org is not None and org.org_type == rules.POLICE_AGENCY_TYPE)
    if data.kind == "police" and (agency is None or agency.agency_type != rules.POLICE_AGENCY_TYPE):
        raise Invalid([FieldError("to", rules.NOT_POLICE)])
    if data.kind == "services" and police_target:
        raise Invalid([FieldError("kind", rules.POLICE_ONLY)])
    return agency, org


def _evidence_package(uow: UnitOfWork, case: Case) -> Referral | None:
    """The newest evidence package an analyst made for the case's report or its network."""
    if case.report_id is None:
        return None
    cluster = uow.session.scalar(select(ClusterMember.cluster_id).where(ClusterMember.report_id == case.report_id))
    about = Referral.report_id == case.report_id
    if cluster is not None:
        about = or_(about, Referral.cluster_id == cluster)
    return uow.session.scalar(select(Referral).where(Referral.kind == "police", Referral.package_sealed.is_not(None),
                                                     about).order_by(desc(Referral.created_at), desc(Referral.id)))


def send(*, uow: UnitOfWork, actor: Actor, case_public_id: str, data: ReferralInput) -> str:
    """Refer a case; returns the referral's public id. One transaction: the referral, its audit entries, the
    handover of the package and the worker's first reminder check."""
    case = cases.load(uow, public_id=case_public_id, actor=actor, action="case.referral.send",
                      seen_with="case.referral.view", refused=N_("Only the agency that leads the case refers it."))
    if case.closed_at is not None:
        raise Conflict(N_("This case is closed: it cannot be referred."))
    agency, org = _target(uow, data)
    consents = consents_of(uow, case.id)
    ground = None
    if data.kind == "police":
        ground = rules.police_ground(consents)
        if ground is None:
            raise Invalid([FieldError("kind", rules.NO_POLICE_GROUND)])
    elif not rules.may_refer_for_services(rules.current(consents)):
        raise Invalid([FieldError("kind", rules.NO_CONSENT)])
    now = uow.now()
    due = rules.respond_by(now, hours=uow.settings.case_referral_respond_hours)
    row = CaseReferral(public_id=str(uuid.uuid4()), case_id=case.id, kind=data.kind,
                       to_agency_id=agency.id if agency else None, to_organization_id=org.id if org else None,
                       service_type=data.service_type if data.kind == "services" else "police_protection",
                       shares_statement=False, status="sent", sent_by=actor.id, sent_at=now, respond_by=due,
                       services_delivered=[], updated_at=now,
                       reason_sealed=uow.ctx.sealer.seal(data.reason.strip(), context=REASON_CONTEXT))
    code, agency_type = (agency.code, agency.agency_type) if agency else (f"org:{org.hsds_id}", org.org_type)
    # What the consent lets the receiver read as the referral leaves (shown on the referral; each read decides
    # again: statements.may_read).
    row.shares_statement = rules.may_share_statement(rules.current(consents), agency_code=code,
                                                     agency_type=agency_type, police=data.kind == "police")
    package = _evidence_package(uow, case) if data.kind == "police" else None
    if package is not None:
        row.evidence_referral_id, row.package_sha256 = package.id, package.package_sha256
    uow.session.add(row)
    uow.session.flush()
    audit.record(uow, actor_id=actor.id, action="case.referral.send", subject_type="case_referral",
                 subject_id=row.public_id, detail={"case": case.public_id, "kind": data.kind,
                                                   "to_agency": row.to_agency_id, "to_organization": row.to_organization_id,
                                                   "service_type": row.service_type,
                                                   "shares_statement": row.shares_statement, "ground": ground,
                                                   "sha256": row.package_sha256})
    if package is not None:
        # The chain of custody of the package (workspace/evidence.py reads every entry about it): who handed it
        # over, when, to which unit, and the SHA-256 of what was handed over.
        package.status = "handed_over"
        audit.record(uow, actor_id=actor.id, action="referral.handover", subject_type="referral",
                     subject_id=package.public_id, detail={"to_agency": row.to_agency_id, "sha256": row.package_sha256,
                                                           "case_referral": row.public_id})
    _schedule(uow, row, now)
    uow.commit()
    return row.public_id


def _schedule(uow: UnitOfWork, row: CaseReferral, now) -> None:
    follow = rules.follow_up(status=row.status, due=row.respond_by, reminded=row.reminded_at is not None,
                             overdue=row.overdue_at is not None, now=now,
                             before_hours=uow.settings.case_referral_reminder_hours)
    if follow.next_check is not None:
        jobs.enqueue(uow, CHECK_JOB, {"referral_id": row.id}, delay=max(follow.next_check - now, timedelta(0)))


# --- answering --------------------------------------------------------------------------------------------

def _move(uow: UnitOfWork, actor: Actor, public_id: str, move: str) -> tuple[Case, CaseReferral]:
    case, referral = load_referral(uow, actor, public_id, "case.referral.respond")
    if not rules.can_move(referral.status, move):
        raise Conflict(rules.WRONG_STATE)
    return case, referral


def accept(*, uow: UnitOfWork, actor: Actor, referral_id: str) -> None:
    _, referral = _move(uow, actor, referral_id, "accept")
    referral.status, referral.responded_at, referral.responded_by = "accepted", uow.now(), actor.id
    referral.updated_at = uow.now()
    audit.record(uow, actor_id=actor.id, action="case.referral.accept", subject_type="case_referral",
                 subject_id=referral.public_id)
    uow.commit()


def decline(*, uow: UnitOfWork, actor: Actor, referral_id: str, reason: str) -> None:
    reason = texts.text(reason, field="reason", max_length=texts.REASON_MAX, required=rules.NEED_REASON)
    _, referral = _move(uow, actor, referral_id, "decline")
    referral.status, referral.responded_at, referral.responded_by = "declined", uow.now(), actor.id
    referral.updated_at = uow.now()
    referral.decline_reason_sealed = uow.ctx.sealer.seal(reason, context=DECLINE_CONTEXT)
    audit.record(uow, actor_id=actor.id, action="case.referral.decline", subject_type="case_referral",
                 subject_id=referral.public_id)
    uow.commit()


def deliver(*, uow: UnitOfWork, actor: Actor, referral_id: str, services: list[str]) -> None:
    chosen = sorted({s for s in services if s in SERVICE_TYPES})
    if not chosen or len(chosen) != len(set(services)):
        raise Invalid([FieldError("services", rules.NEED_SERVICES)])
    _, referral = _move(uow, actor, referral_id, "deliver")
    referral.status, referral.delivered_at, referral.services_delivered = "delivered", uow.now(), chosen
    referral.updated_at = uow.now()
    audit.record(uow, actor_id=actor.id, action="case.referral.deliver", subject_type="case_referral",
                 subject_id=referral.public_id, detail={"services": chosen})
    uow.commit()


def withdraw(*, uow: UnitOfWork, actor: Actor, referral_id: str, reason: str) -> None:
    """The sending agency takes a referral back (sent or accepted), with a reason (sealed). From this
    transaction on the receiver reaches neither the referral, nor the case, nor the statement."""
    reason = texts.text(reason, field="reason", max_length=texts.REASON_MAX,
                        required=N_("Say why the referral is withdrawn, so the provider knows."))
    case, referral = load_referral(uow, actor, referral_id, "case.referral.view")
    cases.check(actor, "case.referral.withdraw", cases.record_of(uow, case), seen_with="case.referral.view",
                refused=N_("Only the agency that sent the referral can withdraw it."))
    if not rules.can_move(referral.status, "withdraw"):
        raise Conflict(rules.CANNOT_WITHDRAW)
    before = referral.status
    referral.status, referral.withdrawn_at, referral.withdrawn_by = "withdrawn", uow.now(), actor.id
    referral.updated_at = referral.withdrawn_at  # the statistics refresh sees the change
    referral.withdraw_reason_sealed = uow.ctx.sealer.seal(reason, context=WITHDRAW_CONTEXT)
    audit.record(uow, actor_id=actor.id, action="case.referral.withdraw", subject_type="case_referral",
                 subject_id=referral.public_id, detail={"case": case.public_id, "from_status": before,
                                                        "to_agency": referral.to_agency_id})
    uow.commit()


# --- the worker: reminder and overdue ---------------------------------------------------------------------

def check_referral(*, uow: UnitOfWork, referral_id: int) -> None:
    """A job: remind the receiving agency before the deadline, mark the referral overdue after it, and look
    again when the next mark is due. Idempotent (a mark is made once), so a repeated job does no harm."""
    row = uow.session.get(CaseReferral, referral_id)
    if row is None:
        return
    now = uow.now()
    follow = rules.follow_up(status=row.status, due=row.respond_by, reminded=row.reminded_at is not None,
                             overdue=row.overdue_at is not None, now=now,
                             before_hours=uow.settings.case_referral_reminder_hours)
    if follow.remind:
        row.reminded_at = row.updated_at = now
        audit.record(uow, actor_id=None, action="case.referral.remind", subject_type="case_referral",
                     subject_id=row.public_id, detail={"to_agency": row.to_agency_id})
    if follow.overdue:
        row.overdue_at = row.updated_at = now
        audit.record(uow, actor_id=None, action="case.referral.overdue", subject_type="case_referral",
                     subject_id=row.public_id, detail={"to_agency": row.to_agency_id})
    if follow.next_check is not None:
        jobs.enqueue(uow, CHECK_JOB, {"referral_id": row.id}, delay=max(follow.next_check - now, timedelta(0)))
    uow.commit()
