"""The child's statement, told once (docs/cases.md "Tell it once"), and the notes agencies add beside it.

Recording: sealed, with who took it, for which agency and when; the first is number 1, and a second needs a
stated reason (sealed too). Reading: ``may_read`` is the one rule, for the case page and a referral's page alike
(the policy's ``case.statement.read`` and ``rules/consent.may_read_statement``, decided in the reading
transaction, so a withdrawal is effective for the next read), every read audited, notes included. An analyst or administrator never reads either (access/rules/policy.py).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import exists, func, select

from safe4c.access.rules import policy
from safe4c.access.rules.policy import Actor
from safe4c.cases import cases, consent, texts
from safe4c.cases.rules import consent as consent_rules
from safe4c.db.cases import Agency, Case, CaseNote, CaseReferral, CaseStatement
from safe4c.db.tables import StaffUser
from safe4c.kernel import audit
from safe4c.kernel.errors import FieldError, Forbidden, Invalid
from safe4c.kernel.i18n import N_
from safe4c.kernel.uow import UnitOfWork

MAX_STATEMENT = 20000
LANGUAGES = ("id", "en")
NOT_COVERED = N_("The child's consent does not let your agency read the statement.")
# Sealing contexts: a sealed value opens only with the context it was sealed with (kernel/crypto), so every
# reader of the statement (the case page here, a referral's receiver in referral_views.py) uses these.
BODY_CONTEXT, REASON_CONTEXT = "case.statement", "case.statement.reason"


def count(uow: UnitOfWork, case_id: int) -> int:
    return uow.session.scalar(select(func.count()).select_from(CaseStatement).where(CaseStatement.case_id == case_id))


def record_statement(*, uow: UnitOfWork, actor: Actor, case_public_id: str, body: str, language: str,
                     reason: str = "") -> int:
    """Record the statement; returns its number (1 for the first)."""
    case = cases.load(uow, public_id=case_public_id, actor=actor, action="case.statement.record", lock=True)
    body, reason = (body or "").strip(), (reason or "").strip()
    number = count(uow, case.id) + 1
    errors = []
    if not body:
        errors.append(FieldError("body", N_("Write down what the child said.")))
    elif len(body) > MAX_STATEMENT:
        errors.append(FieldError("body", texts.TOO_LONG, {"max": MAX_STATEMENT}))
    if number > 1 and not reason:
        errors.append(FieldError("reason", N_("The child has already told their story once. Say why it must be "
                                              "told again, or add a note beside the first statement instead.")))
    if language not in LANGUAGES:
        errors.append(FieldError("language", N_("This choice is not one of the allowed options.")))
    if errors:
        raise Invalid(errors)
    row = CaseStatement(public_id=str(uuid.uuid4()), case_id=case.id, number=number,
                        body_sealed=uow.ctx.sealer.seal(body, context=BODY_CONTEXT), language=language,
                        taken_by=actor.id, taken_by_agency_id=actor.agency_id, taken_at=uow.now(),
                        reason_sealed=uow.ctx.sealer.seal(reason or None, context=REASON_CONTEXT))
    uow.session.add(row)
    case.updated_at = uow.now()
    audit.record(uow, actor_id=actor.id, action="case.statement.record", subject_type="case",
                 subject_id=case.public_id, detail={"number": number, "statement": row.public_id})
    uow.commit()
    return number


def reader_of(uow: UnitOfWork, actor: Actor, case: Case) -> consent_rules.Reader:
    """The actor's agency as the consent rule reads it: the lead, or a police unit with a live police referral of
    this case (a declined or withdrawn one gives nothing)."""
    if actor.agency_id is None:
        return consent_rules.Reader(None)
    agency = uow.session.get(Agency, actor.agency_id)
    police = uow.session.scalar(select(exists().where(
        CaseReferral.case_id == case.id, CaseReferral.kind == "police", CaseReferral.to_agency_id == actor.agency_id,
        CaseReferral.status.in_(cases.LIVE_REFERRALS))))
    return consent_rules.Reader(agency.id, agency.code, agency.agency_type, is_lead=agency.id == case.agency_id,
                                police_referral=bool(police))


def may_read(uow: UnitOfWork, actor: Actor, case: Case, record: dict | None = None) -> bool:
    """Who reads a case's statement, on every page that shows it or says whether it may (the case page, the
    caseload's flag, a referral's page for its receiver): the policy's ``case.statement.read`` on the case's
    record (``record``, else ``cases.record_of``: only live referrals count) and the consent rule
    (``rules/consent.may_read_statement``) for the actor's agency, decided against the consent as it is now."""
    record = record if record is not None else cases.record_of(uow, case)
    if not policy.allowed(actor, "case.statement.read", record):
        return False
    return consent_rules.may_read_statement(consent.as_rule(consent.current(uow, case.id)), reader_of(uow, actor, case))


def _readable_notes(uow: UnitOfWork, actor: Actor, case: Case):
    """The notes this reader may see beside the statement (the consent may withhold notes from an agency)."""
    rule, reader = consent.as_rule(consent.current(uow, case.id)), reader_of(uow, actor, case)
    return [n for n in uow.session.scalars(select(CaseNote).where(CaseNote.case_id == case.id).order_by(CaseNote.id))
            if consent_rules.may_read_note(rule, reader, n.agency_id)]


@dataclass(frozen=True)
class Told:
    number: int
    body: str
    language: str
    taken_by: str
    agency: str
    taken_at: datetime
    reason: str | None


@dataclass(frozen=True)
class Note:
    id: int
    statement_number: int | None
    body: str
    author: str
    agency: str
    at: datetime
    sensitive: bool


@dataclass(frozen=True)
class Reading:
    statements: list[Told]
    notes: list[Note]


def read_statement(*, uow: UnitOfWork, actor: Actor, case_public_id: str) -> Reading:
    """The statements and the notes beside them, for an agency the consent covers; the read is audited."""
    case, record = cases.load_with_record(uow, public_id=case_public_id, actor=actor, action="case.statement.read")
    if not may_read(uow, actor, case, record):
        audit.record(uow, actor_id=actor.id, action="case.statement.refused", subject_type="case",
                     subject_id=case.public_id, detail={"agency_id": actor.agency_id})
        uow.commit()
        raise Forbidden(NOT_COVERED)
    sealer = uow.ctx.sealer
    names = dict(uow.session.execute(select(StaffUser.id, StaffUser.display_name)).all())
    agencies = dict(uow.session.execute(select(Agency.id, Agency.name)).all())
    rows = list(uow.session.scalars(select(CaseStatement).where(CaseStatement.case_id == case.id)
                                    .order_by(CaseStatement.number)))
    numbers = {r.id: r.number for r in rows}
    told = [Told(r.number, sealer.open(r.body_sealed, context=BODY_CONTEXT), r.language,
                 names.get(r.taken_by, "?"), agencies.get(r.taken_by_agency_id, "?"), r.taken_at,
                 sealer.open(r.reason_sealed, context=REASON_CONTEXT)) for r in rows]
    notes = [Note(n.id, numbers.get(n.statement_id), sealer.open(n.body_sealed, context="case.note"),
                  names.get(n.author_id, "?"), agencies.get(n.agency_id, "?"), n.at, n.sensitive)
             for n in _readable_notes(uow, actor, case)]
    audit.record(uow, actor_id=actor.id, action="case.statement.read", subject_type="case", subject_id=case.public_id,
                 detail={"agency_id": actor.agency_id, "statements": len(told), "notes": len(notes)})
    uow.commit()
    return Reading(told, notes)


def add_note(*, uow: UnitOfWork, actor: Actor, case_public_id: str, body: str, sensitive: bool = True) -> None:
    """A note beside the (newest) statement, or on the case when there is none yet."""
    case = cases.load(uow, public_id=case_public_id, actor=actor, action="case.note.add")
    body = texts.text(body, field="note", max_length=texts.NOTE_MAX, required=N_("Write the note."))
    if actor.agency_id is None:
        raise Invalid([FieldError("note", cases.NEEDS_AGENCY)])
    statement = uow.session.scalar(select(CaseStatement.id).where(CaseStatement.case_id == case.id)
                                   .order_by(CaseStatement.number.desc()).limit(1))
    uow.session.add(CaseNote(case_id=case.id, statement_id=statement, agency_id=actor.agency_id, author_id=actor.id,
                             at=uow.now(), sensitive=sensitive,
                             body_sealed=uow.ctx.sealer.seal(body, context="case.note")))
    audit.record(uow, actor_id=actor.id, action="case.note.add", subject_type="case", subject_id=case.public_id,
                 detail={"sensitive": sensitive})
    uow.commit()
