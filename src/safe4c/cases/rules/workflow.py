"""The stages of a case and the steps that move it on (docs/cases.md "Workflow").

registration -> assessment -> case_plan -> services -> follow_up -> closure_requested -> closed

A case opens in ``registration`` with two open steps: the first contact (its deadline is the one that matters
most) and the assessment. Completing a step may move the stage and open the next step; the table below says
which. Closure is requested by a case worker and approved (or returned) by a supervisor of the lead agency.
"""

from __future__ import annotations

from dataclasses import dataclass

from safe4c.kernel.i18n import N_

STAGES: dict[str, str] = {
    "registration": N_("Registration"),
    "assessment": N_("Assessment"),
    "case_plan": N_("Case plan"),
    "services": N_("Services and referrals"),
    "follow_up": N_("Follow-up"),
    "closure_requested": N_("Closure requested"),
    "closed": N_("Closed"),
}
STEP_KINDS: dict[str, str] = {
    "first_contact": N_("First contact with the child"),
    "assessment": N_("Assessment of risks and needs"),
    "case_plan": N_("Case plan"),
    "service": N_("Service"),
    "follow_up": N_("Follow-up"),
    "closure": N_("Closure review by a supervisor"),
}
STEP_STATUSES = ("open", "done", "cancelled")
ORIGINS: dict[str, str] = {"report": N_("From a report (analyst)"), "auto": N_("From a report (automatic)"),
                           "walk_in": N_("Walk-in"), "hotline": N_("SAPA 129 call")}

# Codes an assessment records (``case_steps.detail``); the worker's words go in the sealed note.
RISKS: dict[str, str] = {
    "danger_now": N_("In danger now"),
    "offender_has_access": N_("The offender can still reach the child"),
    "threats_or_extortion": N_("Threats or extortion continue"),
    "content_still_online": N_("Content still online"),
    "self_harm": N_("Risk of self-harm"),
    "unsafe_home": N_("Home is not safe"),
}
NEEDS: dict[str, str] = {
    "psychosocial": N_("Psychosocial support"),
    "health": N_("Health care"),
    "legal_aid": N_("Legal aid"),
    "safe_house": N_("Safe house (rumah aman)"),
    "takedown": N_("Removal of content"),
    "school": N_("Support at school"),
    "family": N_("Family support"),
}
SAFETY: dict[str, str] = {"safe": N_("Safe now"), "at_risk": N_("At risk"), "unsafe": N_("Not safe now")}

# Completing a step of this kind moves the case to this stage and opens the next step (kind or None).
ON_DONE: dict[str, tuple[str | None, str | None]] = {
    "first_contact": (None, None),  # records first_contact_at; the stage moves on with the assessment
    "assessment": ("case_plan", "case_plan"),
    "case_plan": ("services", "follow_up"),
    "service": (None, None),
    "follow_up": ("follow_up", None),
}
# Stages from which a case worker may ask to close the case: after the plan, when services were given.
CLOSABLE = ("services", "follow_up")
OPEN_STAGES = tuple(s for s in STAGES if s != "closed")


@dataclass(frozen=True)
class Move:
    stage: str  # the case's stage after the step is done
    open_next: str | None  # the kind of step to open next, if any


def after_done(stage: str, kind: str) -> Move:
    """What completing a step of ``kind`` does to a case in ``stage``. A stage never moves backwards: a
    follow-up done while a closure is requested leaves the case where it is."""
    if kind == "first_contact":
        return Move("assessment" if stage == "registration" else stage, None)
    to_stage, next_kind = ON_DONE.get(kind, (None, None))
    order = list(STAGES)
    if to_stage is None or order.index(to_stage) < order.index(stage):
        return Move(stage, None)
    return Move(to_stage, next_kind)


def can_request_closure(stage: str) -> bool:
    return stage in CLOSABLE


def valid_codes(values, allowed: dict[str, str]) -> list[str]:
    """The submitted codes that are known, in the table's order (unknown ones are dropped by the caller's
    validation, which reports them)."""
    chosen = set(values)
    return [code for code in allowed if code in chosen]
