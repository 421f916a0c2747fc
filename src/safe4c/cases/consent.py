"""Recording and withdrawing a case's consent (docs/cases.md "Consent"; the rules in ``rules/consent.py``).

A change is a new row; a withdrawal marks every row of the case withdrawn, so no older consent comes back, and
takes effect at once: every read of the statement decides against ``current`` as it is in that transaction.
"""

from __future__ import annotations

from sqlalchemy import select

from safe4c.access.rules.policy import Actor
from safe4c.cases import cases, texts
from safe4c.cases.rules import consent as rules
from safe4c.db.cases import Agency, CaseConsent
from safe4c.kernel import audit
from safe4c.kernel.errors import FieldError, Invalid
from safe4c.kernel.i18n import N_
from safe4c.kernel.uow import UnitOfWork

def current(uow: UnitOfWork, case_id: int) -> CaseConsent | None:
    return uow.session.scalar(select(CaseConsent).where(CaseConsent.case_id == case_id,
                                                        CaseConsent.withdrawn_at.is_(None))
                              .order_by(CaseConsent.id.desc()).limit(1))


def as_rule(row: CaseConsent | None) -> rules.Consent | None:
    if row is None:
        return None
    return rules.Consent(share_statement=row.share_statement, police=row.police, services=row.services,
                         legal_basis=row.legal_basis, share_with=frozenset(row.share_with),
                         withheld=frozenset((w["from"], w["what"]) for w in row.withheld))


# How a consent names every agency of a type (msgids apart from the agency type labels of cases/rules/agencies.py).
TYPE_TARGETS = {
    "uptd_ppa": N_("Every UPTD PPA"), "social_service": N_("Every social service"),
    "health": N_("Every health service"), "legal_aid": N_("Every legal aid provider"),
    "police_unit": N_("Every police unit"), "psychosocial": N_("Every psychosocial provider"),
    "hotline": N_("Every hotline"), "ministry": N_("Every ministry office"),
}


def targets(uow: UnitOfWork) -> dict[str, str]:
    """What consent can name: each agency type there is (``type:<type>`` -> a msgid) and each agency's code (->
    its name)."""
    rows = uow.session.execute(select(Agency.code, Agency.name, Agency.agency_type).where(Agency.active.is_(True))
                               .order_by(Agency.name)).all()
    return {**{rules.TYPE_PREFIX + t: TYPE_TARGETS.get(t, t) for t in sorted({t for _, _, t in rows})},
            **{code: name for code, name, _ in rows}}


def record_consent(*, uow: UnitOfWork, actor: Actor, case_public_id: str, given: rules.ConsentInput) -> None:
    case = cases.load(uow, public_id=case_public_id, actor=actor, action="case.consent.manage", lock=True)
    found = rules.problems(given, age_band=case.child_age_band,
                           guardian_below_age=uow.settings.case_guardian_consent_below_age,
                           known_targets=set(targets(uow)))
    errors = [FieldError(name, message) for name, message in found]
    too_long = texts.problem(given.withheld_reason, field="withheld_reason", max_length=texts.REASON_MAX)
    if too_long is not None:
        errors.append(too_long)
    if errors:
        raise Invalid(errors)
    row = CaseConsent(case_id=case.id, child_assent=given.child_assent, guardian_consent=given.guardian_consent,
                      services=given.services, share_statement=given.share_statement, police=given.police,
                      statistics=given.statistics, share_with=sorted(set(given.share_with)),
                      withheld=[{"from": who, "what": what} for who, what in sorted(set(given.withheld))],
                      withheld_reason_sealed=uow.ctx.sealer.seal(given.withheld_reason.strip() or None,
                                                                 context="case.consent.withheld_reason"),
                      legal_basis=given.legal_basis, recorded_by=actor.id, recorded_at=uow.now(),
                      withdrawn_at=None, withdrawn_by=None, withdrawal_reason_sealed=None)
    uow.session.add(row)
    case.updated_at = uow.now()
    audit.record(uow, actor_id=actor.id, action="case.consent.record", subject_type="case",
                 subject_id=case.public_id,
                 detail={"legal_basis": given.legal_basis, "services": given.services,
                         "share_statement": given.share_statement, "police": given.police,
                         "statistics": given.statistics, "share_with": sorted(set(given.share_with)),
                         "withheld": len(given.withheld)})
    uow.commit()


def withdraw_consent(*, uow: UnitOfWork, actor: Actor, case_public_id: str, reason: str) -> int:
    """Withdraw the case's consent now; returns how many records were withdrawn (0: there was none)."""
    case = cases.load(uow, public_id=case_public_id, actor=actor, action="case.consent.manage", lock=True)
    reason = texts.text(reason, field="reason", max_length=texts.REASON_MAX)
    rows = list(uow.session.scalars(select(CaseConsent).where(CaseConsent.case_id == case.id,
                                                              CaseConsent.withdrawn_at.is_(None))))
    if not rows:
        raise Invalid([FieldError("reason", N_("There is no consent to withdraw."))])
    now = uow.now()
    for row in rows:
        row.withdrawn_at, row.withdrawn_by = now, actor.id
        row.withdrawal_reason_sealed = uow.ctx.sealer.seal(reason or None, context="case.consent.withdrawal")
    case.updated_at = now
    audit.record(uow, actor_id=actor.id, action="case.consent.withdraw", subject_type="case",
                 subject_id=case.public_id, detail={"records": len(rows)})
    uow.commit()
    return len(rows)


def history(uow: UnitOfWork, case_id: int) -> list[CaseConsent]:
    return list(uow.session.scalars(select(CaseConsent).where(CaseConsent.case_id == case_id)
                                    .order_by(CaseConsent.id.desc())))
