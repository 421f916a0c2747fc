"""Who works a case (docs/cases.md "Assignment"): a supervisor assigns a case of their agency to one of its case
workers (or reassigns it); a case worker takes an unassigned case of their agency. Every change is audited with
who had it before and who has it now (ids, never names).

Cases opened automatically or by an analyst's decision start with nobody assigned; a walk-in belongs to the case
worker who opened it. Which cases an actor may assign is the policy's ``case.assign`` (the lead agency's staff);
whether this actor may give it to this person is decided here, in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from safe4c.access.rules.policy import Actor
from safe4c.cases import cases
from safe4c.db.tables import StaffUser
from safe4c.kernel import audit
from safe4c.kernel.errors import Conflict, FieldError, Forbidden, Invalid
from safe4c.kernel.i18n import N_
from safe4c.kernel.uow import UnitOfWork

# Who may be given a case: the staff who work cases of an agency.
ASSIGNABLE_ROLES = ("case_worker", "supervisor")
NOT_STAFF = N_("Choose a case worker of the agency that leads this case.")
TAKEN = N_("This case already has a case worker. Ask your supervisor to reassign it.")
ONLY_SELF = N_("A case worker can only take a case for themselves; a supervisor assigns it to someone else.")


@dataclass(frozen=True)
class Assignable:
    id: int
    name: str
    role: str


def assignable(uow: UnitOfWork, agency_id: int) -> list[Assignable]:
    """The active case workers and supervisors of the agency, by name."""
    return [Assignable(u.id, u.display_name or u.username, u.role) for u in uow.session.scalars(
        select(StaffUser).where(StaffUser.agency_id == agency_id, StaffUser.role.in_(ASSIGNABLE_ROLES),
                                StaffUser.active).order_by(StaffUser.display_name, StaffUser.id))]


def assign(*, uow: UnitOfWork, actor: Actor, case_public_id: str, assignee: str) -> int:
    """Give the case to ``assignee`` (a staff id, or "me"); returns the assignee's id. A case worker may only
    take an unassigned case for themselves; a supervisor may (re)assign to any case worker of the agency."""
    case = cases.load(uow, public_id=case_public_id, actor=actor, action="case.assign", lock=True)
    if case.stage == "closed":
        raise Conflict(N_("This case is closed."))
    target_id = actor.id if (assignee or "").strip() == "me" else _int(assignee)
    target = uow.session.get(StaffUser, target_id) if target_id else None
    if target is None or not target.active or target.agency_id != case.agency_id \
            or target.role not in ASSIGNABLE_ROLES:
        raise Invalid([FieldError("assignee", NOT_STAFF)])
    if actor.role != "supervisor":
        if target.id != actor.id:
            raise Forbidden(ONLY_SELF)
        if case.assigned_to is not None and case.assigned_to != actor.id:
            raise Conflict(TAKEN)
    before = case.assigned_to
    if before == target.id:
        return target.id  # nothing changes, nothing to audit
    case.assigned_to, case.updated_at = target.id, uow.now()
    audit.record(uow, actor_id=actor.id, action="case.assign" if before is None else "case.reassign",
                 subject_type="case", subject_id=case.public_id, detail={"from": before, "to": target.id})
    uow.commit()
    return target.id


def _int(value: str) -> int | None:
    try:
        number = int((value or "").strip())
    except ValueError:
        return None
    return number if number > 0 else None
