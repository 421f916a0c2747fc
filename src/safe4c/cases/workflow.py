"""Moving a case along its workflow (docs/cases.md "Workflow"; the table in ``rules/workflow.py``).

Each step is dated (opened, due, done, by whom); completing one may move the stage and open the next step with
its due date from the settings and the unit of work's clock. The assessment records codes (risks, needs,
safety now) in the step's detail and the worker's words sealed. A case worker asks to close; a supervisor of
the lead agency approves (the case is closed and its open steps cancelled) or returns it with a reason.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from safe4c.access.rules.policy import Actor
from safe4c.cases import cases, texts
from safe4c.cases.rules import workflow as rules
from safe4c.db.cases import Case, CaseStep
from safe4c.kernel import audit
from safe4c.kernel.errors import Conflict, FieldError, Invalid, NotFound
from safe4c.kernel.i18n import N_
from safe4c.kernel.uow import UnitOfWork

CLOSED = N_("This case is closed.")


def _note(text: str, field: str = "note") -> str | None:
    return texts.text(text, field=field, max_length=texts.NOTE_MAX) or None


def _open_case(uow: UnitOfWork, actor: Actor, public_id: str, action: str = "case.update") -> Case:
    case = cases.load(uow, public_id=public_id, actor=actor, action=action, lock=True)
    if case.stage == "closed":
        raise Conflict(CLOSED)
    return case


def complete_step(*, uow: UnitOfWork, actor: Actor, case_public_id: str, step_id: int, note: str = "",
                  risks: list[str] = (), needs: list[str] = (), safety: str = "") -> str:
    """Mark an open step done; returns the case's stage afterwards."""
    case = _open_case(uow, actor, case_public_id)
    step = uow.session.scalar(select(CaseStep).where(CaseStep.id == step_id, CaseStep.case_id == case.id))
    if step is None:
        raise NotFound(N_("We could not find this step."))
    if step.status != "open":
        raise Conflict(N_("This step is already done."))
    note = _note(note)
    detail: dict = {}
    if step.kind == "assessment":
        unknown = set(risks) - set(rules.RISKS) or set(needs) - set(rules.NEEDS)
        errors = [FieldError("risks", N_("This choice is not one of the allowed options."))] if unknown else []
        if safety not in rules.SAFETY:
            errors.append(FieldError("safety", N_("Say whether the child is safe now.")))
        if errors:
            raise Invalid(errors)
        detail = {"risks": rules.valid_codes(risks, rules.RISKS), "needs": rules.valid_codes(needs, rules.NEEDS),
                  "safety": safety}
    elif step.kind == "case_plan":
        if set(needs) - set(rules.NEEDS):
            raise Invalid([FieldError("needs", N_("This choice is not one of the allowed options."))])
        detail = {"services": rules.valid_codes(needs, rules.NEEDS)}
    now = uow.now()
    step.status, step.done_at, step.done_by, step.detail = "done", now, actor.id, detail
    step.note_sealed = uow.ctx.sealer.seal(note, context="case.step.note")
    if step.kind == "first_contact" and case.first_contact_at is None:
        case.first_contact_at = now
    move = rules.after_done(case.stage, step.kind)
    case.stage, case.updated_at = move.stage, now
    if move.open_next:
        cases.open_step(uow, case, move.open_next)
    audit.record(uow, actor_id=actor.id, action="case.step.done", subject_type="case", subject_id=case.public_id,
                 detail={"step": step.id, "kind": step.kind, "stage": case.stage, **detail})
    uow.commit()
    return case.stage


def add_follow_up(*, uow: UnitOfWork, actor: Actor, case_public_id: str, days: str = "") -> None:
    """A follow-up step, due in ``days`` (default: the setting for follow-ups)."""
    case = _open_case(uow, actor, case_public_id)
    if days.strip():
        try:
            wait = float(days)
        except ValueError:
            wait = -1
        if not 0 < wait <= 365:
            raise Invalid([FieldError("days", N_("Give a number of days from 1 to 365."))])
    else:
        wait = uow.settings.case_step_days["follow_up"]
    step = cases.open_step(uow, case, "follow_up")
    step.due_at = uow.now() + timedelta(days=wait)
    case.updated_at = uow.now()
    uow.session.flush()
    audit.record(uow, actor_id=actor.id, action="case.step.open", subject_type="case", subject_id=case.public_id,
                 detail={"step": step.id, "kind": "follow_up"})
    uow.commit()


def request_closure(*, uow: UnitOfWork, actor: Actor, case_public_id: str, note: str) -> None:
    case = _open_case(uow, actor, case_public_id)
    note = _note(note)
    if not rules.can_request_closure(case.stage):
        raise Conflict(N_("A case can be closed only after its plan is made (services or follow-up stage)."))
    if not note:
        raise Invalid([FieldError("note", N_("Say why the case can be closed."))])
    case.stage, case.closure_requested_by, case.updated_at = "closure_requested", actor.id, uow.now()
    step = cases.open_step(uow, case, "closure")
    step.note_sealed = uow.ctx.sealer.seal(note, context="case.step.note")
    uow.session.flush()
    audit.record(uow, actor_id=actor.id, action="case.closure.request", subject_type="case",
                 subject_id=case.public_id, detail={"step": step.id})
    uow.commit()


def decide_closure(*, uow: UnitOfWork, actor: Actor, case_public_id: str, approve: bool, note: str = "") -> str:
    """A supervisor of the lead agency approves (closed) or returns (back to follow-up) a closure request."""
    case = _open_case(uow, actor, case_public_id, action="case.close.approve")
    note = _note(note)
    if case.stage != "closure_requested":
        raise Conflict(N_("Nobody has asked to close this case."))
    if not approve and not note:
        raise Invalid([FieldError("note", N_("Say why the case is not ready to close."))])
    now = uow.now()
    review = uow.session.scalar(select(CaseStep).where(CaseStep.case_id == case.id, CaseStep.kind == "closure",
                                                       CaseStep.status == "open"))
    if review is not None:
        review.status, review.done_at, review.done_by = ("done" if approve else "cancelled"), now, actor.id
        review.detail = {"approved": approve}
        if note:
            review.note_sealed = uow.ctx.sealer.seal(note, context="case.step.note")
    if approve:
        uow.session.flush()  # the review is done, not among the steps left open
        for step in uow.session.scalars(select(CaseStep).where(CaseStep.case_id == case.id,
                                                              CaseStep.status == "open")):
            step.status = "cancelled"
        case.stage, case.closed_at, case.closed_by = "closed", now, actor.id
    else:
        case.stage, case.closure_requested_by = "follow_up", None
    case.updated_at = now
    audit.record(uow, actor_id=actor.id, action="case.closure.approve" if approve else "case.closure.return",
                 subject_type="case", subject_id=case.public_id, detail={})
    uow.commit()
    return case.stage
